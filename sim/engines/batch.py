"""The batch engine: many runs of the talks at once, as arrays of shape (runs, allies).

The Mesa model (`sim/engines/model.py`) is the canonical, inspectable run; sweeps need thousands to
millions of them. This engine runs the same schedule over a block of runs by calling the
same steps (`sim.model`, `sim.protocols`, `sim.engines.outcome.measure`) on arrays,
so it is fast and still gives what the model gives, run for run
(`tests/test_batch_equivalence.py` pins the two together). It needs no Mesa.

How runs are batched. Runs are taken in windows of `chunk_runs`, so memory stays bounded
whatever the size of the sweep. A window's parameters are built and checked as columns, one
array per parameter (`parameters.parameter_columns`, the same table and ranges as the one-run
`Parameters`; a refused run is reported with the one-run message and its index). Within a
window, runs that share what fixes the arrays'
shapes or the control flow (data year, summit year, mediator rule) run as one group; every
other parameter varies run by run as a column (runs, 1) that the steps broadcast. A run that
concludes (a deal, or the summit) is recorded there and then, so it stays frozen while the
others talk on; concluded runs leave the live arrays once they are a quarter of them. A run's
random numbers are a function of its own seed alone (`streams.random_draws`, counter-based:
`sim.model.streams`), drawn for a whole group in one call, and every array operation works run by
run, so a run's result never depends on the batch size, the grouping or the other runs. The scenario file,
the allies' data and the `Alliance` come through a `ScenarioCache`: one per call, or
the caller's, so calling with one run at a time does not read the files again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter

import numpy as np

from sim.model import concession, consensus, implementation, perception, pressure, win_set
from sim.model.alliance import Alliance
from sim.model.caucuses import form_caucuses
from sim.data.loader import AllyFacts
from sim.model.clout import mediator_weights
from sim.model.opening import circumstances_of, open_stance
from sim.model.us_actor import settle
from sim.model.state import Circumstances, Decision, Package, Stance
from sim.model.streams import random_draws
from sim.protocols import baron_ferejohn, challenge, exchange, mediator
from sim.protocols.agenda_setter import propose_package, recognised
from sim.engines.outcome import Baselines, BatchResult, Collected, GroupResult, measure, run_outcomes
from sim.model.parameters import (
    MediatorRule,
    ParameterColumns,
    Parameters,
    checked_seeds,
    parameter_columns,
    parameter_fields,
    NegotiationProtocol,
)
from sim.model.pledges import Ledger
from sim.model.scenario import Scenario, ScenarioCache

DEFAULT_CHUNK_RUNS = 2048  # runs per window: a few MB of working arrays, large enough to vectorise well
DROP_CONCLUDED_SHARE = 0.25  # concluded runs leave the live arrays once they are this share of them
STRUCTURAL = ("mediator_rule", "protocol")  # parameters that group runs rather than vary within a group


# --- the runs' inputs -----------------------------------------------------------------------------

#: The parameters a group's runs vary as columns: every parameter but those that group runs.
LEVER_NAMES = tuple(name for name in parameter_fields() if name not in STRUCTURAL)


@dataclass(frozen=True, eq=False)
class Levers:
    """A group's parameters: one (runs, 1) column per model parameter ((1, 1) where every run
    of the group has the same value, see `shared`), named as in `Parameters` (the mediator
    rule and the protocol apart, which group runs), so the steps read `params.us_pressure`
    whether they get one run's `Parameters` or a group's `Levers`.

    The columns are held by name (`columns`, keyed by `LEVER_NAMES`) and each is also an
    instance attribute, so `levers.us_pressure` reads as fast as a field; `__getattr__` types
    every such read as `np.ndarray` for a type checker and raises AttributeError for a name
    that is not a lever, as a missing field would. Listing the 40-odd parameters again as
    fields would be a second copy of the parameter table (`sim.model.parameters.Parameters`),
    which already says what each one is and which this class follows by construction."""

    columns: Mapping[str, np.ndarray]

    def __post_init__(self):
        self.__dict__.update(self.columns)  # each lever an instance attribute: read at plain attribute speed

    @classmethod
    def of(cls, params: Sequence[Parameters]) -> Levers:
        values = list(zip(*map(attrgetter(*LEVER_NAMES), params))) or [()] * len(LEVER_NAMES)
        return cls({name: shared(np.array(column))[:, None] for name, column in zip(LEVER_NAMES, values)})

    @classmethod
    def of_columns(cls, columns: ParameterColumns, rows: np.ndarray) -> Levers:
        """The given runs' levers, taken from a window's validated columns. A lever every run
        of the group shares is kept as one value, shape (1, 1): it broadcasts over the runs
        as a scalar does, which numpy computes several times faster than a (runs, 1) column
        against (runs, allies), and every run still reads its own (equal) value."""
        return cls({name: shared(columns.values[name][rows])[:, None] for name in LEVER_NAMES})

    def take(self, rows) -> Levers:
        return Levers({name: column[rows] if len(column) > 1 else column for name, column in self.columns.items()})

    @property
    def earliest_deadline(self) -> np.ndarray:
        return self.summit_year + self.earliest_deadline_years

    @property
    def latest_deadline(self) -> np.ndarray:
        return self.summit_year + self.latest_deadline_years

    def __getattr__(self, name: str) -> np.ndarray:
        """Only called for a name that is not a lever (`__post_init__` set every lever as an
        attribute); declared so that a type checker reads `levers.us_pressure` as an array."""
        raise AttributeError(f"{type(self).__name__!r} has no lever {name!r}")


def shared(column: np.ndarray) -> np.ndarray:
    """A group's column of one lever, or its one value (length 1) where every run has the same."""
    return column[:1] if len(column) > 1 and bool(np.all(column == column[0])) else column


