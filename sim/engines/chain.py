"""History as a chain of summits: Wales 2014, Vilnius 2023 and the Hague 2025 negotiated one after
the other, each from the spending and the pledges the years before it left.

Each summit reads its own scenario for what was known on its information date (the US's posture,
the threat assessments, the fiscal figures, the threat environment of its years); the data that
post-date it are named, case by case, by `sim/analysis/dated_inputs.py`. What the scenario files
type in for a case run alone, the chain makes itself:

- the allies start each summit from the spending the chain projected for its data year, not from
  the record (every ally with forces has a projected path, members or not; Iceland, without
  forces, has no figure either way);
- the standing pledges are the ones the chain's earlier summits made (each deal, a floor at its
  level from its deadline on: `Ledger`), not the ones a scenario lists;
- the years between two summits are the earlier summit's implementation
  (`implementation.project_spending`), run to the later summit's data year, with the events of
  those years in the year they happened: the scenario's `threat_event_year`, and the US's posture
  of each year (`posture_by_year`: the Trump administration's of 2017-2020 weighs on those years'
  budgets, not on the talks of 2014).

The last summit's years run to its deadline: the chain's forecast.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from sim.data.loader import AllyFacts
from sim.data.us_posture import load_us_posture
from sim.engines.batch import Levers, Structure, implement, negotiate, open_talks, window_columns
from sim.model.alliance import Alliance
from sim.model.implementation import StandingPath
from sim.model.pledges import Ledger, Pledge, PledgeKind
from sim.model.scenario import Scenario, ScenarioCache, ScenarioError
from sim.model.us_actor import read_posture

#: The summits of the default history, in order (scenario names under configs/).
SUMMITS = ("wales2014", "vilnius2023", "hague2025")
#: Parameters that place a summit in history: each summit's own, never set for the whole chain.
PLACING = ("summit_year", "data_year", "threat_event_year")


@dataclass(frozen=True)
class Review:
    """A review that a summit's declaration sets: in `year` the allies may revise its path.

    They hold talks under the same rules, from the spending the chain projected for the year
    before, seeing what the summit saw (its information date: nothing later is known to a
    forecast), with its statements' years kept (a horizon "within five years" of 2025 is a
    year away in 2029). A revision needs consensus like any package; without one the summit's
    path stands (the standing package is the status quo a veto defends: Tsebelis 2002). The
    summit's pledge stays in the ledger either way: from its deadline its floor binds whatever
    the review agreed."""

    of_summit_year: int  # the summit whose path is reviewed
    year: int
    source: str


#: "The trajectory and balance of spending under this commitment will be reviewed in 2029, in
#: light of the strategic environment and updated Capability Targets."
HAGUE_REVIEW = Review(of_summit_year=2025, year=2029, source="The Hague Summit Declaration, 25 June 2025, paragraph 3")


class StartingSpending(StrEnum):
    """Where each summit after the first starts from."""

    CHAIN = "chain"  # the spending the chain projected: history made by the model alone (a hindcast)
    RECORD = "record"  # the record of its data year (its vintage: `dated_inputs`): only the pledges are the chain's


@dataclass(frozen=True)
class SummitOutcome:
    """What one summit of one history agreed."""

    scenario: str  # the scenario's name
    summit_year: int
    data_year: int
    deal: bool
    core_pct: float  # the package's core level; NaN without a deal
    deadline_year: int | None  # None without a deal
    rounds: int
    holdouts: tuple[str, ...]  # members at the table that did not accept the last draft
    flexibility: tuple[str, ...]  # allies carried with a side letter


@dataclass(frozen=True)
class History:
    """One run of the chain: each summit's outcome and every ally's spending year by year."""

    seed: int
    iso3: tuple[str, ...]
    summits: tuple[SummitOutcome, ...]
    first_year: int
    path: np.ndarray  # allies x years from `first_year`: the record's first year, then the chain's
    review: SummitOutcome | None = None  # the last summit's review, where one was held

    @property
    def years(self) -> tuple[int, ...]:
        return tuple(range(self.first_year, self.first_year + self.path.shape[1]))

    def spending_in(self, year: int) -> np.ndarray:
        """Each ally's spending in `year` (NaN past the path's end)."""
        column = year - self.first_year
        return self.path[:, column] if 0 <= column < self.path.shape[1] else np.full(len(self.iso3), np.nan)

    def spending_over(self, years: Sequence[int]) -> np.ndarray:
        """Allies x `years`."""
        return np.stack([self.spending_in(year) for year in years], axis=1)

    def summit(self, scenario: str) -> SummitOutcome:
        """The outcome of the summit of that scenario name."""
        for outcome in self.summits:
            if outcome.scenario == scenario:
                return outcome
        raise KeyError(f"no summit {scenario!r} in this history; it has {', '.join(o.scenario for o in self.summits)}")


@dataclass(frozen=True)
class Talked:
    """A summit's talks and its years after, for one run."""

    outcome: SummitOutcome
    pledge: Pledge | None  # what it adds to the ledger
    years: dict[int, np.ndarray]  # each projected year's spending, from the year after the data year
    path: StandingPath  # what each ally implements, to which deadline


