"""Global sensitivity of the Hague 2025 outcome: Sobol' indices of the deal probability, the
core level, the deadline, the number of holdouts and the allies keeping the pledge to the levers
and the behavioural parameters the calibration searches. The levers vary over the scenario's
value +-30% (clipped to the allowed range); the behavioural parameters either the same way
(`--ranges around`, the default: what moves the outcome near the fitted defaults) or over the
calibration's search ranges (`--ranges prior`: what the fit's priors leave to learn, the screen
that decides which parameters a fit may hold fixed; Saltelli et al. 2008, ch. 4, factor fixing).

    .venv/bin/python -m experiments.global_sensitivity            # 2048 base rows x 24 factors x 16 seeds (minutes)
    .venv/bin/python -m experiments.global_sensitivity --ranges prior
    .venv/bin/python -m experiments.global_sensitivity --quick    # 64 base rows x 24 factors x 4 seeds (seconds)

Writes to results/sensitivity/ (results/sensitivity_prior/ with --ranges prior; a _quick suffix
with --quick): sobol_indices.parquet (one row per outcome x parameter), sobol_indices.png and
summary.md. The method (the design, how runs without a deal enter the outcomes given a deal, and
what the seed noise does to the indices) is `sim/analysis/sensitivity.py`; this module runs it
on the Hague scenario and reports.
"""

from __future__ import annotations

import argparse
import sys
import time
from enum import StrEnum
from pathlib import Path

import pandas as pd

from experiments.common import add_output_flags, argument_parser, default_out, guarded
from experiments.prose import fmt, markdown_table
from sim.analysis.sensitivity import (BEHAVIOURAL, DUMMY, LEVERS, RELATIVE_SPREAD, Response, SensitivityProblem,
                                      ranked, sobol_analysis)
from sim.analysis.sensitivity_figure import sensitivity_figure
from sim.model.scenario import ScenarioError, load_scenario
from sim.sweeps.results import code_version

MODULE = "global_sensitivity"
RESULTS = "sensitivity"  # results/sensitivity[_quick]: where docs/sensitivity.md points
SCENARIO = "hague2025"
SEED = 1966
BASE_SAMPLES, REPLICATES = 2048, 16
QUICK_BASE_SAMPLES, QUICK_REPLICATES = 64, 4
DRIVER = 0.10  # a parameter drives an outcome when its total index is at least this and above the dummy's
NEGLIGIBLE = 0.05  # ... and can be fixed when the top of its interval is below this, or it overlaps the dummy's
SHOWN = 5  # drivers named per outcome in the summary
TABLE, FIGURE, SUMMARY = "sobol_indices.parquet", "sobol_indices.png", "summary.md"


class Ranges(StrEnum):
    """Where the behavioural parameters vary."""

    AROUND = "around"  # the scenario's value +-RELATIVE_SPREAD
    PRIOR = "prior"  # the calibration's search ranges (experiments/calibrate.py SEARCH_SPACE)

    @property
    def results(self) -> str:
        return RESULTS if self is Ranges.AROUND else f"{RESULTS}_{self.value}"

    @property
    def description(self) -> str:
        return (f"each over the scenario's value ±{RELATIVE_SPREAD:.0%} clipped to its allowed range"
                if self is Ranges.AROUND else
                f"the levers over the scenario's value ±{RELATIVE_SPREAD:.0%} clipped to their allowed range, "
                "the behavioural parameters over the calibration's search ranges (`SEARCH_SPACE` of "
                "`experiments/calibrate.py`)")


def sensitivity_problem(scenario, ranges: Ranges = Ranges.AROUND) -> SensitivityProblem:
    """The levers and the calibration's parameters over `ranges`, and the dummy factor."""
    from experiments.calibrate import SEARCH_SPACE

    levers = SensitivityProblem.around(scenario.params, LEVERS)
    behavioural = (SensitivityProblem.around(scenario.params, BEHAVIOURAL) if ranges is Ranges.AROUND
                   else SensitivityProblem.over({name: SEARCH_SPACE[name] for name in BEHAVIOURAL}))
    return SensitivityProblem((*levers.factors, *behavioural.factors)).with_dummy()


def options(argv) -> argparse.Namespace:
    flags = argument_parser(MODULE, __doc__)
    add_output_flags(flags, RESULTS, root=Path("results"), quick_help="a small design (seconds) to check the pipeline")
    flags.add_argument("--ranges", type=Ranges, choices=list(Ranges), default=Ranges.AROUND,
                       help="where the behavioural parameters vary: around the defaults (default) or over the "
                            f"calibration's search ranges (writes to results/{Ranges.PRIOR.results} unless --out)")
    flags.add_argument("--base-samples", type=int, help=f"Sobol' base rows, a power of two (default {BASE_SAMPLES}, "
                                                        f"{QUICK_BASE_SAMPLES} with --quick)")
    flags.add_argument("--replicates", type=int, help=f"seeds per design point (default {REPLICATES}, "
                                                      f"{QUICK_REPLICATES} with --quick)")
    flags.add_argument("--seed", type=int, default=SEED, help=f"root seed (default {SEED})")
    flags.add_argument("--force", action="store_true", help="replace results already in --out")
    args = flags.parse_args(argv)
    args.out = args.out or default_out(args.ranges.results, args.quick, root=Path("results"))
    args.base_samples = args.base_samples or (QUICK_BASE_SAMPLES if args.quick else BASE_SAMPLES)
    args.replicates = args.replicates or (QUICK_REPLICATES if args.quick else REPLICATES)
    return args


