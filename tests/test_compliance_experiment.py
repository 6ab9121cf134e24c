"""`experiments/compliance.py`: the implementation rules side by side, and the first version
of the model reproduced by its flag."""

import pandas as pd
import pytest

from experiments import compliance


def test_compliance_experiment_writes_its_tables_figure_and_summary(tmp_path, capsys):
    out = tmp_path / "compliance"
    assert compliance.main(["--seeds", "2", "--out", str(out)]) == 0
    table = pd.read_parquet(out / "compliance_summary.parquet").set_index("rule")
    assert list(table.index) == [rule.label for rule in compliance.RULES]
    every, default = table.loc[compliance.EVERY_PLEDGE_KEPT.label], table.loc[compliance.DEFAULT.label]
    # With the same drag, keeping every pledge can only add spending: more allies at the level, more money.
    assert every["hague_allies_on_track"] >= default["hague_allies_on_track"]
    assert every["hague_extra_spending_usd_bn"] >= default["hague_extra_spending_usd_bn"]
    assert every["hague_core_pct"] == pytest.approx(default["hague_core_pct"])  # the talks are the same
    allies = pd.read_parquet(out / "compliance_allies.parquet")
    assert len(allies) == 32 * len(compliance.RULES)
    at_deadline = allies.pivot(index="iso3", columns="rule", values="hague_at_deadline_pct")
    kept, wanted = at_deadline[compliance.EVERY_PLEDGE_KEPT.label], at_deadline[compliance.DEFAULT.label]
    assert (wanted.isna() == kept.isna()).all() and (wanted.dropna() <= kept.dropna() + 1e-12).all()
    assert kept.isna()["ISL"]  # no armed forces, no spending
    assert (out / "compliance.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert f"{default['hindcast_mae_pp']:.3f} pp" in summary and "nan" not in summary.lower()
    capsys.readouterr()
    assert compliance.main(["--seeds", "2", "--out", str(out)]) == 2  # no silent overwrite
    assert "already holds summary.md" in capsys.readouterr().err


def test_the_hard_arm_pushes_harder_than_the_fitted_default():
    """The hard arm is the top of enforcement_rate's declared range, so no refit of the
    default within the range can make it the softer of the two."""
    hard = compliance.RULES[-1]
    assert "hard" in hard.label
    assert hard.enforcement_rate > compliance.DEFAULT.enforcement_rate
    assert hard.enforcement_rate == compliance.parameter_fields()["enforcement_rate"].metadata["high"]
