"""What the posture arms found (`experiments/posture_arms.py`): the per-arm table, the figure with
the arms side by side and the section of the US pressure experiment's summary.

Per arm: the posture read (pressure, demand, the year asked by) with the statements it comes
from, then the probability of a deal, the core target and the headline (core plus related) with
their 90% bands over the runs with a deal, the deadline, the holdouts and side letters, and the
extra spending. The US's floor is not reported: it is set in each run from the allies' opening
stances and the run table does not keep it.
"""

from __future__ import annotations

import pandas as pd

from experiments.aggregate import holdout_counts, share, spread, summary_table, with_spread
from experiments.common import Findings, SweepRun
from experiments.figures import points, points_note, pyplot, series_style
from experiments.posture_arms import ArmReading, PostureArms
from experiments.prose import fmt, markdown_table, provenance
from sim.data.us_posture import THREAT_LEVELS, PostureEvent
from sim.model.parameters import NO_DEADLINE_NAMED

BY = ["point"]  # design point i is arm i
PANELS = (  # column, y label, runs with a deal only
    ("core_target_pct", "core defence target (% of GDP)", True),
    ("headline_pct", "headline: core + related (% of GDP)", True),
    ("deadline_year", "deadline (year)", True),
    ("extra_spending_usd_bn", "extra spending at deadline (USD bn/year)", True),
)


def arm_runs(sweep: SweepRun, arms: PostureArms) -> pd.DataFrame:
    """The arms' runs, each named by its arm, with the headline (core plus related) it agreed."""
    runs = sweep.runs
    return runs.assign(arm=runs["point"].map(dict(enumerate(arms.names))),
                       headline_pct=runs["core_target_pct"] + runs["related_target_pct"].fillna(0.0))


def arms_table(runs: pd.DataFrame, arms: PostureArms, summit_year: int) -> pd.DataFrame:
    """One row per arm, in the arms' order: the posture it read and the outcomes with their bands."""
    table = with_spread(summary_table(runs, BY), runs[runs["deal"]], BY, "headline_pct")
    table = with_spread(table, runs, BY, "allies_on_track")  # missing without a deal: runs with one
    read = pd.DataFrame([{
        "point": index, "arm": reading.arm.name, "read_on": reading.posture.as_of.isoformat(),
        **reading.parameters.overrides(),
        "us_deadline_year": us_deadline_year(reading.parameters.us_deadline_years, summit_year),
    } for index, reading in enumerate(arms.readings)])
    read["us_deadline_year"] = read["us_deadline_year"].astype("Int64")
    return read.merge(table, on=BY, how="left")


def us_deadline_year(years: float, summit_year: int) -> int | None:
    """The year the US asks its demand by in these talks; None when it named none after the summit."""
    return None if years >= NO_DEADLINE_NAMED else int(round(summit_year + years))


def analyse_arms(sweep: SweepRun, arms: PostureArms) -> Findings:
    """The arms' table, figure and summary section from their finished sweep."""
    runs, summit_year = arm_runs(sweep, arms), sweep.spec.scenario.params.summit_year
    table = arms_table(runs, arms, summit_year)
    seeds = int(runs.groupby(BY).size().min())
    return Findings(table, plot(runs, arms, seeds), summary(runs, table, arms, sweep.meta, summit_year))


# --- the figure -----------------------------------------------------------------------------------

