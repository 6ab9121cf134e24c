"""The experiment scripts, in their quick versions: each runs its sweep and writes its table,
figure and a summary computed from the results."""

import importlib

import pandas as pd
import pytest

from sim.sweeps.results import METADATA_FILE

ENGINE = "batch"


@pytest.mark.parametrize("name, rows", [("us_pressure", 11), ("threat_shocks", 10), ("fiscal_rules", 8),
                                        ("mediator_rules", 9), ("protocols", 30),
                                        ("caucus_blocs", 6)])
def test_quick_experiment_writes_table_figure_and_summary(tmp_path, name, rows):
    script = importlib.import_module(f"experiments.{name}")
    out = tmp_path / name
    assert script.main(["--quick", "--out", str(out), "--workers", "1", "--quiet", "--engine", ENGINE]) == 0
    table = pd.read_parquet(out / f"{name}_summary.parquet")
    assert len(table) == rows and table["deal_probability"].between(0, 1).all()
    assert (out / f"{name}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "## What the sweep found" in summary and "nan" not in summary.lower()
    assert "check the model" not in summary  # an experiment's own control holds
    assert (out / "sweep" / METADATA_FILE).exists()  # the sweep's metadata
    assert script.main(["--quick", "--out", str(out), "--workers", "1", "--quiet"]) == 2  # no silent overwrite
