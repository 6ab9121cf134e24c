"""Where `run_batch`'s time goes: cProfile of one sweep on one core, top functions by own time.

    python benchmarks/profile_batch.py [--runs 20000] [--sweep varied|default|single] [--top 15]

`varied`: us_pressure uniform 0..1 and max_rounds 4..20 per run (seeded, so repeatable);
`default`: [{}] * runs (every run the scenario as it is); `single`: `--runs` calls of
`run_batch` with one run each (as EMA workbench calls a model), reusing one `ScenarioCache`
unless `--no-cache`.
"""

from __future__ import annotations

import os

for _threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):  # one core: no BLAS threads
    os.environ[_threads] = "1"

import argparse  # noqa: E402
import cProfile  # noqa: E402
import inspect  # noqa: E402
import pstats  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from sim import batch  # noqa: E402
from sim.model.scenario import load_scenario  # noqa: E402


def sweep(kind: str, runs: int) -> list[dict]:
    if kind == "default":
        return [{}] * runs
    rng = np.random.default_rng(2025)
    pressures, rounds = rng.uniform(0.0, 1.0, runs), rng.integers(4, 21, runs)
    return [{"us_pressure": float(p), "max_rounds": int(r)} for p, r in zip(pressures, rounds)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20_000)
    parser.add_argument("--sweep", choices=("varied", "default", "single"), default="varied")
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--no-cache", action="store_true", help="single: pass the scenario by name, no cache")
    parser.add_argument("--no-profile", action="store_true", help="only time it")
    args = parser.parse_args(argv)
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    scenario = load_scenario("hague2025")
    if args.sweep == "single":
        overrides = sweep("varied", args.runs)
        cached = "cache" in inspect.signature(batch.run_batch).parameters and not args.no_cache
        options = {"cache": batch.ScenarioCache()} if cached else {}

        def work():
            for row, changes in enumerate(overrides):
                batch.run_batch("hague2025", [changes], [row], **options)
    else:
        overrides = sweep(args.sweep, args.runs)

        def work():
            batch.run_batch(scenario, overrides, range(args.runs))

    work_once = work if args.sweep != "single" else (lambda: batch.run_batch("hague2025", [{}], [0]))
    work_once()  # warm imports and caches
    if args.no_profile:
        started = time.perf_counter()
        work()
        seconds = time.perf_counter() - started
        print(f"{args.sweep}: {args.runs} runs in {seconds:.2f} s: {args.runs / seconds:.0f} runs/s, "
              f"{seconds / args.runs * 1e6:.0f} us a run")
        return 0
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.runcall(work)
    seconds = time.perf_counter() - started
    print(f"{args.sweep}: {args.runs} runs in {seconds:.2f} s under cProfile ({seconds / args.runs * 1e6:.0f} us a run)")
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
