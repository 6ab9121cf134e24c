"""What a run produces: the deal (or its absence), per-ally results and the baselines.

Plain dataclasses with one JSON form, so the command line, the sweeps and the browser page
report the same fields under the same names. The fields are declared once, in
`sim.engines.schema`; `measure` computes the figures both engines report and `run_outcomes`
fills the schema's columns from a run's end, for both engines; `BatchResult` holds many
runs as those columns, whichever engine computed them, and `Outcome` is one run's view.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from sim.engines.schema import (
    NO_UNIT,
    RUN_OUTCOMES,
    Kind,
    OutcomeField,
    RunOutcomes,
    iso3_codes,
    outcome,
    outcome_fields,
)
from sim.model.parameters import MediatorRule


@dataclass(frozen=True)
class Baselines:
    """What the classic one-shot models predict from the initial positions (levels, % GDP):
    one value per run (an array in the batch engine). Each is the run-level outcome field
    named `baseline_` + its name."""

    weighted_mean: float | np.ndarray
    weighted_median: float | np.ndarray
    nash: float | np.ndarray

    @classmethod
    def of(cls, predict: Mapping[MediatorRule, float | np.ndarray]) -> Baselines:
        """The predictions by the mediator rule that computes each."""
        return cls(weighted_mean=predict[MediatorRule.COMPROMISE], weighted_median=predict[MediatorRule.MEDIAN],
                   nash=predict[MediatorRule.NASH])


BASELINE_PREFIX = "baseline_"


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
    """One run's outcome as plain Python values, with its allies' results.

    Its run-level attributes are the schema's (`RunOutcomes`) under the same names, but this
    is a view of a different shape, kept typed because the command line, the reports and the
    browser page read it attribute by attribute and its JSON keys are a published form: the
    baselines are nested (`baselines.nash`), the counts are left to the lists' lengths, and
    missing is None. It is built from one row of the schema (`of_row`) and gives that row
    back (`row`), both by iterating the schema, so a field the schema has and this view does
    not is an error there (tests/test_outcome_schema.py)."""

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

    @classmethod
    def of_row(cls, scenario: str, seed: int | None, row: Mapping[str, object],
               allies: list[AllyResult]) -> Outcome:
        """The outcome of a run whose run-level row (`BatchResult.rows()`) is `row`."""
        own = {f.name for f in fields(cls)}
        values = {}
        for spec in RUN_OUTCOMES:
            if spec.name in own:
                values[spec.name] = row[spec.name]
            elif spec.filled and not spec.name.startswith(BASELINE_PREFIX):
                raise TypeError(f"the outcome field {spec.name} has no place in Outcome")
        baselines = Baselines(**{f.name: row[BASELINE_PREFIX + f.name] for f in fields(Baselines)})
        return cls(scenario=scenario, seed=seed, baselines=baselines, allies=allies, **values)

    def row(self) -> dict:
        """This run as a flat row of plain Python values, keyed as `BatchResult.rows()`."""
        values = {}
        for spec in RUN_OUTCOMES:
            if spec.count_of is not None:
                values[spec.name] = len(getattr(self, spec.count_of))
            elif spec.name.startswith(BASELINE_PREFIX):
                values[spec.name] = getattr(self.baselines, spec.name.removeprefix(BASELINE_PREFIX))
            else:
                value = getattr(self, spec.name)
                values[spec.name] = list(value) if isinstance(value, list) else value
        return values

    def to_dict(self) -> dict:
        """A JSON-ready dict: NaN becomes None, trajectory years become strings."""
        data = asdict(self)
        for ally in data["allies"]:
            ally["trajectory"] = {str(year): value for year, value in ally["trajectory"].items()}
        return without_nan(data)


def without_nan(value):
    """`value` with every NaN or infinity inside it (numpy's too) replaced by None, so its
    JSON is strict."""
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral) and not math.isfinite(value):
        return None  # (an integer is always finite, and may be too large for a float: a seed of 400 digits)
    if isinstance(value, dict):
        return {k: without_nan(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_nan(v) for v in value]
    return value


#: The run-level table's outcome columns (one row per run), shared by both engines.
RUN_FIELDS = tuple(spec.name for spec in RUN_OUTCOMES)
#: The columns of `AllianceModel.rounds_table()` (one row per round) and `allies_table()`
#: (one row per round and ally), in their order.
ROUND_FIELDS = ("round", "draft_core_pct", "draft_related_pct", "draft_deadline", "position_spread_pct",
                "share_accepting")
ALLY_ROUND_FIELDS = ("round", "iso3", "position_pct", "deadline_position", "accepted", "threat", "fiscal_pressure")
ON_TRACK_TOLERANCE_PCT = 0.05  # ending less than this below the target still counts as on track


def outcome_row(outcome: Outcome) -> dict:
    """One run as a flat row of plain Python values (`Outcome.row`): lists of ISO3 codes, None
    for what a run without a deal does not have."""
    return outcome.row()


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


# --- the one function both engines fill the outcome with ----------------------------------------

def run_outcomes(alliance, params, deal, draft, rounds, accepted, flexibility, baselines: Baselines,
                 measures: Measures) -> RunOutcomes:
    """The run-level outcomes from what both engines have when the talks end: the deal, the
    last draft (a `sim.model.state.Package`), the rounds played, who accepts it, who has a side
    letter, the baselines and the measures of the deal's implementation (`measure`).

    The batch engine passes its runs' arrays (runs, allies), the draft as (runs, 1) columns
    and its `Levers`; the Mesa model one run's vectors (allies,), scalars and `Parameters`.
    Either way every column comes back with the runs axis, so both engines fill the outcome
    here alike. A measure or a baseline is the column of the same name (`baseline_` + the
    baseline's name)."""
    agreed = np.reshape(deal, -1)
    runs = len(agreed)

    def per_run(value):
        return np.broadcast_to(np.reshape(value, -1), (runs,))

    def per_ally(value):
        return np.broadcast_to(value, (runs, alliance.count))

    measured = {f.name: per_run(getattr(measures, f.name)) for f in fields(Measures) if f.name in RUN_FIELDS}
    predicted = {BASELINE_PREFIX + f.name: per_run(getattr(baselines, f.name)) for f in fields(Baselines)}
    return RunOutcomes(
        deal=agreed,
        core_target_pct=np.where(agreed, per_run(draft.core_pct), np.nan),
        related_target_pct=np.where(agreed & per_run(params.split_enabled), per_run(draft.related_pct), np.nan),
        deadline_year=np.where(agreed, per_run(draft.deadline_year), np.nan),
        rounds=per_run(rounds),
        holdouts=per_ally(alliance.votes & ~np.asarray(accepted)),
        flexibility=per_ally(flexibility),
        **predicted, **measured)


# --- many runs at once ------------------------------------------------------------------------

@dataclass(frozen=True)
class AllyColumns:
    """Per-ally results, allies in the model's order (runs x allies; trajectories runs x allies x
    years). The fields declared with `outcome` are the per-ally table a sweep keeps (`ALLY_FIELDS`)."""

    years: tuple[int, ...]
    final_position_pct: np.ndarray = outcome(Kind.FLOAT, "% of GDP", "the ally's position at the end of the "
                                             "talks; null for an ally without armed forces (Iceland)", nullable=True)
    accepted: np.ndarray = outcome(Kind.BOOL, NO_UNIT, "whether the ally accepted the final draft")
    flexibility: np.ndarray = outcome(Kind.BOOL, NO_UNIT, "whether the ally was carried with a side letter")
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


#: The per-ally outcome fields (runs x allies) a sweep keeps when asked for them.
ALLY_OUTCOMES: tuple[OutcomeField, ...] = outcome_fields(AllyColumns)
ALLY_FIELDS = tuple(spec.name for spec in ALLY_OUTCOMES)


@dataclass(frozen=True)
class RoundColumns:
    """The runs' round-by-round records, stacked in run order: `rounds` holds one row per run
    and round, `allies` one per run, round and ally. Each has a `run` column (the run's index
    in the batch, since the engine never sees run ids) and then ROUND_FIELDS or
    ALLY_ROUND_FIELDS, as the model's own tables have them."""

    rounds: Mapping[str, np.ndarray]
    allies: Mapping[str, np.ndarray]


@dataclass(frozen=True, kw_only=True)
class BatchResult(RunOutcomes):
    """Every run's outcome: the schema's columns (`RunOutcomes`, one array per field of
    RUN_FIELDS) in the order the runs were given, with the runs' scenario, allies and seeds.
    Missing is missing: a run without a deal has NaN for its levels and its deadline (the
    deadline column is float for that reason; `rows` gives None); holdouts and side letters
    are boolean masks (runs x allies) in the order of `iso3`."""

    scenario: str
    iso3: tuple[str, ...]
    seed: np.ndarray
    allies: AllyColumns | None = None  # only when asked for per-ally results
    per_round: RoundColumns | None = None  # only the Mesa engine keeps rounds

    def __len__(self) -> int:
        return len(self.seed)

    def codes(self, mask: np.ndarray) -> list[list[str]]:
        """Each run's ISO3 codes where `mask` (runs x allies) is set."""
        return iso3_codes(mask, self.iso3)

    def columns(self) -> dict[str, np.ndarray | list]:
        """The run-level columns, named and ordered as RUN_FIELDS; holdouts and side letters
        as lists of ISO3 codes."""
        return {spec.name: self.codes(getattr(self, spec.name)) if spec.kind is Kind.CODES
                else getattr(self, spec.name) for spec in RUN_OUTCOMES}

    def rows(self) -> list[dict]:
        """One dict per run, with the keys and plain Python values of `outcome_row`."""
        values = [spec.plain(getattr(self, spec.name), self.iso3) for spec in RUN_OUTCOMES]
        return [dict(zip(RUN_FIELDS, row)) for row in zip(*values)]

    def to_arrow(self):
        """The run-level table as a pyarrow Table (one row per run), ready for Parquet: null
        where a value is missing, lists of ISO3 codes, integer years."""
        import pyarrow as pa

        return pa.table({spec.name: spec.arrow(getattr(self, spec.name), self.iso3) for spec in RUN_OUTCOMES})

    def to_pandas(self):
        """The run-level table as a pandas DataFrame (one row per run); the deadline year and
        the allies on track are nullable integer columns (pandas' Int64), so no deal shows as
        <NA>, not as a number."""
        import pandas as pd

        frame = self.to_arrow().to_pandas()
        for spec in RUN_OUTCOMES:
            if spec.kind is Kind.INT and spec.nullable:
                frame[spec.name] = frame[spec.name].astype(pd.Int64Dtype())
        return frame

    @classmethod
    def of(cls, outcomes: RunOutcomes, *, scenario: str, iso3: tuple[str, ...], seed: np.ndarray) -> BatchResult:
        """`outcomes` (as `run_outcomes` fills them) with the runs' scenario, allies and seeds."""
        return cls(scenario=scenario, iso3=iso3, seed=seed,
                   **{spec.name: getattr(outcomes, spec.name) for spec in RUN_OUTCOMES if spec.filled})

    @classmethod
    def of_runs(cls, scenario: str, iso3: tuple[str, ...], seeds: np.ndarray, runs: Sequence[RunOutcomes],
                allies: AllyColumns | None = None, per_round: RoundColumns | None = None) -> BatchResult:
        """Runs computed one by one (the Mesa engine's, one `RunOutcomes` each) as one result."""
        collected = Collected.empty(len(runs), len(iso3), per_ally=False)
        for index, run in enumerate(runs):
            collected.add(np.array([index]), GroupResult(outcomes=run))
        return cls(scenario=scenario, iso3=iso3, seed=seeds, allies=allies, per_round=per_round, **collected.columns)


# --- the batch engine's groups of runs, put back in order -------------------------------------

@dataclass(frozen=True)
class GroupResult:
    """A group of runs' outcomes, and with per-ally results their final positions, votes,
    who is on track (`measure`) and their projected paths from `first_year`."""

    outcomes: RunOutcomes
    final_position_pct: np.ndarray | None = None  # (runs, allies)
    accepted: np.ndarray | None = None
    on_track: np.ndarray | None = None
    first_year: int = 0
    trajectory: np.ndarray | None = None  # (runs, allies, years)


@dataclass
class Collected:
    """The groups' results, put back in the order the runs were given: one column per field
    of the schema that an engine fills, in its in-memory type (`OutcomeField.dtype`)."""

    columns: dict[str, np.ndarray]
    positions: np.ndarray | None
    accepted: np.ndarray | None
    on_track: np.ndarray | None
    paths: list[tuple[np.ndarray, int, np.ndarray]]

    @classmethod
    def empty(cls, runs: int, allies: int, per_ally: bool) -> Collected:
        columns = {spec.name: np.empty((runs, allies) if spec.per_ally else runs, dtype=spec.dtype)
                   for spec in RUN_OUTCOMES if spec.filled}
        return cls(columns=columns, positions=np.empty((runs, allies)) if per_ally else None,
                   accepted=np.empty((runs, allies), dtype=bool) if per_ally else None,
                   on_track=np.empty((runs, allies), dtype=bool) if per_ally else None, paths=[])

    def add(self, rows: np.ndarray, result: GroupResult) -> None:
        for name, column in self.columns.items():
            column[rows] = getattr(result.outcomes, name)
        if self.positions is not None:
            self.positions[rows] = result.final_position_pct
            self.accepted[rows] = result.accepted
            self.on_track[rows] = result.on_track
            self.paths.append((rows, result.first_year, result.trajectory))

    def ally_columns(self) -> AllyColumns | None:
        """The per-ally arrays, every run's path on one calendar of years."""
        if self.positions is None:
            return None
        years = trajectory_years(self.paths)
        trajectory = np.full((*self.positions.shape, len(years)), np.nan)
        for rows, first_year, path in self.paths:
            offset = first_year - years[0]
            trajectory[rows, :, offset:offset + path.shape[2]] = path
        return AllyColumns(years=years, final_position_pct=self.positions, accepted=self.accepted,
                           flexibility=self.columns["flexibility"].copy(), trajectory_pct=trajectory,
                           on_track=self.on_track)


def trajectory_years(paths: list[tuple[np.ndarray, int, np.ndarray]]) -> tuple[int, ...]:
    """The calendar years spanned by every group's projected paths."""
    if not paths:
        return ()
    first = min(first_year for _, first_year, _ in paths)
    last = max(first_year + path.shape[2] - 1 for _, first_year, path in paths)
    return tuple(range(first, last + 1))


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
