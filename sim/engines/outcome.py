"""What a run produces: the deal (or its absence), per-ally results and the baselines.

Plain dataclasses with one JSON form, so the command line, the sweeps and the browser page
report the same fields under the same names; `BatchResult` holds many runs as arrays,
whichever engine computed them, and `measure` computes the figures both engines report.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np


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
    us_share_after: float | None  # None without a deal: these three measure the deal's implementation
    allies_on_track: int | None
    extra_spending_usd_bn: float | None
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
#: The per-ally outcome arrays (runs x allies) a sweep keeps when asked for them.
ALLY_FIELDS = ("final_position_pct", "accepted", "flexibility")
#: The columns of `AllianceModel.rounds_table()` (one row per round) and `allies_table()`
#: (one row per round and ally), in their order.
ROUND_FIELDS = ("round", "draft_core_pct", "draft_related_pct", "draft_deadline", "position_spread_pct",
                "share_accepting")
ALLY_ROUND_FIELDS = ("round", "iso3", "position_pct", "deadline_position", "accepted", "threat", "fiscal_pressure")
ON_TRACK_TOLERANCE_PCT = 0.05  # ending less than this below the target still counts as on track


def outcome_row(outcome: Outcome) -> dict:
    """One run as a flat row of plain Python values: lists of ISO3 codes, None for what a run
    without a deal does not have."""
    return {
        "deal": outcome.deal,
        "core_target_pct": outcome.core_target_pct,
        "related_target_pct": outcome.related_target_pct,
        "deadline_year": outcome.deadline_year,
        "rounds": outcome.rounds,
        "holdouts": list(outcome.holdouts),
        "flexibility": list(outcome.flexibility),
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


# --- the measures both engines report ---------------------------------------------------------

@dataclass(frozen=True)
class Measures:
    """What a run's end means for the alliance; reductions over the allies drop that axis.
    What measures the deal's implementation is NaN for a run without a deal."""

    on_track: np.ndarray  # (..., allies) with a deal and no side letter, reaches its target by the deadline
    allies_on_track: np.ndarray  # float, NaN without a deal
    us_share_before: np.ndarray  # the US share of the alliance's spending, in the data year
    us_share_after: np.ndarray  # and at the end of the projection; NaN without a deal
    extra_spending_usd_bn: np.ndarray  # at the end of the projection, at data-year GDP; NaN without a deal


def measure(alliance, deal, flexibility, projection) -> Measures:
    """The burden shares, the extra spending and who is on track, from the projected paths.
    `deal` keeps the allies axis with length 1 (as `state.Decision` has it). Without a
    deal there is no pledge to implement, so those measures are missing, not zero or the
    drift of each ally toward its own position."""
    start = np.nan_to_num(alliance.start_pct)
    final = np.nan_to_num(projection.end)
    gdp, is_us = alliance.gdp_usd_bn, alliance.is_us
    on_track = (deal & alliance.bears_cost & ~flexibility
                & (projection.end >= projection.target - ON_TRACK_TOLERANCE_PCT))
    before = np.sum(start * gdp * is_us, axis=-1) / np.sum(start * gdp, axis=-1)
    agreed = np.asarray(deal)[..., 0]
    return Measures(
        on_track=on_track,
        allies_on_track=np.where(agreed, np.sum(on_track, axis=-1), np.nan),
        us_share_before=np.broadcast_to(before, np.shape(final)[:-1]),
        us_share_after=np.where(agreed, np.sum(final * gdp * is_us, axis=-1) / np.sum(final * gdp, axis=-1),
                                np.nan),
        extra_spending_usd_bn=np.where(agreed, np.sum((final - start) * gdp, axis=-1) / 100.0, np.nan),
    )


# --- many runs at once ------------------------------------------------------------------------