def analyse(args: argparse.Namespace) -> None:
    if (args.out / TABLE).exists() and not args.force:
        raise FileExistsError(f"{args.out / TABLE} exists; pass --force to replace it, or choose another --out")
    scenario = load_scenario(SCENARIO)
    problem = sensitivity_problem(scenario, args.ranges)
    started = time.perf_counter()
    table = sobol_analysis(scenario, problem, args.base_samples, args.seed, args.replicates, progress=not args.quiet)
    seconds = time.perf_counter() - started
    runs = args.base_samples * (len(problem.factors) + 2) * args.replicates
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_parquet(args.out / TABLE, index=False)
    sensitivity_figure(table, args.out / FIGURE)
    command = (f"-m experiments.{MODULE}" + (f" --ranges {args.ranges}" if args.ranges is not Ranges.AROUND else "")
               + (" --quick" if args.quick else ""))
    (args.out / SUMMARY).write_text(summary(table, args, runs, seconds, command), encoding="utf-8")
    print(f"{MODULE}: {runs} runs in {seconds:.0f} s; wrote " + ", ".join(str(args.out / f)
                                                                        for f in (TABLE, FIGURE, SUMMARY)))


# --- the summary ------------------------------------------------------------------------------

def noise_floor(table: pd.DataFrame, response: Response) -> float:
    """The top of the dummy's total-index interval: what noise alone gives this outcome."""
    dummy = table[(table["outcome"] == response.value) & (table["parameter"] == DUMMY)]
    return float((dummy["ST"] + dummy["ST_conf"]).iloc[0]) if len(dummy) else 0.0


def drivers(table: pd.DataFrame, response: Response) -> pd.DataFrame:
    """The parameters that drive an outcome (ST >= DRIVER, its interval clear of the dummy's),
    most influential first; at least the top one."""
    rows = ranked(table, response)
    rows = rows[rows["parameter"] != DUMMY]
    chosen = rows[(rows["ST"] >= DRIVER) & (rows["ST"] - rows["ST_conf"] > noise_floor(table, response))]
    return chosen if len(chosen) else rows.head(1)


def negligible(table: pd.DataFrame, response: Response) -> list[str]:
    """Parameters that can be fixed: their total index is below NEGLIGIBLE even at the top of its
    interval, or its interval reaches down into the dummy's."""
    rows = ranked(table, response)
    rows = rows[rows["parameter"] != DUMMY]
    small = (rows["ST"] + rows["ST_conf"] < NEGLIGIBLE) | (rows["ST"] - rows["ST_conf"] <= noise_floor(table, response))
    return rows.loc[small, "parameter"].tolist()


def finding(table: pd.DataFrame, response: Response, base_samples: int) -> str:
    rows = ranked(table, response)
    if rows["ST"].isna().all():
        return f"- **{response.label}**: no base row had a value at every point, so no indices."
    chosen = drivers(table, response)
    named = ", ".join(f"`{r.parameter}` (ST {fmt(r.ST)} ± {fmt(r.ST_conf)}, S1 {fmt(r.S1)})"
                      for r in chosen.head(SHOWN).itertuples())
    if len(chosen) > SHOWN:
        named += f" and {len(chosen) - SHOWN} more with ST >= {DRIVER}"
    additive = rows.loc[rows["parameter"] != DUMMY, "S1"].clip(lower=0).sum()
    fixed = negligible(table, response)
    first = rows.iloc[0]
    restricted = (f" Over the {int(first.base_rows)} of {base_samples} base rows with a deal at every point."
                  if first.base_rows < base_samples else "")
    return (f"- **{response.label}**: driven by {named}. First-order indices sum to {fmt(additive)} (one minus this "
            f"is left to interactions and noise); seed noise is {fmt(first.noise_share)} of it and the "
            f"dummy's ST is {fmt(noise_floor(table, response))} at the top of its interval.{restricted} "
            + (f"Can be fixed (ST + interval < {NEGLIGIBLE}, or not above the dummy): "
               f"{', '.join(f'`{p}`' for p in fixed)}." if fixed else "No parameter can be fixed."))


def summary(table: pd.DataFrame, args: argparse.Namespace, runs: int, seconds: float, command: str) -> str:
    ranges = table.drop_duplicates("parameter")[["parameter", "low", "high"]]
    wide = table.pivot(index="parameter", columns="outcome", values="ST").reindex(ranges["parameter"])
    wide = wide[[response.value for response in Response]].reset_index()
    findings = "\n".join(finding(table, response, args.base_samples) for response in Response)
    return f"""# Global sensitivity of the Hague 2025 outcome

Scenario `{SCENARIO}`; {len(ranges) - 1} parameters, {args.ranges.description}, and the `{DUMMY}` factor;
Saltelli's design on a scrambled Sobol' sequence with {args.base_samples} base rows
({args.base_samples * (len(ranges) + 2)} design points), {args.replicates} seeds per point ({runs} runs on the batch engine, {seconds:.0f} s), root seed {args.seed}, code {code_version()}.
Command: `.venv/bin/python {command}`.

S1 is the share of an outcome's variance a parameter explains alone, ST adds its interactions;
intervals are 95% bootstrap half-widths. A parameter *drives* an outcome here when ST >= {DRIVER}
and its interval is clear of the `{DUMMY}` factor's ST (a factor the model never sees, so its
indices are the noise floor).
Level, deadline and the allies keeping the pledge are analysed given a deal (see `sim/analysis/sensitivity.py`).

## What the analysis found

{findings}

## Total indices ST (rows: parameters; columns: outcomes)

{markdown_table(wide, digits=3)}

## Ranges

{markdown_table(ranges, digits=4)}

Table: `{TABLE}` (all indices with intervals); figure: `{FIGURE}`.
"""


def main(argv=None) -> int:
    args = options(argv)
    return guarded(MODULE, lambda: analyse(args), (ScenarioError, FileExistsError, ValueError))


if __name__ == "__main__":
    sys.exit(main())
