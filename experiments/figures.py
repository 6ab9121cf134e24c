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


def band(ax, stats: pd.DataFrame, x: str, label: str | None = None, color=None, marker="o"):
    """A mean line with its 90% interval as a shaded band."""
    line, = ax.plot(stats[x], stats["mean"], marker=marker, ms=3, lw=1.6, label=label, color=color)
    ax.fill_between(stats[x], stats["low"], stats["high"], alpha=0.2, color=line.get_color(), lw=0)
    return line


def interval_note(runs_per_point: int) -> str:
    return (f"lines: mean over {runs_per_point} seeds; bands: 90% interval "
            "(5th-95th percentile of runs; Wilson interval for probabilities)")


def save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120, format="png")
    pyplot().close(fig)
    return path