def plot(runs: pd.DataFrame, arms: PostureArms, seeds: int):
    """The arms side by side: means with their 90% intervals, one panel per outcome."""
    plt = pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(14, 8.5), sharex=True)
    axes = axes.ravel()
    at = {index: float(index) for index in range(len(arms.readings))}
    points(axes[0], share(runs, BY, "deal"), "point", at, color="black")
    axes[0].set_ylabel("probability of a deal (share of runs)")
    axes[0].set_ylim(-0.02, 1.02)
    deals = runs[runs["deal"]]
    for ax, (column, label, deal_only) in zip(axes[1:5], PANELS):
        points(ax, spread(deals if deal_only else runs, BY, column), "point", at, color="black")
        ax.set_ylabel(label + ("\n(runs with a deal)" if deal_only else ""))
    for index, (column, label) in enumerate((("n_holdouts", "holdouts"), ("n_flexibility", "side letters"))):
        points(axes[5], spread(runs, BY, column), "point", at, offset=0.12 * (2 * index - 1), label=label,
               color=series_style(index)["color"])
    axes[5].set_ylabel("allies at the end of the talks")
    axes[5].legend(fontsize=8)
    ticks = [f"{reading.arm.name}\n{reading.posture.as_of}" for reading in arms.readings]
    for ax in axes:
        ax.set_xticks(list(at.values()), ticks, fontsize=8, rotation=25, ha="right", rotation_mode="anchor")
        ax.set_xlim(-0.5, len(ticks) - 0.5)
        ax.tick_params(labelbottom=True)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("The Hague 2025 talks under the US posture read on other dates (sim/data/us_posture.csv)\n"
                 f"{points_note(seeds)}", fontsize=10)
    return fig


# --- the summary ----------------------------------------------------------------------------------

def summary(runs: pd.DataFrame, table: pd.DataFrame, arms: PostureArms, meta: dict, summit_year: int) -> str:
    """The arms' section of the experiment's summary.md."""
    shown = pd.DataFrame({
        "arm": table["arm"], "read on": table["read_on"],
        "US pressure": table["us_pressure"].map(lambda value: fmt(value)),
        "US demand (% of GDP)": table["us_demand_pct"].map(lambda value: fmt(value, 1)),
        "US deadline": table["us_deadline_year"].map(lambda year: "none named" if pd.isna(year) else str(year)),
        "runs": table["runs"],
        "deal probability": [banded(row, "deal_probability") for _, row in table.iterrows()],
        "core (% of GDP)": [banded(row, "core_target_pct") for _, row in table.iterrows()],
        "headline (% of GDP)": [banded(row, "headline_pct") for _, row in table.iterrows()],
        "deadline": [banded(row, "deadline_year", 1) for _, row in table.iterrows()],
        "holdouts": [banded(row, "n_holdouts", 1) for _, row in table.iterrows()],
        "side letters": [banded(row, "n_flexibility", 1) for _, row in table.iterrows()],
        "extra spending (USD bn/year)": [banded(row, "extra_spending_usd_bn", 0) for _, row in table.iterrows()],
    })
    return f"""## The US posture arms: the Hague talks under other administrations' postures

{provenance(meta)}

The Hague 2025 talks, everything else as the scenario has them (threat, data, capability
requirement), with `us_pressure`, `us_demand_pct` and `us_deadline_years` read from the US's
dated statements (`sim/data/us_posture.csv`, `read_posture`) on each arm's day, as a case with
that information date reads them: the pressure is the sitting administration's most explicit
threat of abandonment in the year before (its code over 3), the demand the latest level an
administration in office had named, the deadline the year it was last asked by; a year not
after the summit's ({summit_year}) names none for these talks (the US then asks as the
allies do).

{arm_findings(table, arms)}

### By arm (means with 90% intervals in brackets; targets, deadlines and spending over runs with a deal)

{markdown_table(shown)}

### What each arm read

{chr(10).join(reading_line(reading, summit_year) for reading in arms.readings)}

### Most frequent holdouts (share of the arm's runs)

{chr(10).join(holdout_line(name, runs[runs["arm"] == name]) for name in arms.names)}

The US's floor (the headline it holds out for) is set in each run from the allies' opening
stances and is not in the run table, so it is not reported here.

Figure: `posture_arms.png` (means with 90% intervals over seeds); table: `posture_arms_summary.parquet`.
"""


