"""Threat shocks during the talks: an escalation (the threat level jumps up) or a ceasefire (it
drops), arriving early, midway or late, against the deal the allies reach.

    .venv/bin/python -m experiments.threat_shocks            # configs/sweeps/threat_shocks.toml
    .venv/bin/python -m experiments.threat_shocks --quick    # 5 shock sizes x 2 timings x 4 seeds

Writes to results/experiments/threat_shocks/ (results/experiments/threat_shocks_quick/ with --quick): sweep/ (the sweep's results directory), threat_shocks_summary.parquet
(one row per shock and timing), threat_shocks.png and summary.md.
"""

from __future__ import annotations

import sys

import numpy as np

from experiments.aggregate import share, spread, summary_table
from experiments.common import Experiment, Findings, SweepRun
from experiments.figures import band, interval_note, pyplot, series_style
from experiments.prose import fmt, markdown_table, provenance
from experiments.saturation import same_runs

EXPERIMENT = Experiment("threat_shocks", quick_changes={
    "runs": {"replicates": 4, "batch_size": 10},
    "parameters": {"threat_shock": {"steps": 5}, "threat_shock_round": [2, 10]}})
BY = ["threat_shock_round", "threat_shock"]
PANELS = (  # column, y label, runs with a deal only
    ("core_target_pct", "core defence target (% of GDP)\n(runs with a deal)", True),
    ("deadline_year", "deadline (year)\n(runs with a deal)", True),
    ("rounds", "rounds of talks (rounds)", False),
)


def analyse(sweep: SweepRun) -> Findings:
    table = summary_table(sweep.runs, BY)
    params = sweep.spec.scenario.params  # the base the shocks are added to
    return Findings(table, plot(sweep.runs, sweep.runs.groupby(BY).size().min()), summary(table, sweep.meta, params))


def plot(runs, seeds: int):
    plt = pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), sharex=True)
    axes = axes.ravel()
    deals = runs[runs["deal"]]
    for index, (timing, group) in enumerate(runs.groupby("threat_shock_round")):
        style = {"label": f"shock from round {timing}", **series_style(index)}
        band(axes[0], share(group, ["threat_shock"], "deal"), "threat_shock", **style)
        for ax, (column, _, deal_only) in zip(axes[1:], PANELS):
            frame = deals[deals["threat_shock_round"] == timing] if deal_only else group
            band(ax, spread(frame, ["threat_shock"], column), "threat_shock", **style)
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


def effective_threat(base: float, shock):
    """The threat level the talks see after a shock: base + shock, clipped to the 0..1 scale
    (sim.model.perception.threat_level_in_round)."""
    return np.clip(base + np.asarray(shock, dtype=float), 0.0, 1.0)


def distinct_ends(shocks, base: float) -> tuple[float, float, str]:
    """The mildest ceasefire and escalation that reach the sweep's lowest and highest effective
    threat (larger shocks beyond them clip to the same level and so give the same results),
    and a sentence saying where the sweep saturates."""
    shocks = sorted(float(x) for x in shocks)
    levels = effective_threat(base, shocks)
    calm = shocks[int(np.flatnonzero(levels == levels.min())[-1])]
    worst = shocks[int(np.flatnonzero(levels == levels.max())[0])]
    notes = []
    for run in same_runs(shocks, list(levels)):
        level = float(effective_threat(base, run[0]))
        notes.append(f"shocks {run[0]:+.2f} to {run[-1]:+.2f} all give an effective threat of {level:.2f} "
                     f"(the scale's {'top' if level >= 1.0 else 'bottom'})")
    if not notes:
        return calm, worst, (f"From a base threat of {base:.2f}, every shock swept gives a distinct effective threat "
                             "level: the sweep does not saturate.")
    return calm, worst, (f"The sweep saturates: from a base threat of {base:.2f}, " + "; ".join(notes)
                         + ", so their results are identical; the effects below are for the largest distinct "
                         f"effective levels (ceasefire {calm:+.2f}, escalation {worst:+.2f}).")


