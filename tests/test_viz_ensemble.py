"""The ensemble panel's numbers, without a browser: from a BatchResult to what the panel shows.

Most tests use a tiny hand-made BatchResult (four runs, three allies) whose answers can be
checked by eye; the last ones run the batch engine as the panel does.
"""

import math

import numpy as np
import pytest

from sim.engines.batch import run_batch
from sim.engines.model import AllianceModel
from sim.engines.outcome import AllyColumns, BatchResult
from sim.viz.ensemble import (
    AllyMeasure,
    Share,
    ThisRun,
    ally_grid_chart,
    ally_shares,
    bin_width,
    compute_ensemble,
    core_histogram,
    deadline_histogram,
    deal_probability,
    ensemble_levers,
    histograms_chart,
    keeps_pledge,
    levers_line,
    pressure_chart,
    pressure_curve,
    pressure_grid,
    this_run,
)

NAN = math.nan
ISO3 = ("USA", "POL", "ISL")  # Iceland: no armed forces, NaN spending


def tiny(per_ally: bool = True) -> BatchResult:
    """Four runs: three deals (3.44, 3.47, 3.52 % by 2035, 2035, 2040) and one without.

    Run 0: POL reaches 3.44 exactly, USA ends 3.40 (within 0.05 of 3.44: keeps).
    Run 1: USA holds out and gets a side letter; POL ends 3.41 (0.06 short: does not keep).
    Run 2: both reach 3.52.  Run 3: no deal; POL holds out; POL spends 4.0 (no pledge to keep).
    """
    deal = np.array([True, True, True, False])
    holdouts = np.array([[False, False, False], [True, False, False], [False, False, False], [False, True, False]])
    flexibility = np.array([[False, False, False], [True, False, False], [False, False, False],
                            [False, False, False]])
    end = np.array([[3.40, 3.44, NAN], [2.00, 3.41, NAN], [3.60, 3.52, NAN], [3.00, 4.00, NAN]])
    trajectory = np.stack([np.where(np.isnan(end), NAN, 2.0), end], axis=2)  # two years: 2025 and the end
    on_track = np.array([[True, True, False], [False, False, False], [True, True, False], [False, False, False]])
    allies = AllyColumns(years=(2025, 2026), final_position_pct=end, accepted=~holdouts, flexibility=flexibility,
                         trajectory_pct=trajectory, on_track=on_track) if per_ally else None
    runs = len(deal)
    zeros = np.zeros(runs)
    return BatchResult(
        scenario="tiny", iso3=ISO3, seed=np.arange(runs), deal=deal,
        core_target_pct=np.array([3.44, 3.47, 3.52, NAN]), related_target_pct=np.full(runs, NAN),
        deadline_year=np.array([2035.0, 2035.0, 2040.0, NAN]), rounds=np.array([3, 5, 4, 12]),
        holdouts=holdouts, flexibility=flexibility, baseline_weighted_mean=zeros, baseline_weighted_median=zeros,
        baseline_nash=zeros, us_share_before=zeros, us_share_after=zeros,
        allies_on_track=np.array([2, 0, 2, 0]), extra_spending_usd_bn=zeros, allies=allies)


def test_deal_probability_counts_the_deals():
    share = deal_probability(tiny())
    assert (share.count, share.runs, share.value) == (3, 4, 0.75)
    assert share.sentence().startswith("Deal in 75% of 4 runs (3 of 4;")


def test_the_wilson_interval():
    low, high = Share(50, 100).interval
    assert low == pytest.approx(0.4038, abs=1e-4) and high == pytest.approx(0.5962, abs=1e-4)
    assert Share(0, 10).interval[0] == 0.0 and Share(10, 10).interval[1] == pytest.approx(1.0)
    assert Share(10, 10).interval[0] == pytest.approx(0.7225, abs=1e-4)
    assert all(math.isnan(v) for v in Share(0, 0).interval)


def test_core_histogram_bins_the_deals_only():
    frame = core_histogram(tiny(), width=0.05)  # 3.44 -> [3.40, 3.45); 3.47 -> [3.45, 3.50); 3.52 -> [3.50, 3.55)
    assert frame.to_dict("list") == {"start": [3.40, 3.45, 3.50], "end": [3.45, 3.50, 3.55], "runs": [1, 1, 1]}
    assert core_histogram(tiny(), width=0.1).to_dict("list") == {"start": [3.4, 3.5], "end": [3.5, 3.6],
                                                                 "runs": [2, 1]}
    assert core_histogram(tiny())["runs"].sum() == 3


def test_bin_width_is_a_nice_step_covering_the_spread():
    assert bin_width(np.array([3.44, 3.52])) == 0.01  # 0.08 pp in 20 bins of 0.01
    assert bin_width(np.array([2.0, 5.0])) == 0.2  # 3 pp: 0.1 * 20 = 2 is too short
    assert bin_width(np.array([3.0])) == 0.01


def test_deadline_histogram_counts_years_of_deals():
    assert deadline_histogram(tiny()).to_dict("list") == {"year": [2035, 2040], "runs": [2, 1]}


