"""How far the batch engine is from compiled arithmetic: one round of talks, numpy against numba.

Issue 14 asks for the engine's distance from the limit, measured rather than estimated. This
script opens many runs of the default scenario (Hague 2025, mediator protocol, compromise rule;
one US pressure per run, seeds 0..N-1) as `sim.batch.run_batch` opens them, in its windows,
and times one round of the talks two ways on that state: the body of `sim.batch.negotiate`'s
loop (numpy over (runs, allies) arrays), and `round_kernel`, the same round as one compiled
loop over runs and allies (numba), fused, writing into arrays allocated once. Before anything
is timed the kernel is checked against the numpy round on every round of the talks, from the
same inputs; if they disagree the script prints where and reports no timings, since a time
for the wrong arithmetic says nothing.

The kernel is a measuring instrument, not a second engine: the model has one rule set
(`sim/rules.py`, called through `sim/negotiation.py` and `sim/caucuses.py`), and the kernel
is a transcription of one round of it for the mediator protocol under the compromise rule,
which the check holds to those functions. Nothing in `sim/` uses it.

With the round's two times, the rounds a run lasts and the whole run's time (`run_batch` on
the same sweep, and `negotiate` alone on the same openings, timed alongside) it reports what a
run would cost with its rounds compiled and everything else as it is, and the same for one run
per call (`--single-runs` calls of `run_batch` with a `ScenarioCache`). One core, BLAS threads
off; the measurements alternate and the best of `--repeat` is kept; numba's compile time is
measured on the first call and left out.

    python benchmarks/round_kernel.py [--runs 20000] [--repeat 5] [--single-runs 200]
"""

from __future__ import annotations

import os

for _threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_threads] = "1"  # one core: no BLAS or numba threads

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import NamedTuple  # noqa: E402

import numpy as np  # noqa: E402

from sim import batch, negotiation  # noqa: E402
from sim.alliance import Profile  # noqa: E402
from sim.caucuses import Caucus  # noqa: E402
from sim.outcome import measure  # noqa: E402
from sim.parameters import MediatorRule, Protocol  # noqa: E402
from sim.rules import LEVEL_CEILING_PCT, MIN_RAMP_PCT  # noqa: E402
from sim.scenario import Scenario, ScenarioCache  # noqa: E402

try:
    from numba import njit
except ImportError:  # main() says what to install and stops; nothing is compiled without numba
    njit = None

TIMED_ROUND = 4  # a round with a draft on the table, rejections counted and win-sets widened, as most rounds are
TIE_PCT = 1e-9  # rules.fits_win_set's and rules.accepts' tolerance
AGREE_TOLERANCE = 1e-12  # kernel against numpy, relative to the value (and absolute below 1)
FRONT_LINE, FISCAL_CAUCUS = int(Caucus.FRONT_LINE), int(Caucus.FISCAL)  # the kernel reads the codes as constants


def compiled(function):
    """`numba.njit(function)`, dividing as numpy does (0/0 is NaN, not an error); the plain function
    where numba is missing (main refuses to run then)."""
    return njit(error_model="numpy")(function) if njit is not None else function


# --- the numpy round: the body of sim.batch.negotiate's loop --------------------------------------

@dataclass(frozen=True)
class Window:
    """A group of runs as `run_batch` opens it: one window of its `chunk_runs` (one group, as
    every run of the default scenario shares its structure)."""

    profile: Profile
    structure: batch.Structure
    seeds: np.ndarray
    opening: batch.Opening


@dataclass(frozen=True)
class ThreatReading:
    """The threat level the live runs are at and each ally's own reading of it, which
    `negotiate` keeps while the level holds."""

    level: np.ndarray
    own: np.ndarray


@dataclass(frozen=True)
class RoundResult:
    """What a round leaves: the stance the next round reads, the draft and the decision."""

    stance: negotiation.Stance
    draft: negotiation.Package
    decision: negotiation.Decision


