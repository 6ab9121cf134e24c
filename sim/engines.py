"""The two ways to compute many runs, behind one signature.

A sweep does not care how runs are computed, only that an engine takes a scenario, one
override mapping and one seed per run, and returns a `sim.batch.BatchResult` (one array per
field of RUN_FIELDS, and per-ally arrays on request). The batch engine (`sim.batch`, many
runs at once over arrays) is the fast default; the Mesa engine runs the canonical model one
run at a time and is the reference the batch engine is pinned to. Only the Mesa engine has
agents that remember each round, so only it can return the round-by-round record
(`per_round=True`, a `RoundColumns`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from sim.outcome import RUN_FIELDS, outcome_row
from sim.scenario import Scenario, ScenarioError, load_scenario

#: The per-ally outcome arrays (runs x allies) a sweep keeps when asked for them.
ALLY_FIELDS = ("final_position_pct", "accepted", "flexibility")
#: The columns of `AllianceModel.rounds_table()` (one row per round) and `allies_table()`
#: (one row per round and ally), in their order.
ROUND_FIELDS = ("round", "draft_core_pct", "draft_related_pct", "draft_deadline", "position_spread_pct",
                "share_accepting")
ALLY_ROUND_FIELDS = ("round", "iso3", "position_pct", "deadline_position", "accepted", "threat", "fiscal_pressure")


@dataclass(frozen=True)
class RoundColumns:
    """The runs' round-by-round records, stacked in run order: `rounds` holds one row per run
    and round, `allies` one per run, round and ally. Each has a `run` column (the run's index
    in the batch, since the engine never sees run ids) and then ROUND_FIELDS or
    ALLY_ROUND_FIELDS, as the model's own tables have them."""

    rounds: Mapping[str, np.ndarray]
    allies: Mapping[str, np.ndarray]


def run_mesa(scenario: str | Scenario, overrides: Sequence[Mapping[str, object]], seeds: Sequence[int], *,
             per_ally: bool = False, per_round: bool = False):
    """Each run through the Mesa model, one after another: slow, but the canonical model.
    Returns what `run_batch` returns, a `sim.batch.BatchResult`, plus with `per_round` each
    run's round-by-round tables (taken as each run ends, so the models need not be kept)."""
    from sim.batch import COLUMN_TYPES, AllyColumns, BatchResult, checked_seeds
    from sim.model import AllianceModel

    if len(overrides) != len(seeds):
        raise ValueError(f"{len(overrides)} sets of overrides but {len(seeds)} seeds; give one of each per run")
    seed_column = checked_seeds(seeds)
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    outcomes, records = [], []
    for changes, seed in zip(overrides, seeds):
        model = AllianceModel(base, rng=int(seed), **dict(changes))
        outcomes.append(model.run())
        if per_round:
            records.append((model.rounds_table(), model.allies_table()))
    rows = [outcome_row(outcome) for outcome in outcomes]
    columns = {name: np.array([row[name] for row in rows], dtype=COLUMN_TYPES.get(name, float)) for name in RUN_FIELDS}
    codes = tuple(a.iso3 for a in outcomes[0].allies) if outcomes else tuple(base.allies().iso3)
    allies = _ally_columns(outcomes, len(codes), AllyColumns) if per_ally else None
    rounds = _round_columns(records) if per_round else None
    return BatchResult(scenario=base.name, iso3=codes, seed=seed_column, allies=allies, per_round=rounds, **columns)


def _round_columns(records) -> RoundColumns:
    """The models' rounds and allies tables, stacked run after run with the run's index."""
    import pandas as pd

    def stacked(frames, fields):
        if not frames:
            return {"run": np.array([], dtype=np.int64), **{name: np.array([]) for name in fields}}
        table = pd.concat([frame[list(fields)].assign(run=run) for run, frame in enumerate(frames)],
                          ignore_index=True)
        return {"run": table["run"].to_numpy(np.int64), **{name: table[name].to_numpy() for name in fields}}

    return RoundColumns(rounds=stacked([r for r, _ in records], ROUND_FIELDS),
                        allies=stacked([a for _, a in records], ALLY_ROUND_FIELDS))


def _ally_columns(outcomes, allies: int, container):
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

    return container(years=years, trajectory_pct=trajectory,
                     final_position_pct=grid(lambda a: np.nan if a.final_position_pct is None else a.final_position_pct,
                                             float),
                     accepted=grid(lambda a: a.accepted, bool), flexibility=grid(lambda a: a.flexibility, bool))


def run_batch(scenario: str | Scenario, overrides: Sequence[Mapping[str, object]], seeds: Sequence[int], *,
              per_ally: bool = False, per_round: bool = False):
    """The vectorised engine in `sim.batch`, imported only when used. It keeps no rounds, only
    outcomes, so `per_round` is refused rather than silently left out."""
    if per_round:
        raise ScenarioError("engine 'batch' keeps no per-round data; allowed with per_round: mesa")
    try:
        from sim.batch import run_batch as batch_engine
    except ImportError as error:
        raise ScenarioError(f"engine 'batch' is not available ({error}); allowed: mesa") from None
    return batch_engine(scenario, overrides, seeds, per_ally=per_ally)


def batch_available() -> bool:
    """Whether the vectorised engine can be imported here."""
    try:
        import sim.batch  # noqa: F401
    except ImportError:
        return False
    return True


class Engine(StrEnum):
    """Which engine computes a sweep's runs."""

    BATCH = "batch"
    MESA = "mesa"

    @property
    def function(self) -> Callable:
        return {Engine.BATCH: run_batch, Engine.MESA: run_mesa}[self]

    def run(self, scenario, overrides, seeds, *, per_ally: bool = False, per_round: bool = False):
        """The runs as a `sim.batch.BatchResult`, whichever engine computed them."""
        return self.function(scenario, overrides, seeds, per_ally=per_ally, per_round=per_round)
