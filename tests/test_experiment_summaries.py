"""The experiments' scripts (experiments/): where they write, and what their summaries claim
(levels clipped to one, flat ends, the threat shocks' saturation and reversals)."""

import importlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest


@pytest.fixture
def experiment():
    return importlib.import_module("experiments.saturation")


def test_experiments_write_apart_from_the_sweep_examples():
    for name in ("us_pressure", "threat_shocks", "fiscal_rules", "mediator_rules"):
        script = importlib.import_module(f"experiments.{name}")
        assert script.EXPERIMENT.options([]).out == Path("results/experiments") / name
        assert script.EXPERIMENT.options(["--quick"]).out == Path("results/experiments") / f"{name}_quick"
        assert f"results/experiments/{name}/" in script.__doc__
    compliance = importlib.import_module("experiments.compliance")
    assert compliance.options([]).out == Path("results/experiments/compliance")


def test_same_runs_finds_levels_clipped_to_one(experiment):
    shocks = [-0.5, -0.25, 0.0, 0.1, 0.2, 0.3, 0.5]
    levels = list(np.clip(0.8 + np.array(shocks), 0, 1))
    assert experiment.same_runs(shocks, levels) == [[0.2, 0.3, 0.5]]
    assert experiment.same_runs([0.0, 0.5, 1.0], [0.0, 0.5, 1.0]) == []


def test_flat_end_finds_where_the_outcomes_stop_changing(experiment):
    table = pd.DataFrame({"x": [0.0, 0.5, 1.0, 1.5], "deal_probability": [0.2, 0.9, 0.9, 0.9],
                          "core_target_pct": [np.nan, 3.1, 3.1, 3.1]})
    assert experiment.flat_end(table, "x", ["deal_probability", "core_target_pct"]) == (0.5, 1.5)
    moving = table.assign(core_target_pct=[np.nan, 3.1, 3.2, 3.3])
    assert experiment.flat_end(moving, "x", ["deal_probability", "core_target_pct"]) is None


def test_threat_shocks_report_the_largest_distinct_escalation(experiment):
    threat_shocks = importlib.import_module("experiments.threat_shocks")
    calm, worst, sentence = threat_shocks.distinct_ends([-0.5, -0.25, 0.0, 0.25, 0.5], 0.8)
    assert (calm, worst) == (-0.5, 0.25)
    assert "+0.25 to +0.50" in sentence and "1.00" in sentence and "saturates" in sentence
    calm, worst, sentence = threat_shocks.distinct_ends([-0.1, 0.0, 0.1], 0.5)
    assert (calm, worst) == (-0.1, 0.1) and "does not saturate" in sentence


@pytest.mark.slow
def test_the_threat_shocks_summary_says_where_it_saturates_and_explains_reversals(tmp_path, experiment):
    threat_shocks = importlib.import_module("experiments.threat_shocks")
    out = tmp_path / "threat_shocks"
    assert threat_shocks.main(["--quick", "--out", str(out), "--workers", "1", "--quiet"]) == 0
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "saturates" in summary and "escalation of +0.50" not in summary
    table = pd.read_parquet(out / "threat_shocks_summary.parquet")
    jagged = any(threat_shocks.reversals(group.set_index("threat_shock"))
                 for _, group in table.groupby("threat_shock_round"))
    assert ("Limitation:" in summary) == jagged