def test_no_deal_at_all_gives_empty_histograms_on_fixed_axes():
    """Without US pressure no Hague run ends in a deal (docs/ODD.md 7.4c): the histograms are
    empty, and their axes fixed, since Vega warns of an infinite extent over no data."""
    result = run_batch("hague2025", [{"us_pressure": 0.0}] * 3, range(3))
    assert not result.deal.any()
    assert core_histogram(result).empty and deadline_histogram(result).empty
    core, deadline = histograms_chart(result, None).to_dict()["hconcat"]
    assert core["encoding"]["x"]["scale"]["domain"] == [0, 1] and core["encoding"]["y"]["scale"]["domain"] == [0, 1]
    assert deadline["encoding"]["y"]["scale"]["domain"] == [0, 1]


def test_no_deal_at_any_pressure_gives_the_core_curve_fixed_axes():
    """Talks of a single round end with no deal at any pressure: the curve of the deals' core level
    has nothing to draw, so its axis is fixed, or Vega warns of an infinite extent; with deals
    the axis follows the data."""
    pressures = np.array([0.0, 1.0])
    result = run_batch("hague2025", [{"max_rounds": 1, "us_pressure": p} for p in pressures], range(2))
    assert not result.deal.any()
    _, core = pressure_chart(pressure_curve(pressures, result), 0.9).to_dict()["hconcat"]  # each with its mark
    assert core["layer"][0]["encoding"]["y"]["scale"]["domain"] == [0, 1]
    _, with_deals = pressure_chart(pressure_curve(np.array([0.0, 0.0, 1.0, 1.0]), tiny()), 0.9).to_dict()["hconcat"]
    assert "domain" not in with_deals["layer"][0]["encoding"]["y"]["scale"]


def test_keeps_pledge_needs_the_per_ally_results():
    with pytest.raises(ValueError, match="per_ally"):
        keeps_pledge(tiny(per_ally=False))


def test_ally_shares_are_shares_of_all_runs():
    frame = ally_shares(tiny()).set_index("iso3")
    assert frame.loc["USA"].tolist() == [0.25, 0.25, 0.5]
    assert frame.loc["POL"].tolist() == [0.25, 0.0, 0.5]
    isl = frame.loc["ISL"]
    assert isl[str(AllyMeasure.HOLDS_OUT)] == 0.0 and math.isnan(isl[str(AllyMeasure.KEEPS)])


def test_pressure_curve_groups_runs_by_pressure():
    pressures = np.array([0.5, 0.5, 0.0, 0.0])  # runs 0, 1 at 0.5; runs 2, 3 at 0
    curve = pressure_curve(pressures, tiny())
    assert curve["us_pressure"].tolist() == [0.0, 0.5] and curve["runs"].tolist() == [2, 2]
    assert curve["deal_probability"].tolist() == [0.5, 1.0]
    assert curve["core_pct"].tolist() == pytest.approx([3.52, 3.455])


def test_pressure_grid_spans_the_lever():
    grid = pressure_grid()
    assert len(grid) == 21 and grid[0] == 0.0 and grid[-1] == 1.0 and grid[1] == 0.05


def test_charts_draw_from_the_tiny_result():
    result = tiny()
    spec = histograms_chart(result, ThisRun(True, 3.47, 2035)).to_dict()
    assert len(spec["hconcat"]) == 2 and "layer" in spec["hconcat"][0]  # the run's mark on the core level
    pressure_chart(pressure_curve(np.array([0.0, 0.0, 1.0, 1.0]), result), 0.9).to_dict()
    for measure in AllyMeasure:
        assert ally_grid_chart(ally_shares(result), measure, frozenset({"POL"})).to_dict()["layer"]


def test_this_run_is_marked_only_once_the_talks_end():
    model = AllianceModel("hague2025", rng=0)
    assert this_run(model) is None
    outcome = model.run()
    run = this_run(model)
    assert run.deal == outcome.deal
    if outcome.deal:
        assert (run.core_pct, run.deadline_year) == (pytest.approx(outcome.core_target_pct), outcome.deadline_year)


def test_the_ensemble_runs_the_models_levers_over_seeds():
    model = AllianceModel("hague2025", rng=7, us_pressure=0.4, max_rounds=8)
    levers = ensemble_levers(model)
    assert levers["us_pressure"] == 0.4 and levers["max_rounds"] == 8 and levers["mediator_rule"] == "compromise"
    ensemble = compute_ensemble(model.scenario_name, levers, 20, curve_points=3, curve_seeds=4)
    assert ensemble.runs == 20 and ensemble.result.seed.tolist() == list(range(20))
    assert ensemble.curve["us_pressure"].tolist() == [0.0, 0.5, 1.0] and set(ensemble.curve["runs"]) == {4}
    # that each run is the model's own run with these levers: tests/test_engine_equivalence.py


def test_levers_line_says_what_is_held_fixed():
    levers = ensemble_levers(AllianceModel("hague2025", rng=0))
    assert levers_line("hague2025", levers, 500) == (
        "hague2025: US pressure 1.0, Threat level 0.8, Protocol mediator, Mediator rule compromise, Allow flexibility (side letters) "
        "yes, Allow core/related split yes, Caucuses vote as blocs no, Summit deadline (rounds) 12; seeds 0 to 499.")