def arm_findings(table: pd.DataFrame, arms: PostureArms) -> str:
    """The arms compared: where a deal is likeliest and least likely, the core's range, and each
    arm's core against the scenario's own posture."""
    likeliest, least = table.loc[table["deal_probability"].idxmax()], table.loc[table["deal_probability"].idxmin()]
    lines = [f"- The probability of a deal is {fmt(least['deal_probability'])} in every arm."
             if likeliest["deal_probability"] == least["deal_probability"] else
             f"- The probability of a deal ranges from {fmt(least['deal_probability'])} ({least['arm']}) to "
             f"{fmt(likeliest['deal_probability'])} ({likeliest['arm']})."]
    with_deal = table.dropna(subset=["core_target_pct"])
    if len(with_deal):
        low, high = (with_deal.loc[with_deal["core_target_pct"].idxmin()],
                     with_deal.loc[with_deal["core_target_pct"].idxmax()])
        lines.append(f"- Among the runs with a deal, the core target averages from {fmt(low['core_target_pct'])}% "
                     f"({low['arm']}) to {fmt(high['core_target_pct'])}% ({high['arm']}), and the headline from "
                     f"{fmt(with_deal['headline_pct'].min())}% to {fmt(with_deal['headline_pct'].max())}%.")
    own = [index for index, reading in enumerate(arms.readings) if reading.arm.read_on is None
           and reading.arm.pressure is None]
    if own and not pd.isna(table["core_target_pct"].iloc[own[0]]):
        base = table.iloc[own[0]]
        moves = ", ".join(f"{row['arm']} {fmt(row['core_target_pct'] - base['core_target_pct'], sign=True)} pp"
                          for index, row in table.iterrows() if index != own[0] and not pd.isna(row["core_target_pct"]))
        lines.append(f"- Against the scenario's own posture ({base['arm']}: core {fmt(base['core_target_pct'])}%, "
                     f"headline {fmt(base['headline_pct'])}%), the core moves by: {moves or 'n/a (no other arm has a deal)'}.")
    return "\n".join(lines)


def banded(row: pd.Series, column: str, digits: int = 2) -> str:
    """A mean with its 90% interval, e.g. "3.48 [3.40, 3.55]"; "-" where there is none (no deal)."""
    if pd.isna(row[column]):
        return "-"
    return f"{row[column]:.{digits}f} [{row[f'{column}_low']:.{digits}f}, {row[f'{column}_high']:.{digits}f}]"


def reading_line(reading: ArmReading, summit_year: int) -> str:
    """One arm's reading and the statements it comes from."""
    arm, posture, read = reading.arm, reading.posture, reading.parameters
    if arm.pressure is not None:
        pressure = f"pressure {fmt(read.us_pressure)} (a counterfactual in place of the {fmt(posture.pressure)} read)"
    elif posture.pressed_by is None:
        pressure = f"pressure {fmt(read.us_pressure)}: no statement by an administration in office in the year before"
    else:
        pressure = f"pressure {fmt(read.us_pressure)} from {statement(posture.pressed_by, threat=True)}"
    demand = f"{fmt(read.us_demand_pct, 1)}% of GDP from {statement(posture.asked_by)}"
    asked = "no year named" if posture.deadline_year is None else f"asked by {posture.deadline_year}"
    if posture.deadline_year is not None and posture.deadline_year <= summit_year:
        asked += f", not after the {summit_year} summit: none for these talks"
    return f"- **{arm.name}**, read on {posture.as_of} ({arm.occasion}): {pressure}; {demand}; {asked}."


def statement(event: PostureEvent, threat: bool = False) -> str:
    """A statement named by its speaker, day and occasion (and, for a threat, its code)."""
    code = (f", code {event.threat_of_abandonment}: {THREAT_LEVELS[event.threat_of_abandonment]}"
            if threat else "")
    return f"{event.speaker}, {event.date} ({event.event}{code})"


def holdout_line(name: str, runs: pd.DataFrame) -> str:
    """An arm's most frequent holdouts, as shares of its runs."""
    frequent = holdout_counts(runs).head(5)
    return f"- {name}: " + (", ".join(f"{code} ({value:.0%})" for code, value in frequent.items()) or "none")