def open_windows(scenario: Scenario, overrides: list[dict], chunk_runs: int, cache: ScenarioCache) -> list[Window]:
    """The sweep's openings, window by window and group by group, as `run_batch` makes them."""
    facts = cache.allies(scenario)
    seeds = np.arange(len(overrides))
    windows = []
    for first in range(0, len(overrides), chunk_runs):
        columns = batch.window_columns(scenario, overrides, range(first, min(first + chunk_runs, len(overrides))))
        for structure, rows in batch.Structure.groups(columns):
            if structure.protocol is not Protocol.MEDIATOR or structure.mediator_rule is not MediatorRule.COMPROMISE:
                raise SystemExit(f"the kernel is the mediator protocol under the compromise rule, not {structure}")
            if np.any(columns.values["caucus_bloc_votes"][rows]):
                raise SystemExit("the kernel has no bloc votes (caucus_bloc_votes): the default, off")
            where = (structure.data_year, structure.summit_year)
            profile = cache.derived(facts, ("profile", *where), lambda where=where: Profile.of(facts, *where))
            levers, run_seeds = batch.Levers.of_columns(columns, rows), seeds[rows + first]
            windows.append(Window(profile, structure, run_seeds,
                                  batch.open_talks(profile, facts, levers, run_seeds, cache)))
    return windows


def threat_reading(window: Window, talks: batch.Talks, round_index: int) -> ThreatReading:
    level = negotiation.threat_level_in_round(round_index, talks.levers)
    return ThreatReading(level, negotiation.own_threat(window.profile, talks.levers, talks.standing, level))


def numpy_round(window: Window, talks: batch.Talks, round_index: int, kept: ThreatReading) -> RoundResult:
    """One round of `sim.batch.negotiate` (`batch.play_round`, the bookkeeping of concluded runs
    apart: recording them and dropping them from the arrays)."""
    p, standing = talks.levers, talks.standing
    round_level = negotiation.threat_level_in_round(round_index, p)
    if not np.array_equal(round_level, kept.level):
        kept = ThreatReading(round_level, negotiation.own_threat(window.profile, p, standing, round_level))
    played = batch.play_round(window.profile, window.structure, window.opening, talks, round_index, kept.level,
                              kept.own)
    return RoundResult(stance=played.next_stance, draft=played.draft, decision=played.decision)


def advanced(window: Window, rounds: int) -> batch.Talks:
    """The window's talks after `rounds` numpy rounds (no run dropped, as before the first drop)."""
    talks = window.opening.talks
    for round_index in range(1, rounds + 1):
        result = numpy_round(window, talks, round_index, threat_reading(window, talks, round_index))
        talks = dataclasses.replace(talks, stance=result.stance, draft=result.draft)
    return talks


# --- the compiled round --------------------------------------------------------------------------
#
# Named tuples, not dataclasses, because numba takes them as arguments; every array is laid out
# as the engine's: (runs, allies), a run's levers (runs,), the alliance's facts (allies,).

class AllianceFacts(NamedTuple):
    start_pct: np.ndarray
    is_us: np.ndarray
    bears_cost: np.ndarray
    votes: np.ndarray
    clout: np.ndarray
    exports_to_us_pct_gdp: np.ndarray


class RunLevers(NamedTuple):
    us_pressure: np.ndarray
    us_demand_pct: np.ndarray
    peer_weight: np.ndarray
    need_scale_pct: np.ndarray
    fiscal_drag: np.ndarray
    ramp_base_pct: np.ndarray
    ramp_threat_pct: np.ndarray
    concession_rate: np.ndarray
    caucus_cohesion: np.ndarray
    leverage: np.ndarray
    related_cap_pct: np.ndarray
    split_enabled: np.ndarray
    summit_year: np.ndarray
    earliest_deadline: np.ndarray
    latest_deadline: np.ndarray
    max_rounds: np.ndarray
    early_settlement: np.ndarray
    allow_flexibility: np.ndarray
    max_flexibility_holdouts: np.ndarray
    expansion_rate_pct: np.ndarray
    bilateral_pressure_pct: np.ndarray


class RunStanding(NamedTuple):
    """What stays fixed through the talks: the standing, the own threat reading at the talks'
    level, the caucus codes, the peer matrices as the engine stores them (`peer_influence[s, j,
    a]`: ally j's weight in ally a's reading) and each run's, and the expansion draws (runs,
    rounds, allies)."""

    fiscal: np.ndarray
    reservation_total: np.ndarray
    floor: np.ndarray
    noise: np.ndarray
    own_threat: np.ndarray
    caucus: np.ndarray
    peer_influence: np.ndarray
    peer_index: np.ndarray
    expansion_draws: np.ndarray


class RoundState(NamedTuple):
    """A stance and a draft: what a round reads, and, allocated once, what it writes."""

    threat: np.ndarray
    ideal: np.ndarray
    position: np.ndarray
    deadline_preference: np.ndarray
    deadline_position: np.ndarray
    expansion: np.ndarray
    rejections: np.ndarray
    accepted: np.ndarray
    draft_core_pct: np.ndarray
    draft_related_pct: np.ndarray
    draft_deadline_year: np.ndarray


