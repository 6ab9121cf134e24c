"""Running a sweep: batches of runs sent to an executor, each written as a shard when done.

The sweep keeps only a few batches in flight, so memory stays flat however many runs the
spec asks for, and what is on disk is always a resumable record: `--resume` computes only
the batches without a whole shard.

    alliance-sim sweep configs/sweeps/us_pressure.toml --out results/us_pressure
    alliance-sim sweep us_pressure --out results/us --workers 8 --resume
    alliance-sim sweep us_pressure --out results/us --scheduler tcp://scheduler:8786

(the command itself, its arguments and messages, is in `sim/cli.py`).
"""

from __future__ import annotations

import concurrent.futures as cf
import sys
import time
from collections.abc import Mapping
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from sim.engines.engine import Engine
from sim.sweeps.executors import ExecutorChoice, ExecutorError, open_executor
from sim.sweeps.results import ResultsDir, SweepWriteError
from sim.sweeps.versions import code_version
from sim.model.scenario import Scenario
from sim.sweeps.shards import ResultTable, Shard, build_shard
from sim.sweeps.spec import RunBatch, SweepSpec

__all__ = ["ExecutorError", "SweepInterrupted", "SweepReport", "SweepWriteError", "run_sweep"]


@dataclass(frozen=True)
class BatchTask:
    """Everything a worker needs to compute one batch, and nothing of the rest of the sweep."""

    batch: RunBatch
    scenario: Scenario
    engine: Engine
    per_ally: bool
    per_round: bool
    names: tuple[str, ...]
    points: tuple[int, ...]
    replicates: tuple[int, ...]
    seeds: tuple[int, ...]
    overrides: tuple[Mapping[str, object], ...]
    code_version: str

    @classmethod
    def of(cls, spec: SweepSpec, batch: RunBatch, version: str) -> BatchTask:
        ids = batch.run_ids
        return cls(batch=batch, scenario=spec.scenario, engine=spec.engine, per_ally=spec.per_ally,
                   per_round=spec.per_round, names=spec.parameter_names,
                   points=tuple(i // spec.replicates for i in ids), replicates=tuple(spec.replicate(i) for i in ids),
                   seeds=tuple(spec.seeds_of(ids)), overrides=tuple(spec.overrides(i) for i in ids),
                   code_version=version)


def run_task(task: BatchTask) -> Shard:
    """Compute one batch (in whichever process or cluster worker received it)."""
    result = task.engine.run(task.scenario, list(task.overrides), list(task.seeds), per_ally=task.per_ally,
                             per_round=task.per_round)
    return build_shard(task.batch, task.names, task.points, task.replicates, task.seeds, task.overrides,
                       result, task.code_version)


class SweepInterrupted(KeyboardInterrupt):
    """Ctrl-C during a sweep, with how many batches are saved on disk (finished before and
    during this run): what the user needs to know before deciding to resume."""

    def __init__(self, saved: int, batches: int):
        super().__init__(saved, batches)
        self.saved = saved
        self.batches = batches

    def describe(self, out: Path, resume_command: str | None = None) -> str:
        """What was saved, and how to finish: `resume_command` in full when known."""
        if self.saved == 0:
            return f"interrupted before any batch finished; nothing was saved in {out}"
        how = f"finish it with: {resume_command}" if resume_command else "rerun with --resume to finish"
        return f"interrupted; finished batches are saved in {out} ({self.saved} of {self.batches} batches); {how}"


@dataclass(frozen=True)
class SweepReport:
    """What a sweep did: all its runs, how many were already on disk, and how fast the rest went."""

    out: Path
    runs: int
    already_done: int
    seconds: float

    @property
    def computed(self) -> int:
        return self.runs - self.already_done

    @property
    def rate(self) -> float:
        return self.computed / self.seconds if self.seconds > 0 else float("nan")


def run_sweep(spec: SweepSpec, out: str | Path, *, executor: ExecutorChoice = ExecutorChoice(),
              resume: bool = False, progress: bool = True) -> SweepReport:
    """Compute every run of `spec` not yet in `out`, one shard per batch."""
    out = Path(out)
    executor.check()  # a wrong --scheduler fails here, before --out is touched
    version = code_version()
    with ResultsDir(out, spec, resume=resume, code_version=version) as results:
        finished = results.finished_batches()  # from the shards on disk, never by listing every batch
        already = sum(len(spec.batch(index)) for index in finished)
        todo = (batch for batch in spec.batches() if batch.index not in finished)
        started = time.perf_counter()
        try:
            with tqdm(total=spec.runs, initial=already, unit="run", desc=spec.name, file=sys.stderr,
                      disable=not progress, dynamic_ncols=True, smoothing=0.05) as bar:
                with open_executor(executor) as (pool, slots):
                    _drive(pool, slots, spec, todo, version, results, bar)
        except KeyboardInterrupt:
            raise SweepInterrupted(results.saved_batches(), spec.batch_count) from None
        return SweepReport(out, spec.runs, already, time.perf_counter() - started)


def _drive(pool: cf.Executor, slots: int, spec: SweepSpec, todo, version: str, results: ResultsDir, bar) -> None:
    """Keep up to `slots` batches in flight; write each shard as soon as its batch is done.
    Batches are taken from `todo` one at a time, so the first is computed at once however
    many follow."""
    pending: set[cf.Future] = set()

    def collect(when):
        nonlocal pending
        done, pending = cf.wait(pending, return_when=when)
        for future in done:
            shard = future.result()
            results.write(shard)
            bar.update(shard.runs.num_rows)

    try:
        for batch in todo:
            while len(pending) >= slots:
                collect(cf.FIRST_COMPLETED)
            pending.add(pool.submit(run_task, BatchTask.of(spec, batch, version)))
        while pending:
            collect(cf.FIRST_COMPLETED)
    except BrokenProcessPool as error:
        saved = results.saved_batches()
        raise ExecutorError(f"a worker process died ({error}); " + (
            f"finished batches are saved ({saved} of {spec.batch_count}), rerun with --resume to compute the rest"
            if saved else "no batch had finished, nothing was saved")) from None
    finally:
        for future in pending:
            future.cancel()
