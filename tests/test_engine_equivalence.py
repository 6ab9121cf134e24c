"""The batch engine gives what the Mesa model gives, run for run: the one place the two
engines are checked against each other.

The Mesa model is the reference: for random valid parameters and seeds, and for explicit
cases ending in every way, every run-level field (`RUN_FIELDS`) and every ally's final
position, vote, side letter and spending path must agree; both draw the same random numbers
from a run's seed. (Whether a batch run depends on its batch, and the batch engine's own
paths, are in tests/test_batch_engine.py; the stored baselines of both, in
tests/test_regression.py.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import event, given, settings
from strategies import SLOW_EXAMPLES, batches, scenario

from sim.engines.batch import BatchResult, run_batch
from sim.engines.model import AllianceModel
from sim.engines.outcome import RUN_FIELDS, Outcome, outcome_row
from sim.model.streams import random_draws
from sim.viz.ensemble import compute_ensemble, ensemble_levers, keeps_pledge


TOLERANCE = 1e-9


def kind(outcome: Outcome) -> str:
    if not outcome.deal:
        return "no deal"
    return "deal with flexibility" if outcome.flexibility else "deal"


def same_float(expected: float, actual: float) -> bool:
    if math.isnan(expected) or math.isnan(actual):
        return math.isnan(expected) and math.isnan(actual)
    return abs(expected - actual) <= TOLERANCE


def assert_same_run(outcome: Outcome, result: BatchResult, run: int):
    """Every run-level field, then every ally, of run `run` of `result` against the model's outcome."""
    expected, actual = outcome_row(outcome), result.rows()[run]
    for name in RUN_FIELDS:
        if isinstance(expected[name], float):
            assert same_float(expected[name], actual[name]), (name, expected[name], actual[name])
        else:
            assert type(actual[name]) is type(expected[name]) and actual[name] == expected[name], \
                (name, expected[name], actual[name])
    allies = result.allies
    assert result.iso3 == tuple(a.iso3 for a in outcome.allies)
    for index, ally in enumerate(outcome.allies):
        assert same_float(ally.final_position_pct, allies.final_position_pct[run, index]), ally.iso3
        assert ally.accepted == allies.accepted[run, index], ally.iso3
        assert ally.flexibility == allies.flexibility[run, index], ally.iso3
        assert ally.on_track == allies.on_track[run, index], ally.iso3
        assert set(ally.trajectory) <= set(allies.years), ally.iso3
        path = np.array([ally.trajectory.get(year, np.nan) for year in allies.years])
        np.testing.assert_allclose(allies.trajectory_pct[run, index], path, rtol=0, atol=TOLERANCE,
                                   err_msg=ally.iso3)


# --- random parameters and seeds --------------------------------------------------------------


@pytest.mark.slow
@settings(max_examples=50, deadline=None, suppress_health_check=SLOW_EXAMPLES)
@given(batches(max_runs=3))
def test_batch_matches_the_mesa_model(batch):
    name, overrides, seeds = batch
    result = run_batch(scenario(name), overrides, seeds, per_ally=True)
    for run, (changes, seed) in enumerate(zip(overrides, seeds)):
        outcome = AllianceModel(scenario(name), rng=seed, **changes).run()
        event(kind(outcome))
        assert_same_run(outcome, result, run)


# --- explicit cases: deals, no deals and side letters -----------------------------------------


