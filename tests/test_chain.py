"""The chain of summits (sim/engines/chain.py): Wales 2014 -> Vilnius 2023 -> the Hague 2025 as
one history, each summit from what the years before it left; and the rules it rests on: a
standing pledge in the reversion point, targets priced at the threat they were set for."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim.analysis.chain_validation import CHAIN_AT_TWO_PERCENT, VILNIUS_FLOOR_BAND, check_chain
from sim.data.spending_record import load_spending_record
from sim.engines.chain import SUMMITS, StartingSpending, run_history
from sim.model.pledges import Ledger, Pledge, PledgeKind
from sim.model.requirement import capability_requirement
from sim.model.reversion import most_signed
from sim.model.scenario import load_scenario

SEEDS = tuple(range(10))


@pytest.fixture(scope="module")
def chain():
    return check_chain(SEEDS)


def pledge(level, made, binds):
    return Pledge(name="p", kind=PledgeKind.FLOOR, level_pct=level, from_year=binds, source="s", made_year=made)


def test_a_pledge_stands_in_talks_held_after_the_summit_that_made_it():
    """Wales (2% made 2014, binding 2024) and Vilnius (2.5% made 2023, binding 2024); three
    allies who joined in 1949, 2023 and 2024. Talks in 2023 stand on Wales alone (Vilnius is made
    at them), and only for members by 2023; talks in 2025 on the higher, Vilnius, for all three;
    talks in 2014 on nothing."""
    ledger = Ledger((pledge(2.0, 2014, 2024), pledge(2.5, 2023, 2024)))
    joined = np.array([1949, 2023, 2024])
    np.testing.assert_allclose(ledger.standing_floor_pct(2023, joined), [2.0, 2.0, 0.0])
    np.testing.assert_allclose(ledger.standing_floor_pct(2025, joined), [2.5, 2.5, 2.5])
    np.testing.assert_allclose(ledger.standing_floor_pct(2014, joined), [0.0, 0.0, 0.0])


def test_a_package_asking_no_more_than_the_standing_pledge_asks_nothing_new():
    """Ideal 1.5%, no stake in blocking, no US threat, a standing 2% floor: the ally signs up to
    2%, its pledge; with an ideal of 2.5% the floor no longer binds and it signs its ideal."""
    assert most_signed(1.5, 0.0, 0.0, 5.0, standing_pct=2.0) == pytest.approx(2.0)
    assert most_signed(2.5, 0.0, 0.0, 5.0, standing_pct=2.0) == pytest.approx(2.5)
    assert most_signed(1.5, 0.0, 0.0, 5.0) == pytest.approx(1.5)


def test_targets_set_before_the_threat_are_priced_at_the_threat_they_were_set_for():
    """Vilnius: threat 0.8, no shortfall, the 2021 targets set at the guideline's threat 0.5: 2%;
    the same case with targets set for its own threat: 2% x (1 + 1 x 0.3) = 2.6%."""
    vilnius = load_scenario("vilnius2023").params
    assert vilnius.targets_predate_threat
    assert capability_requirement(vilnius) == pytest.approx(2.0)
    assert capability_requirement(vilnius.replace(targets_predate_threat=False)) == pytest.approx(2.6)
    assert capability_requirement(load_scenario("hague2025").params) == pytest.approx(2.0 / 0.7 * 1.3)


def test_the_chain_reads_no_pledge_a_scenario_file_types_in():
    """The chain's pledges are its own summits': typing a 5% floor into every scenario changes nothing."""
    typed = Ledger((pledge(5.0, 2013, 2014),))
    scenarios = [dataclasses.replace(load_scenario(name), ledger=typed) for name in SUMMITS]
    for ours, theirs in zip(run_history((0, 1)), run_history((0, 1), summits=scenarios)):
        assert ours.summits == theirs.summits
        np.testing.assert_array_equal(ours.path, theirs.path)


def test_same_seed_same_history_whatever_the_other_seeds():
    together = run_history((3, 1, 4))
    for history in together:
        alone = run_history((history.seed,))[0]
        assert alone.summits == history.summits
        np.testing.assert_array_equal(alone.path, history.path)


def test_each_summit_after_the_first_starts_from_the_chains_years_or_the_record():
    """From the chain, Vilnius starts from the spending the Wales years left in 2023, which is
    not the record's; from the record, the path carries the record's 2023 and 2024."""
    record = load_spending_record()
    chained, = run_history((0,))
    recorded, = run_history((0,), start=StartingSpending.RECORD)
    actual = record.path(chained.iso3, (2023, 2024))
    forces = ~np.isnan(actual[:, 0])
    assert not np.allclose(chained.spending_over((2023,))[forces, 0], actual[forces, 0])
    np.testing.assert_allclose(recorded.spending_over((2023, 2024))[forces], actual[forces])
    np.testing.assert_array_equal(chained.spending_over(range(2014, 2023)), recorded.spending_over(range(2014, 2023)))


def test_the_path_runs_from_2014_to_the_last_summits_deadline_or_its_reviews():
    history, = run_history((0,))
    hague = history.summit(load_scenario("hague2025").name)
    assert history.years[0] == 2014 and history.years[-1] == history.review.deadline_year
    unreviewed, = run_history((0,), review=None)
    assert unreviewed.years[-1] == hague.deadline_year
    assert np.isnan(history.spending_in(2014)[history.iso3.index("ISL")])
    assert not np.isnan(history.spending_in(2030)[history.iso3.index("ESP")])


def test_vilnius_comes_out_of_the_chain_as_a_floor_near_two_percent(chain):
    low, high = VILNIUS_FLOOR_BAND
    assert chain.vilnius_floor_share >= 0.8
    vilnius = chain.summits[1]
    assert vilnius.scenario == "Vilnius 2023" and low <= vilnius.core_pct <= high


def test_the_hague_from_the_chain_is_within_its_bands(chain):
    hague = chain.summits[2]
    assert hague.deal_share >= 0.5
    assert 3.25 <= hague.core_pct <= 3.75 and 2033 <= hague.deadline_year <= 2037
    assert hague.flexibility_share.get("ESP", 0.0) >= 0.5


def test_the_chains_path_beats_the_naive_paths_with_the_same_information(chain):
    assert chain.path.mae_pp < chain.no_change.mae_pp
    assert chain.path.mae_pp < chain.linear_to_two.mae_pp


def test_the_chain_brings_20_to_26_allies_to_two_percent_in_2024(chain):
    low, high = CHAIN_AT_TWO_PERCENT
    assert low <= chain.at_two_percent_2024 <= high


def test_the_us_posture_weighs_on_each_years_budget_as_the_year_before_read_it():
    """Read on 31 December of the year before: Obama's 2014 complaints (1/3) for 2015; Mattis's
    conditional commitment of February 2017 (2/3) for 2018; the Biden years (0) for 2022; and a
    forecast year never reads past the Hague's information date (the Trump administration's
    threats of March 2025: 1 from 2026)."""
    import datetime as dt

    from sim.engines.chain import posture_by_year

    pressure = posture_by_year((2015, 2018, 2022, 2026, 2030), dt.date(2025, 6, 23))
    assert pressure == pytest.approx({2015: 1 / 3, 2018: 2 / 3, 2022: 0.0, 2026: 1.0, 2030: 1.0})


def test_a_pressure_set_for_the_history_holds_in_every_year(monkeypatch):
    """`--set us_pressure=...` is a counterfactual for the whole history: no year's posture is read."""
    from sim.engines import chain

    def refuse(*_):
        raise AssertionError("a year's posture was read under a set pressure")

    monkeypatch.setattr(chain, "posture_by_year", refuse)
    set_once, = run_history((0,), overrides={"us_pressure": 0.5})
    assert set_once.summits[0].deal