class RoundDecision(NamedTuple):
    holdouts: np.ndarray
    flexibility: np.ndarray
    concluded: np.ndarray
    deal: np.ndarray


# numpy's NaN semantics, one value at a time: maximum/minimum (and clip) propagate a NaN, fmax/fmin ignore it

@compiled
def maximum(a, b):
    return a if math.isnan(a) or a >= b else b


@compiled
def minimum(a, b):
    return a if math.isnan(a) or a <= b else b


@compiled
def clip(x, low, high):
    return minimum(maximum(x, low), high)


@compiled
def fmax(a, b):
    return a if math.isnan(b) or a >= b else b


@compiled
def fmin(a, b):
    return a if math.isnan(b) or a <= b else b


@compiled
def win_set_ceiling(start_pct, ramp_pct, deadline, summit_year):
    return minimum(start_pct + ramp_pct * maximum(deadline - summit_year, 0.0), LEVEL_CEILING_PCT)


@compiled
def round_kernel(facts, levers, standing, state, round_index, has_draft, out, decision, neighbours, weight,
                 ratifiable):
    """One round for every run, as `numpy_round` computes it: a transcription of the rules for
    measuring their compiled cost, held to them by `check` (the rules themselves live in
    `sim/rules.py` alone). `out` and `decision` are written; `neighbours`, `weight` and
    `ratifiable` are one ally-long row of scratch each, reused run after run."""
    runs, allies = state.position.shape
    for r in range(runs):
        us_pressure = levers.us_pressure[r]
        peer_weight = levers.peer_weight[r]
        summit_year = levers.summit_year[r]
        influence = standing.peer_influence[standing.peer_index[r]]
        # perceive: the neighbours' readings, summed over them in order, every ally's at once
        neighbours[:] = 0.0
        for j in range(allies):
            previous = state.threat[r, j]
            for a in range(allies):
                neighbours[a] += previous * influence[j, a]
        # the own reading mixed in, the ramp, the mediator's weights, the caucuses' sums (last round's positions)
        front_total = front_level = front_deadline = 0.0
        fiscal_total = fiscal_level = fiscal_deadline = 0.0
        for a in range(allies):
            threat = (1.0 - peer_weight) * standing.own_threat[r, a] + peer_weight * neighbours[a]
            out.threat[r, a] = threat
            ratifiable[a] = maximum(levers.ramp_base_pct[r] * (1.0 - standing.fiscal[r, a])
                                    + levers.ramp_threat_pct[r] * threat, MIN_RAMP_PCT) + state.expansion[r, a]
            urgency = us_pressure if facts.is_us[a] else threat
            weight[a] = facts.clout[a] * (0.5 + 0.5 * urgency) * (1.0 + levers.leverage[r] * state.rejections[r, a])
            position = state.position[r, a]
            known = 0.0 if math.isnan(position) else position
            if standing.caucus[r, a] == FRONT_LINE:
                front_total += weight[a]
                front_level += weight[a] * known
                front_deadline += weight[a] * state.deadline_position[r, a]
            elif standing.caucus[r, a] == FISCAL_CAUCUS:
                fiscal_total += weight[a]
                fiscal_level += weight[a] * known
                fiscal_deadline += weight[a] * state.deadline_position[r, a]
        front_line, front_line_deadline = front_level / front_total, front_deadline / front_total
        fiscal_line, fiscal_line_deadline = fiscal_level / fiscal_total, fiscal_deadline / fiscal_total
        # update_position, and the draft's weighted sums as each new position is known
        cohesion = levers.caucus_cohesion[r]
        rate = levers.concession_rate[r]
        core, draft_deadline = state.draft_core_pct[r], state.draft_deadline_year[r]
        weight_sum = core_sum = deadline_sum = 0.0
        for a in range(allies):
            threat = out.threat[r, a]
            start = facts.start_pct[a]
            noise = standing.noise[r, a]
            if facts.is_us[a]:
                ideal = clip(levers.us_demand_pct[r] + noise, 0.0, LEVEL_CEILING_PCT)
            else:
                shortfall = maximum(levers.need_scale_pct[r] * threat - start, 0.0)
                alone = clip(start + shortfall * (1.0 - levers.fiscal_drag[r] * standing.fiscal[r, a]), 0.0,
                             LEVEL_CEILING_PCT)
                ideal = clip(alone + noise, 0.0, LEVEL_CEILING_PCT)
            level = state.position[r, a] + (ideal - state.ideal[r, a])
            preference = state.deadline_preference[r, a]
            wanted = preference
            if has_draft:
                urgency = us_pressure if facts.is_us[a] else threat
                level = level + rate * (1.0 - clip(urgency, 0.0, 1.0)) * (core - level)
                preference = preference + rate * (draft_deadline - preference)
                needed = summit_year + maximum(core - start, 0.0) / maximum(ratifiable[a], MIN_RAMP_PCT)
                wanted = fmax(preference, needed)
            code = standing.caucus[r, a]
            level_gap = deadline_gap = 0.0
            if code == FRONT_LINE:
                level_gap, deadline_gap = front_line - level, front_line_deadline - wanted
            elif code == FISCAL_CAUCUS:
                level_gap, deadline_gap = fiscal_line - level, fiscal_line_deadline - wanted
            level = level + cohesion * (0.0 if math.isnan(level_gap) else level_gap)
            wanted = wanted + cohesion * (0.0 if math.isnan(deadline_gap) else deadline_gap)
            deadline_position = clip(wanted, levers.earliest_deadline[r], levers.latest_deadline[r])
            if facts.bears_cost[a]:
                ceiling = win_set_ceiling(start, ratifiable[a], deadline_position, summit_year)
                level = fmin(fmax(level, standing.floor[r, a]), ceiling)
            position = clip(level, 0.0, LEVEL_CEILING_PCT)
            out.ideal[r, a] = ideal
            out.position[r, a] = position
            out.deadline_preference[r, a] = preference
            out.deadline_position[r, a] = deadline_position
            if weight[a] > 0:
                core_sum += position * weight[a]
                deadline_sum += deadline_position * weight[a]
            weight_sum += weight[a]
        # draft_package (compromise: the weighted mean)
        core = core_sum / weight_sum
        deadline = np.int64(np.rint(deadline_sum / weight_sum))
        related = clip(levers.us_demand_pct[r] - core, 0.0, levers.related_cap_pct[r]) \
            if levers.split_enabled[r] else 0.0
        out.draft_core_pct[r] = core
        out.draft_related_pct[r] = related
        out.draft_deadline_year[r] = deadline
        # vote, share_accepting
        accepting = voters = 0
        for a in range(allies):
            if facts.bears_cost[a]:
                fits = core <= win_set_ceiling(facts.start_pct[a], ratifiable[a], deadline, summit_year) + TIE_PCT
                accepted = fits and core + related >= standing.reservation_total[r, a] - TIE_PCT
            else:
                accepted = True
            out.accepted[r, a] = accepted
            if facts.votes[a]:
                voters += 1
                accepting += accepted
        share = accepting / voters
        # out_of_reach, decide's tallies, respond_to_pressure
        pressure = us_pressure + peer_weight * share
        rounds_left = max(levers.max_rounds[r] - round_index, 0)
        holdouts = 0
        all_settled = us_accepts = True
        for a in range(allies):
            accepted = out.accepted[r, a]
            exports = facts.exports_to_us_pct_gdp[a]
            named = levers.bilateral_pressure_pct[r] * us_pressure * (0.0 if math.isnan(exports) else exports)
            widening = levers.expansion_rate_pct[r] * pressure + named
            reachable = ratifiable[a] + rounds_left * widening
            beyond_reach = not accepted and facts.bears_cost[a] and not (
                core <= win_set_ceiling(facts.start_pct[a], reachable, deadline, summit_year) + TIE_PCT)
            holdout = facts.votes[a] and not accepted
            decision.holdouts[r, a] = holdout
            holdouts += holdout
            all_settled = all_settled and (not holdout or beyond_reach)
            us_accepts = us_accepts and (accepted or not (facts.is_us[a] and facts.votes[a]))
            rejected = not accepted
            out.expansion[r, a] = state.expansion[r, a] + (
                widening * standing.expansion_draws[r, round_index - 1, a] if rejected else 0.0)
            out.rejections[r, a] = state.rejections[r, a] + rejected
        summit = round_index >= levers.max_rounds[r]
        stalled = levers.early_settlement[r] and all_settled
        carried = (summit or stalled) and (levers.allow_flexibility[r] and us_accepts
                                           and holdouts <= levers.max_flexibility_holdouts[r])
        decision.concluded[r] = holdouts == 0 or summit or carried
        decision.deal[r] = holdouts == 0 or carried
        for a in range(allies):
            decision.flexibility[r, a] = decision.holdouts[r, a] and carried


