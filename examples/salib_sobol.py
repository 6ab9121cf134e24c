"""Sobol' sensitivity of the Hague talks with SALib, on `sim.api.simulate_many`.

Which parameters drive the probability of a deal and the core level agreed? SALib draws a
Sobol' design (Saltelli et al. 2010) over a few levers and behavioural parameters, every
design point is run with several seeds in one call to the batch engine, and SALib turns the
points' values into first-order (S1) and total (ST) indices (Sobol' 2001).

A point's deal probability is the share of its seeds that end in a deal; its core level is
the mean over its seeds with a deal, so it is the level *given a deal*. A point where no seed
ends in a deal has no core level, and SALib's estimators need every point of a base row's
block, so the core level's indices use only the blocks with a value throughout (`base_rows`).

SALib takes a NaN without a word: `sobol.analyze` then gives total indices of 0.0 (or NaN),
which reads as "no effect". So every run-level outcome is read through
`sim.api.defined_outcome`, which refuses a NaN (naming how many runs lack the value) unless a
fill rule is named. The third outcome names one: `core_or_status_quo` is the core level
agreed, and the 2% guideline of the Wales pledge (2014), which stays without a deal, where
the talks end without one (`where_missing=STATUS_QUO_CORE_PCT`): the level the allies are held
to after the summit, defined for every run.
`sim/analysis/sensitivity.py` and `experiments/global_sensitivity.py` do the full analysis; this is the
short version on the public API.

    .venv/bin/python examples/salib_sobol.py            # 512 base rows x 20 seeds, about 10 s
    .venv/bin/python examples/salib_sobol.py --quick    # 64 base rows x 8 seeds, a second or two
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

from sim.api import defined_outcome, simulate_many

#: The factors and the ranges they are varied over (within what sim/model/parameters.py allows).
PROBLEM = {
    "num_vars": 5,
    "names": ["us_pressure", "threat_level", "related_cap_pct", "need_scale_pct", "concession_rate"],
    "bounds": [[0.0, 1.0], [0.4, 1.0], [0.0, 3.0], [5.0, 8.0], [0.1, 0.5]],
}
#: The core level the allies stay held to without a deal: the Wales pledge's 2% guideline.
STATUS_QUO_CORE_PCT = 2.0
ROOT_SEED = 2025  # the design's scrambling and the bootstrap; the runs use seeds 0..seeds-1


def point_values(design: pd.DataFrame, seeds: int) -> pd.DataFrame:
    """Each design point's deal probability, core level given a deal (NaN where no seed ends
    in a deal: only complete blocks are analysed) and core level held to (the status quo's
    where there is no deal, defined for every run)."""
    runs = simulate_many(design, seeds)
    shape = (len(design), seeds)
    deal = defined_outcome(runs, "deal").reshape(shape)  # never missing: refused if it were
    agreed = runs["core_target_pct"].to_numpy().reshape(shape)
    held = defined_outcome(runs, "core_target_pct", where_missing=STATUS_QUO_CORE_PCT).reshape(shape)
    given_deal = np.full(len(design), np.nan)
    some = (deal > 0).any(axis=1)
    given_deal[some] = np.nanmean(agreed[some], axis=1)
    return pd.DataFrame({"deal_probability": deal.mean(axis=1), "core_target_pct": given_deal,
                         "core_or_status_quo": held.mean(axis=1)})


def indices(values: np.ndarray) -> pd.DataFrame:
    """S1 and ST (with 95% confidence half-widths) from the points' values, on the base rows
    whose whole block (A, the D mixed rows, B) has a value."""
    block = PROBLEM["num_vars"] + 2
    blocks = values.reshape(-1, block)
    complete = blocks[~np.isnan(blocks).any(axis=1)]
    found = sobol_analyze.analyze(PROBLEM, complete.reshape(-1), calc_second_order=False, seed=ROOT_SEED)
    table = pd.DataFrame({key: found[key] for key in ("S1", "S1_conf", "ST", "ST_conf")}, index=PROBLEM["names"])
    table["base_rows"] = len(complete)
    return table


def analyse(base_rows: int, seeds: int) -> dict[str, pd.DataFrame]:
    """The indices of both outcomes, from `base_rows` base rows (a power of 2) and `seeds` seeds per point."""
    sample = sobol_sample.sample(PROBLEM, base_rows, calc_second_order=False, seed=ROOT_SEED)
    design = pd.DataFrame(sample, columns=PROBLEM["names"])
    values = point_values(design, seeds)
    return {outcome: indices(values[outcome].to_numpy()) for outcome in values.columns}


def main(argv: list[str] | None = None) -> dict[str, pd.DataFrame]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="64 base rows x 8 seeds instead of 512 x 20")
    args = parser.parse_args(argv)
    base_rows, seeds = (64, 8) if args.quick else (512, 20)
    points = base_rows * (PROBLEM["num_vars"] + 2)
    print(f"{points} design points x {seeds} seeds = {points * seeds} runs")
    results = analyse(base_rows, seeds)
    for outcome, table in results.items():
        print(f"\nSobol' indices of {outcome} ({table['base_rows'].iloc[0]} base rows):")
        print(table.drop(columns="base_rows").round(3).to_string())
    return results


if __name__ == "__main__":
    main()