@dataclass(frozen=True)
class AllyColumns:
    """Per-ally results, allies in the model's order (runs x allies; trajectories runs x allies x years)."""

    years: tuple[int, ...]
    final_position_pct: np.ndarray  # NaN for an ally without armed forces, as in the model
    accepted: np.ndarray
    flexibility: np.ndarray
    trajectory_pct: np.ndarray  # NaN outside the run's data year..deadline and for allies without forces
    on_track: np.ndarray  # with a deal and no side letter, reaches the core level by the deadline (`measure`)

    def spending_in(self, year: int) -> np.ndarray:
        """Projected spending in `year` (runs x allies), NaN where a run's path does not reach it."""
        if year in self.years:
            return self.trajectory_pct[:, :, self.years.index(year)]
        return np.full(self.trajectory_pct.shape[:2], np.nan)

    def spending_over(self, years) -> np.ndarray:
        """Projected spending in each of `years` (runs x allies x years), NaN where a path does
        not reach a year."""
        return np.stack([self.spending_in(year) for year in years], axis=-1)

    def spending_at_end(self) -> np.ndarray:
        """Projected spending in each run's last year, its deadline (runs x allies); a path is
        NaN only after its end, so the end is the last of its leading values."""
        reached = np.sum(~np.isnan(self.trajectory_pct), axis=2)
        last = np.take_along_axis(self.trajectory_pct, np.maximum(reached - 1, 0)[:, :, None], axis=2)[:, :, 0]
        return np.where(reached > 0, last, np.nan)


@dataclass(frozen=True)
class RoundColumns:
    """The runs' round-by-round records, stacked in run order: `rounds` holds one row per run
    and round, `allies` one per run, round and ally. Each has a `run` column (the run's index
    in the batch, since the engine never sees run ids) and then ROUND_FIELDS or
    ALLY_ROUND_FIELDS, as the model's own tables have them."""

    rounds: Mapping[str, np.ndarray]
    allies: Mapping[str, np.ndarray]


@dataclass(frozen=True)
class BatchResult:
    """Every run's outcome, one array per field of RUN_FIELDS in the order the runs were
    given. Missing is missing: a run without a deal has NaN for its levels and its deadline
    (the deadline column is float for that reason; `rows` gives None); holdouts and side
    letters are boolean masks (runs x allies) in the order of `iso3`."""

    scenario: str
    iso3: tuple[str, ...]
    seed: np.ndarray
    deal: np.ndarray
    core_target_pct: np.ndarray
    related_target_pct: np.ndarray
    deadline_year: np.ndarray
    rounds: np.ndarray
    holdouts: np.ndarray
    flexibility: np.ndarray
    baseline_weighted_mean: np.ndarray
    baseline_weighted_median: np.ndarray
    baseline_nash: np.ndarray
    us_share_before: np.ndarray
    us_share_after: np.ndarray
    allies_on_track: np.ndarray
    extra_spending_usd_bn: np.ndarray
    allies: AllyColumns | None = None  # only when asked for per-ally results
    per_round: RoundColumns | None = None  # only the Mesa engine keeps rounds

    def __len__(self) -> int:
        return len(self.seed)

    @property
    def n_holdouts(self) -> np.ndarray:
        return np.sum(self.holdouts, axis=1)

    @property
    def n_flexibility(self) -> np.ndarray:
        return np.sum(self.flexibility, axis=1)

    def codes(self, mask: np.ndarray) -> list[list[str]]:
        """Each run's ISO3 codes where `mask` (runs x allies) is set."""
        names = np.array(self.iso3, dtype=object)
        return [names[row].tolist() for row in mask]

    def columns(self) -> dict[str, np.ndarray | list]:
        """The run-level columns, named and ordered as RUN_FIELDS; holdouts and side letters
        as lists of ISO3 codes."""
        data = {name: getattr(self, name) for name in RUN_FIELDS}
        data["holdouts"], data["flexibility"] = self.codes(self.holdouts), self.codes(self.flexibility)
        return data

    def rows(self) -> list[dict]:
        """One dict per run, with the keys and plain Python values of `outcome_row`."""
        values = []
        for name, column in self.columns().items():
            if name in NULLABLE_INTEGER_FIELDS:
                column = [None if math.isnan(value) else int(value) for value in column]
            elif name in FLOAT_FIELDS:
                column = [None if math.isnan(value) else value for value in column.tolist()]
            elif isinstance(column, np.ndarray):
                column = column.tolist()
            values.append(column)
        return [dict(zip(RUN_FIELDS, row)) for row in zip(*values)]

    def to_arrow(self):
        """The run-level table as a pyarrow Table (one row per run), ready for Parquet: null
        where a value is missing, lists of ISO3 codes, integer years."""
        import pyarrow as pa

        arrays = {}
        for name, column in self.columns().items():
            if name in ("holdouts", "flexibility"):
                arrays[name] = pa.array(column, type=pa.list_(pa.string()))
            elif name in FLOAT_FIELDS or name in NULLABLE_INTEGER_FIELDS:
                values = np.asarray(column, dtype=float)
                missing = np.isnan(values)
                kind = pa.int64() if name in NULLABLE_INTEGER_FIELDS else pa.float64()
                arrays[name] = pa.array(np.where(missing, 0, values).astype(kind.to_pandas_dtype()), type=kind,
                                        mask=missing)
            else:
                arrays[name] = pa.array(np.asarray(column, dtype=COLUMN_TYPES[name]))
        return pa.table(arrays)

    def to_pandas(self):
        """The run-level table as a pandas DataFrame (one row per run); the deadline year and
        the allies on track are nullable integer columns (pandas' Int64), so no deal shows as
        <NA>, not as a number."""
        import pandas as pd

        frame = self.to_arrow().to_pandas()
        for name in NULLABLE_INTEGER_FIELDS:
            frame[name] = frame[name].astype(pd.Int64Dtype())
        return frame

    @classmethod
    def of_outcomes(cls, scenario: str, iso3: tuple[str, ...], seeds: np.ndarray, outcomes: Sequence[Outcome],
                    per_ally: bool = False, per_round: RoundColumns | None = None) -> BatchResult:
        """The Mesa engine's outcomes, one by one, laid out as the batch engine lays out its own."""
        def column(read, dtype):
            return np.array([read(o) for o in outcomes], dtype=dtype)

        def mask(codes_of):
            return np.array([[code in set(codes_of(o)) for code in iso3] for o in outcomes], dtype=bool).reshape(
                len(outcomes), len(iso3))

        def level(value):
            return np.nan if value is None else value

        return cls(
            scenario=scenario, iso3=iso3, seed=seeds,
            deal=column(lambda o: o.deal, bool),
            core_target_pct=column(lambda o: level(o.core_target_pct), float),
            related_target_pct=column(lambda o: level(o.related_target_pct), float),
            deadline_year=column(lambda o: level(o.deadline_year), float),
            rounds=column(lambda o: o.rounds, np.int64),
            holdouts=mask(lambda o: o.holdouts), flexibility=mask(lambda o: o.flexibility),
            baseline_weighted_mean=column(lambda o: o.baselines.weighted_mean, float),
            baseline_weighted_median=column(lambda o: o.baselines.weighted_median, float),
            baseline_nash=column(lambda o: o.baselines.nash, float),
            us_share_before=column(lambda o: o.us_share_before, float),
            us_share_after=column(lambda o: level(o.us_share_after), float),
            allies_on_track=column(lambda o: level(o.allies_on_track), float),
            extra_spending_usd_bn=column(lambda o: level(o.extra_spending_usd_bn), float),
            allies=ally_columns(outcomes, len(iso3)) if per_ally else None,
            per_round=per_round,
        )