@dataclass(frozen=True)
class KernelCall:
    """A window's state laid out for the kernel, and its outputs, allocated once."""

    facts: AllianceFacts
    levers: RunLevers
    standing: RunStanding
    state: RoundState
    round_index: int
    has_draft: bool
    out: RoundState
    decision: RoundDecision
    neighbours: np.ndarray
    weight: np.ndarray
    ratifiable: np.ndarray

    @classmethod
    def of(cls, window: Window, talks: batch.Talks, round_index: int) -> KernelCall:
        profile, opening = window.profile, window.opening
        runs, allies = np.shape(talks.stance.position)
        p = talks.levers

        def row(values, kind=float):
            return np.ascontiguousarray(values, dtype=kind)

        def grid(values, kind=float):
            return np.ascontiguousarray(np.broadcast_to(values, (runs, allies)), dtype=kind)

        def column(values, kind):
            return np.ascontiguousarray(np.broadcast_to(np.asarray(values)[:, 0], (runs,)), dtype=kind)

        facts = AllianceFacts(row(profile.start_pct), row(profile.is_us, bool), row(profile.bears_cost, bool),
                              row(profile.votes, bool), row(profile.clout), row(profile.exports_to_us_pct_gdp))
        levers = RunLevers(*(column(getattr(p, name), np.asarray(getattr(p, name)).dtype)
                             for name in RunLevers._fields))
        kept = threat_reading(window, talks, round_index)
        standing = RunStanding(
            fiscal=grid(talks.standing.fiscal), reservation_total=grid(talks.standing.reservation_total),
            floor=grid(talks.standing.floor), noise=grid(talks.standing.noise), own_threat=grid(kept.own),
            caucus=grid(talks.caucus, np.int64),
            peer_influence=np.ascontiguousarray(opening.peer_matrices),
            peer_index=row(talks.peer_index, np.int64), expansion_draws=opening.expansion_draws)
        stance, draft = talks.stance, talks.draft
        state = RoundState(
            threat=grid(stance.threat), ideal=grid(stance.ideal), position=grid(stance.position),
            deadline_preference=grid(stance.deadline_preference), deadline_position=grid(stance.deadline_position),
            expansion=grid(stance.expansion), rejections=grid(stance.rejections, np.int64),
            accepted=grid(stance.accepted, bool),
            draft_core_pct=column(draft.core_pct, float) if draft else np.zeros(runs),
            draft_related_pct=column(draft.related_pct, float) if draft else np.zeros(runs),
            draft_deadline_year=column(draft.deadline_year, np.int64) if draft else np.zeros(runs, np.int64))
        out = RoundState(*(np.empty_like(values) for values in state))
        decision = RoundDecision(np.empty((runs, allies), bool), np.empty((runs, allies), bool),
                                 np.empty(runs, bool), np.empty(runs, bool))
        return cls(facts, levers, standing, state, round_index, draft is not None, out, decision,
                   np.empty(allies), np.empty(allies), np.empty(allies))

    def __call__(self) -> None:
        round_kernel(self.facts, self.levers, self.standing, self.state, self.round_index, self.has_draft,
                     self.out, self.decision, self.neighbours, self.weight, self.ratifiable)


