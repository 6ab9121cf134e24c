"""Negotiation protocols side by side across US pressure: the Secretary General's single
negotiating text (mediator); agenda-setter rounds under unanimity, where an ally recognised by
clout tables the most every member signs (Romer & Rosenthal 1978; docs/ODD.md 7.6b); bilateral
expected-utility challenges with the median position tabled (Bueno de Mesquita 1994; 7.6c);
exchanges of positions on the level and the deadline with the expected outcome tabled (Stokman &
Van Oosten 1994; 7.6d); and Baron-Ferejohn proposer rounds, where the recognised ally buys the
votes it needs at their continuation values (Baron & Ferejohn 1989; 7.6e). For each: the
probability of a deal, the core level, the deadline, the rounds and the holdouts.

    .venv/bin/python -m experiments.protocols            # configs/sweeps/protocols.toml
    .venv/bin/python -m experiments.protocols --quick    # 5 protocols x 6 pressure levels x 4 seeds

Writes to results/experiments/protocols/ (results/experiments/protocols_quick/ with --quick): sweep/ (the
sweep's results directory), protocols_summary.parquet (one row per protocol and pressure level),
protocols.png and summary.md.

The summary reports, per protocol, the outcome at the Hague pressure (0.9), the largest jump in
the probability of a deal between neighbouring pressure levels (against the limit of 0.3
between levels 0.05 apart) with what causes any larger jump (a cliff), where the sweep
saturates and how many rounds the talks take.
"""

from __future__ import annotations

import sys

import numpy as np

from experiments.aggregate import Z90, holdout_counts, share, spread, summary_table
from experiments.common import Experiment, Findings, SweepRun, hague_pressure
from experiments.figures import band, interval_note, pyplot, series_style
from experiments.prose import fmt, markdown_table, provenance
from experiments.saturation import flat_end
from sim.model import win_set

EXPERIMENT = Experiment("protocols", quick_changes={"runs": {"replicates": 4, "batch_size": 12},
                                                    "parameters": {"us_pressure": [0.0, 0.5, 0.85, 0.9, 0.95, 1.0]}})
BY = ["protocol", "us_pressure"]
STEP = 0.05  # the pressure step the jump limit is stated for
MAX_JUMP = 0.3  # the largest change in deal probability allowed between levels STEP apart
PANELS = (  # column, y label, runs with a deal only
    ("core_target_pct", "core defence target (% of GDP)\n(runs with a deal)", True),
    ("deadline_year", "deadline (year)\n(runs with a deal)", True),
    ("rounds", "rounds of talks (rounds)", False),
    ("n_holdouts", "holdouts at the end (allies)", False),
)


def analyse(sweep: SweepRun) -> Findings:
    runs, params = sweep.runs, sweep.spec.scenario.params
    table = summary_table(runs, BY)
    return Findings(table, plot(runs, runs.groupby(BY).size().min()), summary(runs, table, sweep.meta, params))


