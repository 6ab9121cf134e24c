"""The figure of a Sobol' analysis (`sim.analysis.sensitivity`): S1 and ST of each parameter
with their bootstrap intervals, read against the noise floor.

An index is a share of variance, so it lies in 0..1; an estimate outside that is sampling
error (Saltelli's estimators are unbiased, not bounded), and drawing a bar to 1.5 on an axis
labelled "share of the variance" says something false. Bars and intervals are drawn within
0..1, an estimate above 1 is written at the edge with its value, and the dummy factor's total
index at the top of its interval (what seed noise and estimation error alone give) is shaded
as the noise floor: a bar inside it cannot be told from noise. The table keeps the estimates
as SALib gave them.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.sensitivity import DUMMY, Response

SHOWN_RANGE = (-0.02, 1.15)  # a little room left of 0, and right of 1 for the written estimates
INDICES = (("S1", "tab:blue", "first order (S1)", -0.2), ("ST", "tab:orange", "total (ST)", 0.2))


def noise_floor(part: pd.DataFrame) -> float | None:
    """The dummy's total index at the top of its interval, for one outcome's rows; None without a dummy."""
    dummy = part[part["parameter"] == DUMMY]
    if dummy.empty or not np.isfinite(dummy["ST"].iloc[0]):
        return None
    return float(dummy["ST"].iloc[0] + dummy["ST_conf"].iloc[0])


def draw_outcome(ax, part: pd.DataFrame, outcome: str) -> None:
    """One outcome's panel."""
    y = np.arange(len(part))
    floor = noise_floor(part)
    if floor is not None and floor > 0:
        ax.axvspan(0, min(floor, 1.0), color="0.85", lw=0, zorder=0,
                   label=f"noise floor (dummy's ST + interval: {floor:.2f})")
    for index, colour, label, offset in INDICES:
        estimate = part[index].to_numpy(dtype=float)
        shown = np.clip(estimate, 0.0, 1.0)
        low = np.clip(estimate - part[f"{index}_conf"].to_numpy(dtype=float), 0.0, 1.0)
        high = np.clip(estimate + part[f"{index}_conf"].to_numpy(dtype=float), 0.0, 1.0)
        ax.barh(y + offset, shown, height=0.38, color=colour, label=label, zorder=2)
        ax.errorbar(shown, y + offset, xerr=[shown - low, high - shown], fmt="none", ecolor="0.3", capsize=2,
                    lw=0.8, zorder=3)
        for row in np.flatnonzero(estimate > 1.0):
            ax.annotate(f"{estimate[row]:.2f}", (1.0, y[row] + offset), xytext=(3, 0), textcoords="offset points",
                        va="center", fontsize=7, color=colour, zorder=4)
    ax.set_yticks(y, part["parameter"])
    ax.invert_yaxis()
    ax.set_xlim(*SHOWN_RANGE)
    ax.axvline(0, color="0.5", lw=0.8)
    ax.axvline(1, color="0.5", lw=0.8, ls=":")
    ax.set_xlabel("Sobol' index (share of the outcome's variance;\nestimates drawn within 0-1, above 1 written)")
    ax.set_ylabel("parameter")
    label = Response(outcome).label if outcome in set(Response) else outcome
    first = part.iloc[0]
    ax.set_title(f"{label}\n({int(first['base_rows'])} base rows; seed noise {first['noise_share']:.0%} "
                 "of the variance)", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", fontsize=7)


def sensitivity_figure(table: pd.DataFrame, path: Path | str) -> Path:
    """One panel per outcome of a `sobol_analysis` table, written as a PNG to `path`."""
    from matplotlib.figure import Figure

    outcomes = list(dict.fromkeys(table["outcome"]))
    columns = 2 if len(outcomes) > 1 else 1
    rows = math.ceil(len(outcomes) / columns)
    height = max(3.0, 0.32 * table.groupby("outcome").size().max() + 1.6)
    fig = Figure(figsize=(6.2 * columns, height * rows), layout="constrained")
    axes = fig.subplots(rows, columns, squeeze=False).ravel()
    for ax, outcome in zip(axes, outcomes):
        draw_outcome(ax, table[table["outcome"] == outcome], outcome)
    for ax in axes[len(outcomes):]:
        ax.set_visible(False)
    fig.suptitle("Global sensitivity (Sobol' indices; whiskers: 95% bootstrap intervals; grey: the noise floor, "
                 f"below which a parameter cannot be told from the `{DUMMY}` factor)", fontsize=11)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, format="png")
    return path