# --- the check: the kernel against the numpy round ---------------------------------------------

@dataclass(frozen=True)
class Disagreement:
    round_index: int
    field: str
    worst: float  # the largest difference (floats) or how many entries differ


@dataclass(frozen=True)
class Agreement:
    rounds: int
    runs: int
    largest_float_difference: float
    disagreements: list[Disagreement]


def compared(kernel: KernelCall, result: RoundResult) -> tuple[float, list[Disagreement]]:
    """The largest difference between the kernel's float outputs and the numpy round's, and
    every output where they differ beyond AGREE_TOLERANCE (or at all, for integers and votes)."""
    stance, draft, decision = result.stance, result.draft, result.decision
    expected = {name: getattr(stance, name) for name in RoundState._fields if hasattr(stance, name)}
    expected |= {"draft_core_pct": draft.core_pct, "draft_related_pct": draft.related_pct,
                 "draft_deadline_year": draft.deadline_year, "holdouts": decision.holdouts,
                 "flexibility": decision.flexibility, "concluded": decision.concluded, "deal": decision.deal}
    actual = kernel.out._asdict() | kernel.decision._asdict()
    largest, found = 0.0, []
    for name, got in actual.items():
        want = np.broadcast_to(expected[name], got.shape) if np.ndim(expected[name]) == got.ndim \
            else np.asarray(expected[name])[:, 0]  # the engine keeps a run's draft and decision as (runs, 1)
        if want.dtype.kind == "f":
            gap = np.where(np.isnan(want) & np.isnan(got), 0.0, np.abs(want - got))  # NaN on one side: NaN
            largest = max(largest, float(np.max(gap, initial=0.0)))
            within = gap <= AGREE_TOLERANCE * np.maximum(np.abs(np.nan_to_num(want)), 1.0)
            if not within.all():
                found.append(Disagreement(kernel.round_index, name, float(np.max(np.where(within, 0.0, gap)))))
        elif not np.array_equal(want, got):
            found.append(Disagreement(kernel.round_index, name, float(np.sum(want != got))))
    return largest, found


