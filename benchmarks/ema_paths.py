"""EMA workbench at engine speed: the same design of EMA experiments run through
`sim.api.BatchEvaluator` (the whole design in one call to the batch engine) and through EMA's
`SequentialEvaluator` (one `simulate` call per experiment, as EMA runs a `Model`'s function),
side by side in one process, checked to give the same outcomes.

The model is the one `examples/ema_workbench_model.py` explores: the Hague 2025 scenario over US
pressure, the threat level and the defence-related cap (real), the rounds before the summit
(integer), side letters allowed or not (bool), the negotiation protocol (categorical) and the
seed, every outcome of `sim.api.OUTCOME_FIELDS`. Both paths include EMA's own work (sampling,
building the experiments, storing results); the table gives experiments per second and the
ratio. Measurements alternate and the best of `--repeat` is kept (`benchmarks.timing`).

    python -m benchmarks.ema_paths [--experiments 1000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import logging
import warnings

import numpy as np

from benchmarks.timing import Measured, best_of, load_average, pin_to_one_core

with warnings.catch_warnings():  # EMA workbench warns that an optional cluster backend is absent
    warnings.filterwarnings("ignore", message="ipyparallel not installed")
    from ema_workbench import (
        BooleanParameter,
        CategoricalParameter,
        IntegerParameter,
        Model,
        RealParameter,
        ScalarOutcome,
        SequentialEvaluator,
        perform_experiments,
    )

from sim.api import OUTCOME_FIELDS, BatchEvaluator, EMAFunction
from sim.model.parameters import parameter_fields

BATCH = "BatchEvaluator (one batch)"
SEQUENTIAL = "SequentialEvaluator (one call each)"


def alliance_model() -> Model:
    fields = parameter_fields()
    model = Model("alliance", function=EMAFunction("hague2025"))
    model.uncertainties = [RealParameter(name, fields[name].metadata["low"], fields[name].metadata["high"])
                           for name in ("us_pressure", "threat_level", "related_cap_pct")]
    model.uncertainties += [IntegerParameter("max_rounds", 4, 20), BooleanParameter("allow_flexibility"),
                            CategoricalParameter("protocol", ["mediator", "agenda_setter", "challenge"]),
                            IntegerParameter("seed", 0, 2**31 - 1)]
    model.outcomes = [ScalarOutcome(name) for name in OUTCOME_FIELDS]
    return model


def experiments_with(evaluator_class: type, model: Model, n_experiments: int) -> tuple:
    with evaluator_class(model) as evaluator:
        return perform_experiments(model, n_experiments, evaluator=evaluator, log_progress=False,
                                   uncertainty_sampling_kwargs={"rng": 4})


def same_results(first: tuple, second: tuple) -> bool:
    """The same experiments (but for EMA's running scenario names) and the same outcomes, NaN where NaN."""
    columns = [name for name in first[0].columns if name != "scenario"]
    if not first[0][columns].equals(second[0][columns]):
        return False
    return all(np.array_equal(first[1][name], second[1][name], equal_nan=values.dtype.kind == "f")
               for name, values in first[1].items())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiments", type=int, default=1000, help="EMA experiments per path")
    parser.add_argument("--repeat", type=int, default=2, help="measure each path this many times, keep the best")
    args = parser.parse_args(argv)
    logging.getLogger("EMA").setLevel(logging.WARNING)
    core = pin_to_one_core()
    model = alliance_model()
    model.function(seed=0)  # the scenario loaded once into the function's cache, for both paths
    n = args.experiments
    timings, results = best_of([Measured(BATCH, n, lambda: experiments_with(BatchEvaluator, model, n), keep=True),
                                Measured(SEQUENTIAL, n, lambda: experiments_with(SequentialEvaluator, model, n),
                                         keep=True)], args.repeat)
    same = same_results(results[BATCH], results[SEQUENTIAL])
    print(f"{n:,} EMA experiments (Hague 2025; real, integer, bool and categorical uncertainties and the seed), "
          f"best of {args.repeat}, one core (core {core}), {load_average()}")
    print()
    print(f"{'path':<38} {'experiments':>11} {'seconds':>9} {'experiments/s':>14} {'ms/experiment':>14}")
    for timing in timings.values():
        print(f"{timing.name:<38} {timing.runs:>11,} {timing.seconds:>9.3f} {timing.runs_per_second:>14,.0f} "
              f"{1000 * timing.seconds / timing.runs:>14.3f}")
    print()
    print(f"the same outcomes on both paths: {'yes' if same else 'NO'}")
    print(f"BatchEvaluator is {timings[SEQUENTIAL].seconds / timings[BATCH].seconds:.1f}x as fast as one call per "
          "experiment")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
