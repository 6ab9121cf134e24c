"""Caucus bloc votes: the caucuses voting alone (the record) or as blocs, against the room the
summit gives for side letters: the probability of a deal, the core level and deadline, the
holdouts, Spain flagged and how many of the fiscal caucus end carried or holding out.

A bloc trades its members' single vetoes for one veto, which the summit can carry only if it
grants as many side letters as the caucus has members (docs/ODD.md 7.5b, 7.8); so the sweep
crosses `caucus_bloc_votes` with `max_flexibility_holdouts`.

    .venv/bin/python -m experiments.caucus_blocs            # configs/sweeps/caucus_blocs.toml
    .venv/bin/python -m experiments.caucus_blocs --quick    # alone/blocs x 3 room levels x 4 seeds

Writes to results/experiments/caucus_blocs/ (results/experiments/caucus_blocs_quick/ with --quick):
sweep/ (the sweep's results directory), caucus_blocs_summary.parquet (one row per setting and room),
caucus_blocs.png and summary.md.
"""

from __future__ import annotations

import sys

import pandas as pd

from experiments.aggregate import share, spread, summary_table
from experiments.common import Experiment, Findings, SweepRun
from experiments.figures import SERIES_HATCHES, band, interval_note, pyplot
from experiments.prose import fmt, markdown_table, provenance
from experiments.saturation import saturation_sentence
from sim.engines.model import AllianceModel
from sim.model.caucuses import Caucus

EXPERIMENT = Experiment("caucus_blocs", quick_changes={
    "runs": {"replicates": 4, "batch_size": 8}, "parameters": {"max_flexibility_holdouts": [0, 3, 8]}})
BY = ["caucus_bloc_votes", "max_flexibility_holdouts"]
ROOM = "max_flexibility_holdouts"
SETTING = {False: "every ally votes alone (the record)", True: "caucuses vote as blocs"}
FLAGGED = "ESP"  # the ally the record flags: a side letter, or holding out


def analyse(sweep: SweepRun) -> Findings:
    fiscal = fiscal_caucus(sweep.spec.scenario)
    runs, table = blocs_table(sweep.runs, fiscal)
    return Findings(table, plot(runs, runs.groupby(BY).size().min()), summary(table, sweep.meta, fiscal))