def check(windows: list[Window], rounds: int) -> Agreement:
    """The kernel against the numpy round on every round of the talks, from the same inputs (the
    numpy round's state carried forward, no run dropped)."""
    found, largest = [], 0.0
    for window in windows:
        talks = window.opening.talks
        for round_index in range(1, rounds + 1):
            result = numpy_round(window, talks, round_index, threat_reading(window, talks, round_index))
            kernel = KernelCall.of(window, talks, round_index)
            kernel()
            difference, differing = compared(kernel, result)
            largest, found = max(largest, difference), found + differing
            talks = dataclasses.replace(talks, stance=result.stance, draft=result.draft)
    return Agreement(rounds, sum(len(window.opening.talks.run) for window in windows), largest, found)


# --- timing ----------------------------------------------------------------------------------------

def pin_to_one_core() -> int:
    """Run on a single core, so the figures compare the two rounds, not core counts."""
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return core


@dataclass(frozen=True)
class Work:
    """A piece of work to time, over how many runs."""

    runs: int
    do: Callable[[], object]


def best_times(repeat: int, work: dict[str, Work]) -> dict[str, float]:
    """Each piece of work's best time, in us per run, over `repeat` passes, the pieces alternating."""
    best = dict.fromkeys(work, float("inf"))
    for _ in range(repeat):
        for name, piece in work.items():
            started = time.perf_counter()
            piece.do()
            best[name] = min(best[name], time.perf_counter() - started)
    return {name: seconds * 1e6 / work[name].runs for name, seconds in best.items()}


def run_parts(scenario: Scenario, windows: list[Window], cache: ScenarioCache) -> dict[str, Callable[[], object]]:
    """The steps of `run_group` besides the rounds, each over every window, as `run_group`
    calls them (the talks' ends computed once beforehand)."""
    facts = cache.allies(scenario)
    ended = [batch.negotiate(w.profile, w.structure, w.opening) for w in windows]

    def opening():
        for w in windows:
            batch.open_talks(w.profile, facts, w.opening.talks.levers, w.seeds, cache)

    def baselines(rules):
        def work():
            for w in windows:
                talks = w.opening.talks
                weights = negotiation.mediator_weights(w.profile, talks.levers, talks.stance)
                for rule in rules:
                    negotiation.baselines(rule, w.profile, talks.levers, talks.stance, weights)
        return work

    def implementation():
        for w, end in zip(windows, ended):
            projection = batch.implement(w.profile, w.opening.talks, end, w.structure.data_year, scenario.ledger,
                                         False)
            measure(w.profile, end.deal[:, None], end.flexibility, projection)

    return {"opening": opening, "Nash baseline": baselines([MediatorRule.NASH]),
            "mean and median baselines": baselines([MediatorRule.COMPROMISE, MediatorRule.MEDIAN]),
            "implementation": implementation}


def rounds_computed(rounds: np.ndarray, chunk_runs: int) -> int:
    """How many run-rounds `negotiate` computes for runs lasting `rounds`: a concluded run stays
    in the arrays (computed, never read) until concluded runs are over a quarter of them."""
    total = 0
    for first in range(0, len(rounds), chunk_runs):
        live = rounds[first:first + chunk_runs]
        recorded = np.zeros(len(live), dtype=bool)
        round_index = 0
        while not recorded.all():
            round_index += 1
            total += len(live)
            recorded |= live == round_index
            if np.mean(recorded) > batch.DROP_CONCLUDED_SHARE:
                live, recorded = live[~recorded], recorded[~recorded]
    return total