@dataclass(frozen=True)
class Structure:
    """What fixes the arrays' shapes or the control flow; runs that share it are batched together."""

    data_year: int
    summit_year: int
    mediator_rule: MediatorRule
    protocol: NegotiationProtocol = NegotiationProtocol.MEDIATOR

    @classmethod
    def groups(cls, columns: ParameterColumns) -> list[tuple[Structure, np.ndarray]]:
        """The window's runs grouped by structure, in order of each group's first run, with
        the runs of each group (indices into the window's columns) in order."""
        values = columns.values
        rules_given, protocols_given = values["mediator_rule"], values["protocol"]
        rule_codes = np.fromiter(map(RULE_CODES.__getitem__, rules_given), dtype=np.int64, count=len(rules_given))
        protocol_codes = np.fromiter(map(PROTOCOL_CODES.__getitem__, protocols_given), dtype=np.int64,
                                     count=len(protocols_given))
        keys = np.stack([values["data_year"], values["summit_year"], rule_codes, protocol_codes], axis=1)
        if len(keys) == 1:  # one run per call: no grouping to do
            return [(cls(int(keys[0, 0]), int(keys[0, 1]), RULES[keys[0, 2]], PROTOCOLS[keys[0, 3]]), np.arange(1))]
        unique, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.reshape(-1)
        order = np.argsort(first, kind="stable")
        return [(cls(int(unique[g, 0]), int(unique[g, 1]), RULES[unique[g, 2]], PROTOCOLS[unique[g, 3]]),
                 np.flatnonzero(inverse == g)) for g in order]


RULES = tuple(MediatorRule)
RULE_CODES = {rule: code for code, rule in enumerate(RULES)}
PROTOCOLS = tuple(NegotiationProtocol)
PROTOCOL_CODES = {protocol: code for code, protocol in enumerate(PROTOCOLS)}


