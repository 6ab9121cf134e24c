"""What the timing benchmarks share, so that their figures compare engines and not the
machine's state: one core, BLAS on one thread, and measurements that alternate between the
things compared and keep each one's best time (a busy machine then skews the ratios less,
since a slow spell hits every row of a round rather than one).

Standard library only: `benchmarks/__init__.py` imports it before numpy loads.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

ONE_BLAS_THREAD: Mapping[str, str] = MappingProxyType(
    {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})


@dataclass(frozen=True)
class Timing:
    """One row's best time: `runs` runs in `seconds`."""

    name: str
    runs: int
    seconds: float

    @property
    def runs_per_second(self) -> float:
        return self.runs / self.seconds


@dataclass(frozen=True)
class Measured:
    """Something to time: its row name, how many runs one call makes, the call, and whether
    to keep what the call returns (to check one engine against another)."""

    name: str
    runs: int
    work: Callable[[], object]
    keep: bool = False


def pin_to_one_core() -> int:
    """Run on a single core, so the figures compare engines, not core counts; the core's number."""
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


def timed(work: Callable[[], object]) -> tuple[float, object]:
    """Wall-clock seconds of one call of `work`, and what it returned."""
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def best_of(measured: Iterable[Measured], repeat: int) -> tuple[dict[str, Timing], dict[str, object]]:
    """Time every row once per round, `repeat` rounds, alternating; each row's best time, in the
    rows' order, and, for the rows that ask, what the call returned the last time."""
    rows = list(measured)
    best: dict[str, Timing] = {}
    results: dict[str, object] = {}
    for _ in range(repeat):
        for row in rows:
            seconds, result = timed(row.work)
            if row.keep:
                results[row.name] = result
            if row.name not in best or seconds < best[row.name].seconds:
                best[row.name] = Timing(row.name, row.runs, seconds)
    return best, results


def load_average() -> str:
    """The 1, 5 and 15-minute load averages and the CPU count, for the record of a measurement."""
    return f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs"
