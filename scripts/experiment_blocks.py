"""The README's "Experiments" blocks and the findings they carry into "What it finds" and
docs/ODD.md section 10: the US pressure sweep and its posture arms, the implementation rules
and the caucus blocs, each computed by the experiment's own code (its sweep spec and seeds, its
summary table) and written with the 90% band of every level or count it quotes, and the range
of the lever it holds over.

Bands follow `experiments/aggregate.py`: for a quantity, the 5th to 95th percentile of the runs
(what one run may give); for a share of runs, the 90% Wilson interval. The sweeps run in a
temporary directory in this process, as the experiment's command runs them (same spec, same
root seed), so the numbers are the ones `python -m experiments.<name>` writes to its summary.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from experiments import caucus_blocs, compliance, us_pressure
from experiments.aggregate import share, spread
from experiments.common import SweepRun, hague_pressure
from experiments.posture_arms import PostureArms, posture_arms
from experiments.posture_arms_report import arm_runs, arms_table, banded
from scripts.readme_prose import joined, table
from sim.sweeps.executors import ExecutorChoice
from sim.sweeps.results import load_results, read_metadata
from sim.sweeps.spec import SweepSpec
from sim.sweeps.sweep import run_sweep

RULE_SEEDS = 10  # experiments.compliance's --seeds default
PRESSURE = "us_pressure"


@dataclass(frozen=True)
class ExperimentResults:
    """What the experiments found, each computed once: per pressure level, per arm, per
    implementation rule and run, per caucus setting and room."""

    pressure: pd.DataFrame  # us_pressure.pressure_table
    pressure_seeds: int
    arms: pd.DataFrame  # posture_arms_report.arms_table
    arm_seeds: int
    rules: pd.DataFrame  # compliance.hague_runs of every rule, one row per rule and seed
    rule_seeds: list[int]
    blocs: pd.DataFrame  # caucus_blocs.blocs_table
    bloc_seeds: int


def swept(spec: SweepSpec) -> SweepRun:
    """`spec` run as its experiment runs it, in a folder thrown away after reading it back."""
    with tempfile.TemporaryDirectory() as folder:
        directory = Path(folder) / "sweep"
        run_sweep(spec, directory, executor=ExecutorChoice(workers=1), progress=False)
        return SweepRun(load_results(directory), read_metadata(directory), spec, directory)


def seeds_per_point(runs: pd.DataFrame, by: list[str]) -> int:
    return int(runs.groupby(by).size().min())


def compute_experiments() -> ExperimentResults:
    pressure = swept(us_pressure.EXPERIMENT.spec(quick=False)).runs
    arms: PostureArms = posture_arms(us_pressure.EXPERIMENT, quick=False)
    arm_sweep = swept(arms.spec)
    runs_by_arm = arm_runs(arm_sweep, arms)
    blocs = swept(caucus_blocs.EXPERIMENT.spec(quick=False))
    bloc_runs, bloc_table = caucus_blocs.blocs_table(blocs.runs, caucus_blocs.fiscal_caucus(blocs.spec.scenario))
    seeds = list(range(RULE_SEEDS))
    return ExperimentResults(
        pressure=us_pressure.pressure_table(pressure), pressure_seeds=seeds_per_point(pressure, [PRESSURE]),
        arms=arms_table(runs_by_arm, arms, arm_sweep.spec.scenario.params.summit_year),
        arm_seeds=seeds_per_point(runs_by_arm, ["point"]),
        rules=pd.concat([compliance.hague_runs(rule, seeds) for rule in compliance.RULES], ignore_index=True),
        rule_seeds=seeds, blocs=bloc_table, bloc_seeds=seeds_per_point(bloc_runs, caucus_blocs.BY))


# --- how a band reads ------------------------------------------------------------------------------

def share_band(row: pd.Series, column: str = "deal_probability") -> str:
    """A share of runs with its 90% Wilson interval: '0.30 [0.19, 0.44]'."""
    return banded(row, column)


def seeds_words(seeds: list[int]) -> str:
    return f"seeds {seeds[0]}-{seeds[-1]}"


BANDS_NOTE = ("deal probabilities with their 90% Wilson interval in brackets, every other figure the mean "
              "with the 5th-95th percentile of the runs in brackets")


# --- the US pressure sweep -------------------------------------------------------------------------

def deal_runs_words(table: pd.DataFrame) -> str:
    """How often the talks agree along the pressure range: runs of levels with no deal, or a deal
    in every run, as ranges with the band's outer edge; each level between, with its band."""
    def kind(p: float) -> str:
        return "none" if p == 0 else "all" if p == 1 else "some"

    rows = [row for _, row in table.sort_values(PRESSURE).iterrows()]
    parts, start = [], 0
    while start < len(rows):
        end = start
        while kind(rows[start]["deal_probability"]) != "some" and end + 1 < len(rows) and \
                kind(rows[end + 1]["deal_probability"]) == kind(rows[start]["deal_probability"]):
            end += 1
        group = rows[start:end + 1]
        levels = (f"at {group[0][PRESSURE]:.2f}" if len(group) == 1
                  else f"from {group[0][PRESSURE]:.2f} to {group[-1][PRESSURE]:.2f}")
        what = kind(group[0]["deal_probability"])
        if what == "none":
            parts.append(f"no deal in any run {levels} (deal probability at most "
                         f"{max(row['deal_probability_high'] for row in group):.2f})")
        elif what == "all":
            lowest = min(row["deal_probability_low"] for row in group)
            parts.append(f"a deal in every run {levels} (at least {lowest:.2f})")
        else:
            parts.append(f"a deal probability of {share_band(group[0])} {levels}")
        start = end + 1
    return joined(parts)