def peer_matrices(facts: AllyFacts, scales: np.ndarray, cache: ScenarioCache | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct peer-distance scale's influence matrix, stored transposed and contiguous
    (see `peer_weights`), and each run's index into them; with a `cache`, each scale's matrix
    is built once per set of facts (one run per call would otherwise redo the distances)."""
    unique, index = np.unique(scales, return_inverse=True)

    def matrix(scale):
        return np.ascontiguousarray(perception.peer_weights(facts.capital_lat, facts.capital_lon, scale).T)

    built = [cache.derived(facts, ("peers", float(scale)), lambda scale=scale: matrix(scale)) if cache else matrix(scale)
             for scale in unique]
    return np.stack(built), index.reshape(-1)


def peer_weights(matrices: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The influence matrix for runs laid out as (runs, allies): one shared matrix, or each
    run's. `perception.peer_influence` multiplies by its transpose, which is then contiguous and laid
    out the same whether one or many scales are in play, so a run's result does not depend on
    the other runs in its batch."""
    return matrices[0].T if len(matrices) == 1 else np.swapaxes(matrices[index], -1, -2)


# --- the talks --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Talks:
    """The live runs: their row in the group, levers, circumstances and stance, and the last draft."""

    run: np.ndarray  # (runs,)
    levers: Levers
    circumstances: Circumstances
    stance: Stance
    draft: Package | None
    peer_index: np.ndarray  # (runs,) into the group's peer matrices
    caucus: np.ndarray  # (runs, allies) each ally's `Caucus` code

    def keep(self, rows: np.ndarray) -> Talks:
        return Talks(run=self.run[rows], levers=self.levers.take(rows), circumstances=self.circumstances.take(rows),
                     stance=self.stance.take(rows), draft=self.draft.take(rows) if self.draft else None,
                     peer_index=self.peer_index[rows], caucus=self.caucus[rows])


@dataclass(frozen=True)
class Opening:
    """A group as `AllianceModel.__init__` leaves it, with what stays fixed during the talks."""

    talks: Talks
    widening_factors: np.ndarray  # (runs, rounds, allies) each run's factor on its ramp widening per round
    recognition_draws: np.ndarray  # (runs, rounds) each run's draw of who proposes (agenda_setter, baron_ferejohn)
    peer_matrices: np.ndarray  # (scales, allies, allies)


@dataclass(frozen=True)
class Concluded:
    """Each run's state when its talks ended, one row per run of the group."""

    stance: Stance
    draft: Package  # (runs, 1) columns
    flexibility: np.ndarray
    rounds: np.ndarray
    deal: np.ndarray

    @classmethod
    def empty(cls, runs: int, allies: int) -> Concluded:
        def grid(dtype, width=allies):
            return np.zeros((runs, width), dtype=dtype)

        stance = Stance(threat=grid(float), ideal=grid(float), position=grid(float), deadline_preference=grid(float),
                        deadline_position=grid(float), ramp_widening=grid(float), rejections=grid(np.int64),
                        accepted=grid(bool))
        return cls(stance=stance, draft=Package(grid(float, 1), grid(float, 1), grid(np.int64, 1)),
                   flexibility=grid(bool), rounds=np.zeros(runs, dtype=np.int64), deal=np.zeros(runs, dtype=bool))

    def record(self, rows: np.ndarray, stance: Stance, draft: Package, decision: Decision,
               round_index: int, ends: np.ndarray):
        for state, values in ((self.stance, stance), (self.draft, draft)):
            for field in dataclasses.fields(state):
                getattr(state, field.name)[rows] = getattr(values, field.name)[ends]
        self.flexibility[rows] = decision.flexibility[ends]
        self.deal[rows] = decision.deal[ends, 0]
        self.rounds[rows] = round_index


def open_talks(alliance: Alliance, facts: AllyFacts, levers: Levers, seeds: Sequence[int], ledger: Ledger,
               cache: ScenarioCache | None = None) -> Opening:
    """Every run's opening state, computed as the model's constructor computes it.

    The runs' draws come from one call (`streams.random_draws` over the seeds): each
    number depends on its run's seed alone, and a run with fewer rounds than the longest
    simply never reads its later rounds' draws."""
    runs, allies = len(seeds), alliance.count
    draws = random_draws(np.asarray(seeds), alliance.iso3, int(levers.max_rounds.max(initial=0)))
    preference, widening_factors, recognition_draws = draws.preference, draws.widening_factor, draws.recognition
    circumstances = circumstances_of(alliance, levers, preference, ledger)
    circumstances = dataclasses.replace(circumstances, **{
        field.name: np.broadcast_to(getattr(circumstances, field.name), (runs, allies))
        for field in dataclasses.fields(circumstances)})
    matrices, index = peer_matrices(facts, np.broadcast_to(levers.peer_distance_km, (runs, 1))[:, 0], cache)
    caucus = np.broadcast_to(form_caucuses(alliance, levers, circumstances.fiscal),
                             (runs, allies))
    stance = open_stance(alliance, levers, circumstances)
    circumstances = settle(alliance, levers, circumstances, stance)
    talks = Talks(run=np.arange(runs), levers=levers, circumstances=circumstances, stance=stance, draft=None,
                  peer_index=index, caucus=caucus)
    return Opening(talks=talks, widening_factors=widening_factors, recognition_draws=recognition_draws,
                   peer_matrices=matrices)


@dataclass(frozen=True)
class Round:
    """What a round of talks leaves: the stance at the vote (what a run that concludes keeps),
    the draft, the decision, and the stance the next round starts from."""

    voted: Stance
    draft: Package
    decision: Decision
    next_stance: Stance


def play_round(alliance: Alliance, structure: Structure, opening: Opening, talks: Talks, round_index: int,
               level: np.ndarray, own: np.ndarray) -> Round:
    """`AllianceModel.step` for the live runs: `level` is the round's threat level and `own`
    each ally's own reading of it (`perception.own_threat`), which the caller keeps while the
    level holds."""
    p, circumstances = talks.levers, talks.circumstances
    stance = perception.perceive(alliance, p, circumstances, talks.stance, level, talks.stance.threat,
                                 peer_weights(opening.peer_matrices, talks.peer_index), own)
    ramp_pct = win_set.ramp(p, circumstances, stance)  # the same through the vote
    line = concession.caucus_lines(alliance, p, talks.caucus, stance)
    stance = concession.update_position(alliance, p, circumstances, stance, talks.draft, line, ramp_pct)
    if structure.protocol is NegotiationProtocol.AGENDA_SETTER:
        proposer = recognised(alliance, opening.recognition_draws[talks.run, round_index - 1])
        draft = propose_package(alliance, p, circumstances, stance, proposer)
    elif structure.protocol is NegotiationProtocol.BARON_FEREJOHN:
        proposer = recognised(alliance, opening.recognition_draws[talks.run, round_index - 1])
        proposal = baron_ferejohn.propose(alliance, p, circumstances, stance, proposer, round_index)
        draft = proposal.package
    elif structure.protocol is NegotiationProtocol.CHALLENGE:
        stance = challenge.answer_challenges(alliance, p, circumstances, stance,
                                             challenge.challenges(alliance, p, stance, talks.draft))
        draft = challenge.forecast_package(alliance, p, circumstances, stance)
    elif structure.protocol is NegotiationProtocol.EXCHANGE:
        stance = exchange.make_exchange(alliance, p, circumstances, stance,
                                        exchange.exchanges(alliance, p, circumstances, stance))
        draft = exchange.expected_package(alliance, p, circumstances, stance)
    else:
        draft = mediator.draft_package(structure.mediator_rule, alliance, p, circumstances, stance,
                                       first=talks.draft is None)
    stance = consensus.vote(alliance, p, circumstances, stance, draft, ramp_pct)
    if structure.protocol is NegotiationProtocol.BARON_FEREJOHN:
        stance = baron_ferejohn.accept_or_wait(alliance, p, circumstances, stance, draft, proposal.continuation,
                                               proposer)
    stance = consensus.stand_with_caucus(stance, consensus.caucus_vetoes(alliance, p, talks.caucus, stance))
    share = consensus.share_accepting(alliance, stance.accepted)
    beyond_reach = consensus.out_of_reach(alliance, p, circumstances, stance, draft, share, round_index, talks.caucus,
                                          ramp_pct)
    decision = consensus.decide(alliance, p, stance.accepted, round_index, beyond_reach)
    factors = opening.widening_factors[:, round_index - 1] if len(talks.run) == len(opening.widening_factors) \
        else opening.widening_factors[talks.run, round_index - 1]  # no run dropped yet: a view, not a copy
    return Round(voted=stance, draft=draft, decision=decision,
                 next_stance=pressure.respond_to_pressure(alliance, p, stance, share, factors))


def negotiate(alliance: Alliance, structure: Structure, opening: Opening) -> Concluded:
    """`AllianceModel.step` until every run has concluded, with each run's state frozen when its talks end."""
    talks = opening.talks
    ended = Concluded.empty(len(talks.run), alliance.count)
    recorded = np.zeros(len(talks.run), dtype=bool)  # concluded rows not yet dropped: computed, never read
    round_index = 0
    level = own = None  # the live runs' threat level and own reading of it, kept while the level holds
    while not recorded.all():
        round_index += 1
        round_level = perception.threat_level_in_round(round_index, talks.levers)
        if level is None or not np.array_equal(round_level, level):
            level, own = round_level, perception.own_threat(alliance, talks.levers, talks.circumstances, round_level)
        played = play_round(alliance, structure, opening, talks, round_index, level, own)
        ends = played.decision.concluded[:, 0] & ~recorded
        if ends.any():
            ended.record(talks.run[ends], played.voted, played.draft, played.decision, round_index, ends)
        talks = dataclasses.replace(talks, stance=played.next_stance, draft=played.draft)
        recorded |= ends
        if np.mean(recorded) > DROP_CONCLUDED_SHARE:
            talks, recorded = talks.keep(~recorded), recorded[~recorded]
            level = own = None
    return ended


# --- after the summit -------------------------------------------------------------------------------

def implement(alliance: Alliance, opening: Talks, ended: Concluded, data_year: int, ledger: Ledger,
              keep_trajectory: bool, until: int | None = None,
              us_pressure_by_year: Mapping[int, float] | None = None,
              standing: implementation.StandingPath | None = None) -> implementation.Projection:
    """`AllianceModel.project_spending` for every run of the group; a run's path stops at its
    deadline, or at `until` (a chain of summits: `implementation.project_spending`). Where the
    talks revised an earlier package (a chain's review), a run without a deal keeps the
    `standing` path instead of each ally's own position."""
    levers = opening.levers
    target = implementation.targets(ended.deal[:, None], ended.flexibility, ended.draft.core_pct,
                                    ended.stance.position)
    horizon = ended.draft.deadline_year
    if standing is not None:
        target = np.where(ended.deal[:, None], target, standing.target)
        horizon = np.where(ended.deal[:, None], horizon, standing.deadline_year)
    talks_level = perception.threat_level_in_round(ended.rounds[:, None], levers)
    return implementation.project_spending(alliance, levers, opening.circumstances, ended.stance, target,
                                           horizon, talks_level, data_year, ledger, keep_trajectory,
                                           until=until, us_pressure_by_year=us_pressure_by_year)


def run_group(alliance: Alliance, facts: AllyFacts, ledger: Ledger, structure: Structure,
              levers: Levers, seeds: Sequence[int], per_ally: bool, cache: ScenarioCache | None = None) -> GroupResult:
    """A group of runs that share a structure, from the opening positions to the outcome."""
    opening = open_talks(alliance, facts, levers, seeds, ledger, cache)
    ended = negotiate(alliance, structure, opening)
    projection = implement(alliance, opening.talks, ended, structure.data_year, ledger, per_ally)
    measures = measure(alliance, ended.deal[:, None], ended.flexibility, projection)
    weights = mediator_weights(alliance, levers, opening.talks.stance)
    baseline = {rule: mediator.baselines(rule, alliance, levers, opening.talks.stance, weights)
                for rule in MediatorRule}
    outcomes = run_outcomes(alliance, levers, ended.deal, ended.draft, ended.rounds, ended.stance.accepted,
                            ended.flexibility, Baselines.of(baseline), measures)
    if not per_ally:
        return GroupResult(outcomes)
    return GroupResult(outcomes, final_position_pct=ended.stance.position, accepted=ended.stance.accepted,
                       on_track=measures.on_track, first_year=projection.first_year,
                       trajectory=projection.trajectory)


# --- the public entry point ------------------------------------------------------------------------

def run_batch(scenario: Scenario | str, overrides: Sequence[Mapping[str, object]], seeds: Sequence[int], *,
              per_ally: bool = False, chunk_runs: int = DEFAULT_CHUNK_RUNS,
              cache: ScenarioCache | None = None) -> BatchResult:
    """Run `len(seeds)` runs: run i is `scenario.with_parameters(**overrides[i])` seeded with
    `seeds[i]`, and gives what `AllianceModel(scenario, rng=seeds[i], **overrides[i]).run()` gives.

    `per_ally` adds per-ally arrays (`BatchResult.allies`); it costs memory (runs x allies x years).
    `chunk_runs` bounds how many runs are held in working arrays at once; results do not depend on it.
    `cache` keeps the scenario file, the allies' data and what is built from them between calls
    (a `ScenarioCache` the caller holds); pass one when calling with a few runs at a time.
    """
    cache = cache if cache is not None else ScenarioCache()
    base = scenario if isinstance(scenario, Scenario) else cache.scenario(scenario)
    if len(overrides) != len(seeds):
        raise ValueError(f"{len(overrides)} sets of overrides but {len(seeds)} seeds; give one of each per run")
    if chunk_runs < 1:
        raise ValueError(f"chunk_runs = {chunk_runs!r}; allowed: a positive integer")
    seed_column = checked_seeds(seeds)
    facts = cache.allies(base)
    collected = Collected.empty(len(seed_column), facts.count, per_ally)
    for first in range(0, len(seed_column), chunk_runs):
        window = range(first, min(first + chunk_runs, len(seed_column)))
        columns = window_columns(base, overrides, window)
        for structure, rows in Structure.groups(columns):
            where = (structure.data_year, structure.summit_year)
            alliance = cache.derived(facts, ("alliance", *where), lambda where=where: Alliance.of(facts, *where))
            result = run_group(alliance, facts, base.ledger, structure, Levers.of_columns(columns, rows),
                               seed_column[rows + first], per_ally, cache)
            collected.add(rows + first, result)
    return BatchResult(scenario=base.name, iso3=tuple(facts.iso3), seed=seed_column, allies=collected.ally_columns(),
                       **collected.columns)


def window_columns(base: Scenario, overrides: Sequence[Mapping[str, object]], window: range) -> ParameterColumns:
    """The window's runs' parameters as validated columns (`parameters.parameter_columns`).

    A refused run is reported as `base.with_parameters` reports it, prefixed with the run's
    index: the first refused run of the window, with the one-run message (`run 17: <scenario
    file>: us_pressure: 7.0 is out of range; allowed: ...`), so the two checks cannot drift."""
    window_overrides = overrides[window.start:window.stop] if isinstance(overrides, (list, tuple)) \
        else [overrides[index] for index in window]
    columns = parameter_columns(base.params, window_overrides)
    refused = columns.first_refused()
    if refused is not None:
        index = window.start + refused
        try:
            base.with_parameters(**window_overrides[refused])
        except ValueError as error:
            raise type(error)(f"run {index}: {error}") from None
        raise AssertionError(f"run {index}: the column check refused {window_overrides[refused]!r}, "
                             "which Parameters accepts")  # a bug in parameter_columns: the two must agree
    return columns