def run_history(seeds: Sequence[int], summits: Sequence[str | Scenario] = SUMMITS,
                overrides: Mapping[str, object] | None = None, start: StartingSpending = StartingSpending.CHAIN,
                cache: ScenarioCache | None = None, review: Review | None = HAGUE_REVIEW) -> list[History]:
    """One history per seed: `summits` in order, each run by the batch engine from what the
    chain left it (`start`), then the `review` of the last summit where it reviews that one and
    falls before its deadline. `overrides` are parameters set for every summit (a lever swept
    across the history: for instance `us_pressure`, which then holds in every year between the
    summits too, where otherwise each year reads the US's posture, a pressure set in a
    scenario file's `[parameters]` included); a summit's information date still sets the rest,
    and the parameters that place it in history (`PLACING`) cannot be set."""
    cache = cache if cache is not None else ScenarioCache()
    placing = sorted(set(overrides or {}) & set(PLACING))
    if placing:
        raise ScenarioError(f"--set {placing[0]}: each summit of the history has its own "
                            f"({', '.join(PLACING)} are set by its scenario); allowed: any other parameter")
    scenarios = [cache.scenario(s) if not isinstance(s, Scenario) else s for s in summits]
    in_order(scenarios)
    scenarios = [s.with_parameters(**overrides) if overrides else s for s in scenarios]
    years_between = [next_one.params.data_year for next_one in scenarios[1:]] + [None]
    known_by = max((s.information.date for s in scenarios if s.information is not None), default=None)
    read = known_by is not None and "us_pressure" not in (overrides or {})  # a set pressure holds throughout
    reviewed = reviewing(scenarios[-1], review)
    last_deadline = max([s.params.latest_deadline for s in scenarios]
                        + ([reviewed.params.latest_deadline] if reviewed is not None else []))
    years = range(scenarios[0].params.data_year + 1, last_deadline + 1)
    pressure = posture_by_year(years, known_by) if read else None  # read once, for every run and summit
    return [_history(int(seed), scenarios, years_between, StartingSpending(start), pressure, cache, reviewed)
            for seed in seeds]


def reviewing(summit: Scenario, review: Review | None) -> Scenario | None:
    """The talks of `review` as a scenario: `summit`'s, held in the review's year, with the years
    its statements named kept (the US's deadline and the threat's horizon count from the summit);
    None where the review is not of this summit."""
    if review is None or summit.params.summit_year != review.of_summit_year:
        return None
    if review.year <= summit.params.summit_year:
        raise ScenarioError(f"the review of {summit.name} ({review.year}) must come after its summit "
                            f"({summit.params.summit_year})")
    later = review.year - summit.params.summit_year
    p = summit.params
    return dataclasses.replace(summit.with_parameters(
        summit_year=review.year, us_deadline_years=max(p.us_deadline_years - later, 1.0),
        threat_horizon_years=max(p.threat_horizon_years - later, 1.0)), name=f"{summit.name} review {review.year}")


def in_order(scenarios: Sequence[Scenario]) -> None:
    """Refuse summits out of order: each must be held after the one before, from a later data year."""
    if not scenarios:
        raise ScenarioError("a history needs at least one summit")
    for earlier, later in zip(scenarios, scenarios[1:]):
        if (later.params.summit_year <= earlier.params.summit_year
                or later.params.data_year <= earlier.params.data_year):
            raise ScenarioError(f"{later.source}: its summit ({later.params.summit_year}, data of "
                                f"{later.params.data_year}) must come after {earlier.name}'s "
                                f"({earlier.params.summit_year}, data of {earlier.params.data_year})")


def posture_by_year(years, known_by: dt.date) -> dict[int, float]:
    """The US's pressure in force when each year's budget was passed: its posture read on 31
    December of the year before (`us_actor.read_posture`: the sitting administration's threats of
    the year before), never later than `known_by` (the last summit's information date: a forecast
    year keeps the posture that summit knew)."""
    events = load_us_posture()
    return {year: read_posture(min(dt.date(year - 1, 12, 31), known_by), events).pressure for year in years}


