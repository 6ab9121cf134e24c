"""How far a prediction is from the record: the measures the validation reports.

Kept apart from the model so they can be checked on hand-made numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

TWO_PERCENT = 2.0


def _paired(predicted, actual) -> tuple[np.ndarray, np.ndarray]:
    """The pairs where both values exist (Iceland has no spending)."""
    predicted, actual = np.asarray(predicted, dtype=float), np.asarray(actual, dtype=float)
    keep = ~(np.isnan(predicted) | np.isnan(actual))
    return predicted[keep], actual[keep]


def mean_absolute_error(predicted, actual) -> float:
    """Mean absolute error in percentage points; NaN without a single pair."""
    p, a = _paired(predicted, actual)
    return float(np.mean(np.abs(p - a))) if len(p) else float("nan")


def spearman(predicted, actual) -> float:
    """Spearman rank correlation (ties get average ranks); NaN when either side is constant
    or there are fewer than two pairs."""
    p, a = _paired(predicted, actual)
    if len(p) < 2 or np.all(p == p[0]) or np.all(a == a[0]):
        return float("nan")
    return float(stats.spearmanr(p, a).statistic)


def count_at_least(values, level: float = TWO_PERCENT, tolerance: float = 1e-9) -> int:
    """How many allies spend at least `level` % of GDP."""
    values = np.asarray(values, dtype=float)
    return int(np.sum(values[~np.isnan(values)] >= level - tolerance))


def no_change_hindcast(start) -> np.ndarray:
    """Naive hindcast 1: every ally spends in the end what it spent at the start."""
    return np.asarray(start, dtype=float).copy()


def everyone_to_two_percent_hindcast(start) -> np.ndarray:
    """Naive hindcast 2: every ally below 2% moves exactly to 2%; the others stay put."""
    start = np.asarray(start, dtype=float)
    return np.where(start < TWO_PERCENT, TWO_PERCENT, start)


# --- whole paths, year by year --------------------------------------------------------------

@dataclass(frozen=True)
class PathScore:
    """How far a predicted path (allies x years) is from the record, over every ally-year."""

    mae_pp: float  # over all ally-years with both values
    spearman: float  # rank correlation over all ally-years: who spends more, and when
    mae_by_year: dict[int, float]


def path_score(predicted, actual, years) -> PathScore:
    """The error over all ally-years, and year by year (allies x years on both sides)."""
    predicted, actual = np.asarray(predicted, dtype=float), np.asarray(actual, dtype=float)
    return PathScore(mae_pp=mean_absolute_error(predicted.ravel(), actual.ravel()),
                     spearman=spearman(predicted.ravel(), actual.ravel()),
                     mae_by_year={int(year): mean_absolute_error(predicted[:, i], actual[:, i])
                                  for i, year in enumerate(years)})


def no_change_path(start, years) -> np.ndarray:
    """Naive path 1: every ally spends what it spent at the start, every year."""
    return np.repeat(np.asarray(start, dtype=float)[:, None], len(years), axis=1)


def everyone_to_two_percent_path(start, years) -> np.ndarray:
    """Naive path 2: every ally below 2% spends exactly 2% from the first year; the others stay."""
    return no_change_path(everyone_to_two_percent_hindcast(start), years)


def linear_to_two_percent_path(start, first_year: int, target_year: int, years) -> np.ndarray:
    """Naive path 3: every ally below 2% moves in equal steps from its start to 2% in the
    target year (the Wales pledge taken literally); the others stay."""
    start = np.asarray(start, dtype=float)
    share = np.clip((np.asarray(years) - first_year) / (target_year - first_year), 0.0, 1.0)
    goal = everyone_to_two_percent_hindcast(start)
    return start[:, None] + (goal - start)[:, None] * share[None, :]