EXPLICIT_CASES = [  # (scenario, overrides, what the talks end in)
    ("wales2014", {}, "deal"),  # every ally signs, Spain at its 2013 deficit of 7.1% (April 2014) too
    ("vilnius2023", {}, "deal"),  # no US pressure: the standing Wales pledge carries the laggards
    ("washington2024", {"us_pressure": 0.3}, None),
    # without US pressure the capability targets' draft is more than four allies sign rather than
    # have no agreement (docs/ODD.md 7.4c): no new target, as at Washington in 2024
    ("hague2025", {"us_demand_pct": 0.0, "us_pressure": 0.0}, "no deal"),
    # one round, room for every holdout: the laggards prefer no agreement and the US's own budget
    # rejects the first draft, and no side letter carries the US
    ("hague2025", {"max_rounds": 1, "max_flexibility_holdouts": 32}, "no deal"),
    ("hague2025", {}, "deal with flexibility"),  # Spain prefers no agreement and is carried
    ("hague2025", {"consensus_stake_pct": 3.0}, "deal"),  # blocking costs more than any package asks: all sign
    ("hague2025", {"expansion_rate_pct": 0.005, "us_pressure": 0.5}, "deal with flexibility"),
    ("hague2025", {"mediator_rule": "median"}, None),
    ("hague2025", {"caucus_cohesion": 0.6, "bilateral_pressure_pct": 0.0}, None),
    ("hague2025", {"caucus_bloc_votes": True, "caucus_cohesion": 0.0}, None),
    ("hague2025", {"caucus_bloc_votes": True, "protocol": "challenge", "us_pressure": 0.7}, None),
    ("wales2014", {"caucus_bloc_votes": True, "protocol": "agenda_setter", "max_rounds": 6}, None),
    ("hague2025", {"mediator_rule": "nash", "threat_shock": 0.2, "threat_shock_round": 3}, None),
    ("hague2025", {"max_rounds": 1}, "no deal"),
    ("wales2014", {"self_enforcing_pledges": False, "compliance_drag": 0.3}, "deal"),  # every ally, as above
    ("wales2014", {"max_rounds": 1, "allow_flexibility": False}, None),  # targets tie with ideals
    ("hague2025", {"allow_flexibility": False, "us_pressure": 1.0, "us_demand_pct": 10.0, "split_enabled": False},
     "no deal"),
    ("hague2025", {"protocol": "agenda_setter"}, "no deal"),  # docs/ODD.md 7.6b: the US floor's related spending
    ("wales2014", {"protocol": "agenda_setter", "us_pressure": 0.9, "max_rounds": 4}, None),
    ("hague2025", {"protocol": "baron_ferejohn"}, "deal"),  # docs/ODD.md 7.6e: proposals exchanged, then all take one
    ("hague2025", {"protocol": "baron_ferejohn", "discount_factor": 0.5, "belief_error_pct": 2.0, "us_pressure": 0.6},
     None),
    ("hague2025", {"protocol": "baron_ferejohn", "max_rounds": 2, "caucus_bloc_votes": True}, None),
    ("wales2014", {"protocol": "baron_ferejohn", "us_pressure": 0.9, "max_rounds": 4}, None),
    ("hague2025", {"protocol": "challenge"}, None),
    ("wales2014", {"protocol": "challenge"}, "deal"),
    ("hague2025", {"protocol": "challenge", "us_pressure": 0.4, "threat_shock": -0.3, "threat_shock_round": 3,
                   "leverage": 4.0}, None),
    ("hague2025", {"protocol": "exchange"}, None),
    ("wales2014", {"protocol": "exchange"}, "deal"),
    ("hague2025", {"protocol": "exchange", "us_pressure": 0.1, "caucus_bloc_votes": True, "leverage": 4.0}, None),
]


@pytest.mark.parametrize(("name", "overrides", "expected"), EXPLICIT_CASES)
def test_explicit_deals_no_deals_and_flexibility_agree(name, overrides, expected):
    seeds = [0, 1, 2]
    result = run_batch(scenario(name), [overrides] * len(seeds), seeds, per_ally=True)
    for run, seed in enumerate(seeds):
        outcome = AllianceModel(scenario(name), rng=seed, **overrides).run()
        assert_same_run(outcome, result, run)
        if expected and run == 0:
            assert kind(outcome) == expected


def test_both_engines_settle_early_with_side_letters_in_the_same_runs():
    """With the defaults most Hague runs are settled with side letters before the summit: Spain
    prefers no agreement to the package, which no round left can change (`consensus.out_of_reach`);
    the engines agree run by run, and switching the rule off sends every run with holdouts to the
    last round."""
    seeds = list(range(20))
    defaults = {}
    result = run_batch(scenario("hague2025"), [defaults] * len(seeds), seeds, per_ally=True)
    early = result.deal & (result.rounds < 12) & result.flexibility.any(axis=1)
    assert early.any()
    for run in np.flatnonzero(early)[:2]:
        assert_same_run(AllianceModel(scenario("hague2025"), rng=seeds[run], **defaults).run(), result, run)
    off = run_batch(scenario("hague2025"), [{**defaults, "early_settlement": False}] * len(seeds), seeds)
    assert (off.rounds[off.flexibility.any(axis=1)] == 12).all()


def test_explicit_cases_cover_every_kind_of_ending():
    assert {expected for _, _, expected in EXPLICIT_CASES} >= {"deal", "deal with flexibility", "no deal"}


# --- the same random numbers ------------------------------------------------------------------


def test_the_model_draws_the_numbers_of_its_integer_seed():
    """The batch engine calls `random_draws` with each run's seed; the model given `rng=seed`
    must get exactly these numbers (Mesa's own generator plays no part)."""
    seed, rounds = 2025, 7
    model = AllianceModel("hague2025", rng=seed, max_rounds=rounds)
    draws = random_draws(seed, model.alliance.iso3, rounds)
    assert [a.noise_pct for a in model.allies] == list(model.params.noise_sd_pct * draws.preference)
    np.testing.assert_array_equal(np.array([a.widening_factors for a in model.allies]).T, draws.widening_factor)
    np.testing.assert_array_equal(model.recognition_draws, draws.recognition)


