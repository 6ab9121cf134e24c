"""The README's "What it finds" blocks: the Hague talks of seed 0 (what `alliance-sim run --json`
prints, with the first draft the run tabled), the talks under the US posture of June 2024, who
keeps the pledge after the deal, and the levers' verdicts. Each sentence is written from the
outcome, so it cannot say "signed by every ally" of a deal with a side letter."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from scripts.lever_verdicts import LeverResults
from scripts.readme_prose import counted, joined, missing, number, pct, table
from sim.api import simulate_many
from sim.engines.model import AllianceModel
from sim.engines.outcome import Outcome
from sim.model.state import Package


@dataclass(frozen=True)
class SeedRun:
    """One run of a scenario, as `alliance-sim run --json` prints it, with what its outcome does not
    hold: the first draft tabled, and which round was the summit."""

    outcome: Outcome
    first_draft: Package  # what was tabled in the first round
    max_rounds: int  # the last round is the summit


def seed_run(scenario: str, seed: int = 0) -> SeedRun:
    model = AllianceModel(scenario, rng=seed)
    outcome = model.run()
    first = model.rounds_table().set_index("round").loc[1]
    return SeedRun(outcome, Package(float(first["draft_core_pct"]), float(first["draft_related_pct"]),
                                    int(first["draft_deadline"])), model.params.max_rounds)


def names(outcome: Outcome, codes) -> list[str]:
    by_code = {ally.iso3: ally.name for ally in outcome.allies}
    return [by_code[code] for code in codes]


def package_words(core: float, related: float | None, deadline) -> str:
    """'3.60% core plus 1.40% defence-related spending (5.00% in all) by 2036'; '1.96% by 2024' for a
    package without the core/related split."""
    if missing(related):
        return f"{pct(core)} by {deadline}"
    if related == 0:
        return f"{pct(core)} core and no defence-related spending by {deadline}"
    return f"{pct(core)} core plus {pct(related)} defence-related spending ({pct(core + related)} in all) by {deadline}"


def when(run: SeedRun) -> str:
    rounds = run.outcome.rounds
    if rounds < run.max_rounds:
        return f"in round {rounds} of {run.max_rounds}, before the summit"
    return f"at the summit (round {rounds})"


def signatures(run: SeedRun) -> str:
    """Who signs: every ally, or all but those carried with a side letter."""
    carried = names(run.outcome, run.outcome.flexibility)
    if not carried:
        return "signed by every ally"
    return f"with a side letter for {joined(carried)}"


def talks_sentence(subject: str, run: SeedRun) -> str:
    """'<subject> end in round 4 of 12, before the summit, in a deal on ..., signed by every ally.'"""
    o = run.outcome
    if not o.deal:
        holdouts = names(o, o.holdouts)
        return (f"{subject} end without a deal {when(run)}"
                + (f", with {joined(holdouts)} holding out" if holdouts else "") + ".")
    return (f"{subject} end {when(run)}, in a deal on "
            f"**{package_words(o.core_target_pct, o.related_target_pct, o.deadline_year)}**, {signatures(run)}.")


def seed_zero_paragraph(hague: SeedRun, wales: SeedRun) -> str:
    """The Hague and Wales talks of seed 0: the deal, the first draft, the one-shot baselines."""
    draft, baselines = hague.first_draft, hague.outcome.baselines
    return (f"With the default parameters (seed 0), {talks_sentence('the Hague talks', hague)} "
            f"The Secretary General's first draft asked "
            f"{package_words(draft.core_pct, draft.related_pct, draft.deadline_year)}. "
            f"The one-shot baselines of the opening positions predict {pct(baselines.weighted_mean)} (weighted mean), "
            f"{pct(baselines.weighted_median)} (weighted median) and {pct(baselines.nash)} (Nash bargaining). "
            f"In Wales 2014 (seed 0), {talks_sentence('the talks', wales)}")


@dataclass(frozen=True)
class Counterfactual:
    """A scenario run over several seeds on the batch engine (`sim.api.simulate_many`)."""

    scenario: str
    runs: pd.DataFrame


def counterfactual(scenario: str, seeds: int = 10) -> Counterfactual:
    return Counterfactual(scenario, simulate_many(pd.DataFrame(index=[0]), seeds, scenario=scenario))


def counterfactual_sentence(c: Counterfactual) -> str:
    """How often the talks agree, and on what (means over the runs with a deal); how many hold out
    where they do not."""
    runs, deals = c.runs, c.runs[c.runs["deal"]]
    failed = runs[~runs["deal"]]
    seeds = f"seeds {runs['seed'].min()}-{runs['seed'].max()}"
    holdouts = number_range(failed["n_holdouts"]) if len(failed) else ""
    if not len(deals):
        return (f"Under `{c.scenario}` the Hague talks end without a deal in every run ({seeds}), with {holdouts} "
                "allies holding out at the summit.")
    package = package_words(deals["core_target_pct"].mean(), deals["related_target_pct"].mean(),
                            number(deals["deadline_year"].mean(), 1))
    text = (f"Under `{c.scenario}` the Hague talks end in a deal in {len(deals)} of {len(runs)} runs ({seeds}), "
            f"on {package} on average")
    return text + (f"; the others end without one, with {holdouts} allies holding out." if len(failed) else ".")


def number_range(counts: pd.Series) -> str:
    """'8 to 13', or '9' when every run has the same count."""
    low, high = int(counts.min()), int(counts.max())
    return str(low) if low == high else f"{low} to {high}"


def implementation_sentence(run: SeedRun) -> str:
    """Who reaches the core level by the deadline after the seed-0 deal, and where the others end."""
    o = run.outcome
    if not o.deal:
        return "Without a deal at the Hague (seed 0) there is no new pledge to keep."
    bearing = [ally for ally in o.allies if ally.trajectory]  # an ally without armed forces has no path
    short = sorted((ally for ally in bearing if not ally.on_track and not ally.flexibility),
                   key=lambda ally: ally.trajectory[max(ally.trajectory)])
    carried = names(o, o.flexibility)
    text = (f"After the Hague deal of seed 0, {o.allies_on_track} of the {len(bearing)} allies with armed forces "
            f"reach the core level ({pct(o.core_target_pct)}) by {o.deadline_year} at today's threat")
    if short:
        text += f"; the other {len(short)} end below it, lowest first: " + end_levels(short)
    if carried:
        text += f"; {joined(carried)}, carried with a side letter, {'is' if len(carried) == 1 else 'are'} not bound by it"
    return text + "."


def end_levels(allies) -> str:
    """'Luxembourg 2.81%, France 2.92%, ...': each ally's level in the deadline year."""
    return ", ".join(f"{ally.name} {pct(ally.trajectory[max(ally.trajectory)])}" for ally in allies)


def levers_paragraph(levers: LeverResults) -> str:
    """The tally and the pass/fail table of docs/levers.md."""
    judged, failed = levers.judged, levers.failed
    tally = (f"{len(judged) - len(failed)} of the {len(judged)} criteria the levers issue set pass "
             f"({levers.seeds_per_point} seeds a point)")
    tally += (f"; {counted(len(failed), 'fails', 'fail')}: "
              + "; ".join(f"{v.lever}, {v.measure}" for v in failed) + ".") if failed else "."
    rows = [(v.lever, v.measure, v.threshold, v.measured, v.outcome) for v in levers.verdicts]
    return tally + "\n\n" + table(("lever", "measure", "threshold", "value measured", "verdict"), rows)
