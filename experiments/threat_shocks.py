"""Threat shocks during the talks: an escalation (the threat level jumps up) or a ceasefire (it
drops), arriving early, midway or late, against the deal the allies reach.

    .venv/bin/python experiments/threat_shocks.py            # configs/sweeps/threat_shocks.toml
    .venv/bin/python experiments/threat_shocks.py --quick    # 5 shock sizes x 2 timings x 4 seeds

Writes to results/threat_shocks/: runs/ (the sweep's Parquet shards), threat_shocks_summary.parquet
(one row per shock and timing), threat_shocks.png and summary.md.
"""

from __future__ import annotations

import sys

import numpy as np

from experiment import (Experiment, band, fmt, interval_note, main_guard, markdown_table, provenance, pyplot,
                        save, share, spread, summary_table, write_outputs)

EXPERIMENT = Experiment("threat_shocks", quick_changes={
    "runs": {"replicates": 4, "batch_size": 10},
    "parameters": {"threat_shock": {"steps": 5}, "threat_shock_round": [2, 10]}})
BY = ["threat_shock_round", "threat_shock"]
PANELS = (  # column, y label, runs with a deal only
    ("core_target_pct", "core defence target (% of GDP)\n(runs with a deal)", True),
    ("deadline_year", "deadline (year)\n(runs with a deal)", True),
    ("rounds", "rounds of talks (rounds)", False),
)


def analyse(experiment: Experiment, args) -> None:
    runs, meta = experiment.run(args)
    table = summary_table(runs, BY)
    figure = plot(runs, runs.groupby(BY).size().min())
    saved = [save(figure, args.out / "threat_shocks.png")]
    saved += write_outputs(args.out, "threat_shocks", table, summary(table, meta))
    print("wrote " + ", ".join(str(p) for p in saved))


def plot(runs, seeds: int):
    plt = pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), sharex=True)
    axes = axes.ravel()
    deals = runs[runs["deal"]]
    for timing, group in runs.groupby("threat_shock_round"):
        label = f"shock from round {timing}"
        band(axes[0], share(group, ["threat_shock"], "deal"), "threat_shock", label=label)
        for ax, (column, _, deal_only) in zip(axes[1:], PANELS):
            frame = deals[deals["threat_shock_round"] == timing] if deal_only else group
            band(ax, spread(frame, ["threat_shock"], column), "threat_shock", label=label)
    axes[0].set_ylabel("probability of a deal (share of runs)")
    axes[0].set_ylim(-0.02, 1.02)
    for ax, (_, label, _) in zip(axes[1:], PANELS):
        ax.set_ylabel(label)
    for ax in axes:
        ax.axvline(0.0, color="0.6", ls=":", lw=1)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.supxlabel("threat shock (change to the threat level, 0..1 scale; < 0 ceasefire, > 0 escalation)")
    fig.suptitle(f"Threat shocks during the Hague 2025 talks\n{interval_note(seeds)}", fontsize=10)
    return fig


def summary(table, meta) -> str:
    lines = []
    for timing, group in table.groupby("threat_shock_round"):
        group = group.set_index("threat_shock")
        calm, worst, none = group.index.min(), group.index.max(), group.index[np.argmin(np.abs(group.index))]
        core = group["core_target_pct"]
        lines.append(
            f"- Shock from round {timing}: a ceasefire of {calm:+.2f} moves the core target by "
            f"{fmt(core[calm] - core[none], sign=True)} pp and an escalation of {worst:+.2f} by "
            f"{fmt(core[worst] - core[none], sign=True)} pp "
            f"(from {fmt(core[none])}% of GDP without a shock); the probability of a deal is "
            f"{fmt(group.loc[calm, 'deal_probability'])} / {fmt(group.loc[none, 'deal_probability'])} / "
            f"{fmt(group.loc[worst, 'deal_probability'])} (ceasefire / none / escalation), and the deadline "
            f"{fmt(group.loc[calm, 'deadline_year'], 1)} / {fmt(group.loc[none, 'deadline_year'], 1)} / "
            f"{fmt(group.loc[worst, 'deadline_year'], 1)}.")
    escalation = table[table["threat_shock"] == table["threat_shock"].max()].set_index("threat_shock_round")
    early, late = escalation.index.min(), escalation.index.max()
    timing = (f"- Timing: the strongest escalation gives a core target of {fmt(escalation.loc[early, 'core_target_pct'])}% "
              f"when it comes in round {early} and {fmt(escalation.loc[late, 'core_target_pct'])}% in round {late}.")
    columns = ["threat_shock_round", "threat_shock", "runs", "deal_probability", "core_target_pct", "deadline_year",
               "rounds", "n_holdouts"]
    return f"""# Threat shocks during the talks

{provenance(meta)}

## What the sweep found

{chr(10).join(lines)}
{timing}

## By shock and timing (means; targets and deadlines over runs with a deal)

{markdown_table(table[columns])}

Figure: `threat_shocks.png` (means with 90% intervals over seeds).
"""


def main(argv=None) -> int:
    return main_guard(analyse, EXPERIMENT, argv, __doc__)


if __name__ == "__main__":
    sys.exit(main())
