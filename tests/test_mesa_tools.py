"""Mesa's own tools see what the model knows: `mesa.batch_run` rows carry the run's outcome,
the agents' facts are attributes Mesa's `get` and `select` read, and the DataCollector's
agent reporters collect."""

from __future__ import annotations

import dataclasses
import math
import warnings

import mesa
import pandas as pd

from sim.engines.agents import Ally, SecretaryGeneral
from sim.engines.model import OUTCOME_REPORTERS, AllianceModel
from sim.engines.outcome import ALLY_ROUND_FIELDS
from sim.engines.schema import RUN_OUTCOMES
from sim.model.alliance import Alliance


def test_batch_run_rows_carry_the_outcome_and_tell_a_deal_from_no_deal():
    rounds = [1, 12]  # one round is too few at The Hague: no deal; twelve are enough
    results = mesa.batch_run(AllianceModel, parameters={"scenario_name": "hague2025", "max_rounds": rounds},
                             rng=[0], number_processes=1, data_collection_period=-1, display_progress=False)
    table = pd.DataFrame(results)
    assert {"deal", "core_target_pct", "deadline_year", "n_holdouts"} <= set(table.columns)
    by_rounds = table.groupby("max_rounds").first()
    for max_rounds in rounds:
        direct = AllianceModel("hague2025", rng=0, max_rounds=max_rounds).run()
        row = by_rounds.loc[max_rounds]
        assert row["deal"] == direct.deal
        assert row["n_holdouts"] == len(direct.holdouts)
        assert row["rounds"] == direct.rounds
        if direct.deal:
            assert row["core_target_pct"] == direct.core_target_pct
            assert row["deadline_year"] == direct.deadline_year
        else:
            assert pd.isna(row["core_target_pct"]) and pd.isna(row["deadline_year"])
    assert set(by_rounds["deal"]) == {True, False}


def test_the_outcome_reporters_are_named_by_the_outcome_schema_and_empty_until_the_end():
    assert set(OUTCOME_REPORTERS) == {spec.name for spec in RUN_OUTCOMES if spec.scalar_type is not None}
    model = AllianceModel("hague2025", rng=3)
    model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    assert frame[list(OUTCOME_REPORTERS)].isna().all().all()
    outcome = model.run()
    last = model.datacollector.get_model_vars_dataframe().iloc[-1]
    assert last["deal"] == outcome.deal and last["rounds"] == outcome.rounds
    assert last["n_holdouts"] == len(outcome.holdouts) and last["n_flexibility"] == len(outcome.flexibility)
    assert list(model.rounds_table().columns)[0] == "round" and "deal" not in model.rounds_table()


def test_allies_expose_their_facts_as_attributes():
    model = AllianceModel("hague2025", rng=0)
    fields = {field.name for field in dataclasses.fields(Alliance)}
    assert set(Ally.FACTS) == fields | {"at_table"}
    assert model.allies.get("iso3") == [ally.facts.iso3 for ally in model.allies]
    spain = model.allies.select(filter_func=lambda a: a.iso3 == "ESP")
    assert spain.get("name") == ["Spain"]
    for ally in model.allies:
        for fact in Ally.FACTS:
            assert getattr(ally, fact) == getattr(ally.facts, fact) or (
                isinstance(getattr(ally, fact), float) and math.isnan(getattr(ally, fact)))
    assert isinstance(spain.to_list()[0].at_table, bool)


def test_a_filter_over_all_agents_reads_the_secretary_general_too():
    model = AllianceModel("hague2025", rng=0)
    assert len(model.agents) == len(model.allies) + 1
    found = model.agents.select(filter_func=lambda a: a.iso3 == "ESP")
    assert [a.iso3 for a in found] == ["ESP"]
    voters = model.agents.select(filter_func=lambda a: a.votes)
    assert all(isinstance(a, Ally) for a in voters) and len(voters) == len(model.members)
    secretary = model.agents_by_type[SecretaryGeneral][0]
    assert all(getattr(secretary, fact) is None for fact in Ally.FACTS if fact != "name")
    assert model.agents.get("iso3")[-1] is None


def test_the_agent_reporters_collect_and_give_the_allies_table():
    model = AllianceModel("wales2014", rng=1)
    model.run()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = model.datacollector.get_agent_vars_dataframe()
    assert len(frame) == (model.round + 1) * len(model.agents)
    allies = model.allies_table()
    assert list(allies.columns) == list(ALLY_ROUND_FIELDS)
    assert len(allies) == (model.round + 1) * len(model.allies)
    ours = frame.dropna(subset=["iso3"]).reset_index(drop=True)
    assert list(ours["iso3"]) == list(allies["iso3"])
    assert (ours["position_pct"].astype(float).fillna(-1) == allies["position_pct"].fillna(-1)).all()
