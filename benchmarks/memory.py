"""Peak memory and time of the batch engine as sweeps grow (run-level outputs only).

Each measurement runs in a fresh process, which reports its peak resident memory
(`resource.getrusage(...).ru_maxrss`) after running the sweep, and its resident memory
after the imports, before any run (what Python, numpy, pandas and Mesa cost alone). The
sweep is the default scenario with one US pressure and threat level per run and seeds
0..N-1; the overrides are generated on demand (a lazy sequence), so the figures are the
engine's and its outputs', not the input list's. The last row splits the largest sweep
over two processes running at once, and reports the wall time and each process's peak.

    python -m benchmarks.memory [--sizes 10000 100000 1000000] [--processes 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks.timing import ONE_BLAS_THREAD

REPOSITORY = Path(__file__).resolve().parent.parent  # where `python -m benchmarks.memory` finds its package

GOLDEN = 0.6180339887498949  # low-discrepancy steps: spread the levers evenly over 0..1
PLASTIC = 0.7548776662466927


class SweepOverrides(Sequence):
    """Run i's overrides, made when asked for, for runs first..first+count-1."""

    def __init__(self, first: int, count: int):
        self.first, self.count = first, count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < self.count:
            raise IndexError(index)
        run = self.first + index
        return {"us_pressure": (run * GOLDEN) % 1.0, "threat_level": (run * PLASTIC) % 1.0}


@dataclass(frozen=True)
class Measurement:
    runs: int
    seconds: float
    peak_mb: float
    imports_mb: float
    deals: int


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports kB


def child(first: int, count: int) -> None:
    """Import, note the memory, run the sweep, report as one JSON line on stdout."""
    from sim.engines.batch import run_batch
    from sim.model.scenario import DEFAULT_SCENARIO, load_scenario

    scenario = load_scenario(DEFAULT_SCENARIO)
    imports = peak_mb()
    started = time.perf_counter()
    result = run_batch(scenario, SweepOverrides(first, count), range(first, first + count))
    seconds = time.perf_counter() - started
    print(json.dumps({"runs": count, "seconds": seconds, "peak_mb": peak_mb(), "imports_mb": imports,
                      "deals": int(result.deal.sum())}))


def spawn(first: int, count: int) -> subprocess.Popen:
    env = {**os.environ, **ONE_BLAS_THREAD}
    return subprocess.Popen([sys.executable, "-m", "benchmarks.memory", "--child", str(first), str(count)],
                            stdout=subprocess.PIPE, text=True, env=env, cwd=REPOSITORY)


def collect(process: subprocess.Popen) -> Measurement:
    output, _ = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"a measuring process failed (exit {process.returncode})")
    return Measurement(**json.loads(output.strip().splitlines()[-1]))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--processes", type=int, default=2, help="processes sharing the largest sweep (last row)")
    parser.add_argument("--child", type=int, nargs=2, metavar=("FIRST", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0

    print(f"{'runs':>9}{'processes':>11}{'wall s':>9}{'runs/s':>10}{'peak MB (each)':>18}{'after imports MB':>18}"
          f"{'deals':>9}")
    for size in args.sizes:
        m = collect(spawn(0, size))
        print(f"{size:>9}{1:>11}{m.seconds:>9.1f}{size / m.seconds:>10.0f}{m.peak_mb:>18.0f}{m.imports_mb:>18.0f}"
              f"{m.deals:>9}")
    size, parts = max(args.sizes), args.processes
    if parts > 1:
        bounds = [size * k // parts for k in range(parts + 1)]
        started = time.perf_counter()
        processes = [spawn(bounds[k], bounds[k + 1] - bounds[k]) for k in range(parts)]
        results = [collect(p) for p in processes]
        wall = time.perf_counter() - started
        peaks = "/".join(f"{m.peak_mb:.0f}" for m in results)
        imports = "/".join(f"{m.imports_mb:.0f}" for m in results)
        print(f"{size:>9}{parts:>11}{wall:>9.1f}{size / wall:>10.0f}{peaks:>18}{imports:>18}"
              f"{sum(m.deals for m in results):>9}")
    print("\nwall s: the sweep alone (one process) or from spawning to the last result (several); "
          "peak MB: ru_maxrss of each process")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