def sweep(runs: int) -> list[dict]:
    """One US pressure per run, evenly over 0..1 (as throughput.py's large sweep)."""
    return [{"us_pressure": float(p)} for p in np.linspace(0.0, 1.0, runs)]


@dataclass(frozen=True)
class Projection:
    """A run's cost as measured, and with its rounds compiled and everything else as it is (us)."""

    run: float  # run_batch, the whole run
    rounds_numpy: float  # negotiate on the same openings: the rounds as the engine runs them
    rounds_compiled: float  # the kernel's round x the rounds a run lasts
    parts: dict[str, float]  # the other steps of run_group, timed alone

    @property
    def rest(self) -> float:
        return self.run - self.rounds_numpy

    @property
    def unaccounted(self) -> float:
        """What `run_batch` spends besides its steps (the parameter columns, grouping, collecting
        the results), plus the noise between timing the steps alone and within it."""
        return self.rest - sum(self.parts.values())

    @property
    def compiled_run(self) -> float:
        return self.rest + self.rounds_compiled

    @property
    def rounds_share(self) -> float:
        return self.rounds_numpy / self.run


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20_000, help="runs of the sweep")
    parser.add_argument("--repeat", type=int, default=5, help="time each piece this many times, keep the best")
    parser.add_argument("--single-runs", type=int, default=200, help="calls of run_batch with one run each")
    args = parser.parse_args(argv)
    if njit is None:
        print("round_kernel.py needs numba, which is not installed: pip install -e '.[fast]'", file=sys.stderr)
        return 2

    core = pin_to_one_core()
    cache = ScenarioCache()
    scenario = cache.scenario("hague2025")
    overrides, singles = sweep(args.runs), sweep(args.single_runs)
    windows = open_windows(scenario, overrides, batch.DEFAULT_CHUNK_RUNS, cache)
    single_windows = open_windows(scenario, singles, 1, cache)
    load = os.getloadavg()
    print(f"{scenario.name}, mediator protocol, compromise rule, one US pressure per run; one core (cpu {core}); "
          f"{args.runs} runs in windows of {batch.DEFAULT_CHUNK_RUNS}, and {args.single_runs} one-run calls; "
          f"best of {args.repeat}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")

    first = KernelCall.of(windows[0], advanced(windows[0], TIMED_ROUND - 1), TIMED_ROUND)
    started = time.perf_counter()
    first()
    compiling = time.perf_counter() - started
    started = time.perf_counter()
    first()
    print(f"numba's first call, compiling the kernel: {compiling:.2f} s (the next call: "
          f"{(time.perf_counter() - started) * 1e3:.2f} ms); left out of every timing below")

    max_rounds = int(max(np.max(window.opening.talks.levers.max_rounds) for window in windows + single_windows))
    agreement = check(windows + single_windows, max_rounds)
    print(f"kernel against the numpy round, rounds 1..{agreement.rounds} of {agreement.runs} runs: largest "
          f"float difference {agreement.largest_float_difference:.1e}; "
          f"{'they agree' if not agreement.disagreements else 'they DISAGREE'}")
    if agreement.disagreements:
        print(f"{len(agreement.disagreements)} outputs x rounds differ, so no timings:")
        for item in agreement.disagreements[:20]:
            print(f"  round {item.round_index}: {item.field}: {item.worst:.3g}")
        return 1

    states = [(window, advanced(window, TIMED_ROUND - 1)) for window in windows]
    single_states = [(window, advanced(window, TIMED_ROUND - 1)) for window in single_windows]

    def numpy_rounds(states):
        kept = [threat_reading(window, talks, TIMED_ROUND) for window, talks in states]  # as negotiate keeps it
        return lambda: [numpy_round(window, talks, TIMED_ROUND, reading)
                        for (window, talks), reading in zip(states, kept)]

    def kernel_rounds(states):
        calls = [KernelCall.of(window, talks, TIMED_ROUND) for window, talks in states]
        return lambda: [call() for call in calls]

    single_cache = ScenarioCache()
    rounds = batch.run_batch(scenario, overrides, range(args.runs), cache=cache).rounds  # also warms up
    single_rounds = np.array([batch.run_batch("hague2025", [changes], [seed], cache=single_cache).rounds[0]
                              for seed, changes in enumerate(singles)])
    runs, single = args.runs, args.single_runs
    parts = {name: Work(runs, work) for name, work in run_parts(scenario, windows, cache).items()}
    single_parts = {f"{name}, one run": Work(single, work)
                    for name, work in run_parts(scenario, single_windows, single_cache).items()}
    per_run = best_times(args.repeat, {
        **parts, **single_parts,
        "numpy round": Work(runs, numpy_rounds(states)),
        "kernel round": Work(runs, kernel_rounds(states)),
        "run_batch": Work(runs, lambda: batch.run_batch(scenario, overrides, range(runs), cache=cache)),
        "negotiate": Work(runs, lambda: [batch.negotiate(w.profile, w.structure, w.opening) for w in windows]),
        "numpy round, one run": Work(single, numpy_rounds(single_states)),
        "kernel round, one run": Work(single, kernel_rounds(single_states)),
        "run_batch, one run": Work(single, lambda: [batch.run_batch("hague2025", [changes], [seed], cache=single_cache)
                                                    for seed, changes in enumerate(singles)]),
        "negotiate, one run": Work(single, lambda: [batch.negotiate(w.profile, w.structure, w.opening)
                                                    for w in single_windows]),
    })
    report(args, per_run, rounds, single_rounds)
    return 0