def test_a_model_without_a_seed_draws_its_key_from_its_generator():
    """Given a Generator (or nothing), the model draws one integer from it once and uses it as
    the seed: the same Generator state gives the same run."""
    model = AllianceModel("hague2025", rng=np.random.default_rng(7), max_rounds=3)
    again = AllianceModel("hague2025", rng=np.random.default_rng(7), max_rounds=3)
    assert isinstance(model.draws_key, int) and model.draws_key == again.draws_key
    np.testing.assert_array_equal(model.recognition_draws, random_draws(model.draws_key, model.alliance.iso3, 3).recognition)


# --- the page's ensemble (batch) is the page's model (Mesa), seed by seed ---------------------


def test_the_pages_ensemble_runs_are_the_models_runs_with_its_levers():
    model = AllianceModel("hague2025", rng=7, us_pressure=0.4, max_rounds=8)
    levers = ensemble_levers(model)
    ensemble = compute_ensemble(model.scenario_name, levers, 20, curve_points=3, curve_seeds=4)
    for seed in (0, 13):
        outcome = AllianceModel("hague2025", rng=seed, **levers).run()
        assert ensemble.result.deal[seed] == outcome.deal
        assert keeps_pledge(ensemble.result)[seed].tolist() == [ally.on_track for ally in outcome.allies]


# --- an ally's numbers follow its code, not its row in the data --------------------------------


def reordered_allies(tmp_path, order: str):
    """allies.csv with its rows in another order ("reversed", or "rotated" by seven rows), in tmp_path."""
    from sim.data.loader import default_allies_path

    lines = default_allies_path().read_text(encoding="utf-8").splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    rows = rows[::-1] if order == "reversed" else rows[7:] + rows[:7]
    path = tmp_path / "allies.csv"
    path.write_text(header + "".join(rows), encoding="utf-8")
    return path


def assert_same_outcome_by_ally(before: Outcome, after: Outcome):
    """The same outcome with the allies in another order: every field equal (the lists of
    codes as sets, the floats to TOLERANCE, as sums over the allies in another order may
    round their last bit differently), every ally's result equal, found by its code."""
    expected, actual = outcome_row(before), outcome_row(after)
    for name in RUN_FIELDS:
        if isinstance(expected[name], float):
            assert same_float(expected[name], actual[name]), (name, expected[name], actual[name])
        elif isinstance(expected[name], list):
            assert sorted(expected[name]) == sorted(actual[name]), name
        else:
            assert actual[name] == expected[name], (name, expected[name], actual[name])
    allies = {ally.iso3: ally for ally in after.allies}
    assert set(allies) == {ally.iso3 for ally in before.allies}
    for ally in before.allies:
        other = allies[ally.iso3]
        for field in ("accepted", "flexibility", "votes", "on_track"):
            assert getattr(other, field) == getattr(ally, field), (ally.iso3, field)
        for field in ("initial_position_pct", "final_position_pct", "initial_deadline", "final_deadline", "threat",
                      "fiscal_pressure"):
            assert same_float(getattr(ally, field), getattr(other, field)), (ally.iso3, field)
        assert set(other.trajectory) == set(ally.trajectory), ally.iso3
        for year, value in ally.trajectory.items():
            assert same_float(value, other.trajectory[year]), (ally.iso3, year)


@pytest.mark.parametrize("order", ["reversed", "rotated"])
@pytest.mark.parametrize(("name", "overrides"), [("hague2025", {}), ("hague2025", {"protocol": "agenda_setter"}),
                                                 ("hague2025", {"protocol": "baron_ferejohn"}),
                                                 ("hague2025", {"protocol": "challenge"}),
                                                 ("hague2025", {"protocol": "exchange"}), ("wales2014", {})])
def test_reordering_the_allies_rows_changes_no_outcome_on_either_engine(tmp_path, order, name, overrides):
    """Each ally's draws are keyed by its ISO3 code (`streams.ally_index`), and the proposer is
    recognised in the order of the codes: the same seeds give the same outcomes, ally by ally,
    however allies.csv orders its rows, on the Mesa model and on the batch engine."""
    from unittest import mock

    seeds = [0, 1, 2]
    expected = [AllianceModel(name, rng=seed, **overrides).run() for seed in seeds]
    with mock.patch("sim.data.loader.default_allies_path", return_value=reordered_allies(tmp_path, order)):
        reordered = [AllianceModel(name, rng=seed, **overrides).run() for seed in seeds]
        batch_reordered = run_batch(name, [overrides] * len(seeds), seeds, per_ally=True)
    assert [ally.iso3 for ally in reordered[0].allies] != [ally.iso3 for ally in expected[0].allies]  # rows moved
    for run, (before, after) in enumerate(zip(expected, reordered)):
        assert_same_outcome_by_ally(before, after)
        assert_same_run(after, batch_reordered, run)