#: The run-level columns that hold floats (NaN where missing); the others are
#: booleans, integers, the (float) deadline year or lists of codes.
FLOAT_FIELDS = frozenset({"core_target_pct", "related_target_pct", "baseline_weighted_mean",
                          "baseline_weighted_median", "baseline_nash", "us_share_before", "us_share_after",
                          "extra_spending_usd_bn"})
#: Integer columns that are missing for some runs: float in memory (NaN), nullable int64 on disk.
NULLABLE_INTEGER_FIELDS = frozenset({"deadline_year", "allies_on_track"})
COLUMN_TYPES = {"deal": bool, "rounds": np.int64, "n_holdouts": np.int64, "n_flexibility": np.int64}


def ally_columns(outcomes: Sequence[Outcome], allies: int) -> AllyColumns:
    """The per-ally arrays of Mesa outcomes, laid out as the batch engine lays them out."""
    years = sorted({year for o in outcomes for a in o.allies for year in a.trajectory})
    years = tuple(range(years[0], years[-1] + 1)) if years else ()
    trajectory = np.full((len(outcomes), allies, len(years)), np.nan)
    for run, outcome in enumerate(outcomes):
        for ally, result in enumerate(outcome.allies):
            for year, value in result.trajectory.items():
                trajectory[run, ally, year - years[0]] = value

    def grid(read, dtype):
        return np.array([[read(a) for a in o.allies] for o in outcomes], dtype=dtype).reshape(len(outcomes), allies)

    return AllyColumns(years=years, trajectory_pct=trajectory,
                       final_position_pct=grid(lambda a: np.nan if a.final_position_pct is None
                                               else a.final_position_pct, float),
                       accepted=grid(lambda a: a.accepted, bool), flexibility=grid(lambda a: a.flexibility, bool),
                       on_track=grid(lambda a: a.on_track, bool))
