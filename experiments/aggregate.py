"""Seeds aggregated per design point: the mean with a 90% interval. For a quantity, the
interval is the 5th to 95th percentile of the runs (what one run may give, not the error of
the mean); for a probability, the 90% Wilson interval of the share, which stays inside 0..1
and is honest with the few seeds of a `--quick` run."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

Z90 = 1.6448536269514722  # standard normal quantile for a two-sided 90% interval
LOW_Q, HIGH_Q = 0.05, 0.95


def spread(runs: pd.DataFrame, by: Sequence[str], column: str) -> pd.DataFrame:
    """Per group: mean, 5th and 95th percentile of `column` over the runs (NaN runs left out) and n."""
    grouped = runs.groupby(list(by), sort=True)[column]
    table = pd.DataFrame({"mean": grouped.mean(), "low": grouped.quantile(LOW_Q), "high": grouped.quantile(HIGH_Q),
                          "n": grouped.count()})
    return table.reset_index()


def share(runs: pd.DataFrame, by: Sequence[str], column: str) -> pd.DataFrame:
    """Per group: the share of runs where `column` is true, with its 90% Wilson interval."""
    grouped = runs.groupby(list(by), sort=True)[column]
    n = grouped.count().astype(float)
    p = grouped.mean().astype(float)
    low, high = wilson(p, n)
    return pd.DataFrame({"mean": p, "low": low, "high": high, "n": n.astype(int)}).reset_index()


def wilson(p, n):
    """The 90% Wilson interval (low, high) of a share `p` of `n` runs (arrays or numbers alike)."""
    centre = (p + Z90**2 / (2 * n)) / (1 + Z90**2 / n)
    half = Z90 * np.sqrt(p * (1 - p) / n + Z90**2 / (4 * n**2)) / (1 + Z90**2 / n)
    return np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)


def summary_table(runs: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """The tidy per-group table an experiment saves: deal probability and the main outcomes."""
    deals = runs[runs["deal"]]
    parts = [share(runs, by, "deal").rename(columns={"mean": "deal_probability", "low": "deal_probability_low",
                                                     "high": "deal_probability_high", "n": "runs"})]
    for column, frame in (("core_target_pct", deals), ("deadline_year", deals), ("rounds", runs),
                          ("n_holdouts", runs), ("n_flexibility", runs), ("extra_spending_usd_bn", runs),
                          ("us_share_after", runs)):
        stats = spread(frame, by, column).drop(columns="n")
        stats.columns = [*by, column, f"{column}_low", f"{column}_high"]
        parts.append(stats)
    table = parts[0]
    for part in parts[1:]:
        table = table.merge(part, on=list(by), how="left")
    return table


def with_spread(table: pd.DataFrame, runs: pd.DataFrame, by: Sequence[str], column: str) -> pd.DataFrame:
    """`table` with `column`'s mean and 90% interval per group added as `column`, `column_low`
    and `column_high` (groups without a value in any run left blank)."""
    stats = spread(runs, by, column).drop(columns="n").rename(
        columns={"mean": column, "low": f"{column}_low", "high": f"{column}_high"})
    return table.merge(stats, on=list(by), how="left")


def holdout_counts(runs: pd.DataFrame) -> pd.Series:
    """How often each ally is among the holdouts at the end of the talks, as a share of runs."""
    codes = runs["holdouts"].explode().dropna()
    return (codes.value_counts() / len(runs)).sort_values(ascending=False)
