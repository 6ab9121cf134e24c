"""Throughput on one core: the same sweep through `mesa.batch_run`, a plain loop over
`AllianceModel(...).run()`, and the batch engine (`sim.engines.batch.run_batch`), side by side.

The sweep is the Hague 2025 scenario over a grid of US pressure x seeds. The batch engine runs
the same sweep, checked to give the plain loop's outcomes, and then a much larger one (one
US pressure per run, so nothing is shared between runs), and one run per call (`--single-runs`
calls of `run_batch("hague2025", [overrides], [seed])`, as EMA workbench calls a model), with a
`ScenarioCache` held across the calls and without. The large sweep is also run once per
protocol (`sim.model.parameters.NegotiationProtocol`: the Secretary General's single text,
agenda-setter rounds, Baron-Ferejohn rounds, bilateral challenges, exchanges of positions), side by side, with each protocol's time per run against
the mediator's. Measurements alternate between the engines and the best of `--repeat` is kept,
so a busy machine skews the ratios less (`benchmarks.timing`).

    python -m benchmarks.throughput [--pressures 20] [--seeds 10] [--batch-runs 100000] [--single-runs 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math

import mesa
import numpy as np

from benchmarks.timing import Measured, Timing, best_of, load_average, pin_to_one_core
from sim.engines.batch import run_batch
from sim.engines.model import AllianceModel
from sim.engines.outcome import RUN_FIELDS, outcome_row
from sim.model.parameters import NegotiationProtocol
from sim.model.scenario import ScenarioCache, load_scenario

PROTOCOL_ROW = "run_batch, protocol "


def same_outcomes(expected_rows: list[dict], batch_rows: list[dict]) -> bool:
    """The batch engine's rows against the plain loop's (floats to 1e-9)."""
    for expected, actual in zip(expected_rows, batch_rows, strict=True):
        for name in RUN_FIELDS:
            a, b = expected[name], actual[name]
            if isinstance(a, float):
                if not (math.isnan(a) and math.isnan(b)) and not abs(a - b) <= 1e-9:
                    return False
            elif a != b:
                return False
    return True


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="hague2025")
    parser.add_argument("--pressures", type=int, default=20, help="US pressure values in the shared sweep")
    parser.add_argument("--seeds", type=int, default=10, help="seeds per pressure in the shared sweep")
    parser.add_argument("--batch-runs", type=int, default=100_000, help="runs in the batch engine's large sweep")
    parser.add_argument("--single-runs", type=int, default=200, help="calls of run_batch with one run each")
    parser.add_argument("--repeat", type=int, default=3, help="measure each engine this many times, keep the best")
    args = parser.parse_args(argv)

    core = pin_to_one_core()
    scenario = load_scenario(args.scenario)
    pressures = [float(p) for p in np.linspace(0.0, 1.0, args.pressures)]
    seeds = list(range(args.seeds))
    # mesa.batch_run's order: every seed (its `rng` list), and within a seed every parameter combination
    overrides = [{"us_pressure": p} for _ in seeds for p in pressures]
    run_seeds = [s for s in seeds for _ in pressures]
    runs = len(overrides)
    large = args.batch_runs
    large_overrides = [{"us_pressure": float(p)} for p in np.linspace(0.0, 1.0, large)]
    # the same large sweep under each protocol (the default protocol's row repeats the one above, named)
    by_protocol = {protocol.value: [{**o, "protocol": protocol.value} for o in large_overrides]
                   for protocol in NegotiationProtocol}

    def mesa_batch_run():
        return mesa.batch_run(AllianceModel, parameters={"scenario_name": [scenario], "us_pressure": pressures},
                              rng=seeds, number_processes=1, data_collection_period=-1, display_progress=False)

    single = [({"us_pressure": p}, seed) for p, seed in zip(np.linspace(0.0, 1.0, args.single_runs),
                                                             range(args.single_runs))]

    def one_at_a_time(cached: bool):
        options = {"cache": ScenarioCache()} if cached else {}
        for changes, seed in single:
            run_batch(args.scenario, [changes], [seed], **options)

    def plain_loop():
        return [outcome_row(AllianceModel(scenario, rng=seed, **o).run()) for o, seed in zip(overrides, run_seeds)]

    print(f"scenario {scenario.name}, one core (cpu {core}); sweep: {args.pressures} US pressures x "
          f"{args.seeds} seeds = {runs} runs; batch engine also on {large} runs; best of {args.repeat}; "
          f"{load_average()}")
    best, results = best_of([
        Measured("mesa.batch_run", runs, mesa_batch_run),
        Measured("plain loop", runs, plain_loop, keep=True),
        Measured("run_batch (same sweep)", runs, lambda: run_batch(scenario, overrides, run_seeds), keep=True),
        Measured(f"run_batch ({large} runs)", large, lambda: run_batch(scenario, large_overrides, range(large))),
        Measured("run_batch, 1 run a call", len(single), lambda: one_at_a_time(False)),
        Measured("  same, ScenarioCache", len(single), lambda: one_at_a_time(True)),
        *(Measured(f"{PROTOCOL_ROW}{name}", large, lambda sweep=sweep: run_batch(scenario, sweep, range(large)))
          for name, sweep in by_protocol.items()),
    ], args.repeat)
    loop_rows, batch_rows = results["plain loop"], results["run_batch (same sweep)"].rows()

    agree = same_outcomes(loop_rows, batch_rows)
    mesa_rate = best["mesa.batch_run"].runs_per_second
    loop_rate = best["plain loop"].runs_per_second
    print(f"\n{'engine':<40}{'runs':>9}{'seconds':>10}{'runs/s':>11}{'ms/run':>8}{'x mesa.batch_run':>18}"
          f"{'x plain loop':>14}")
    for timing in best.values():
        print(f"{timing.name:<40}{timing.runs:>9}{timing.seconds:>10.2f}{timing.runs_per_second:>11.1f}"
              f"{1e3 / timing.runs_per_second:>8.3f}{timing.runs_per_second / mesa_rate:>18.1f}"
              f"{timing.runs_per_second / loop_rate:>14.1f}")
    print(f"\nrun_batch gives the plain loop's outcomes on the shared sweep: {'yes' if agree else 'NO'}")
    protocol_table(best, large)
    return 0 if agree else 1


def protocol_table(best: dict[str, Timing], large: int) -> None:
    """The large sweep under each protocol, side by side, and the slowest against the mediator."""
    rows = {engine[len(PROTOCOL_ROW):]: timing for engine, timing in best.items() if engine.startswith(PROTOCOL_ROW)}
    mediator = rows[NegotiationProtocol.MEDIATOR.value].runs_per_second
    print(f"\nthe batch engine on the same {large} runs, by protocol (best of the repeats)")
    print(f"{'protocol':<19}{'runs':>9}{'seconds':>10}{'runs/s':>11}{'ms/run':>8}{'x mediator (time/run)':>23}")
    for name, timing in rows.items():
        print(f"{name:<19}{timing.runs:>9}{timing.seconds:>10.2f}{timing.runs_per_second:>11.1f}"
              f"{1e3 / timing.runs_per_second:>8.3f}{mediator / timing.runs_per_second:>23.2f}")
    slowest = min(rows, key=lambda name: rows[name].runs_per_second)
    print(f"slowest: {slowest}, {mediator / rows[slowest].runs_per_second:.2f}x the mediator's time per run; "
          f"{load_average()}")


if __name__ == "__main__":
    raise SystemExit(main())
