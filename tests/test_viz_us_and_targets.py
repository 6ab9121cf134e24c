"""The US as an actor, the capability targets and the split's cost, as the page shows them, without a browser.

Expected values come from seeded models and from numbers worked by hand: the floor the US
settled before round 1 (its row's `reservation_total`), the statements of `us_posture.csv` the
Hague reading comes from, the targets' price 2% / (1 - 0.3) x 1.3, the capability statements
published by each case's information date (read from the CSV here, not through the loader), and
new money = core + share x related.
"""

import csv
import datetime as dt

import numpy as np
import pytest

from sim.data.capabilities import default_targets_path
from sim.engines.model import AllianceModel
from sim.model.requirement import capability_requirement
from sim.model.scenario import parse_scenario
from sim.viz.capability_targets import NamedArea, build_line, known_line, role_line, summary_line, targets
from sim.viz.plots import LevelPart, level_frame, rounds_chart
from sim.viz.provenance import Provenance
from sim.viz.split_cost import Budgets, CostScope, DraftCost, budgets, cost_row, draft_costs, scope_choices
from sim.viz.united_states import (PostureLever, UsVote, posture_row, stand_line, us_ally, us_floor_pct, vote_line,
                                   united_states as us_now)


def stepped(rounds: int, scenario: str = "hague2025", seed: int = 0, **levers) -> AllianceModel:
    model = AllianceModel(scenario, rng=seed, **levers)
    for _ in range(rounds):
        model.step()
    return model


def posture(us, lever: PostureLever):
    return next(item for item in us.posture if item.lever is lever)


# --- the United States ---

@pytest.mark.parametrize("rounds", [0, 2])
def test_the_floor_shown_is_the_one_the_us_settled_before_round_1(rounds):
    model = stepped(rounds)
    seat = us_ally(model).seat
    circumstances = model.circumstances()
    us = us_now(model)
    assert us.headline_floor_pct == circumstances.reservation_total[seat]
    assert us.core_floor_pct == circumstances.floor[seat]
    assert np.count_nonzero(circumstances.reservation_total) == 1  # only the US holds out for a floor
    # the Hague: pressure 1 x demand 5 is within what the allies can ratify; related fills 3 pp of it
    assert (us.headline_floor_pct, us.core_floor_pct, us.capped) == (5.0, 2.0, False)
    assert us.position_pct == float(us_ally(model).stance.position)
    assert "holds out for a headline (core + related) of 5.00%, core at least 2.00%" in stand_line(us)


def test_a_lighter_push_lowers_the_floor_and_a_short_talk_caps_it():
    relaxed = us_now(stepped(0, us_pressure=0.4))
    assert relaxed.headline_floor_pct == pytest.approx(0.4 * 5.0) and not relaxed.capped
    short = us_now(stepped(0, max_rounds=1))  # one round of pressure: the laggards ratify less than 5%
    assert short.credible_pct == 5.0 and short.headline_floor_pct < 5.0 and short.capped
    assert "capped below pressure x demand (5.00%)" in stand_line(short)


def test_the_hague_posture_is_read_from_the_record_with_its_statements():
    us = us_now(stepped(1))
    assert us.information_date == dt.date(2025, 6, 23)
    assert all(item.provenance is Provenance.RECORD for item in us.posture)
    pressure, demand, deadline = (posture(us, lever) for lever in PostureLever)
    assert pressure.value == 1.0 and pressure.statement.threat_of_abandonment == 3
    assert (pressure.statement.speaker, pressure.statement.date) == ("Donald Trump", dt.date(2025, 3, 6))
    assert demand.value == 5.0 and demand.statement.demand_pct_gdp == 5.0
    assert demand.statement.date == dt.date(2025, 6, 23)  # the latest statement that named a level
    assert deadline.statement.speaker.startswith("Marco Rubio") and deadline.statement.demand_deadline == 2032
    label, value, where, said = posture_row(deadline, us)
    assert (value, where) == ("2032", "read from the record of 2025-06-23")
    assert said.startswith("Marco Rubio (Secretary of State), 2025-05-15") and "weakest link" in said


def test_a_moved_lever_is_the_user_s_counterfactual_and_a_scenario_s_is_the_scenario_s():
    moved = us_now(stepped(0, us_pressure=0.4))
    item = posture(moved, PostureLever.PRESSURE)
    assert item.provenance is Provenance.LEVER and item.recorded == 1.0
    assert posture_row(item, moved)[1:] == ("0.40", "moved by you: your counterfactual (the record of 2025-06-23 "
                                                    "reads 1.00)", "-")
    assert posture(moved, PostureLever.DEMAND).provenance is Provenance.RECORD
    relaxed = us_now(stepped(0, "us_relaxed"))  # the file sets us_pressure = 0.4
    assert posture(relaxed, PostureLever.PRESSURE).provenance is Provenance.SCENARIO
    assert posture(relaxed, PostureLever.DEMAND).provenance is Provenance.RECORD
    assert posture(us_now(stepped(0, "us_relaxed", us_pressure=0.6)), PostureLever.PRESSURE).provenance \
        is Provenance.LEVER  # moved away from the scenario's 0.4


