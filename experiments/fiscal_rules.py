"""Fiscal rules: an EU escape clause for defence spending, off and on, exempting 0 to 3% of GDP
of deficit, against the deal and against what the indebted EU allies are willing to spend.

The model has no per-run lever to scale debt, so the sweep moves the clause and the room it
gives (`eu_escape_clause`, `escape_room_pct`); with the clause off the room does nothing, so
those runs are the control (their lines must be flat).

    .venv/bin/python experiments/fiscal_rules.py            # configs/sweeps/fiscal_rules.toml
    .venv/bin/python experiments/fiscal_rules.py --quick    # clause off/on x 4 room levels x 4 seeds

Writes to results/experiments/fiscal_rules/ (results/experiments/fiscal_rules_quick/ with --quick): sweep/ (the sweep's results directory, with per-ally results),
fiscal_rules_summary.parquet (one row per clause and room), fiscal_rules.png and summary.md.
"""

from __future__ import annotations

import sys

import pandas as pd

from experiment import (RUNS_DIR, Experiment, band, fmt, interval_note, main_guard, markdown_table, provenance, pyplot,
                        saturation_sentence, save, share, spread, summary_table, write_outputs)
from sim.data.loader import load_allies
from sim.results import load_results

EXPERIMENT = Experiment("fiscal_rules", quick_changes={
    "runs": {"replicates": 4, "batch_size": 8}, "parameters": {"escape_room_pct": {"steps": 4}}})
BY = ["eu_escape_clause", "escape_room_pct"]
HIGH_DEBT_PCT = 90.0  # "high debt": above 90% of GDP (Reinhart & Rogoff's threshold, a common marker)
CLAUSE = {False: "escape clause off (control)", True: "escape clause on"}


def analyse(experiment: Experiment, args) -> None:
    runs, meta = experiment.run(args)
    indebted = indebted_eu_positions(runs, load_results(args.out / RUNS_DIR, "allies"))
    table = summary_table(runs, BY).merge(
        spread(indebted, BY, "indebted_eu_position_pct").drop(columns="n").rename(
            columns={"mean": "indebted_eu_position_pct", "low": "indebted_eu_position_pct_low",
                     "high": "indebted_eu_position_pct_high"}), on=BY, how="left")
    figure = plot(runs, indebted, runs.groupby(BY).size().min())
    saved = [save(figure, args.out / "fiscal_rules.png")]
    saved += write_outputs(args.out, "fiscal_rules", table, summary(table, meta))
    print("wrote " + ", ".join(str(p) for p in saved))


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
        style = {"label": CLAUSE[bool(clause)], "color": "tab:blue" if clause else "0.45"}
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
    off = table[~table["eu_escape_clause"]].set_index("escape_room_pct")
    on = table[table["eu_escape_clause"]].set_index("escape_room_pct")
    widest = on.index.max()
    middle = on.index[abs(on.index - 1.5).argmin()]
    control_drift = off["core_target_pct"].max() - off["core_target_pct"].min()
    control = ("it does not depend on the room, as expected of the control (the room acts only through the clause)."
               if control_drift < 1e-9 else
               f"it varies by {fmt(control_drift, 3)} pp across room levels although the room should act only "
               "through the clause: check the model.")
    columns = [*BY, "runs", "deal_probability", "core_target_pct", "deadline_year", "n_holdouts",
               "indebted_eu_position_pct"]
    return f"""# EU fiscal rules and the deal

{provenance(meta)}

## What the sweep found

- Without the clause the core target is {fmt(off['core_target_pct'].mean())}% of GDP on average (runs with a
  deal); {control}
- With the clause exempting {middle:.1f}% of GDP the core target is {fmt(on.loc[middle, 'core_target_pct'])}%
  ({fmt(on.loc[middle, 'core_target_pct'] - off.loc[middle, 'core_target_pct'], sign=True)} pp against no clause); exempting
  {widest:.1f}% it is {fmt(on.loc[widest, 'core_target_pct'])}%
  ({fmt(on.loc[widest, 'core_target_pct'] - off.loc[widest, 'core_target_pct'], sign=True)} pp).
- The probability of a deal moves from {fmt(off.loc[widest, 'deal_probability'])} without the clause to
  {fmt(on.loc[widest, 'deal_probability'])} with {widest:.1f}% exempted; holdouts from
  {fmt(off.loc[widest, 'n_holdouts'], 1)} to {fmt(on.loc[widest, 'n_holdouts'], 1)}.
- The EU allies with debt above {HIGH_DEBT_PCT:.0f}% of GDP end the talks at
  {fmt(off.loc[widest, 'indebted_eu_position_pct'])}% of GDP without the clause and
  {fmt(on.loc[widest, 'indebted_eu_position_pct'])}% with {widest:.1f}% exempted.
- {saturation_sentence(on.reset_index(), "escape_room_pct", "the room (% of GDP)", (
      "deal_probability", "core_target_pct", "deadline_year", "n_holdouts", "indebted_eu_position_pct"), 1)}
  (Runs with the clause on; without it the room does nothing.)

## By clause and room (means; targets and deadlines over runs with a deal)

{markdown_table(table[columns])}

Figure: `fiscal_rules.png` (means with 90% intervals over seeds).
"""


def main(argv=None) -> int:
    return main_guard(analyse, EXPERIMENT, argv, __doc__)


if __name__ == "__main__":
    sys.exit(main())
