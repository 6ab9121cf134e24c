"""The API's paths for EMA workbench and SALib (`sim/api.py`): `BatchEvaluator` gives what one
`simulate` call per experiment gives, for the same seeds, over real, integer, bool and
categorical uncertainties, levers, constants and policies; `prim_ready` gives PRIM a table it
can peel and inspect under pandas 3; `defined_outcome` refuses a NaN, naming how many runs
lack the value, or fills it by the rule named."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from sim.api import OUTCOME_FIELDS, EMAFunction, defined_outcome, prim_ready, simulate_many

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="ipyparallel not installed")
    ema = pytest.importorskip("ema_workbench")


def alliance_model(function=None):
    model = ema.Model("alliance", function=function or EMAFunction())
    model.uncertainties = [ema.RealParameter("us_pressure", 0.0, 1.0), ema.IntegerParameter("max_rounds", 3, 15),
                           ema.BooleanParameter("allow_flexibility"),
                           ema.CategoricalParameter("protocol", ["mediator", "agenda_setter", "challenge"]),
                           ema.IntegerParameter("seed", 0, 2**31 - 1)]
    model.levers = [ema.RealParameter("threat_level", 0.2, 0.9)]
    model.constants = [ema.Constant("related_cap_pct", 1.0)]
    model.outcomes = [ema.ScalarOutcome(name) for name in OUTCOME_FIELDS]
    model.outcomes += [ema.ScalarOutcome("total", variable_name=["core_target_pct", "related_target_pct"],
                                         function=lambda core, related: core + related)]
    return model


def run(evaluator_class, model, scenarios=12, policies=2):
    with evaluator_class(model) as evaluator:
        return ema.perform_experiments(model, scenarios, policies, evaluator=evaluator,
                                       uncertainty_sampling_kwargs={"rng": 7}, lever_sampling_kwargs={"rng": 8})


def test_the_batch_evaluator_gives_one_call_per_experiments_outcomes():
    from sim.api import BatchEvaluator

    model = alliance_model()
    batch_experiments, batch = run(BatchEvaluator, model)
    experiments, sequential = run(ema.SequentialEvaluator, model)
    assert len(experiments) == 24 and set(experiments["protocol"]) == {"mediator", "agenda_setter", "challenge"}
    assert set(experiments["allow_flexibility"]) == {True, False}
    names = ["us_pressure", "max_rounds", "allow_flexibility", "protocol", "seed", "threat_level"]
    pd.testing.assert_frame_equal(batch_experiments[names], experiments[names])
    assert set(batch) == {*OUTCOME_FIELDS, "total"}
    for name, values in batch.items():
        np.testing.assert_array_equal(values, sequential[name], err_msg=name)
    assert not batch["deal"].all() and batch["deal"].any()  # both kinds of run are compared


def test_the_batch_evaluator_refuses_another_models_function():
    from sim.api import BatchEvaluator

    model = alliance_model(function=lambda **kwargs: {})
    with pytest.raises(TypeError, match="function is sim.api.EMAFunction"):
        run(BatchEvaluator, model, scenarios=2, policies=1)


def test_a_bad_experiment_is_named_before_any_run():
    from sim.api import BatchEvaluator

    model = alliance_model()
    model.uncertainties = [ema.RealParameter("us_pressure", 1.5, 2.0)]
    with pytest.raises(ValueError, match=r"experiment \d+: .*us_pressure"):
        run(BatchEvaluator, model, scenarios=2, policies=1)


def test_prim_reads_integers_bools_and_categories_through_prim_ready():
    from ema_workbench.analysis import prim

    from sim.api import BatchEvaluator

    model = alliance_model()
    experiments, outcomes = run(BatchEvaluator, model, scenarios=150, policies=1)
    table = prim_ready(experiments, ["us_pressure", "max_rounds", "allow_flexibility", "protocol"])
    assert list(table.columns) == ["us_pressure", "max_rounds", "allow_flexibility", "protocol=agenda_setter",
                                   "protocol=challenge", "protocol=mediator"]
    assert (table.dtypes == np.float64).all()
    assert table["allow_flexibility"].tolist() == experiments["allow_flexibility"].astype(float).tolist()
    assert (table.filter(like="protocol=").sum(axis=1) == 1).all()
    box = prim.Prim(table, outcomes["deal"] == 0).find_box()
    box.inspect(style="data")  # raises "Invalid value ... for dtype" on the raw table under pandas 3
    assert box.box_lim.shape == (2, 6)


def test_defined_outcome_refuses_nan_naming_how_many_runs_lack_it():
    # With the fitted defaults every Hague run ends in a deal: here pressure widens a holdout's
    # win-set about an eighth as fast (expansion_rate_pct 0.01, not 0.083) and no side letter may
    # carry it, so some runs end without one (2 of 10 at full US pressure, 7 of 10 at 0.2).
    slow = {"expansion_rate_pct": [0.01, 0.01], "allow_flexibility": [False, False]}
    runs = simulate_many(pd.DataFrame({"us_pressure": [1.0, 0.2], **slow}), 10)
    missing = int(runs["core_target_pct"].isna().sum())
    assert 0 < missing < 20
    with pytest.raises(ValueError, match=rf"'core_target_pct' is missing \(NaN\) in {missing} of 20 runs") as error:
        defined_outcome(runs, "core_target_pct")
    assert "where_missing=" in str(error.value) and "'deal'" in str(error.value)
    np.testing.assert_array_equal(defined_outcome(runs, "deal"), runs["deal"].to_numpy(dtype=float))
    filled = defined_outcome(runs, "core_target_pct", where_missing=2.0)
    assert not np.isnan(filled).any() and (filled[runs["core_target_pct"].isna()] == 2.0).all()
    zero = defined_outcome(runs, "core_target_pct", where_missing="zero")
    assert (zero[runs["core_target_pct"].isna()] == 0.0).all()
    kept = runs["core_target_pct"].notna()
    np.testing.assert_array_equal(zero[kept], runs["core_target_pct"][kept])
    status_quo = np.arange(20, dtype=float)
    np.testing.assert_array_equal(defined_outcome(runs, "core_target_pct", "status_quo", status_quo=status_quo),
                                  np.where(kept, runs["core_target_pct"], status_quo))


@pytest.mark.parametrize("rule", ["drop", "mean", float("nan"), True, None])
def test_defined_outcome_refuses_an_unnamed_rule(rule):
    runs = pd.DataFrame({"core_target_pct": [3.0, np.nan]})
    with pytest.raises(ValueError, match="where_missing"):
        defined_outcome(runs, "core_target_pct", where_missing=rule)


def test_defined_outcome_names_an_unknown_outcome():
    with pytest.raises(KeyError, match="core_target"):
        defined_outcome(pd.DataFrame({"deal": [True]}), "core_target")
    with pytest.raises(ValueError, match="status_quo="):
        defined_outcome(pd.DataFrame({"x": [np.nan]}), "x", where_missing="status_quo")


def test_the_ema_paths_benchmark_runs_and_checks_both_paths_agree():
    """`python -m benchmarks.ema_paths`, small: nothing is asserted about the timings."""
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run([sys.executable, "-m", "benchmarks.ema_paths", "--experiments", "12", "--repeat", "1"],
                          cwd=Path(__file__).resolve().parent.parent, check=False, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "the same outcomes on both paths: yes" in done.stdout
    assert "x as fast as one call per experiment" in done.stdout
