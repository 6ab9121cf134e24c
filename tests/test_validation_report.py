"""The validation report's figures and lines (`sim.analysis.validation_report`): labels that
do not overlap, Iceland's empty panel explained, Sobol' indices that are noise marked so."""

import pandas as pd
import pytest


@pytest.mark.slow
def test_hindcast_labels_do_not_overlap(tmp_path, monkeypatch):
    from sim.analysis import validation_report
    from sim.analysis.validation import validate

    placed = {}
    original = validation_report.label_points

    def spy(ax, points):
        original(ax, points)
        renderer = ax.figure.canvas.get_renderer()
        placed["boxes"] = [text.get_window_extent(renderer) for text in ax.texts]
        placed["codes"] = [text.get_text() for text in ax.texts]
        placed["points"] = points

    monkeypatch.setattr(validation_report, "label_points", spy)
    validation_report.hindcast_figure(validate(range(2)), tmp_path / "hindcast.png")
    boxes = placed["boxes"]
    assert 0 < len(boxes) < 32  # only the misses are named
    assert all(abs(p - a) > validation_report.LABEL_MISS_PP for _, a, p in placed["points"])
    overlaps = [(placed["codes"][i], placed["codes"][j]) for i in range(len(boxes)) for j in range(i)
                if boxes[i].overlaps(boxes[j])]
    assert not overlaps


@pytest.mark.slow
def test_the_trajectories_panel_of_iceland_says_why_it_is_empty(tmp_path, monkeypatch):
    import matplotlib.figure

    from sim.analysis import validation_report
    from sim.analysis.validation import validate

    texts = []
    savefig = matplotlib.figure.Figure.savefig

    def spy(self, *args, **kwargs):
        texts.extend((ax.get_title(), t.get_text()) for ax in self.axes for t in ax.texts)
        return savefig(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", spy)
    validation_report.trajectories_figure(validate(range(1)), tmp_path / "paths.png")
    assert ("ISL", "no armed forces") in texts


def test_sobol_line_marks_what_the_dummy_cannot_tell_apart():
    from sim.analysis.validation_report import sobol_line

    rows = pd.DataFrame({"parameter": ["us_pressure", "threat_level", "dummy", "need_scale_pct"],
                         "ST": [0.6, 0.12, 0.08, 0.05], "ST_conf": [0.05, 0.03, 0.03, 0.02]})
    line = sobol_line(rows)
    assert line.startswith("us_pressure 0.60, threat_level 0.12, need_scale_pct 0.05 (noise); ")
    assert "dummy 0.08 +- 0.03" in line and "noise up to 0.11" in line and "1 of 3 parameters" in line
