"""US pressure against the deal: how hard and how credibly the US presses (0..1) against the
level agreed, the deadline, the rounds it takes, the holdouts and the probability of a deal;
and the posture arms: the Hague talks under the US posture of other dates and administrations
(no US pressure, Obama 2014, Trump 2017-2020, Biden 2021-2024, Trump 2025), each read from the
dated statements (experiments/posture_arms.py).

    .venv/bin/python -m experiments.us_pressure            # configs/sweeps/us_pressure.toml, and the arms
    .venv/bin/python -m experiments.us_pressure --quick    # 11 pressure levels and 5 arms x 4 seeds

Writes to results/experiments/us_pressure/ (results/experiments/us_pressure_quick/ with --quick): sweep/ (the sweep's results directory), us_pressure_summary.parquet
(one row per pressure level), us_pressure.png, posture_arms_sweep/ (the arms' results directory),
posture_arms_summary.parquet (one row per arm), posture_arms.png and summary.md (both).
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd

from experiments.aggregate import holdout_counts, share, spread, summary_table, with_spread
from experiments.common import Experiment, Findings, SweepRun, finish, guarded, hague_pressure, run_spec
from experiments.figures import band, interval_note, pyplot
from experiments.posture_arms import ARMS_NAME, posture_arms
from experiments.posture_arms_report import analyse_arms
from experiments.prose import fmt, markdown_table, provenance
from experiments.saturation import saturation_sentence

EXPERIMENT = Experiment("us_pressure", quick_changes={"runs": {"replicates": 4, "batch_size": 12},
                                                      "parameters": {"us_pressure": {"steps": 11}}})
ARMS_SWEEP_DIR = f"{ARMS_NAME}_sweep"  # the arms' results directory, beside the pressure sweep's
PANELS = (  # column, y label, runs with a deal only
    ("core_target_pct", "core defence target (% of GDP)", True),
    ("deadline_year", "deadline (year)", True),
    ("rounds", "rounds of talks (rounds)", False),
    ("n_holdouts", "holdouts at the end (allies)", False),
    ("extra_spending_usd_bn", "extra spending at deadline (USD bn/year)", False),
)


def analyse(sweep: SweepRun) -> Findings:
    runs, by = sweep.runs, ["us_pressure"]
    table = pressure_table(runs)
    return Findings(table, plot(runs, by, runs.groupby(by).size().min()), summary(runs, table, sweep.meta))


def pressure_table(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per pressure level: the outcomes with their 90% bands, and the allies reaching the
    core level by the deadline (runs with a deal), which say what pressure buys after the deal."""
    return with_spread(summary_table(runs, ["us_pressure"]), runs, ["us_pressure"], "allies_on_track")


def plot(runs, by, seeds: int):
    plt = pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5), sharex=True)
    axes = axes.ravel()
    band(axes[0], share(runs, by, "deal"), "us_pressure", color="black")
    axes[0].set_ylabel("probability of a deal (share of runs)")
    axes[0].set_ylim(-0.02, 1.02)
    deals = runs[runs["deal"]]
    for ax, (column, label, deal_only) in zip(axes[1:], PANELS):
        band(ax, spread(deals if deal_only else runs, by, column), "us_pressure")
        ax.set_ylabel(label + ("\n(runs with a deal)" if deal_only else ""))
    for ax in axes:
        ax.axvline(hague_pressure(), color="0.6", ls=":", lw=1)
        ax.grid(alpha=0.3)
    fig.supxlabel("US pressure (0 = a mild request, 1 = a fully credible threat to disengage)")
    fig.suptitle(f"US pressure and the Hague 2025 talks; dotted line: the Hague level ({hague_pressure():g})\n"
                 f"{interval_note(seeds)}", fontsize=10)
    return fig


def summary(runs, table, meta) -> str:
    low, high = table.iloc[0], table.iloc[-1]
    hague = table.iloc[int(np.argmin(np.abs(table["us_pressure"] - hague_pressure())))]
    likely = table.loc[table["deal_probability"] >= 0.5, "us_pressure"]
    threshold = (f"a deal is more likely than not at {len(likely)} of {len(table)} pressure levels "
                 f"(between {likely.min():.2f} and {likely.max():.2f})" if len(likely)
                 else "a deal is never more likely than not in this range")
    with_deal = table.dropna(subset=["core_target_pct"])
    first, last = (with_deal.iloc[0], with_deal.iloc[-1]) if len(with_deal) else (low, high)
    trend = (np.corrcoef(table["us_pressure"], table["deal_probability"])[0, 1]
             if len(table) > 2 and table["deal_probability"].std() > 0 else np.nan)
    at_hague = runs[np.isclose(runs["us_pressure"], hague["us_pressure"])]
    frequent = holdout_counts(at_hague).head(5)
    holdouts = ", ".join(f"{code} ({value:.0%})" for code, value in frequent.items()) or "none"
    columns = ["us_pressure", "runs", "deal_probability", "core_target_pct", "deadline_year", "rounds", "n_holdouts"]
    return f"""# US pressure and the deal

{provenance(meta)}

## What the sweep found

- The probability of a deal is {fmt(low['deal_probability'])} at US pressure {low['us_pressure']:.2f} and
  {fmt(high['deal_probability'])} at {high['us_pressure']:.2f}; {threshold}. Across pressure levels the
  probability of a deal and the pressure correlate at r = {fmt(trend)}.
- When there is a deal, the core target averages {fmt(first['core_target_pct'])}% of GDP at pressure
  {first['us_pressure']:.2f} and {fmt(last['core_target_pct'])}% at {last['us_pressure']:.2f}
  ({fmt(last['core_target_pct'] - first['core_target_pct'], sign=True)} pp); at the Hague level ({hague['us_pressure']:.2f})
  it is {fmt(hague['core_target_pct'])}% by {fmt(hague['deadline_year'], 0)} on average.
- The talks last {fmt(low['rounds'], 1)} rounds on average at the lowest pressure and {fmt(high['rounds'], 1)}
  at the highest, ending with {fmt(low['n_holdouts'], 1)} and {fmt(high['n_holdouts'], 1)} holdouts.
- Most frequent holdouts at the Hague level: {holdouts}.
- {saturation_sentence(table, "us_pressure", "US pressure")} (1.00 is the top of the pressure scale, a
  fully credible threat to disengage.)

## By pressure level (means; targets and deadlines over runs with a deal)

{markdown_table(table[columns])}

Figure: `us_pressure.png` (means with 90% intervals over seeds).
"""


def run(args) -> None:
    """The pressure sweep, then the posture arms on the same scenario and seeds, written together."""
    pressure = analyse(EXPERIMENT.run(args))
    arms = posture_arms(EXPERIMENT, args.quick)
    found = analyse_arms(run_spec(arms.spec, args, args.out / ARMS_SWEEP_DIR), arms)
    finish(args.out, EXPERIMENT.name, pressure, beside={ARMS_NAME: found})


def main(argv=None) -> int:
    args = EXPERIMENT.options(argv, __doc__)
    return guarded(EXPERIMENT.name, lambda: run(args))


if __name__ == "__main__":
    sys.exit(main())