def blocs_table(runs: pd.DataFrame, fiscal: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The runs with Spain flagged and the fiscal caucus members left out, and one row per setting
    and room: the outcomes, and the share of runs flagging Spain, with their 90% bands."""
    left_out = [len((set(holdouts) | set(letters)) & fiscal) for holdouts, letters in zip(runs["holdouts"],
                                                                                         runs["flexibility"])]
    runs = runs.assign(spain_flagged=flagged(runs, FLAGGED), fiscal_left_out=left_out)
    table = summary_table(runs, BY).merge(
        share(runs, BY, "spain_flagged").drop(columns="n").rename(
            columns={"mean": "spain_flagged", "low": "spain_flagged_low", "high": "spain_flagged_high"}), on=BY).merge(
        spread(runs, BY, "fiscal_left_out")[[*BY, "mean"]].rename(columns={"mean": "fiscal_left_out"}), on=BY)
    return runs, table


def widest_gap(table: pd.DataFrame) -> tuple[int, pd.Series, pd.Series]:
    """Where blocs change the deal probability most: the room for side letters, and the rows of
    every ally alone and of the blocs there."""
    alone = table[~table["caucus_bloc_votes"]].set_index(ROOM)
    blocs = table[table["caucus_bloc_votes"]].set_index(ROOM)
    widest = int((blocs["deal_probability"] - alone["deal_probability"]).abs().idxmax())
    return widest, alone.loc[widest], blocs.loc[widest]


def fiscal_caucus(scenario) -> set[str]:
    """The fiscal caucus at the scenario's opening (it forms by rule, the same in every run of
    these levers: neither lever changes who is fiscally pressed)."""
    model = AllianceModel(scenario, rng=0)
    return {ally.facts.iso3 for ally in model.allies if ally.caucus is Caucus.FISCAL}


def flagged(runs: pd.DataFrame, iso3: str) -> pd.Series:
    """Whether the ally ends the talks with a side letter or holding out."""
    return runs["flexibility"].apply(lambda codes: iso3 in list(codes)) | runs["holdouts"].apply(
        lambda codes: iso3 in list(codes))


def plot(runs: pd.DataFrame, seeds: int):
    plt = pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), sharex=True)
    axes = axes.ravel()
    deals = runs[runs["deal"]]
    for blocs, group in runs.groupby("caucus_bloc_votes"):
        style = {"label": SETTING[bool(blocs)], "color": "tab:red" if blocs else "0.45",
                 "hatch": SERIES_HATCHES[1] if blocs else None}  # hatched over the record's band: no blend
        band(axes[0], share(group, [ROOM], "deal"), ROOM, **style)
        band(axes[1], spread(deals[deals["caucus_bloc_votes"] == blocs], [ROOM], "core_target_pct"), ROOM, **style)
        band(axes[2], spread(group, [ROOM], "fiscal_left_out"), ROOM, **style)
        band(axes[3], share(group, [ROOM], "spain_flagged"), ROOM, **style)
    axes[0].set_ylabel("probability of a deal (share of runs)")
    axes[1].set_ylabel("core defence target (% of GDP)\n(runs with a deal)")
    axes[2].set_ylabel("fiscal caucus members carried or holding out\n(allies)")
    axes[3].set_ylabel(f"{FLAGGED} given a side letter or holding out\n(share of runs)")
    for ax in (axes[0], axes[3]):
        ax.set_ylim(-0.02, 1.02)
    for ax in axes:
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.supxlabel("side letters the summit may grant (max_flexibility_holdouts)")
    fig.suptitle(f"Caucuses voting alone or as blocs in the Hague 2025 talks\n{interval_note(seeds)}", fontsize=10)
    return fig


def summary(table: pd.DataFrame, meta: dict, fiscal: set[str]) -> str:
    alone = table[~table["caucus_bloc_votes"]].set_index(ROOM)
    blocs = table[table["caucus_bloc_votes"]].set_index(ROOM)
    default = 3 if 3 in alone.index else alone.index[len(alone.index) // 2]
    widest, _, _ = widest_gap(table)
    columns = [*BY, "runs", "deal_probability", "core_target_pct", "deadline_year", "rounds", "n_holdouts",
               "n_flexibility", "fiscal_left_out", "spain_flagged"]
    rows = (("deal probability", "deal_probability", 2),
            ("core target, % of GDP (runs with a deal)", "core_target_pct", 2),
            ("deadline (runs with a deal)", "deadline_year", 1), ("rounds", "rounds", 1),
            ("side letters a run", "n_flexibility", 1),
            ("fiscal caucus members carried or holding out", "fiscal_left_out", 1),
            (f"{FLAGGED} given a side letter or holding out (share of runs)", "spain_flagged", 2))
    at_default = "\n".join(f"| {label} | {fmt(alone.loc[default, column], digits)} | "
                           f"{fmt(blocs.loc[default, column], digits)} |" for label, column, digits in rows)
    return f"""# Caucuses voting as blocs

{provenance(meta)}

The fiscal caucus here: {", ".join(sorted(fiscal))} ({len(fiscal)} allies).

## What the sweep found

At the default room for side letters ({default}):

| | every ally alone (the record) | caucuses as blocs |
|---|---|---|
{at_default}

- Where blocs change the deal most: {widest} side letter{"" if widest == 1 else "s"}, deal probability
  {fmt(alone.loc[widest, 'deal_probability'])} alone against {fmt(blocs.loc[widest, 'deal_probability'])} as blocs
  ({fmt(blocs.loc[widest, 'deal_probability'] - alone.loc[widest, 'deal_probability'], sign=True)}).
- {saturation_sentence(blocs.reset_index(), ROOM, "the side letters the summit may grant", (
      "deal_probability", "core_target_pct", "deadline_year", "n_holdouts"), 0)} (Blocs on.)

## By setting and room (means; targets and deadlines over runs with a deal)

{markdown_table(table[columns])}

Figure: `caucus_blocs.png` (means with 90% intervals over seeds).
"""


def main(argv=None) -> int:
    return EXPERIMENT.main(analyse, argv, __doc__)


if __name__ == "__main__":
    sys.exit(main())
