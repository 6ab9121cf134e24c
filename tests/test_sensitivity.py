"""The Sobol' analysis: it recovers indices known in closed form, treats runs without a deal as
documented, and on the real model gives a complete, finite and reproducible table."""

import importlib
import math

import numpy as np
import pandas as pd
import pytest
from SALib.test_functions import Ishigami

from sim.analysis import sensitivity
from sim.model.scenario import load_scenario
from sim.analysis.sensitivity import (DEFAULT_FACTORS, DUMMY, TABLE_COLUMNS, Factor, PointMeans, Response, SensitivityProblem, point_seeds,
                             sobol_analysis, sobol_indices)
from sim.analysis.sensitivity_figure import sensitivity_figure

TOLERANCE = 0.05


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[list[float], list[float]]:
    """Closed-form first-order and total indices of the Ishigami function on [-pi, pi]^3
    (Saltelli et al. 2008, The Primer, section 4.7)."""
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    total = v1 + v2 + v13
    return [v1 / total, v2 / total, 0.0], [(v1 + v13) / total, v2 / total, v13 / total]


def test_ishigami_indices_are_recovered():
    problem = SensitivityProblem(tuple(Factor(f"x{i}", -math.pi, math.pi) for i in (1, 2, 3)))
    design = problem.sample(2**12, seed=7)
    indices = sobol_indices(problem, Ishigami.evaluate(design), seed=7)
    first, total = ishigami_indices()
    assert indices.S1 == pytest.approx(first, abs=TOLERANCE)
    assert indices.ST == pytest.approx(total, abs=TOLERANCE)
    assert indices.base_rows == 2**12 and np.all(indices.S1_conf > 0)


def linear_problem() -> SensitivityProblem:
    return SensitivityProblem((Factor("a", 0.0, 1.0), Factor("b", 0.0, 1.0), Factor("c", 0.0, 1.0)))


def linear(design: np.ndarray) -> np.ndarray:
    """y = a + 2b + 0c with independent uniform inputs: S1 = ST = (1, 4, 0) / 5, by hand."""
    return design[:, 0] + 2.0 * design[:, 1]


def test_linear_indices_match_the_hand_derivation():
    problem = linear_problem()
    indices = sobol_indices(problem, linear(problem.sample(2**11, seed=3)), seed=3)
    assert indices.S1 == pytest.approx([0.2, 0.8, 0.0], abs=TOLERANCE)
    assert indices.ST == pytest.approx([0.2, 0.8, 0.0], abs=TOLERANCE)


def test_blocks_with_a_missing_value_are_left_out_whole():
    problem = linear_problem()
    design = problem.sample(2**11, seed=5)
    values = linear(design)
    blocks = values.reshape(-1, len(problem.factors) + 2)
    broken = np.arange(len(blocks)) % 5 == 0
    blocks[broken, 1 + np.arange(broken.sum()) % 3] = np.nan  # one missing point spoils its base row
    indices = sobol_indices(problem, blocks.ravel(), seed=5)
    assert indices.base_rows == int((~broken).sum())
    assert np.array_equal(indices.kept, ~broken)
    assert indices.S1 == pytest.approx([0.2, 0.8, 0.0], abs=TOLERANCE)


def test_an_outcome_that_does_not_vary_has_zero_indices_and_one_without_values_has_none():
    problem = linear_problem()
    size = 8 * (len(problem.factors) + 2)
    constant = sobol_indices(problem, np.full(size, 3.5), seed=1)
    assert np.all(constant.S1 == 0) and np.all(constant.ST == 0)
    missing = sobol_indices(problem, np.full(size, np.nan), seed=1)
    assert missing.base_rows == 0 and np.all(np.isnan(missing.ST))


def test_level_and_deadline_average_only_the_runs_with_a_deal():
    deal = np.array([[True, False, True], [False, False, False]])
    core = np.array([[3.0, np.nan, 4.0], [np.nan, np.nan, np.nan]])
    deadline = np.array([[2035, np.nan, 2033], [np.nan, np.nan, np.nan]])
    holdouts = np.array([[1, 5, 3], [6, 6, 6]])
    on_track = np.array([[12, 0, 15], [0, 0, 0]])
    means = PointMeans.of(deal, core, deadline, holdouts, on_track)
    assert means.values[Response.DEAL_PROBABILITY] == pytest.approx([2 / 3, 0.0])
    assert means.values[Response.CORE_LEVEL][0] == pytest.approx(3.5)
    assert np.isnan(means.values[Response.CORE_LEVEL][1]) and np.isnan(means.values[Response.DEADLINE][1])
    assert means.values[Response.DEADLINE][0] == pytest.approx(2034.0)
    assert means.values[Response.HOLDOUTS] == pytest.approx([3.0, 6.0])
    assert means.values[Response.ON_TRACK][0] == pytest.approx(13.5) and np.isnan(means.values[Response.ON_TRACK][1])
    assert means.noise[Response.CORE_LEVEL][0] == pytest.approx(0.5 / 2)  # sample variance 0.5 over 2 runs
    assert means.noise[Response.HOLDOUTS][1] == 0.0


