"""The two ways to compute many runs, behind one signature.

A sweep does not care how runs are computed, only that an engine takes a scenario, one
override mapping and one seed per run, and returns a `sim.engines.outcome.BatchResult` (one array
per field of RUN_FIELDS, and per-ally arrays on request). The batch engine (`sim.engines.batch`, many
runs at once over arrays) is the fast default; the Mesa engine runs the canonical model one
run at a time and is the reference the batch engine is pinned to. Only the Mesa engine has
agents that remember each round, so only it can return the round-by-round record
(`per_round=True`, a `RoundColumns`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum

import numpy as np

from sim.engines import batch
from sim.engines.outcome import ALLY_ROUND_FIELDS, ROUND_FIELDS, BatchResult, RoundColumns, ally_columns
from sim.model.parameters import checked_seeds
from sim.model.scenario import Scenario, ScenarioError, load_scenario


def run_mesa(scenario: str | Scenario, overrides: Sequence[Mapping[str, object]], seeds: Sequence[int], *,
             per_ally: bool = False, per_round: bool = False) -> BatchResult:
    """Each run through the Mesa model, one after another: slow, but the canonical model.
    Returns what `run_batch` returns, plus with `per_round` each run's round-by-round tables
    (taken as each run ends, so the models need not be kept). Each run's outcome is filled by
    `AllianceModel.result`, with the function the batch engine fills its own with. Mesa is
    imported only here."""
    from sim.engines.model import AllianceModel

    if len(overrides) != len(seeds):
        raise ValueError(f"{len(overrides)} sets of overrides but {len(seeds)} seeds; give one of each per run")
    seed_column = checked_seeds(seeds)
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    outcomes, runs, records = [], [], []
    for changes, seed in zip(overrides, seeds):
        model = AllianceModel(base, rng=int(seed), **dict(changes))
        outcomes.append(model.run())
        runs.append(model.result())
        if per_round:
            records.append((model.rounds_table(), model.allies_table()))
    codes = tuple(a.iso3 for a in outcomes[0].allies) if outcomes else tuple(base.allies().iso3)
    return BatchResult.of_runs(base.name, codes, seed_column, runs,
                               allies=ally_columns(outcomes, len(codes)) if per_ally else None,
                               per_round=_round_columns(records) if per_round else None)


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


def run_batch(scenario: str | Scenario, overrides: Sequence[Mapping[str, object]], seeds: Sequence[int], *,
              per_ally: bool = False, per_round: bool = False) -> BatchResult:
    """The vectorised engine (`sim.engines.batch`). It keeps no rounds, only outcomes, so `per_round`
    is refused rather than silently left out."""
    if per_round:
        raise ScenarioError("engine 'batch' keeps no per-round data; allowed with per_round: mesa")
    return batch.run_batch(scenario, overrides, seeds, per_ally=per_ally)


class Engine(StrEnum):
    """Which engine computes a sweep's runs."""

    BATCH = "batch"
    MESA = "mesa"

    @property
    def function(self) -> Callable:
        return {Engine.BATCH: run_batch, Engine.MESA: run_mesa}[self]

    def run(self, scenario, overrides, seeds, *, per_ally: bool = False, per_round: bool = False) -> BatchResult:
        """The runs as a `BatchResult`, whichever engine computed them."""
        return self.function(scenario, overrides, seeds, per_ally=per_ally, per_round=per_round)
