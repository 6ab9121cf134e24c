"""Scenario discovery with EMA workbench: where do the Hague talks end without a deal?

The model goes into EMA workbench as a plain function (`sim.api.simulate`); the adapter is
the `alliance` function and `ema_model` below. The seed is one more uncertainty, so each
experiment is one run with its own draw of the allies' domestic noise. PRIM (Friedman and
Fisher 1999; as used for scenario discovery by Bryant and Lempert 2010) then looks for the
box of US pressure, threat level and defence-related cap in which "no deal" is concentrated.

    .venv/bin/python examples/ema_workbench_model.py            # 2,000 experiments, about 20 s
    .venv/bin/python examples/ema_workbench_model.py --quick    # 300 experiments, about 6 s
"""

from __future__ import annotations

import argparse
import warnings

import pandas as pd

with warnings.catch_warnings():  # EMA workbench warns that an optional cluster backend is absent
    warnings.filterwarnings("ignore", message="ipyparallel not installed")
    from ema_workbench import (
        IntegerParameter,
        Model,
        RealParameter,
        ScalarOutcome,
        SequentialEvaluator,
        perform_experiments,
    )
    from ema_workbench.analysis import prim

from sim.api import OUTCOME_FIELDS, simulate
from sim.model.parameters import parameter_fields

LEVERS = ("us_pressure", "threat_level", "related_cap_pct")  # searched over their whole allowed ranges
MIN_DENSITY = 0.25  # a box is kept where at least this share of its runs end without a deal (about 3x the base rate)


# --- the adapter: EMA workbench calls the model with one keyword argument per uncertainty ---------
def alliance(seed: int = 0, **params) -> dict[str, float]:
    return simulate(params, seed=seed)


def ema_model() -> Model:
    model = Model("alliance", function=alliance)
    model.uncertainties = [RealParameter(name, parameter_fields()[name].metadata["low"],
                                         parameter_fields()[name].metadata["high"]) for name in LEVERS]
    model.uncertainties += [IntegerParameter("seed", 0, 2**31 - 1)]
    model.outcomes = [ScalarOutcome(name) for name in OUTCOME_FIELDS]
    return model
# --- end of the adapter ----------------------------------------------------------------------------


def run_experiments(n_scenarios: int, sampling_seed: int = 4) -> tuple[pd.DataFrame, dict]:
    """`n_scenarios` Latin-hypercube experiments over the levers (and the seed), one run each."""
    model = ema_model()
    with SequentialEvaluator(model) as evaluator:
        return perform_experiments(model, n_scenarios, evaluator=evaluator, log_progress=True,
                                   uncertainty_sampling_kwargs={"rng": sampling_seed})


def no_deal_boxes(experiments: pd.DataFrame, outcomes: dict, max_boxes: int = 2,
                  min_density: float = MIN_DENSITY) -> tuple[pd.DataFrame, pd.DataFrame]:
    """PRIM on "no deal": up to `max_boxes` boxes, each the point of its peeling trajectory with
    the highest coverage among those whose density is at least `min_density` (a box that never
    gets that dense ends the search). Returns each box's limits on the three levers (min and
    max) and its statistics (coverage, density, mass, restricted dimensions)."""
    search = prim.Prim(experiments[list(LEVERS)], outcomes["deal"] == 0)
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
    args = parser.parse_args(argv)
    n_scenarios = args.scenarios or (300 if args.quick else 2000)
    experiments, outcomes = run_experiments(n_scenarios)
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
