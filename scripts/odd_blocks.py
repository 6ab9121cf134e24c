"""docs/ODD.md section 10's generated blocks ("What the model shows and where it falls short"):
the Hague talks with the defaults over the validation's seeds, what moves them (the levers'
verdicts), and who keeps the deal after it. The prose around them explains the mechanisms; the
numbers are these, with the 90% band of every level or count (as in `experiments/aggregate.py`:
the 5th-95th percentile of the runs for a quantity, the Wilson interval for a share of runs)."""

from __future__ import annotations

import pandas as pd

from experiments.aggregate import spread, wilson
from experiments.posture_arms_report import banded
from scripts.findings_blocks import Counterfactual, SeedRun, implementation_sentence
from scripts.lever_verdicts import LeverResults
from sim.analysis.validation import Validation
from sim.model.scenario import load_scenario

#: The levers section 10 speaks of, as the levers' page names them (a row's lever starts so).
LEVERS_SHOWN = ("US pressure", "US demand", "Threat", "Deadline window")


def band_row(runs: pd.DataFrame, columns: tuple[str, ...]) -> pd.Series:
    """One row holding each column's mean, `_low` and `_high` over `runs` (NaN runs left out)."""
    one = runs.assign(all=0)
    values = {}
    for column in columns:
        stats = spread(one, ["all"], column).iloc[0]
        values.update({column: stats["mean"], f"{column}_low": stats["low"], f"{column}_high": stats["high"]})
    return pd.Series(values)


def share_words(p: float, n: int) -> str:
    """'0.90 [0.65, 0.98]': a share of `n` runs with its 90% Wilson interval."""
    low, high = wilson(p, n)
    return f"{p:.2f} [{float(low):.2f}, {float(high):.2f}]"


def hague_defaults_paragraph(v: Validation, runs: Counterfactual, seed_zero: SeedRun) -> str:
    """The Hague talks with the defaults: the deal, its rounds, level and deadline, who is carried
    and who signs; the first draft; the US's demand and the new money in related spending."""
    frame = runs.runs
    deals = frame[frame["deal"]]
    row = band_row(deals, ("rounds", "core_target_pct", "related_target_pct", "deadline_year"))
    n = len(v.seeds)
    params = load_scenario("hague2025").params
    draft = seed_zero.first_draft
    return (f"With the defaults (seeds {frame['seed'].min()}-{frame['seed'].max()}; means over the runs with a deal, "
            f"5th-95th percentile of the runs in brackets, shares of runs with their 90% Wilson interval) the Hague "
            f"talks end in a deal in {len(deals)} of {len(frame)} runs, after {banded(row, 'rounds', 1)} rounds, on "
            f"{banded(row, 'core_target_pct')}% core plus {banded(row, 'related_target_pct')}% related by "
            f"{banded(row, 'deadline_year', 1)}. Spain is carried with a side letter in a share "
            f"{share_words(v.hague.spain_flexibility_share, n)} of runs and Canada signs without one in "
            f"{share_words(v.hague.canada_signing_share, n)} (validation, {n} seeds). The first draft (seed 0) asks "
            f"{draft.core_pct:.2f}% core. The US's demand at its 2025 posture is {params.us_demand_pct:g}% in all, and "
            f"{params.related_cost_share:.0%} of a point of related spending is new money (`related_cost_share`).")


def levers_list(levers: LeverResults) -> str:
    """What moves the Hague outcome, as the levers' page measured it."""
    rows = [v for v in levers.verdicts if v.lever.startswith(LEVERS_SHOWN)]
    return (f"What moves it (`docs/levers.md`, {levers.seeds_per_point} seeds a point):\n\n"
            + "\n".join(f"- {v.lever}, {v.measure}: {v.measured}" + (f" ({v.outcome})" if v.outcome != "reported"
                                                                      else "") for v in rows))


def implementation_paragraph(runs: Counterfactual, seed_zero: SeedRun) -> str:
    """Who keeps the deal over the seeds, then seed 0's allies by name."""
    frame = runs.runs
    deals = frame[frame["deal"]]
    row = band_row(deals, ("allies_on_track", "extra_spending_usd_bn"))
    return (f"After the Hague deal (seeds {frame['seed'].min()}-{frame['seed'].max()}, runs with a deal), "
            f"{banded(row, 'allies_on_track', 1)} allies reach the core level by the deadline at today's threat, "
            f"and the extra spending at the deadline is {banded(row, 'extra_spending_usd_bn', 0)} USD bn a year "
            f"(mean, 5th-95th percentile in brackets). {implementation_sentence(seed_zero)}")