def _history(seed: int, scenarios: list[Scenario], years_between: list[int | None], start: StartingSpending,
             pressure: Mapping[int, float] | None, cache: ScenarioCache, reviewed: Scenario | None) -> History:
    first = cache.allies(scenarios[0])
    first_year = scenarios[0].params.data_year
    known: dict[int, np.ndarray] = {}  # each year's spending: where a summit started, then its years after
    ledger, outcomes = Ledger(), []
    for scenario, until in zip(scenarios, years_between):
        facts = cache.allies(scenario)
        data_year = scenario.params.data_year
        if start is StartingSpending.CHAIN and data_year in known:  # the record only where the chain has no figure
            chained = known[data_year]
            facts = facts.with_spending(data_year, np.where(np.isnan(chained), facts.spending_pct(data_year), chained))
        talked = _summit(scenario, facts, ledger, seed, until, pressure, cache)
        outcomes.append(talked.outcome)
        known = ({year: spending for year, spending in known.items() if year < data_year}
                 | {data_year: facts.spending_pct(data_year)} | talked.years)
        if talked.pledge is not None:
            ledger = ledger.adding(talked.pledge)
    review = None
    if reviewed is not None and talked.outcome.deal and reviewed.params.summit_year < talked.outcome.deadline_year:
        opens = reviewed.params.summit_year - 1  # the talks open from the chain's spending of the year before
        facts = cache.allies(reviewed).with_spending(opens, known[opens])
        revised = _summit(reviewed, facts, ledger, seed, None, pressure, cache, opens_from=opens,
                          standing=talked.path)
        review = revised.outcome
        known = {year: spending for year, spending in known.items() if year <= opens} | revised.years
    last = max(known)
    path = np.stack([known.get(year, np.full(first.count, np.nan)) for year in range(first_year, last + 1)], axis=1)
    return History(seed=seed, iso3=tuple(first.iso3), summits=tuple(outcomes), first_year=first_year, path=path,
                   review=review)


def _summit(scenario: Scenario, facts: AllyFacts, ledger: Ledger, seed: int, until: int | None,
            pressure: Mapping[int, float] | None, cache: ScenarioCache, opens_from: int | None = None,
            standing: StandingPath | None = None) -> Talked:
    """One summit's talks (as `run_batch` runs them, for one run) and its years to `until` (to its
    deadline for the last summit), under the US `pressure` of each year where given (`posture_by_year`).
    The talks open from the spending of `opens_from` (a review: the chain's), the scenario's data year
    otherwise; talks that revise a `standing` path keep it where they end without a deal."""
    columns = window_columns(scenario, [{}], range(1))
    [(structure, rows)] = Structure.groups(columns)
    opens = structure.data_year if opens_from is None else opens_from
    alliance = Alliance.of(facts, opens, structure.summit_year)
    levers = Levers.of_columns(columns, rows)
    opening = open_talks(alliance, facts, levers, [seed], ledger, cache)
    ended = negotiate(alliance, structure, opening)
    deal = bool(ended.deal[0])
    deadline = int(ended.draft.deadline_year[0, 0])
    kept = standing if standing is not None and not deal else None
    last = until if until is not None else (deadline if kept is None else kept.deadline_year)
    projection = implement(alliance, opening.talks, ended, opens, ledger, keep_trajectory=True,
                           until=last, us_pressure_by_year=pressure, standing=standing)
    trajectory = projection.trajectory[0]
    projected = {opens + column: trajectory[:, column] for column in range(1, trajectory.shape[1])}
    core = float(ended.draft.core_pct[0, 0])
    at_table = np.asarray(alliance.at_table)
    iso3 = np.asarray(alliance.iso3)
    outcome = SummitOutcome(
        scenario=scenario.name, summit_year=structure.summit_year, data_year=opens, deal=deal,
        core_pct=core if deal else float("nan"), deadline_year=deadline if deal else None,
        rounds=int(ended.rounds[0]),
        holdouts=tuple(str(code) for code in iso3[at_table & ~ended.stance.accepted[0]]),
        flexibility=tuple(str(code) for code in iso3[ended.flexibility[0]]) if deal else ())
    pledge = Pledge(name=scenario.name, kind=PledgeKind.FLOOR, level_pct=core, from_year=deadline,
                    source=f"the chain's {scenario.name} talks", made_year=structure.summit_year) if deal else None
    path = StandingPath(target=projection.target[0], deadline_year=deadline) if kept is None else kept
    return Talked(outcome=outcome, pledge=pledge, years=projected, path=path)


def with_summits(histories: Sequence[History]) -> dict[str, list[SummitOutcome]]:
    """Each summit's outcomes over the histories, by scenario name."""
    table: dict[str, list[SummitOutcome]] = {}
    for history in histories:
        for outcome in history.summits:
            table.setdefault(outcome.scenario, []).append(outcome)
    return table