JUMP = 0.15  # a change in deal probability this large between neighbouring levels counts as a reversal


def reversals(group) -> bool:
    """Whether the deal probability goes up and down (by more than JUMP each way) over the ceasefires."""
    steps = np.diff(group.loc[group.index < 0, "deal_probability"].to_numpy())
    return bool(np.any(steps > JUMP) and np.any(steps < -JUMP))


CEASEFIRE_NOTE = (
    "A ceasefire during the talks lowers every ally's threat, which lowers its ideal level and narrows "
    "the yearly increase its parliament will ratify (Putnam 1988): in the shock's round each ally needs "
    "more years for the same level, the draft's deadline jumps later and nearly every ally accepts; "
    "either all do and the deal is closed on the spot, or in the next rounds the draft's level falls, "
    "its deadline comes back a year and four or five laggards, with their narrower ramps, reject, more "
    "than the summit can carry with side letters. Which way it goes turns on thresholds (a whole-year "
    "deadline, at most {holdouts} holdouts carried, the few rounds left), so the ups and downs of the "
    "deal probability across ceasefire sizes{where} are an artefact of those thresholds, not a finding: "
    "read them as \"a ceasefire during the talks makes the deal fragile\", not as an effect of its size.")


def summary(table, meta, params) -> str:
    calm, worst, saturation = distinct_ends(table["threat_shock"].unique(), params.threat_level)
    lines = []
    jagged = []
    for timing, group in table.groupby("threat_shock_round"):
        group = group.set_index("threat_shock")
        none = group.index[np.argmin(np.abs(group.index))]
        core = group["core_target_pct"]
        if reversals(group):
            jagged.append(int(timing))
        lines.append(
            f"- Shock from round {timing}: a ceasefire of {calm:+.2f} moves the core target by "
            f"{fmt(core[calm] - core[none], sign=True)} pp and an escalation of {worst:+.2f} by "
            f"{fmt(core[worst] - core[none], sign=True)} pp "
            f"(from {fmt(core[none])}% of GDP without a shock); the probability of a deal is "
            f"{fmt(group.loc[calm, 'deal_probability'])} / {fmt(group.loc[none, 'deal_probability'])} / "
            f"{fmt(group.loc[worst, 'deal_probability'])} (ceasefire / none / escalation), and the deadline "
            f"{fmt(group.loc[calm, 'deadline_year'], 1)} / {fmt(group.loc[none, 'deadline_year'], 1)} / "
            f"{fmt(group.loc[worst, 'deadline_year'], 1)}.")
    escalation = table[table["threat_shock"] == worst].set_index("threat_shock_round")
    early, late = escalation.index.min(), escalation.index.max()
    timing = (f"- Timing: the strongest distinct escalation ({worst:+.2f}) gives a core target of "
              f"{fmt(escalation.loc[early, 'core_target_pct'])}% when it comes in round {early} and "
              f"{fmt(escalation.loc[late, 'core_target_pct'])}% in round {late}.")
    if jagged:
        rounds = ", ".join(str(r) for r in jagged)
        where = f" (here for a shock from round{'s' if len(jagged) > 1 else ''} {rounds})"
        timing += "\n- Limitation: " + CEASEFIRE_NOTE.format(holdouts=params.max_flexibility_holdouts, where=where)
    columns = ["threat_shock_round", "threat_shock", "runs", "deal_probability", "core_target_pct", "deadline_year",
               "rounds", "n_holdouts"]
    return f"""# Threat shocks during the talks

{provenance(meta)}

## What the sweep found

{saturation}

{chr(10).join(lines)}
{timing}

## By shock and timing (means; targets and deadlines over runs with a deal)

{markdown_table(table[columns])}

Figure: `threat_shocks.png` (means with 90% intervals over seeds).
"""


def main(argv=None) -> int:
    return EXPERIMENT.main(analyse, argv, __doc__)


if __name__ == "__main__":
    sys.exit(main())