def test_the_forecast_comes_from_the_chain_from_the_record_of_2024(chain):
    record = load_spending_record()
    spain = chain.forecast["ESP"]
    assert min(spain) == 2024 and max(spain) >= 2035
    assert spain[2024]["mean"] == pytest.approx(float(record.path(("ESP",), (2024,))[0, 0]))
    assert "ISL" not in chain.forecast


def test_the_history_command_prints_the_chain_and_refuses_a_bad_lever(capsys):
    from sim.cli import main

    assert main(["history", "--seeds", "2"]) == 0
    out = capsys.readouterr().out
    assert "Vilnius 2023: core, deadline" in out and "2% in steps" in out
    assert "Hague 2025 review 2029 (forecast): core, deadline" in out
    assert main(["history", "--seeds", "1", "--set", "us_pressure=7"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "us_pressure: 7.0 is out of range" in err[0]


def test_leaving_one_ally_out_by_hand():
    """Two allies, one run, two years: errors (0.1, 0.3) and (0.5, 0.7). Without the first: 0.6;
    without the second: 0.2."""
    from sim.analysis.chain_validation import leave_one_out

    actual = np.array([[1.0, 1.0], [2.0, 2.0]])
    paths = np.array([[[1.1, 1.3], [2.5, 2.7]]])
    assert leave_one_out(paths, actual) == pytest.approx((0.2, 0.6))


def test_no_single_ally_makes_the_chains_path_score(chain):
    low, high = chain.leave_one_out_mae
    assert low <= chain.path.mae_pp <= high
    assert high < chain.no_change.mae_pp


def test_the_years_posture_projects_alike_for_one_run_and_a_block_of_runs():
    """`project_spending` with a pressure per year and `until`, as the chain calls it on a block of
    runs (runs x allies, levers as columns), gives each run what it gives that run alone, with the
    scenario's parameters and the alliance's own arrays (allies,), as the Mesa model calls it."""
    from sim.engines.batch import Levers, Structure, implement, negotiate, open_talks, window_columns
    from sim.model import implementation, perception
    from sim.model.alliance import Alliance
    from sim.model.scenario import ScenarioCache

    scenario, cache = load_scenario("wales2014"), ScenarioCache()
    facts = cache.allies(scenario)
    columns = window_columns(scenario, [{}, {}], range(2))
    [(structure, rows)] = Structure.groups(columns)
    alliance = Alliance.of(facts, structure.data_year, structure.summit_year)
    opening = open_talks(alliance, facts, Levers.of_columns(columns, rows), [0, 1], scenario.ledger, cache)
    ended = negotiate(alliance, structure, opening)
    pressure = {2015: 1 / 3, 2016: 0.0, 2017: 2 / 3, 2018: 2 / 3}
    block = implement(alliance, opening.talks, ended, 2014, scenario.ledger, True, until=2018,
                      us_pressure_by_year=pressure)
    p = scenario.params
    for run in (0, 1):
        alone = implementation.project_spending(
            alliance, p, opening.talks.circumstances.take(run), ended.stance.take(run),
            implementation.targets(ended.deal[run], ended.flexibility[run], ended.draft.core_pct[run, 0],
                                   ended.stance.position[run]),
            ended.draft.deadline_year[run, 0], perception.threat_level_in_round(ended.rounds[run], p), 2014,
            scenario.ledger, True, until=2018, us_pressure_by_year=pressure)
        np.testing.assert_allclose(alone.trajectory, block.trajectory[run], equal_nan=True)
    steady = implement(alliance, opening.talks, ended, 2014, scenario.ledger, True, until=2018)
    assert not np.allclose(np.nan_to_num(steady.trajectory), np.nan_to_num(block.trajectory))  # the years' posture acts


def test_a_history_refuses_a_placing_parameter_and_summits_out_of_order():
    from sim.model.scenario import ScenarioError

    with pytest.raises(ScenarioError, match="--set summit_year: each summit of the history has its own"):
        run_history((0,), overrides={"summit_year": 2030})
    with pytest.raises(ScenarioError, match="must come after Hague 2025's"):
        run_history((0,), summits=("hague2025", "wales2014"))


def test_the_chains_path_bands_hold_every_ally_year_from_2014(chain):
    """2014 is the record for every run (a band of width 0); later years spread over the runs, each
    band holding its mean; Iceland, without forces, has none."""
    record = load_spending_record()
    poland = chain.path_bands["POL"]
    assert list(poland) == list(range(2014, 2025)) and "ISL" not in chain.path_bands
    start = float(record.path(("POL",), (2014,))[0, 0])
    assert poland[2014] == pytest.approx({"mean": start, "p05": start, "p95": start})
    for cells in chain.path_bands.values():
        assert all(cell["p05"] - 1e-12 <= cell["mean"] <= cell["p95"] + 1e-12 for cell in cells.values())


# --- the Hague's review of 2029 ---------------------------------------------------------------

def test_the_review_keeps_the_years_its_summits_statements_named():
    """The Hague: the US asked 5% by 2032 (7 years after 2025), the threat's horizon "within five
    years" (2030). Reviewed in 2029 from the same information: 3 years to the US's deadline, 1 to
    the horizon; everything else is the Hague's, the data year included."""
    from sim.engines.chain import HAGUE_REVIEW, reviewing

    hague = load_scenario("hague2025")
    review = reviewing(hague, HAGUE_REVIEW)
    assert review.params.summit_year == 2029 and review.params.data_year == hague.params.data_year
    assert review.params.us_deadline_years == pytest.approx(hague.params.us_deadline_years - 4)
    assert review.params.threat_horizon_years == pytest.approx(max(hague.params.threat_horizon_years - 4, 1.0))
    assert review.information == hague.information and review.name == "Hague 2025 review 2029"
    assert reviewing(load_scenario("wales2014"), HAGUE_REVIEW) is None  # not the summit it reviews


def test_a_review_before_its_summit_is_refused():
    from sim.engines.chain import Review, reviewing
    from sim.model.scenario import ScenarioError

    with pytest.raises(ScenarioError, match="must come after its summit"):
        reviewing(load_scenario("hague2025"), Review(of_summit_year=2025, year=2025, source="s"))


def test_the_review_changes_nothing_before_its_year_and_opens_from_the_chains_spending():
    reviewed = run_history((0, 1), start=StartingSpending.RECORD)
    unreviewed = run_history((0, 1), start=StartingSpending.RECORD, review=None)
    for with_review, without in zip(reviewed, unreviewed):
        assert without.review is None and with_review.summits == without.summits
        review = with_review.review
        assert (review.summit_year, review.data_year) == (2029, 2028)
        years = range(2014, 2029)
        np.testing.assert_array_equal(with_review.spending_over(years), without.spending_over(years))
        end = review.deadline_year if review.deal else with_review.summits[-1].deadline_year
        assert with_review.years[-1] == end


def test_talks_that_end_without_a_deal_keep_the_path_they_were_to_revise():
    """Under the US posture of 2024 the Hague's talks end without a deal; held as a review of a
    standing path (3% for every ally by 2035), the allies keep that path: the years run to its
    deadline, and an ally that keeps it reaches no less than without it (its own position)."""
    from sim.engines.chain import _summit
    from sim.model.implementation import StandingPath
    from sim.model.scenario import ScenarioCache

    cache = ScenarioCache()
    scenario = load_scenario("us_posture_2024")
    facts = cache.allies(scenario)
    standing = StandingPath(target=np.full(facts.count, 3.0), deadline_year=2035)
    kept = _summit(scenario, facts, Ledger(), 0, None, None, cache, standing=standing)
    own = _summit(scenario, facts, Ledger(), 0, None, None, cache)
    assert not kept.outcome.deal and kept.path is standing
    assert max(kept.years) == 2035
    assert np.nansum(kept.years[2035]) > np.nansum(own.years[2035])
