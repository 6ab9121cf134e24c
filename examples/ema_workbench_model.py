"""Scenario discovery with EMA workbench: where do the Hague talks end without a deal?

The model goes into EMA workbench (3.x) as a `Model` whose function is `sim.api.EMAFunction`
(one call of `sim.api.simulate` per experiment), and `sim.api.BatchEvaluator` runs the whole
design in one call to the batch engine instead (about 20x as fast on 1,000 experiments:
`python -m benchmarks.ema_paths`); `--sequential` runs it with EMA's `SequentialEvaluator`,
one call per experiment, for the same outcomes. The seed is one more uncertainty, so each
experiment is one run with its own draw of the allies' domestic noise. The uncertainties are of
every kind EMA has: real (US pressure, threat level, defence-related cap), integer (the rounds
before the summit, `max_rounds`), bool (whether holdouts may get a side letter,
`allow_flexibility`) and categorical (the negotiation protocol). PRIM (Friedman and Fisher 1999;
as used for scenario discovery by Bryant and Lempert 2010) then looks for the boxes in which
"no deal" is concentrated.

What breaks, and why the experiments go through `sim.api.prim_ready` before PRIM: EMA 3.0's
PRIM writes box limits into pandas tables in place, and pandas 3 refuses a value of another
type where pandas 2 cast it. On the raw experiments table, pasting an integer uncertainty's
limit raises ``TypeError: Invalid value '9.5' for dtype 'int64'`` (`Prim._real_paste`), and
`box.inspect()` on a box that restricts a bool or categorical raises ``Invalid value '{False}'
for dtype 'float64'``. `prim_ready` gives PRIM floats only: integers as floats, a bool as 0/1,
and a categorical as one 0/1 column per category (``protocol=mediator``, ...), so a box can
keep or drop each protocol on its own; a limit of [0, 0.5] on ``allow_flexibility`` reads
"False only", one of [0.5, 1] on ``protocol=challenge`` "the challenge protocol only".

    .venv/bin/python examples/ema_workbench_model.py               # 2,000 experiments, a second or two
    .venv/bin/python examples/ema_workbench_model.py --quick       # 300 experiments
    .venv/bin/python examples/ema_workbench_model.py --sequential  # one simulate call per experiment (about 20 s)
"""

from __future__ import annotations

import argparse
import warnings

import pandas as pd

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
    from ema_workbench.analysis import prim

from sim.api import OUTCOME_FIELDS, BatchEvaluator, EMAFunction, prim_ready
from sim.model.parameters import parameter_fields

REAL_LEVERS = ("us_pressure", "threat_level", "related_cap_pct")  # searched over their whole allowed ranges
MAX_ROUNDS = (4, 20)  # the Hague talks' own is 12
PROTOCOLS = ("mediator", "agenda_setter", "challenge")
LEVERS = (*REAL_LEVERS, "max_rounds", "allow_flexibility", "protocol")
MIN_DENSITY = 0.9  # a box is kept where at least this share of its runs end without a deal


# --- the adapter: EMAFunction is the model's function, BatchEvaluator runs a design at once -----
def ema_model() -> Model:
    fields = parameter_fields()
    model = Model("alliance", function=EMAFunction())
    model.uncertainties = [RealParameter(name, fields[name].metadata["low"], fields[name].metadata["high"])
                           for name in REAL_LEVERS]
    model.uncertainties += [IntegerParameter("max_rounds", *MAX_ROUNDS), BooleanParameter("allow_flexibility"),
                            CategoricalParameter("protocol", PROTOCOLS), IntegerParameter("seed", 0, 2**31 - 1)]
    model.outcomes = [ScalarOutcome(name) for name in OUTCOME_FIELDS]
    return model
# --- end of the adapter ----------------------------------------------------------------------------


def run_experiments(n_scenarios: int, sampling_seed: int = 4, sequential: bool = False) -> tuple[pd.DataFrame, dict]:
    """`n_scenarios` Latin-hypercube experiments over the levers (and the seed), one run each:
    all in one batch (`BatchEvaluator`) or one `simulate` call each (`SequentialEvaluator`)."""
    model = ema_model()
    evaluator = SequentialEvaluator if sequential else BatchEvaluator
    with evaluator(model) as running:
        return perform_experiments(model, n_scenarios, evaluator=running, log_progress=sequential,
                                   uncertainty_sampling_kwargs={"rng": sampling_seed})


def no_deal_boxes(experiments: pd.DataFrame, outcomes: dict, max_boxes: int = 2,
                  min_density: float = MIN_DENSITY) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PRIM on "no deal", over the levers as `prim_ready` gives them: up to `max_boxes` boxes,
    each the point of its peeling trajectory with the highest coverage among those whose
    density is at least `min_density` (a box that never gets that dense ends the search).
    Returns each box's limits (min and max) and its statistics (coverage, density, mass,
    restricted dimensions)."""
    search = prim.Prim(prim_ready(experiments, LEVERS), outcomes["deal"] == 0)
    kept = []
    for _ in range(max_boxes):
        box = search.find_box()
        if box is None:
            break
        trajectory = box.peeling_trajectory
        dense = trajectory[trajectory["density"] >= min_density]
        if dense.empty:
            break
        box.select(int(dense["coverage"].idxmax()))
        box.inspect(style="data")  # raises under pandas 3 without prim_ready
        kept.append(box)
    names = [f"box {number}" for number in range(1, len(kept) + 1)]
    if not kept:
        return pd.DataFrame(), pd.DataFrame()
    limits = pd.concat({name: box.box_lim.T.set_axis(["min", "max"], axis=1) for name, box in zip(names, kept)},
                       axis=1)
    return limits, pd.DataFrame([box.stats for box in kept], index=names)


def main(argv: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 experiments instead of 2,000")
    parser.add_argument("--scenarios", type=int, help="how many experiments (overrides --quick)")
    parser.add_argument("--sequential", action="store_true",
                        help="one simulate call per experiment (EMA's SequentialEvaluator), not one batch")
    args = parser.parse_args(argv)
    n_scenarios = args.scenarios or (300 if args.quick else 2000)
    experiments, outcomes = run_experiments(n_scenarios, sequential=args.sequential)
    print(f"{n_scenarios} experiments; no deal in {(outcomes['deal'] == 0).mean():.0%} of them")
    limits, stats = no_deal_boxes(experiments, outcomes)
    if limits.empty:
        print(f"PRIM found no box with at least {MIN_DENSITY:.0%} of its runs ending without a deal")
    else:
        print(f"\nBoxes where no deal is concentrated (density >= {MIN_DENSITY:.0%}):")
        print(stats.round(3).to_string())
        print()
        print(limits.round(3).to_string())
    return limits, stats


if __name__ == "__main__":
    main()