def test_default_ranges_are_the_value_plus_minus_30_percent_clipped_to_the_allowed_range():
    params = load_scenario("hague2025").params
    problem = SensitivityProblem.around(params)
    factors = {factor.name: factor for factor in problem.factors}
    assert len(factors) == 25
    assert problem.names[problem.names.index("expansion_rate_pct") + 1:][:3] == (
        "concession_rate", "leverage", "secretary_general_weight")
    leverage = params.leverage
    assert (factors["leverage"].low, factors["leverage"].high) == pytest.approx((0.7 * leverage, 1.3 * leverage))
    # the Hague reads us_pressure 1.0 from the US statements: 0.7 to 1.3, clipped at the top to 1.0
    assert (factors["us_pressure"].low, factors["us_pressure"].high) == pytest.approx((0.7, 1.0))  # clipped
    with pytest.raises(ValueError, match="max_rounds"):
        SensitivityProblem.around(params, ["max_rounds"])  # an integer: not continuous
    # 0 +- 30% is no range: a parameter at 0 goes from 0 to 30% of its allowed top (threat_shock: 1)
    shock = SensitivityProblem.around(params, ["threat_shock"]).factors[0]
    assert (shock.low, shock.high) == pytest.approx((0.0, 0.3))
    with pytest.raises(ValueError, match="power of two"):
        problem.sample(10, seed=1)


def test_the_analysis_varies_what_the_calibration_searches():
    from experiments.calibrate import SEARCH_SPACE

    assert sensitivity.BEHAVIOURAL == tuple(SEARCH_SPACE)


def test_prior_ranges_are_the_search_ranges_and_the_levers_stay_around_the_scenario():
    from experiments.calibrate import SEARCH_SPACE
    from experiments.global_sensitivity import Ranges, sensitivity_problem

    scenario = load_scenario("hague2025")
    prior = {factor.name: (factor.low, factor.high) for factor in sensitivity_problem(scenario, Ranges.PRIOR).factors}
    around = {factor.name: (factor.low, factor.high) for factor in sensitivity_problem(scenario).factors}
    assert {name: prior[name] for name in SEARCH_SPACE} == SEARCH_SPACE
    assert prior["need_scale_pct"] == (4.0, 7.0) != around["need_scale_pct"]
    assert all(prior[name] == around[name] for name in (*sensitivity.LEVERS, DUMMY))
    with pytest.raises(ValueError, match="need_scale_pct.*allowed: within"):
        SensitivityProblem.over({"need_scale_pct": (4.0, 20.0)})  # the parameter allows 0 to 15


def test_seeds_depend_on_the_point_index_alone():
    assert np.array_equal(point_seeds(11, 10, 3)[:4], point_seeds(11, 4, 3))
    assert len(np.unique(point_seeds(11, 10, 3))) == 30


def tiny_problem() -> SensitivityProblem:
    return SensitivityProblem.around(load_scenario("hague2025").params).with_dummy()


@pytest.fixture(scope="module")
def tiny_table():
    return sobol_analysis("hague2025", tiny_problem(), base_samples=8, seed=2025, replicates_per_point=2)


def test_the_dummy_is_sampled_but_never_passed_to_the_model():
    problem = tiny_problem()
    assert problem.names[-1] == DUMMY and DUMMY not in problem.model_names
    assert problem.with_dummy() == problem


@pytest.mark.slow
def test_the_real_model_gives_a_complete_finite_table(tiny_table, tmp_path):
    assert list(tiny_table.columns) == list(TABLE_COLUMNS)
    assert len(tiny_table) == len(Response) * (len(DEFAULT_FACTORS) + 1)  # and the dummy
    assert list(dict.fromkeys(tiny_table["outcome"])) == [response.value for response in Response]
    assert np.isfinite(tiny_table[["S1", "ST", "S1_conf", "ST_conf"]].to_numpy()).all()
    assert tiny_table["base_rows"].between(2, 8).all()
    path = sensitivity_figure(tiny_table, tmp_path / "sobol.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_the_same_seed_gives_the_same_table_whatever_the_slicing(tiny_table, monkeypatch):
    monkeypatch.setattr(sensitivity, "POINTS_PER_CALL", 7)
    problem = tiny_problem()
    again = sobol_analysis("hague2025", problem, base_samples=8, seed=2025, replicates_per_point=2)
    pd.testing.assert_frame_equal(tiny_table, again)
    other = sobol_analysis("hague2025", problem, base_samples=8, seed=2026, replicates_per_point=2)
    assert not np.allclose(tiny_table["ST"], other["ST"], equal_nan=True)


@pytest.mark.slow
@pytest.mark.parametrize("ranges, described", [("around", "value ±30%"), ("prior", "search ranges")])
def test_quick_experiment_writes_table_figure_and_summary(tmp_path, ranges, described):
    script = importlib.import_module("experiments.global_sensitivity")
    out = tmp_path / "sensitivity"
    arguments = ["--quick", "--base-samples", "8", "--replicates", "2", "--out", str(out), "--quiet",
                 "--ranges", ranges]
    assert script.main(arguments) == 0
    table = pd.read_parquet(out / "sobol_indices.parquet")
    assert list(table.columns) == list(TABLE_COLUMNS) and DUMMY in set(table["parameter"])
    assert (out / "sobol_indices.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "## What the analysis found" in summary and "nan" not in summary.lower() and described in summary
    assert script.main(arguments) == 2  # no silent overwrite