def with_deal_ends(t: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The lowest and the highest pressure level with a deal in some run."""
    deals = t.dropna(subset=["core_target_pct"]).sort_values(PRESSURE)
    return deals.iloc[0], deals.iloc[-1]


def pressure_paragraph(r: ExperimentResults) -> str:
    t = r.pressure
    low, high = with_deal_ends(t)
    return (f"In `us_pressure` ({len(t)} pressure levels from {t[PRESSURE].min():.2f} to {t[PRESSURE].max():.2f} x "
            f"{r.pressure_seeds} seeds; {BANDS_NOTE}, levels and deadlines over the runs with a deal) there is "
            f"{deal_runs_words(t)}. Where there is a deal, the core is {banded(low, 'core_target_pct')}% at pressure "
            f"{low[PRESSURE]:.2f} and {banded(high, 'core_target_pct')}% at {high[PRESSURE]:.2f}, and the deadline "
            f"{banded(low, 'deadline_year', 1)} and {banded(high, 'deadline_year', 1)}.")


def arms_block(r: ExperimentResults) -> str:
    rows = [(row["arm"], row["read_on"], f"{row['us_pressure']:.2f}", f"{row['us_demand_pct']:.1f}%",
             share_band(row), banded(row, "core_target_pct"), banded(row, "headline_pct"),
             banded(row, "allies_on_track", 1), banded(row, "extra_spending_usd_bn", 0))
            for _, row in r.arms.iterrows()]
    header = ("arm", "posture read on", "US pressure", "US demand", "deal probability", "core (% of GDP)",
              "headline (% of GDP)", "allies reaching the core level", "extra spending (USD bn a year)")
    return (f"The posture arms ({r.arm_seeds} seeds an arm; {BANDS_NOTE}, over the runs with a deal; "
            "\"-\": no run agreed):\n\n" + table(header, rows))


# --- the implementation rules ----------------------------------------------------------------------

def rules_table(r: ExperimentResults) -> pd.DataFrame:
    """One row per rule, in the experiment's order: the deal share and the two outcomes' bands."""
    by = ["rule"]
    out = pd.DataFrame({"rule": [rule.label for rule in compliance.RULES],
                        "enforcement_rate": [rule.enforcement_rate for rule in compliance.RULES]})
    out = out.merge(share(r.rules, by, "deal").drop(columns="n").rename(
        columns={"mean": "deal_probability", "low": "deal_probability_low", "high": "deal_probability_high"}), on=by)
    for column in ("allies_on_track", "extra_spending_usd_bn"):
        stats = spread(r.rules, by, column).drop(columns="n").rename(
            columns={"mean": column, "low": f"{column}_low", "high": f"{column}_high"})
        out = out.merge(stats, on=by, how="left")
    return out.set_index("rule", drop=False)


def compliance_block(r: ExperimentResults) -> str:
    rows = [(row["rule"], share_band(row), banded(row, "allies_on_track", 1),
             banded(row, "extra_spending_usd_bn", 0)) for _, row in rules_table(r).iterrows()]
    return (f"The Hague deal carried forward under each rule ({seeds_words(r.rule_seeds)}; means over the runs "
            f"with a deal with the 5th-95th percentile of the runs in brackets; the deal probability with its "
            "90% Wilson interval):\n\n"
            + table(("rule", "deal probability", "allies reaching the core level by the deadline",
                     "extra spending at the deadline (USD bn a year)"), rows))


# --- the caucus blocs ------------------------------------------------------------------------------

def blocs_block(r: ExperimentResults) -> str:
    t = r.blocs
    alone = t[~t["caucus_bloc_votes"]].set_index(caucus_blocs.ROOM)
    blocs = t[t["caucus_bloc_votes"]].set_index(caucus_blocs.ROOM)
    rows = [(str(room), share_band(alone.loc[room]), share_band(blocs.loc[room]),
             banded(alone.loc[room], "core_target_pct"), banded(blocs.loc[room], "core_target_pct"),
             share_band(alone.loc[room], "spain_flagged"), share_band(blocs.loc[room], "spain_flagged"))
            for room in alone.index]
    widest, at_alone, at_blocs = caucus_blocs.widest_gap(t)
    header = ("side letters the summit may grant", "deal probability, alone", "deal probability, as blocs",
              "core (% of GDP), alone", "core, as blocs", f"{caucus_blocs.FLAGGED} flagged, alone",
              f"{caucus_blocs.FLAGGED} flagged, as blocs")
    return (f"In `caucus_blocs` (every ally alone, the record, or caucuses as blocs, x {len(alone)} levels of side "
            f"letters from {alone.index.min()} to {alone.index.max()} x {r.bloc_seeds} seeds; {BANDS_NOTE}; "
            f"{caucus_blocs.FLAGGED} flagged: given a side letter or holding out), blocs change the deal probability "
            f"most at {widest} side letter{'' if widest == 1 else 's'}: {share_band(at_alone)} alone against "
            f"{share_band(at_blocs)} as blocs.\n\n" + table(header, rows))


# --- what US pressure buys -------------------------------------------------------------------------

def pressure_buys_paragraph(r: ExperimentResults) -> str:
    """What pressure buys over its whole range: the deal, then allies on track and spending;
    and what enforcement adds at the Hague's pressure (the implementation rules)."""
    t = r.pressure
    low, high = with_deal_ends(t)
    none = t[t["deal_probability"] == 0][PRESSURE]
    no_deal = (f"from {none.min():.2f} to {none.max():.2f} no run agrees, so there is no new pledge to keep; "
               if len(none) else "")
    rules = rules_table(r)
    default, alone, every = (rules.loc[rule.label] for rule in (compliance.DEFAULT, compliance.SELF_ENFORCING,
                                                                 compliance.EVERY_PLEDGE_KEPT))

    def outcome(row: pd.Series) -> str:
        return (f"{banded(row, 'allies_on_track', 1)} allies reach the core level and "
                f"{banded(row, 'extra_spending_usd_bn', 0)} USD bn a year are spent on top")

    return (f"Over the whole range of US pressure (`us_pressure`, {t[PRESSURE].min():.2f} to {t[PRESSURE].max():.2f}, "
            f"{r.pressure_seeds} seeds a level; means over the runs with a deal, 5th-95th percentile in brackets): "
            f"{no_deal}from {low[PRESSURE]:.2f} to {high[PRESSURE]:.2f}, the allies reaching the core level by the "
            f"deadline go from {banded(low, 'allies_on_track', 1)} to {banded(high, 'allies_on_track', 1)} and the "
            f"extra spending at the deadline from {banded(low, 'extra_spending_usd_bn', 0)} to "
            f"{banded(high, 'extra_spending_usd_bn', 0)} USD bn a year. At the Hague's pressure "
            f"({hague_pressure():.2f}; "
            f"`experiments/compliance.py`, {seeds_words(r.rule_seeds)}), with US enforcement at its fitted rate "
            f"({compliance.FITTED_ENFORCEMENT:g}) {outcome(default)}; with pledges kept only where self-enforcing, "
            f"{outcome(alone)}; were every pledge kept, {outcome(every)}.")
