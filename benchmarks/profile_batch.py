"""Where `run_batch`'s time goes: cProfile of one sweep on one core, top functions by own time.

    python -m benchmarks.profile_batch [--runs 20000] [--sweep varied|default|single] [--top 15]

`varied`: us_pressure uniform 0..1 and max_rounds 4..20 per run (seeded, so repeatable);
`default`: [{}] * runs (every run the scenario as it is); `single`: `--runs` calls of
`run_batch` with one run each (as EMA workbench calls a model), reusing one `ScenarioCache`
unless `--no-cache`.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats

import numpy as np

from benchmarks.timing import pin_to_one_core, timed
from sim.engines.batch import run_batch
from sim.model.scenario import ScenarioCache, load_scenario


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
    pin_to_one_core()

    scenario = load_scenario("hague2025")
    if args.sweep == "single":
        overrides = sweep("varied", args.runs)
        options = {} if args.no_cache else {"cache": ScenarioCache()}

        def work():
            for row, changes in enumerate(overrides):
                run_batch("hague2025", [changes], [row], **options)
    else:
        overrides = sweep(args.sweep, args.runs)

        def work():
            run_batch(scenario, overrides, range(args.runs))

    work_once = work if args.sweep != "single" else (lambda: run_batch("hague2025", [{}], [0]))
    work_once()  # warm imports and caches
    if args.no_profile:
        seconds, _ = timed(work)
        print(f"{args.sweep}: {args.runs} runs in {seconds:.2f} s: {args.runs / seconds:.0f} runs/s, "
              f"{seconds / args.runs * 1e6:.0f} us a run")
        return 0
    profiler = cProfile.Profile()
    seconds, _ = timed(lambda: profiler.runcall(work))
    print(f"{args.sweep}: {args.runs} runs in {seconds:.2f} s under cProfile ({seconds / args.runs * 1e6:.0f} us a run)")
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
