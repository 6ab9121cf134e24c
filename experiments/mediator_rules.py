"""Mediator rules: how the Secretary General drafts the package (compromise: the clout x
salience weighted mean; the weighted median; Nash bargaining; Thomson et al. 2006), under
light, Hague-like and maximal US pressure, against the outcome and the one-shot prediction
of the same rule from the opening positions.

    .venv/bin/python -m experiments.mediator_rules            # configs/sweeps/mediator_rules.toml
    .venv/bin/python -m experiments.mediator_rules --quick    # 3 rules x 3 pressure levels x 4 seeds

Writes to results/experiments/mediator_rules/ (results/experiments/mediator_rules_quick/ with --quick): sweep/ (the sweep's results directory), mediator_rules_summary.parquet
(one row per rule and pressure), mediator_rules.png and summary.md.
"""

from __future__ import annotations

import sys

import numpy as np

from experiments.aggregate import share, spread, summary_table, with_spread
from experiments.common import Experiment, Findings, SweepRun, hague_pressure
from experiments.figures import SERIES_COLOURS, points, pyplot
from experiments.prose import fmt, markdown_table, provenance
from experiments.saturation import flat_end

EXPERIMENT = Experiment("mediator_rules", quick_changes={"runs": {"replicates": 4, "batch_size": 12}})
BY = ["mediator_rule", "us_pressure"]
BASELINE = {"compromise": "baseline_weighted_mean", "median": "baseline_weighted_median", "nash": "baseline_nash"}
PRESSURE_NAMES = {0.4: "light", 0.9: "strong", 1.0: "the Hague's, maximal"}  # the spec's levels, by name
DODGE = 0.18  # how far apart the rules' points stand at one level (the levels are 1 apart)
PANELS = (  # column, y label, runs with a deal only
    ("core_target_pct", "core defence target (% of GDP)\n(runs with a deal)", True),
    ("deadline_year", "deadline (year)\n(runs with a deal)", True),
    ("rounds", "rounds of talks (rounds)", False),
    ("n_holdouts", "holdouts at the end (allies)", False),
    ("versus_baseline_pp", "negotiated core minus the rule's one-shot\nprediction (pp of GDP, runs with a deal)", True),
)


def analyse(sweep: SweepRun) -> Findings:
    runs = sweep.runs.assign(versus_baseline_pp=sweep.runs["core_target_pct"] - baseline_of(sweep.runs))
    table = with_spread(summary_table(runs, BY), runs[runs["deal"]], BY, "versus_baseline_pp")
    return Findings(table, plot(runs, runs.groupby(BY).size().min()), summary(table, sweep.meta))


def baseline_of(runs):
    """Each run's one-shot prediction by its own mediator rule (% of GDP)."""
    values = np.full(len(runs), np.nan)
    for rule, column in BASELINE.items():
        mask = (runs["mediator_rule"] == rule).to_numpy()
        values[mask] = runs.loc[mask, column].to_numpy()
    return values


