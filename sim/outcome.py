"""What a run produces: the deal (or its absence), per-ally results and the baselines.

Plain dataclasses with one JSON form, so the command line, the sweeps and the browser page
report the same fields under the same names.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Baselines:
    """What the classic one-shot models predict from the initial positions (levels, % GDP)."""

    weighted_mean: float
    weighted_median: float
    nash: float


@dataclass(frozen=True)
class AllyResult:
    iso3: str
    name: str
    start_pct: float | None  # None without armed forces (Iceland)
    initial_position_pct: float | None
    final_position_pct: float | None
    initial_deadline: float
    final_deadline: float
    accepted: bool
    flexibility: bool
    votes: bool
    on_track: bool  # with a deal and no side letter, reaches the core level by the deadline
    threat: float
    fiscal_pressure: float
    trajectory: dict[int, float] = field(default_factory=dict)  # year -> projected % of GDP


@dataclass(frozen=True)
class Outcome:
    scenario: str
    seed: int | None
    deal: bool
    core_target_pct: float | None
    related_target_pct: float | None  # None when the package has no split
    deadline_year: int | None
    rounds: int
    holdouts: list[str]
    flexibility: list[str]
    baselines: Baselines
    us_share_before: float
    us_share_after: float
    allies_on_track: int
    extra_spending_usd_bn: float
    allies: list[AllyResult]

    def to_dict(self) -> dict:
        """A JSON-ready dict: NaN becomes None, trajectory years become strings."""
        data = asdict(self)
        for ally in data["allies"]:
            ally["trajectory"] = {str(year): value for year, value in ally["trajectory"].items()}
        return without_nan(data)


def without_nan(value):
    """`value` with every NaN or infinity inside it (numpy's too) replaced by None, so its
    JSON is strict."""
    if isinstance(value, numbers.Real) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: without_nan(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_nan(v) for v in value]
    return value


#: The run-level table's outcome columns (one row per run), shared by both engines.
RUN_FIELDS = (
    "deal", "core_target_pct", "related_target_pct", "deadline_year", "rounds",
    "holdouts", "flexibility", "n_holdouts", "n_flexibility",
    "baseline_weighted_mean", "baseline_weighted_median", "baseline_nash",
    "us_share_before", "us_share_after", "allies_on_track", "extra_spending_usd_bn",
)


def outcome_row(outcome: Outcome) -> dict:
    """One run as a flat row: lists of ISO3 codes joined by ';', absent values as NaN."""
    nan = float("nan")
    return {
        "deal": outcome.deal,
        "core_target_pct": nan if outcome.core_target_pct is None else outcome.core_target_pct,
        "related_target_pct": nan if outcome.related_target_pct is None else outcome.related_target_pct,
        "deadline_year": -1 if outcome.deadline_year is None else outcome.deadline_year,
        "rounds": outcome.rounds,
        "holdouts": ";".join(outcome.holdouts),
        "flexibility": ";".join(outcome.flexibility),
        "n_holdouts": len(outcome.holdouts),
        "n_flexibility": len(outcome.flexibility),
        "baseline_weighted_mean": outcome.baselines.weighted_mean,
        "baseline_weighted_median": outcome.baselines.weighted_median,
        "baseline_nash": outcome.baselines.nash,
        "us_share_before": outcome.us_share_before,
        "us_share_after": outcome.us_share_after,
        "allies_on_track": outcome.allies_on_track,
        "extra_spending_usd_bn": outcome.extra_spending_usd_bn,
    }
