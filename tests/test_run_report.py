"""A run's report (`sim.analysis.run_report`): the summary's words and the convergence figure."""

import numpy as np

from sim.analysis.run_report import plural, summary_text
from sim.engines.model import AllianceModel


def test_one_round_is_singular():
    assert plural(1, "round") == "1 round" and plural(12, "round") == "12 rounds"
    text = summary_text(AllianceModel("hague2025", rng=0, max_rounds=1).run())
    assert "after 1 round;" in text or "after 1 round:" in text
    assert "1 rounds" not in text


def test_convergence_figure_gives_each_side_letter_its_own_colour(tmp_path, monkeypatch):
    """With the fitted defaults the Hague summit carries Spain alone; at a lower threat (0.7)
    several laggards prefer no agreement to the package (docs/ODD.md 7.4c) and some runs carry
    three with side letters (searched for below)."""
    import matplotlib.axes

    from sim.analysis import run_report as report

    from sim.engines.batch import run_batch

    slow = {"threat_level": 0.7}
    searched = run_batch("hague2025", [slow] * 200, list(range(200)))
    seed = int(np.flatnonzero(searched.flexibility.sum(axis=1) >= 3)[0])  # a run with three side letters
    outcome = AllianceModel("hague2025", rng=seed, **slow).run()
    assert len(outcome.flexibility) >= 3
    colours = {}
    plot = matplotlib.axes.Axes.plot

    def spy(self, *args, **kwargs):
        label = kwargs.get("label") or ""
        if label.endswith("(flexibility)"):
            colours[label.split()[0]] = kwargs["color"]
        return plot(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "plot", spy)
    from sim.cli import main

    out = tmp_path / "run"
    assert main(["run", "--seed", str(seed), "--set", "threat_level=0.7", "--out", str(out)]) == 0
    assert set(colours) == set(outcome.flexibility) and len(set(colours.values())) == len(colours)
    assert report.FLEXIBILITY_COLOURS  # the palette the figure draws from