def plot(runs, seeds: int):
    """The rules side by side at each pressure level, as points with their intervals: three
    levels (light, strong, the Hague's) are categories, not a curve to draw between them."""
    plt = pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5), sharex=True)
    axes = axes.ravel()
    deals = runs[runs["deal"]]
    levels = sorted(runs["us_pressure"].unique())
    positions = {level: float(i) for i, level in enumerate(levels)}
    rules = list(runs.groupby("mediator_rule").groups)
    for index, (rule, group) in enumerate(runs.groupby("mediator_rule")):
        style = {"label": rule, "color": SERIES_COLOURS[index % len(SERIES_COLOURS)],
                 "offset": DODGE * (index - (len(rules) - 1) / 2)}
        points(axes[0], share(group, ["us_pressure"], "deal"), "us_pressure", positions, **style)
        for ax, (column, _, deal_only) in zip(axes[1:], PANELS):
            frame = deals[deals["mediator_rule"] == rule] if deal_only else group
            points(ax, spread(frame, ["us_pressure"], column), "us_pressure", positions, **style)
    axes[0].set_ylabel("probability of a deal (share of runs)")
    axes[0].set_ylim(-0.02, 1.05)
    for ax, (_, label, _) in zip(axes[1:], PANELS):
        ax.set_ylabel(label)
    axes[-1].axhline(0.0, color="0.6", ls=":", lw=1)
    for ax in axes:
        ax.grid(axis="y", alpha=0.3)
        ax.set_xticks(list(positions.values()), [pressure_label(level) for level in levels])
        ax.set_xlim(-0.5, len(levels) - 0.5)
        ax.tick_params(labelbottom=True)
    axes[0].legend(title="mediator rule", fontsize=8)
    fig.supxlabel("US pressure (0 = a mild request, 1 = a fully credible threat to disengage)")
    fig.suptitle(f"Mediator rules in the Hague 2025 talks\npoints: mean over {seeds} seeds; bars: 90% interval "
                 "(5th-95th percentile of runs; Wilson interval for probabilities)", fontsize=10)
    return fig


def pressure_label(level: float) -> str:
    """A pressure level's tick: its value, and its name where it has one."""
    name = PRESSURE_NAMES.get(round(float(level), 2))
    return f"{level:g}" + (f"\n({name})" if name else "")


def summary(table, meta) -> str:
    pressure = table["us_pressure"].iloc[int(np.argmin(np.abs(table["us_pressure"] - hague_pressure())))]
    hague = table[table["us_pressure"] == pressure].set_index("mediator_rule")
    ranked = hague["core_target_pct"].dropna().sort_values(ascending=False)
    order = " > ".join(f"{rule} ({value:.2f}%)" for rule, value in ranked.items()) or "no rule reaches a deal"
    lines = [f"- {rule}: deal probability {fmt(row['deal_probability'])}, core target {fmt(row['core_target_pct'])}% "
             f"by {fmt(row['deadline_year'], 1)}, {fmt(row['rounds'], 1)} rounds, {fmt(row['n_holdouts'], 1)} holdouts; "
             f"the negotiated core is {fmt(row['versus_baseline_pp'])} pp from the rule's one-shot prediction"
             for rule, row in hague.iterrows()]
    gaps = []
    for level, targets in table.groupby("us_pressure")["core_target_pct"]:
        targets = targets.dropna()
        gaps.append(f"{targets.max() - targets.min():.2f} pp at pressure {level:.2f}" if len(targets) > 1
                    else f"not defined at pressure {level:.2f} (deals under {len(targets)} rule)")
    saturated = []
    for rule, rows in table.groupby("mediator_rule"):
        flat = flat_end(rows, "us_pressure", ("deal_probability", "core_target_pct", "deadline_year", "n_holdouts"))
        if flat is not None:
            saturated.append(f"{rule} from pressure {flat[0]:.2f} up to {flat[1]:.2f}")
    saturation = ("The sweep saturates (identical outcomes at the highest pressure levels): " + "; ".join(saturated) + "."
                  if saturated else "No rule's outcomes stop changing at the top of the pressure range: the sweep "
                  "does not saturate.")
    columns = [*BY, "runs", "deal_probability", "core_target_pct", "deadline_year", "rounds", "n_holdouts",
               "versus_baseline_pp"]
    return f"""# Mediator rules and the deal

{provenance(meta)}

## What the sweep found

At US pressure {pressure:.2f} (the Hague level), the rules rank by core target: {order}.

{chr(10).join(lines)}

The gap between the highest and lowest rule's mean core target is
{"; ".join(gaps)}.

{saturation}

## By rule and pressure (means; targets and deadlines over runs with a deal)

{markdown_table(table[columns])}

Figure: `mediator_rules.png` (means with 90% intervals over seeds).
"""


def main(argv=None) -> int:
    return EXPERIMENT.main(analyse, argv, __doc__)


if __name__ == "__main__":
    sys.exit(main())
