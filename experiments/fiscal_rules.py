"""Fiscal rules: the EU's escape clause for defence spending as the 16 allies that asked for it
by April 2025 had it (the Hague scenario's list), and as every EU ally would have had it
(`eu_escape_clause`: Spain, Italy and France too), exempting 0 to 3% of GDP of deficit, against
the deal and against what the indebted EU allies are willing to spend.

The model has no per-run lever to scale debt, so the sweep moves who has the clause and the
room it gives (`escape_room_pct`). With no room the clause exempts nothing, so at room 0 the
two arms must coincide: that is the control.

    .venv/bin/python -m experiments.fiscal_rules            # configs/sweeps/fiscal_rules.toml
    .venv/bin/python -m experiments.fiscal_rules --quick    # clause off/on x 4 room levels x 4 seeds

Writes to results/experiments/fiscal_rules/ (results/experiments/fiscal_rules_quick/ with --quick): sweep/ (the sweep's results directory, with per-ally results),
fiscal_rules_summary.parquet (one row per clause and room), fiscal_rules.png and summary.md.
"""

from __future__ import annotations

import sys

import pandas as pd

from experiments.aggregate import share, spread, summary_table, with_spread
from experiments.common import Experiment, Findings, SweepRun
from experiments.figures import SERIES_HATCHES, band, interval_note, pyplot
from experiments.prose import fmt, markdown_table, provenance
from experiments.saturation import saturation_sentence
from sim.data.loader import load_allies
from sim.sweeps.results import load_results

EXPERIMENT = Experiment("fiscal_rules", quick_changes={
    "runs": {"replicates": 4, "batch_size": 8}, "parameters": {"escape_room_pct": {"steps": 4}}})
BY = ["eu_escape_clause", "escape_room_pct"]
HIGH_DEBT_PCT = 90.0  # "high debt": above 90% of GDP (Reinhart & Rogoff's threshold, a common marker)
CLAUSE = {False: "the 16 allies that asked (the record)", True: "every EU ally"}


def analyse(sweep: SweepRun) -> Findings:
    runs = sweep.runs
    indebted = indebted_eu_positions(runs, load_results(sweep.directory, "allies"))
    table = with_spread(summary_table(runs, BY), indebted, BY, "indebted_eu_position_pct")
    return Findings(table, plot(runs, indebted, runs.groupby(BY).size().min()), summary(table, sweep.meta))


def indebted_eu_positions(runs: pd.DataFrame, allies: pd.DataFrame) -> pd.DataFrame:
    """Per run: the mean final position (% of GDP) of the EU allies with debt above 90% of GDP."""
    facts = load_allies()
    codes = [code for code, eu, debt in zip(facts.iso3, facts.eu_member, facts.debt_pct_gdp)
             if eu and debt > HIGH_DEBT_PCT]
    mean = allies[allies["iso3"].isin(codes)].groupby("run_id")["final_position_pct"].mean()
    frame = runs[["run_id", *BY]].merge(mean.rename("indebted_eu_position_pct"), left_on="run_id",
                                        right_index=True)
    return frame.assign(allies=", ".join(codes))


