"""The Sobol' figure says only what an index can mean: a share of variance, drawn within 0..1
(an estimate above 1 is written, not drawn past the edge), read against the dummy's noise floor."""

import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from sim.analysis.sensitivity import DUMMY, TABLE_COLUMNS
from sim.analysis.sensitivity_figure import draw_outcome, noise_floor, sensitivity_figure


def table(rows) -> pd.DataFrame:
    """One outcome's rows: (parameter, S1, S1_conf, ST, ST_conf)."""
    return pd.DataFrame([{"outcome": "deal_probability", "parameter": name, "low": 0.0, "high": 1.0, "S1": s1,
                          "S1_conf": s1_conf, "ST": st, "ST_conf": st_conf, "base_rows": 64, "noise_share": 0.07}
                         for name, s1, s1_conf, st, st_conf in rows], columns=list(TABLE_COLUMNS))


ROWS = [("us_pressure", 0.1, 0.2, 1.51, 1.3), ("threat_level", -0.04, 0.05, 0.3, 0.1), (DUMMY, 0.0, 0.05, 0.12, 0.24)]


def test_bars_stay_within_0_and_1_and_an_estimate_above_1_is_written():
    fig = Figure()
    ax = fig.subplots()
    draw_outcome(ax, table(ROWS), "deal_probability")
    bars = [patch for patch in ax.patches if isinstance(patch, Rectangle) and patch.get_height() == pytest.approx(0.38)]
    assert len(bars) == 2 * len(ROWS)
    assert all(0.0 <= bar.get_x() and bar.get_x() + bar.get_width() <= 1.0 for bar in bars)
    assert [text.get_text() for text in ax.texts] == ["1.51"]
    assert ax.get_xlim()[1] <= 1.2 and "share of the outcome's variance" in ax.get_xlabel()


def test_the_noise_floor_is_the_dummy_s_total_index_at_the_top_of_its_interval():
    assert noise_floor(table(ROWS)) == pytest.approx(0.36)
    assert noise_floor(table(ROWS[:2])) is None
    fig = Figure()
    ax = fig.subplots()
    draw_outcome(ax, table(ROWS), "deal_probability")
    labels = ax.get_legend_handles_labels()[1]
    assert any(label.startswith("noise floor") and "0.36" in label for label in labels)


def test_the_figure_is_a_png(tmp_path):
    assert sensitivity_figure(table(ROWS), tmp_path / "s.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
