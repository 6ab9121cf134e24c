"""The figures' common parts: matplotlib without a display (experiments run in terminals and
on workers), a mean line with its 90% band, the note saying what the band is, and saving."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def pyplot():
    """matplotlib.pyplot on the Agg backend, imported only when a figure is drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


#: Colours for series drawn side by side (Okabe & Ito's, told apart in colour-blind sight too).
SERIES_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
#: The first series' band is filled; each further one is hatched in its colour, so where bands
#: overlap each stays readable instead of blending into a third colour (blue over orange: brown).
SERIES_HATCHES = (None, "////", "\\\\\\\\", "xx", "..", "++")


def series_style(index: int) -> dict:
    """The colour and band hatch of the `index`-th series of a figure (for `band`)."""
    return {"color": SERIES_COLOURS[index % len(SERIES_COLOURS)], "hatch": SERIES_HATCHES[index % len(SERIES_HATCHES)]}


def band(ax, stats: pd.DataFrame, x: str, label: str | None = None, color=None, marker="o", hatch: str | None = None):
    """A mean line with its 90% interval as a band: filled lightly, or with `hatch` hatched in
    the line's colour over a clear background."""
    line, = ax.plot(stats[x], stats["mean"], marker=marker, ms=3, lw=1.6, label=label, color=color)
    if hatch is None:
        ax.fill_between(stats[x], stats["low"], stats["high"], alpha=0.15, color=line.get_color(), lw=0)
    else:
        ax.fill_between(stats[x], stats["low"], stats["high"], facecolor="none", edgecolor=line.get_color(),
                        hatch=hatch, lw=0, alpha=0.45)
    return line


def points(ax, stats: pd.DataFrame, x: str, positions: dict, offset: float = 0.0, label: str | None = None,
           color=None):
    """Means with their 90% intervals as points with error bars at the categories' `positions`
    (value of `x` -> position on the axis), shifted by `offset` so that series side by side do
    not hide each other; no line joins them, since nothing lies between two categories."""
    xs = stats[x].map(positions).to_numpy(dtype=float) + offset
    below = (stats["mean"] - stats["low"]).clip(lower=0)
    above = (stats["high"] - stats["mean"]).clip(lower=0)
    return ax.errorbar(xs, stats["mean"], yerr=[below, above], fmt="o", ms=5, capsize=3, lw=1.2, color=color,
                       label=label)


def interval_note(runs_per_point: int) -> str:
    return (f"lines: mean over {runs_per_point} seeds; bands: 90% interval "
            "(5th-95th percentile of runs; Wilson interval for probabilities)")


def points_note(runs_per_point: int) -> str:
    """`interval_note` for a figure of categories drawn as points with error bars (`points`)."""
    return (f"points: mean over {runs_per_point} seeds; bars: 90% interval "
            "(5th-95th percentile of runs; Wilson interval for probabilities)")


def save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120, format="png")
    pyplot().close(fig)
    return path