def test_without_an_information_date_the_values_are_the_scenario_s():
    scenario = parse_scenario({"name": "no date", "parameters": {"us_pressure": 0.5}}, "inline")
    us = us_now(AllianceModel(scenario, rng=0))
    assert us.information_date is None
    assert all(item.provenance is Provenance.SCENARIO_ONLY and item.statement is None for item in us.posture)
    assert posture(us, PostureLever.PRESSURE).value == 0.5


def test_a_year_named_before_the_summit_or_none_is_said_so():
    wales = us_now(stepped(0, "wales2014"))
    assert posture_row(posture(wales, PostureLever.DEADLINE), wales)[1:] == (
        "none named", "read from the record of 2014-09-04", "no administration in office had named a year")
    washington = us_now(stepped(0, "washington2024"))  # the last year named was 2018's "IMMEDIATELY"
    said = posture_row(posture(washington, PostureLever.DEADLINE), washington)[3]
    assert said.startswith("the last year named, 2018, is not after the summit")


def test_the_us_vote_and_why_it_rejected():
    model = stepped(0)
    assert us_now(model).vote is UsVote.NO_DRAFT
    accepted, rejected = [], []
    while model.running:
        model.step()
        us, ally = us_now(model), us_ally(model)
        assert (us.vote is UsVote.ACCEPTED) == ally.accepted
        (accepted if ally.accepted else rejected).append(model.round)
        assert (us.accepted_in, us.rejected_in) == (tuple(accepted), tuple(rejected))
    # seed 0's first draft meets the 5% floor (3.71 core + 1.29 related) but asks more new money
    # of the US's own budget than it can ratify by 2034; it accepts from round 2
    first = stepped(1)
    assert us_now(first).vote is UsVote.BEYOND_WIN_SET
    assert vote_line(us_now(first)).startswith("On round 1's draft (headline 5.00%), the US rejected it")
    no_split = stepped(1, split_enabled=False)  # the draft is all core, 3.71% against a 5% floor
    assert us_now(no_split).vote is UsVote.BELOW_FLOOR


# --- the capability targets ---

def test_the_requirement_shown_is_the_model_s_and_built_as_shown():
    model = stepped(1)
    build = targets(model).requirement
    assert build.requirement_pct == float(capability_requirement(model.params))
    assert build.price_pct == pytest.approx(2.0 / 0.7) and build.force == pytest.approx(1.3)
    assert build.requirement_pct == pytest.approx(2.0 / 0.7 * 1.3)  # 3.71% of GDP, by hand
    assert build.requirement_pct == pytest.approx(model.draft.core_pct)  # the first draft asks it
    assert summary_line(targets(model)) == "What the capability targets cost: 3.71% of GDP"
    assert "= 2.86%, x 1.30" in build_line(build) and build.threat_provenance is Provenance.SCENARIO_ONLY


def test_a_moved_threat_reprices_the_targets():
    build = targets(stepped(0, threat_level=0.6)).requirement
    assert build.threat_provenance is Provenance.LEVER
    assert build.requirement_pct == pytest.approx(2.0 / 0.7 * 1.1)


def test_a_shock_moves_this_round_s_threat_not_the_price():
    model = stepped(12, "escalation")
    now = targets(model)
    assert now.requirement.round_threat > now.requirement.threat == model.params.threat_level
    assert "the scenario's shock" in role_line(now)
    assert "no Secretary General drafts" in role_line(targets(stepped(0, protocol="agenda_setter")))


def published_by_hand(day: dt.date) -> set[str]:
    """The statements on the five named areas whose source was published by `day`, read from the CSV."""
    with default_targets_path().open(encoding="utf-8", newline="") as handle:
        return {row["statement"] for row in csv.DictReader(handle)
                if row["area"] in set(NamedArea) and dt.date.fromisoformat(row["source_date"]) <= day}


@pytest.mark.parametrize("scenario, day", [("hague2025", dt.date(2025, 6, 23)), ("washington2024", dt.date(2024, 7, 8)),
                                           ("wales2014", dt.date(2014, 9, 4))])
def test_only_the_areas_statements_published_by_the_information_date_are_listed(scenario, day):
    now = targets(stepped(0, scenario))
    listed = {row.statement for group in now.areas for row in group.statements}
    assert now.information_date == day
    assert listed == published_by_hand(day)
    assert now.later == len(published_by_hand(dt.date(2100, 1, 1))) - len(listed)
    for group in now.areas:
        assert all(row.area == group.area for row in group.statements)
        assert [row.date for row in group.statements] == sorted((row.date for row in group.statements), reverse=True)