def plot(runs, seeds: int):
    """One panel per outcome on a grid of two rows, one line per protocol; the last cell holds
    the legend."""
    plt = pyplot()
    columns = 3
    rows = -(-(1 + len(PANELS) + 1) // columns)  # the outcomes and the legend's cell
    fig, grid = plt.subplots(rows, columns, figsize=(13, 4.0 * rows), sharex=True)
    grid = grid.ravel()
    axes, spare = grid[:1 + len(PANELS)], grid[1 + len(PANELS):]
    deals = runs[runs["deal"]]
    for index, (protocol, group) in enumerate(runs.groupby("protocol")):
        style = {"label": protocol, **series_style(index)}
        band(axes[0], share(group, ["us_pressure"], "deal"), "us_pressure", **style)
        for ax, (column, _, deal_only) in zip(axes[1:], PANELS):
            frame = deals[deals["protocol"] == protocol] if deal_only else group
            band(ax, spread(frame, ["us_pressure"], column), "us_pressure", **style)
    axes[0].set_ylabel("probability of a deal (share of runs)")
    axes[0].set_ylim(-0.02, 1.02)
    for ax, (_, label, _) in zip(axes[1:], PANELS):
        ax.set_ylabel(label)
    for ax in axes:
        ax.axvline(hague_pressure(), color="0.6", ls=":", lw=1)
        ax.grid(alpha=0.3)
        ax.tick_params(labelbottom=True)
    for ax in spare:
        ax.axis("off")
    spare[0].legend(*axes[0].get_legend_handles_labels(), title="protocol", loc="center", fontsize=9)
    fig.supxlabel("US pressure (0 = a mild request, 1 = a fully credible threat to disengage)")
    fig.suptitle(f"Negotiation protocols in the Hague 2025 talks; dotted line: the Hague level ({hague_pressure():g})\n"
                 f"{interval_note(seeds)}", fontsize=10)
    return fig


# --- the analysis in words ------------------------------------------------------------------------

def us_floor(params, pressure: float) -> tuple[float, float]:
    """The lowest headline the US accepts at this pressure and the lowest core that meets it (% of GDP)."""
    headline = float(win_set.us_reservation_total(pressure, params.us_demand_pct, True))
    core = float(win_set.core_floor(headline, params.related_cap_pct, params.split_enabled))
    return headline, core


def jumps(rows):
    """The changes in deal probability between neighbouring pressure levels of one protocol:
    (lower level, upper level, change), in order of pressure."""
    ordered = rows.sort_values("us_pressure")
    levels, probability = ordered["us_pressure"].to_numpy(), ordered["deal_probability"].to_numpy()
    return [(float(a), float(b), float(q - p)) for a, b, p, q in zip(levels, levels[1:], probability, probability[1:])]


def neighbours(low: float, high: float) -> bool:
    return high - low <= STEP + 1e-9


def cliff_cause(runs, table, params, protocol: str, low: float, high: float) -> str:
    """What makes the deal probability jump between two neighbouring levels: the US floor at the
    level where talks fail more, who holds out there, and why the summit cannot carry them."""
    rows = table[table["protocol"] == protocol].set_index("us_pressure")
    failing, other = (high, low) if rows.loc[high, "deal_probability"] < rows.loc[low, "deal_probability"] else (low, high)
    mine = runs[runs["protocol"] == protocol]
    at_failing = mine[np.isclose(mine["us_pressure"], failing)]
    failed = at_failing[~at_failing["deal"]]
    headline, core = us_floor(params, failing)
    _, core_other = us_floor(params, other)
    agreed = mine[np.isclose(mine["us_pressure"], other) & mine["deal"]]["core_target_pct"]
    highest = (f"; the highest core agreed in any run at {other:.2f} is {agreed.max():.2f}%" if len(agreed) else "")
    us_share = failed["holdouts"].apply(lambda codes: "USA" in list(codes)).mean() if len(failed) else 0.0
    count = failed["n_holdouts"].mean() if len(failed) else 0.0
    frequent = ", ".join(holdout_counts(failed).head(5).index) or "none"
    facts = (f"At {failing:.2f} the US accepts no headline below {headline:.2f}% of GDP, a core of at least "
             f"{core:.2f}% with the related spending allies can count (against {core_other:.2f}% at {other:.2f}){highest}. "
             f"The talks fail in {len(failed)} of {len(at_failing)} runs there, ending with {count:.1f} holdouts on "
             f"average (most often {frequent}); the US is among them in {us_share:.0%} of the failed runs.")
    if us_share >= 0.5:
        cause = ("So the cliff is the US floor: no package the other allies ratify by the latest deadline on the "
                 "table meets it, the US itself rejects, and the summit carries holdouts with side letters only "
                 "with the US on board.")
    elif count > params.max_flexibility_holdouts:
        cause = (f"So the cliff is the side-letter limit: the higher US floor lifts the package above the "
                 f"win-sets of more laggards than the summit will carry with side letters (at most "
                 f"{params.max_flexibility_holdouts}).")
    elif not params.allow_flexibility:
        cause = "So the cliff is a holdout the summit cannot carry: flexibility (side letters) is off."
    else:
        cause = "Neither the US floor nor the side-letter limit accounts for it; see the runs in `sweep/`."
    return facts + " " + cause


def protocol_lines(runs, table, params, protocol: str, pressure: float) -> list[str]:
    rows = table[table["protocol"] == protocol].sort_values("us_pressure")
    hague = rows[np.isclose(rows["us_pressure"], pressure)].iloc[0]
    mine = runs[runs["protocol"] == protocol]
    at_hague = mine[np.isclose(mine["us_pressure"], pressure)]
    frequent = ", ".join(f"{code} ({value:.0%})" for code, value in holdout_counts(at_hague).head(4).items()) or "none"
    lines = [f"- At the Hague pressure ({pressure:.2f}): deal probability {fmt(hague['deal_probability'])} "
             f"(90% interval {fmt(hague['deal_probability_low'])} to {fmt(hague['deal_probability_high'])}); with a "
             f"deal, a core target of {fmt(hague['core_target_pct'])}% of GDP (runs from "
             f"{fmt(hague['core_target_pct_low'])} to {fmt(hague['core_target_pct_high'])}%) by "
             f"{fmt(hague['deadline_year'], 1)}; {fmt(hague['rounds'], 1)} rounds and {fmt(hague['n_holdouts'], 1)} "
             f"holdouts on average (most often: {frequent})."]
    steps = jumps(rows)
    if steps:
        low, high, change = max(steps, key=lambda step: abs(step[2]))
        close = [step for step in steps if neighbours(step[0], step[1])]
        over = [step for step in close if abs(step[2]) > MAX_JUMP + 1e-9]
        spacing = "" if neighbours(low, high) else f" (these levels are {high - low:.2f} apart, not {STEP:.2f})"
        verdict = (f"{len(over)} of the {len(close)} steps of {STEP:.2f} exceed{'s' if len(over) == 1 else ''} "
                   f"the limit of {MAX_JUMP:.1f}: " + ", ".join(f"{a:.2f} to {b:.2f} ({c:+.2f})" for a, b, c in over)
                   if over else f"no step of {STEP:.2f} changes it by more than {MAX_JUMP:.1f}"
                   if close else f"no neighbouring levels are {STEP:.2f} apart, so the limit of {MAX_JUMP:.1f} "
                   "cannot be checked")
        lines.append(f"- Largest jump in deal probability between neighbouring pressure levels: {change:+.2f}, from "
                     f"{low:.2f} to {high:.2f}{spacing}; {verdict}.")
        for a, b, _ in over:
            lines.append(f"  - Cliff from {a:.2f} to {b:.2f}: {cliff_cause(runs, table, params, protocol, a, b)}")
    flat = flat_end(rows, "us_pressure", ("deal_probability", "core_target_pct", "deadline_year", "n_holdouts"))
    lines.append(f"- Saturation: the outcomes are identical from pressure {flat[0]:.2f} up to {flat[1]:.2f}, so the "
                 f"levels above {flat[0]:.2f} add nothing." if flat is not None else
                 "- Saturation: none; the outcomes still change between the two highest pressure levels "
                 f"({rows['us_pressure'].iloc[-2]:.2f} and {rows['us_pressure'].iloc[-1]:.2f}).")
    first_round = (mine["rounds"] == 1).mean()
    deals = mine[mine["deal"]]
    lines.append(f"- Rounds: the talks end in round 1 in {first_round:.0%} of all runs ({len(mine)}); the mean runs from "
                 f"{fmt(rows['rounds'].min(), 1)} to {fmt(rows['rounds'].max(), 1)} rounds across pressure levels "
                 f"({fmt(rows['rounds'].iloc[0], 1)} at {rows['us_pressure'].iloc[0]:.2f}, "
                 f"{fmt(rows['rounds'].iloc[-1], 1)} at {rows['us_pressure'].iloc[-1]:.2f}); runs with a deal take "
                 f"{fmt(float(deals['rounds'].mean()) if len(deals) else float('nan'), 1)} rounds on average (the talks last "
                 f"at most {params.max_rounds} rounds, the last being the summit).")
    return lines


def noise(seeds: int) -> str:
    """How large a jump sampling alone makes plausible with this many seeds."""
    half = Z90 * np.sqrt(0.25 / seeds + Z90**2 / (4 * seeds**2)) / (1 + Z90**2 / seeds)
    verdict = (f"a jump above {MAX_JUMP:.1f} is more than twice that, not sampling noise" if 2 * half < MAX_JUMP
               else f"with so few seeds a jump of {MAX_JUMP:.1f} may be sampling noise")
    return (f"a probability from {seeds} seeds has a 90% interval of up to +/-{half:.2f} (at 0.5), so {verdict}.")


def summary(runs, table, meta, params) -> str:
    levels = np.sort(table["us_pressure"].unique())
    pressure = float(levels[int(np.argmin(np.abs(levels - hague_pressure())))])
    sections = []
    for protocol in sorted(table["protocol"].unique()):
        sections.append(f"### {protocol}\n\n" + "\n".join(protocol_lines(runs, table, params, protocol, pressure)))
    hague = table[np.isclose(table["us_pressure"], pressure)].set_index("protocol")
    gap = ""
    for other in (name for name in hague.index if name != "mediator" and "mediator" in hague.index):
        gap += (f"At the Hague pressure the {other} protocol's core target is "
                f"{fmt(hague.loc[other, 'core_target_pct'] - hague.loc['mediator', 'core_target_pct'], sign=True)} pp "
                f"from the mediator's, its deadline {fmt(hague.loc[other, 'deadline_year'] - hague.loc['mediator', 'deadline_year'], 1, sign=True)} "
                f"years, and its deal probability {fmt(hague.loc[other, 'deal_probability'] - hague.loc['mediator', 'deal_probability'], sign=True)}; "
                "the record is 3.5% by 2035.\n\n")
    columns = [*BY, "runs", "deal_probability", "deal_probability_low", "deal_probability_high", "core_target_pct",
               "deadline_year", "rounds", "n_holdouts", "n_flexibility"]
    return f"""# Negotiation protocols and the deal

{provenance(meta)}

## What the sweep found

{gap}{(chr(10) + chr(10)).join(sections)}

The US floor on the headline is US pressure x its demand ({params.us_demand_pct:.1f}% of GDP); with up to
{params.related_cap_pct:.1f}% of related spending counted, the core must reach the floor minus that. The jump limit
({MAX_JUMP:.1f} between levels {STEP:.2f} apart) is the issue's; {noise(int(table['runs'].min()))}

## By protocol and pressure (means; targets and deadlines over runs with a deal)

{markdown_table(table[columns])}

Figure: `protocols.png` (means with 90% intervals over seeds; one panel per outcome, one line per protocol).
"""


def main(argv=None) -> int:
    return EXPERIMENT.main(analyse, argv, __doc__)


if __name__ == "__main__":
    sys.exit(main())