def plot(runs, indebted, seeds: int):
    plt = pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), sharex=True)
    axes = axes.ravel()
    deals = runs[runs["deal"]]
    for clause, group in runs.groupby("eu_escape_clause"):
        style = {"label": CLAUSE[bool(clause)], "color": "tab:blue" if clause else "0.45",
                 "hatch": SERIES_HATCHES[1] if clause else None}  # hatched over the record's band: no blend
        band(axes[0], spread(deals[deals["eu_escape_clause"] == clause], ["escape_room_pct"], "core_target_pct"),
             "escape_room_pct", **style)
        band(axes[1], share(group, ["escape_room_pct"], "deal"), "escape_room_pct", **style)
        band(axes[2], spread(indebted[indebted["eu_escape_clause"] == clause], ["escape_room_pct"],
                             "indebted_eu_position_pct"), "escape_room_pct", **style)
        band(axes[3], spread(group, ["escape_room_pct"], "n_holdouts"), "escape_room_pct", **style)
    axes[0].set_ylabel("core defence target (% of GDP)\n(runs with a deal)")
    axes[1].set_ylabel("probability of a deal (share of runs)")
    axes[1].set_ylim(-0.02, 1.02)
    axes[2].set_ylabel(f"final position of EU allies with debt > {HIGH_DEBT_PCT:.0f}% of GDP\n(% of GDP, mean)")
    axes[3].set_ylabel("holdouts at the end (allies)")
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.supxlabel("deficit room the escape clause exempts (% of GDP)")
    fig.suptitle(f"EU fiscal rules and the Hague 2025 talks\n{interval_note(seeds)}", fontsize=10)
    return fig


def summary(table, meta) -> str:
    asked = table[~table["eu_escape_clause"]].set_index("escape_room_pct")
    everyone = table[table["eu_escape_clause"]].set_index("escape_room_pct")
    none, widest = asked.index.min(), everyone.index.max()
    middle = everyone.index[abs(everyone.index - 1.5).argmin()]
    columns = ("deal_probability", "core_target_pct", "deadline_year", "n_holdouts", "indebted_eu_position_pct")
    gap = max(abs(everyone.loc[none, column] - asked.loc[none, column]) for column in columns)
    control = (f"with no room ({none:.1f}% of GDP) the two arms give the same outcomes, as they must: the clause "
               "exempts nothing then." if gap < 1e-9 else
               f"with no room ({none:.1f}% of GDP) the two arms differ by up to {fmt(gap, 3)} although the clause "
               "then exempts nothing: check the model.")

    def core(arm, room) -> str:
        return f"{fmt(arm.loc[room, 'core_target_pct'])}% ({fmt(arm.loc[room, 'core_target_pct'] - asked.loc[none, 'core_target_pct'], sign=True)} pp)"

    columns_shown = [*BY, "runs", "deal_probability", "core_target_pct", "deadline_year", "n_holdouts",
                     "indebted_eu_position_pct"]
    return f"""# EU fiscal rules and the deal

{provenance(meta)}

## What the sweep found

- Control: {control}
- Without room the core target is {fmt(asked.loc[none, 'core_target_pct'])}% of GDP (runs with a deal). With
  {middle:.1f}% exempted, the 16 that asked (the record) bring it to {core(asked, middle)}, every EU ally to
  {core(everyone, middle)}; with {widest:.1f}%, {core(asked, widest)} and {core(everyone, widest)}.
- The probability of a deal, with {middle:.1f}% exempted: {fmt(asked.loc[middle, 'deal_probability'])} for the 16,
  {fmt(everyone.loc[middle, 'deal_probability'])} for every EU ally; holdouts {fmt(asked.loc[middle, 'n_holdouts'], 1)} and
  {fmt(everyone.loc[middle, 'n_holdouts'], 1)}.
- The EU allies with debt above {HIGH_DEBT_PCT:.0f}% of GDP end the talks at
  {fmt(asked.loc[none, 'indebted_eu_position_pct'])}% of GDP without room, {fmt(asked.loc[middle, 'indebted_eu_position_pct'])}%
  with {middle:.1f}% for the 16 and {fmt(everyone.loc[middle, 'indebted_eu_position_pct'])}% for every EU ally.
- {saturation_sentence(everyone.reset_index(), "escape_room_pct", "the room (% of GDP)", columns, 1)}
  (Every EU ally with the clause.)

## By clause and room (means; targets and deadlines over runs with a deal)

{markdown_table(table[columns_shown])}

Figure: `fiscal_rules.png` (means with 90% intervals over seeds).
"""


def main(argv=None) -> int:
    return EXPERIMENT.main(analyse, argv, __doc__)


if __name__ == "__main__":
    sys.exit(main())