def test_what_each_case_could_know_of_the_areas():
    hague, washington, wales = (targets(stepped(0, name)) for name in ("hague2025", "washington2024", "wales2014"))
    assert {group.area for group in hague.areas} == set(NamedArea)
    assert {group.area for group in washington.areas} == {NamedArea.AIR_AND_MISSILE_DEFENCE, NamedArea.MUNITIONS}
    assert wales.areas == () and known_line(wales).startswith("The named areas: nothing had been said")
    assert hague.later == 0 and wales.later == 10


# --- the split's cost ---

def test_new_money_is_core_plus_the_share_of_related_by_hand():
    draft = DraftCost(round=1, core_pct=3.0, related_pct=2.0, related_cost_share=0.25)
    assert (draft.headline_pct, draft.new_money_pct, draft.related_new_pct) == (5.0, 3.5, 0.5)
    where = Budgets("the allies at the table", gdp_usd_bn=20_000.0, today_pct=2.0)
    assert where.usd_bn(draft.new_money_pct) == pytest.approx(700.0)  # 3.5% of USD 20,000 bn
    assert cost_row(draft, where) == ("1", "3.00", "2.00", "5.00", "0.50", "3.50", "700")


def test_the_hague_first_draft_asks_four_and_a_third_percent_of_new_money():
    """Core 26/7 (the targets' cost), related 5 - 26/7 = 9/7 to the US floor, share 0.4968 (set
    here): new money (26 + 0.4968 x 9) / 7 = 30.4712 / 7."""
    model = stepped(2, related_cost_share=0.4968)
    first, second = draft_costs(model)
    assert (first.core_pct, first.related_pct) == (pytest.approx(26 / 7), pytest.approx(9 / 7))
    assert first.new_money_pct == pytest.approx(30.4712 / 7)
    table = model.rounds_table()
    assert second.core_pct == table.draft_core_pct[2] and second.related_pct == table.draft_related_pct[2]
    assert second.new_money_pct == pytest.approx(second.core_pct + 0.4968 * second.related_pct)


def test_the_money_is_counted_for_the_allies_at_the_table_or_one_ally():
    model = stepped(1)
    facts = {ally.facts.iso3: ally.facts for ally in model.allies}
    at_table = [code for code, fact in facts.items() if fact.at_table]
    alliance, without_us, spain = (budgets(model, scope) for scope in (CostScope.ALLIANCE, CostScope.WITHOUT_US, "ESP"))
    assert alliance.gdp_usd_bn == pytest.approx(sum(facts[code].gdp_usd_bn for code in at_table))
    assert alliance.gdp_usd_bn - without_us.gdp_usd_bn == pytest.approx(facts["USA"].gdp_usd_bn)
    assert spain.gdp_usd_bn == facts["ESP"].gdp_usd_bn and spain.today_pct == facts["ESP"].start_pct
    spent = sum(facts[code].start_pct * facts[code].gdp_usd_bn for code in at_table)
    assert alliance.today_pct == pytest.approx(spent / alliance.gdp_usd_bn)
    draft = draft_costs(model)[0]
    assert float(cost_row(draft, spain)[-1].replace(",", "")) == pytest.approx(
        draft.new_money_pct / 100 * facts["ESP"].gdp_usd_bn, abs=0.5)
    assert "ISL" not in scope_choices(model)  # no armed forces: not at the table
    assert {"FIN", "SWE"}.isdisjoint(scope_choices(stepped(0, "wales2014")))  # joined after 2014
    with pytest.raises(ValueError, match="no ally 'XXX'"):
        budgets(model, "XXX")


def test_before_the_first_round_no_draft_is_costed():
    assert draft_costs(stepped(0)) == ()


# --- the rounds' plot: the US floor against the draft ---

def test_the_draft_level_plot_draws_new_money_and_the_us_floor_over_every_round():
    model = stepped(3)
    frame = level_frame(model)
    floor = frame[frame["part"] == LevelPart.US_FLOOR]
    assert list(floor["round"]) == list(range(model.params.max_rounds + 1))
    assert set(floor["pct"]) == {us_floor_pct(model)}
    new = frame[frame["part"] == LevelPart.NEW_MONEY].set_index("round")["pct"]
    assert [new[draft.round] for draft in draft_costs(model)] == pytest.approx(
        [draft.new_money_pct for draft in draft_costs(model)])
    assert set(level_frame(stepped(3, split_enabled=False))["part"]) == {LevelPart.CORE, LevelPart.US_FLOOR}
    floor_layer, drafts_layer = rounds_chart(model).to_dict()["hconcat"][0]["layer"]
    assert floor_layer["encoding"]["color"]["scale"]["domain"] == [str(part) for part in LevelPart]
    assert "point" not in floor_layer["mark"] and "point" in drafts_layer["mark"]  # the floor is drawn under the drafts

