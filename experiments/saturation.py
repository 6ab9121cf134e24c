"""Where a sweep stops acting: levels that cannot differ (the same effective value after
clipping) and a top of the range where the outcomes no longer change. A summary says so, so
that a reader does not take a flat end of the curve for an effect of the lever."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def same_runs(levels: Sequence[float], effective: Sequence[float], tol: float = 1e-9) -> list[list[float]]:
    """Runs of consecutive swept levels (two or more) whose effective value is the same, e.g. a
    shock added to a base and clipped to its scale: those levels cannot differ in their results."""
    runs: list[list[float]] = []
    current = [levels[0]] if len(levels) else []
    for previous, level, before, now in zip(levels, levels[1:], effective, effective[1:]):
        if abs(now - before) <= tol:
            current.append(level)
        else:
            if len(current) > 1:
                runs.append(current)
            current = [level]
    if len(current) > 1:
        runs.append(current)
    return runs


def flat_end(table: pd.DataFrame, x: str, columns: Sequence[str], tol: float = 1e-9) -> tuple[float, float] | None:
    """Where a sweep saturates at the top of its range: the first and last level of the run of
    top levels whose outcomes (`columns`: the group means) are all the same as the top level's,
    NaN matching NaN; None when the top two levels already differ."""
    ordered = table.sort_values(x).reset_index(drop=True)
    values = ordered[list(columns)].to_numpy(dtype=float)
    last = values[-1]
    same = [bool(np.all((np.abs(row - last) <= tol) | (np.isnan(row) & np.isnan(last)))) for row in values]
    start = len(same) - 1
    while start > 0 and same[start - 1]:
        start -= 1
    if start == len(same) - 1:
        return None
    return float(ordered[x].iloc[start]), float(ordered[x].iloc[-1])


def saturation_sentence(table: pd.DataFrame, x: str, name: str, columns: Sequence[str] = (
        "deal_probability", "core_target_pct", "deadline_year", "n_holdouts"), digits: int = 2) -> str:
    """One sentence saying whether the sweep saturates at the top of its range."""
    flat = flat_end(table, x, columns)
    top = table[x].max()
    if flat is None:
        return (f"The outcomes still change between the two highest levels of {name} swept (up to {top:.{digits}f}): "
                "the sweep does not saturate within its range.")
    return (f"The sweep saturates: from {name} {flat[0]:.{digits}f} up to {flat[1]:.{digits}f} the outcomes (deal "
            "probability, core target, deadline, holdouts) are identical, so the levels above "
            f"{flat[0]:.{digits}f} add nothing.")