PARTS = ("opening", "Nash baseline", "mean and median baselines", "implementation")


def report(args, per_run: dict[str, float], rounds: np.ndarray, single_rounds: np.ndarray) -> None:
    kernel = per_run["kernel round"]
    print(f"\none round (round {TIMED_ROUND}), us per run per round:")
    for name, label in (("numpy round", f"numpy, {args.runs} runs in the engine's windows"),
                        ("kernel round", "numba kernel, the same runs"),
                        ("numpy round, one run", f"numpy, one run a call ({args.single_runs} calls)"),
                        ("kernel round, one run", "numba kernel, one run a call (the call included)")):
        print(f"  {label:<52}{per_run[name]:9.3f} {per_run[name] / kernel:8.1f}x the kernel's")

    computed = rounds_computed(rounds, batch.DEFAULT_CHUNK_RUNS) / len(rounds)
    sweep_cost = Projection(per_run["run_batch"], per_run["negotiate"], kernel * rounds.mean(),
                            {name: per_run[name] for name in PARTS})
    single_cost = Projection(per_run["run_batch, one run"], per_run["negotiate, one run"],
                             kernel * single_rounds.mean(), {name: per_run[f"{name}, one run"] for name in PARTS})
    print(f"\na run, us: {args.runs} runs in one call ({rounds.mean():.2f} rounds on average; the engine computes "
          f"{computed:.2f}, a concluded run staying in the arrays until a quarter of them have concluded), "
          f"and one run a call with a ScenarioCache ({single_rounds.mean():.2f} rounds)")
    print(f"  {'':<44}{'sweep':>10}{'one run':>10}")

    def line(label, sweep_value, single_value, note=""):
        print(f"  {label:<44}{sweep_value:10.2f}{single_value:10.1f}{note}")

    line("run_batch, the whole run", sweep_cost.run, single_cost.run,
         f"   {1e6 / sweep_cost.run:,.0f} runs/s")
    line("  negotiate: the rounds (numpy)", sweep_cost.rounds_numpy, single_cost.rounds_numpy,
         f"   {sweep_cost.rounds_share:.0%} / {single_cost.rounds_share:.0%} of the run")
    line("  everything else", sweep_cost.rest, single_cost.rest,
         f"   {1e6 / sweep_cost.rest:,.0f} runs/s were the rounds free")
    for name in PARTS:
        line(f"    {name}", sweep_cost.parts[name], single_cost.parts[name])
    line("    the remainder: run_batch's own, and noise", sweep_cost.unaccounted, single_cost.unaccounted)
    line("  the rounds compiled (kernel x rounds)", sweep_cost.rounds_compiled, single_cost.rounds_compiled)
    line("the run with its rounds compiled", sweep_cost.compiled_run, single_cost.compiled_run,
         f"   {1e6 / sweep_cost.compiled_run:,.0f} runs/s")
    print(f"\nissue 14's targets: 30,000 runs/s on one core (33.3 us a run): "
          f"{1e6 / sweep_cost.compiled_run:,.0f} with the rounds compiled, {1e6 / sweep_cost.rest:,.0f} were they "
          f"free; one run a call under 1,000 us: {single_cost.compiled_run:,.0f} us with the rounds compiled "
          f"(a kernel call per round: {single_cost.rest + per_run['kernel round, one run'] * single_rounds.mean():,.0f})")


if __name__ == "__main__":
    raise SystemExit(main())
