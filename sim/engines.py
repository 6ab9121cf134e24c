"""The two ways to compute many runs, behind one signature.

A sweep does not care how runs are computed, only that an engine takes a scenario, one
override mapping and one seed per run, and returns a `sim.batch.BatchResult` (one array per
field of RUN_FIELDS, and per-ally arrays on request). The batch engine (`sim.batch`, many
runs at once over arrays) is the fast default; the Mesa engine runs the canonical model one
run at a time and is the reference the batch engine is pinned to.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum

import numpy as np

from sim.outcome import RUN_FIELDS, outcome_row
from sim.scenario import Scenario, ScenarioError, load_scenario

#: The per-ally outcome arrays (runs x allies) a sweep keeps when asked for them.
ALLY_FIELDS = ("final_position_pct", "accepted", "flexibility")


def run_mesa(scenario: str | Scenario, overrides: Sequence[Mapping[str, object]], seeds: Sequence[int], *,
             per_ally: bool = False):
    """Each run through the Mesa model, one after another: slow, but the canonical model.
    Returns what `run_batch` returns, a `sim.batch.BatchResult`."""
    from sim.batch import COLUMN_TYPES, AllyColumns, BatchResult, checked_seeds
    from sim.model import AllianceModel

    if len(overrides) != len(seeds):
        raise ValueError(f"{len(overrides)} sets of overrides but {len(seeds)} seeds; give one of each per run")
    seed_column = checked_seeds(seeds)
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    outcomes = [AllianceModel(base, rng=int(seed), **dict(changes)).run() for changes, seed in zip(overrides, seeds)]
    rows = [outcome_row(outcome) for outcome in outcomes]
    columns = {name: np.array([row[name] for row in rows], dtype=COLUMN_TYPES.get(name, float)) for name in RUN_FIELDS}
    codes = tuple(a.iso3 for a in outcomes[0].allies) if outcomes else tuple(base.allies().iso3)
    allies = _ally_columns(outcomes, len(codes), AllyColumns) if per_ally else None
    return BatchResult(scenario=base.name, iso3=codes, seed=seed_column, allies=allies, **columns)


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
              per_ally: bool = False):
    """The vectorised engine in `sim.batch`, imported only when used."""
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

    def run(self, scenario, overrides, seeds, *, per_ally: bool = False):
        """The runs as a `sim.batch.BatchResult`, whichever engine computed them."""
        return self.function(scenario, overrides, seeds, per_ally=per_ally)
