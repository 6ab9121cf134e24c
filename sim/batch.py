"""The batch engine: many runs of the talks at once, as arrays of shape (runs, allies).

The Mesa model (`sim/model.py`) is the canonical, inspectable run; sweeps need thousands to
millions of them. This engine runs the same schedule over a block of runs by calling the
same steps (`sim/negotiation.py`, `sim/implementation.py`, `sim.outcome.measure`) on arrays,
so it is fast and still gives what the model gives, run for run
(`tests/test_batch_equivalence.py` pins the two together). It needs no Mesa.

How runs are batched. Runs are taken in windows of `chunk_runs`, so memory stays bounded
whatever the size of the sweep. Within a window, runs that share what fixes the arrays'
shapes or the control flow (data year, summit year, mediator rule) run as one group; every
other parameter varies run by run as a column (runs, 1) that the steps broadcast. A run that
concludes (a deal, or the summit) is recorded there and then, so it stays frozen while the
others talk on; concluded runs leave the live arrays once they are a quarter of them. Each
run draws its random numbers from its own generator, seeded by its own seed, in the model's
order (`negotiation.random_draws`), and every array operation works run by run, so a run's
result never depends on the batch size, the grouping or the other runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter

import numpy as np

from sim import implementation, negotiation, rules
from sim.alliance import Profile
from sim.data.loader import AllyFacts
from sim.negotiation import Package, Stance, Standing
from sim.outcome import AllyColumns, BatchResult, measure
from sim.parameters import MediatorRule, Parameters, checked_seeds, parameter_fields
from sim.pledges import Ledger
from sim.scenario import Scenario, load_scenario

DEFAULT_CHUNK_RUNS = 2048  # runs per window: a few MB of working arrays, large enough to vectorise well
DROP_CONCLUDED_SHARE = 0.25  # concluded runs leave the live arrays once they are this share of them


# --- the runs' inputs -----------------------------------------------------------------------------

def _levers_class() -> type:
    """A frozen dataclass with one (runs, 1) column per model parameter, named as in
    `Parameters` (the mediator rule apart, which groups runs), so the steps read
    `params.us_pressure` whether they get one run's `Parameters` or a group's `Levers`."""
    names = [name for name in parameter_fields() if name != "mediator_rule"]

    def of(cls, params: Sequence[Parameters]):
        values = list(zip(*map(attrgetter(*names), params))) or [()] * len(names)
        return cls(**{name: np.array(column)[:, None] for name, column in zip(names, values)})

    def take(self, rows):
        return negotiation.taken(self, rows)

    namespace = {
        "of": classmethod(of), "take": take,
        "earliest_deadline": property(lambda self: self.summit_year + self.earliest_deadline_years),
        "latest_deadline": property(lambda self: self.summit_year + self.latest_deadline_years),
        "__doc__": _levers_class.__doc__,
    }
    return dataclasses.make_dataclass("Levers", [(name, np.ndarray) for name in names], frozen=True,
                                      namespace=namespace, module=__name__)


Levers = _levers_class()


@dataclass(frozen=True)
class Structure:
    """What fixes the arrays' shapes or the control flow; runs that share it are batched together."""

    data_year: int
    summit_year: int
    mediator_rule: MediatorRule

    @classmethod
    def of(cls, params: Parameters) -> Structure:
        return cls(params.data_year, params.summit_year, params.mediator_rule)


def peer_matrices(facts: AllyFacts, scales: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct peer-distance scale's influence matrix, stored transposed and contiguous
    (see `peer_weights`), and each run's index into them."""
    unique, index = np.unique(scales, return_inverse=True)
    matrices = np.stack([np.ascontiguousarray(rules.peer_weights(facts.capital_lat, facts.capital_lon, scale).T)
                         for scale in unique])
    return matrices, index.reshape(-1)


def peer_weights(matrices: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The influence matrix for runs laid out as (runs, allies): one shared matrix, or each
    run's. `rules.peer_influence` multiplies by its transpose, which is then contiguous and laid
    out the same whether one or many scales are in play, so a run's result does not depend on
    the other runs in its batch."""
    return matrices[0].T if len(matrices) == 1 else np.swapaxes(matrices[index], -1, -2)


def resolved_parameters(scenario: Scenario, overrides: Mapping[str, object], known: dict) -> Parameters:
    """`scenario.with_parameters(**overrides)`, remembered in `known` for overrides seen before."""
    if not overrides:
        return scenario.params
    try:
        key = tuple((name, type(value), value) for name, value in sorted(overrides.items()))
        hash(key)
    except TypeError:
        return scenario.with_parameters(**overrides).params
    if key not in known:
        known[key] = scenario.with_parameters(**overrides).params
    return known[key]


# --- the talks --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Talks:
    """The live runs: their row in the group, levers, standing and stance, and the last draft."""

    run: np.ndarray  # (runs,)
    levers: Levers
    standing: Standing
    stance: Stance
    draft: Package | None
    peer_index: np.ndarray  # (runs,) into the group's peer matrices

    def keep(self, rows: np.ndarray) -> Talks:
        return Talks(run=self.run[rows], levers=self.levers.take(rows), standing=self.standing.take(rows),
                     stance=self.stance.take(rows), draft=self.draft.take(rows) if self.draft else None,
                     peer_index=self.peer_index[rows])


@dataclass(frozen=True)
class Opening:
    """A group as `AllianceModel.__init__` leaves it, with what stays fixed during the talks."""

    talks: Talks
    expansion_draws: np.ndarray  # (runs, rounds, allies) each run's factor on win-set growth per round
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
                        deadline_position=grid(float), expansion=grid(float), rejections=grid(np.int64),
                        accepted=grid(bool))
        return cls(stance=stance, draft=Package(grid(float, 1), grid(float, 1), grid(np.int64, 1)),
                   flexibility=grid(bool), rounds=np.zeros(runs, dtype=np.int64), deal=np.zeros(runs, dtype=bool))

    def record(self, rows: np.ndarray, stance: Stance, draft: Package, decision: negotiation.Decision,
               round_index: int, ends: np.ndarray):
        for state, values in ((self.stance, stance), (self.draft, draft)):
            for field in dataclasses.fields(state):
                getattr(state, field.name)[rows] = getattr(values, field.name)[ends]
        self.flexibility[rows] = decision.flexibility[ends]
        self.deal[rows] = decision.deal[ends, 0]
        self.rounds[rows] = round_index


def open_talks(profile: Profile, facts: AllyFacts, params: Sequence[Parameters], seeds: Sequence[int]) -> Opening:
    """Every run's opening state, computed as the model's constructor computes it."""
    levers = Levers.of(params)
    runs, allies = len(params), profile.count
    preference = np.empty((runs, allies))
    expansion_draws = np.zeros((runs, max(p.max_rounds for p in params), allies))
    for row, (p, seed) in enumerate(zip(params, seeds)):
        preference[row], draws = negotiation.random_draws(np.random.default_rng(seed), allies, p.max_rounds)
        expansion_draws[row, :p.max_rounds] = draws
    standing = negotiation.standing(profile, levers, preference)
    standing = dataclasses.replace(standing, **{field.name: np.broadcast_to(getattr(standing, field.name),
                                                                            (runs, allies))
                                                for field in dataclasses.fields(standing)})
    matrices, index = peer_matrices(facts, levers.peer_distance_km[:, 0])
    talks = Talks(run=np.arange(runs), levers=levers, standing=standing,
                  stance=negotiation.open_stance(profile, levers, standing), draft=None, peer_index=index)
    return Opening(talks=talks, expansion_draws=expansion_draws, peer_matrices=matrices)


def negotiate(profile: Profile, rule: MediatorRule, opening: Opening) -> Concluded:
    """`AllianceModel.step` until every run has concluded, with each run's state frozen when its talks end."""
    talks = opening.talks
    ended = Concluded.empty(len(talks.run), profile.count)
    recorded = np.zeros(len(talks.run), dtype=bool)  # concluded rows not yet dropped: computed, never read
    round_index = 0
    while not recorded.all():
        round_index += 1
        p, standing = talks.levers, talks.standing
        level = negotiation.threat_level_in_round(round_index, p)
        stance = negotiation.perceive(profile, p, standing, talks.stance, level, talks.stance.threat,
                                      peer_weights(opening.peer_matrices, talks.peer_index))
        stance = negotiation.update_position(profile, p, standing, stance, talks.draft)
        draft = negotiation.draft_package(rule, profile, p, stance)
        stance = negotiation.vote(profile, p, standing, stance, draft)
        decision = negotiation.decide(profile, p, stance.accepted, round_index)
        ends = decision.concluded[:, 0] & ~recorded
        if ends.any():
            ended.record(talks.run[ends], stance, draft, decision, round_index, ends)
        share = negotiation.share_accepting(profile, stance.accepted)
        stance = negotiation.respond_to_pressure(p, stance, share,
                                                 opening.expansion_draws[talks.run, round_index - 1])
        talks = dataclasses.replace(talks, stance=stance, draft=draft)
        recorded |= ends
        if np.mean(recorded) > DROP_CONCLUDED_SHARE:
            talks, recorded = talks.keep(~recorded), recorded[~recorded]
    return ended


# --- after the summit -------------------------------------------------------------------------------

def implement(profile: Profile, opening: Talks, ended: Concluded, data_year: int, ledger: Ledger,
              keep_trajectory: bool) -> implementation.Projection:
    """`AllianceModel.project_spending` for every run of the group; a run's path stops at its deadline."""
    levers = opening.levers
    target = implementation.targets(ended.deal[:, None], ended.flexibility, ended.draft.core_pct,
                                    ended.stance.position)
    talks_level = negotiation.threat_level_in_round(ended.rounds[:, None], levers)
    return implementation.project_spending(profile, levers, opening.standing, ended.stance, target,
                                           ended.draft.deadline_year, talks_level, data_year, ledger, keep_trajectory)


@dataclass(frozen=True)
class GroupResult:
    """One group's run-level columns (as `BatchResult` holds them) and per-ally arrays."""

    columns: dict[str, np.ndarray]
    ended: Concluded
    projection: implementation.Projection


def run_group(profile: Profile, facts: AllyFacts, ledger: Ledger, structure: Structure,
              params: Sequence[Parameters], seeds: Sequence[int], per_ally: bool) -> GroupResult:
    """A group of runs that share a structure, from the opening positions to the outcome."""
    opening = open_talks(profile, facts, params, seeds)
    levers = opening.talks.levers
    ended = negotiate(profile, structure.mediator_rule, opening)
    projection = implement(profile, opening.talks, ended, structure.data_year, ledger, per_ally)
    measures = measure(profile, ended.deal[:, None], ended.flexibility, projection)
    baseline = {rule: negotiation.baselines(rule, profile, levers, opening.talks.stance) for rule in MediatorRule}
    deal = ended.deal
    columns = {
        "deal": deal,
        "core_target_pct": np.where(deal, ended.draft.core_pct[:, 0], np.nan),
        "related_target_pct": np.where(deal & levers.split_enabled[:, 0], ended.draft.related_pct[:, 0], np.nan),
        "deadline_year": np.where(deal, ended.draft.deadline_year[:, 0], np.nan),
        "rounds": ended.rounds,
        "holdouts": profile.votes & ~ended.stance.accepted,
        "flexibility": ended.flexibility,
        "baseline_weighted_mean": baseline[MediatorRule.COMPROMISE],
        "baseline_weighted_median": baseline[MediatorRule.MEDIAN],
        "baseline_nash": baseline[MediatorRule.NASH],
        "us_share_before": measures.us_share_before,
        "us_share_after": measures.us_share_after,
        "allies_on_track": measures.allies_on_track,
        "extra_spending_usd_bn": measures.extra_spending_usd_bn,
    }
    return GroupResult(columns=columns, ended=ended, projection=projection)


# --- the public entry point ------------------------------------------------------------------------

def run_batch(scenario: Scenario | str, overrides: Sequence[Mapping[str, object]], seeds: Sequence[int], *,
              per_ally: bool = False, chunk_runs: int = DEFAULT_CHUNK_RUNS) -> BatchResult:
    """Run `len(seeds)` runs: run i is `scenario.with_parameters(**overrides[i])` seeded with
    `seeds[i]`, and gives what `AllianceModel(scenario, rng=seeds[i], **overrides[i]).run()` gives.

    `per_ally` adds per-ally arrays (`BatchResult.allies`); it costs memory (runs x allies x years).
    `chunk_runs` bounds how many runs are held in working arrays at once; results do not depend on it.
    """
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if len(overrides) != len(seeds):
        raise ValueError(f"{len(overrides)} sets of overrides but {len(seeds)} seeds; give one of each per run")
    if chunk_runs < 1:
        raise ValueError(f"chunk_runs = {chunk_runs!r}; allowed: a positive integer")
    seed_column = checked_seeds(seeds)
    facts = base.allies()
    collected = Collected.empty(len(seed_column), facts.count, per_ally)
    profiles: dict[tuple[int, int], Profile] = {}
    for first in range(0, len(seed_column), chunk_runs):
        window = range(first, min(first + chunk_runs, len(seed_column)))
        for structure, rows, params in grouped(base, overrides, window):
            where = (structure.data_year, structure.summit_year)
            if where not in profiles:
                profiles[where] = Profile.of(facts, *where)
            result = run_group(profiles[where], facts, base.ledger, structure, params,
                               [int(seed_column[row]) for row in rows], per_ally)
            collected.add(rows, result)
    return BatchResult(scenario=base.name, iso3=tuple(facts.iso3), seed=seed_column, allies=collected.ally_columns(),
                       **collected.columns)


def grouped(base: Scenario, overrides: Sequence[Mapping[str, object]], window: range):
    """A window's runs as groups that share a `Structure`: (structure, rows, parameters)."""
    known: dict = {}
    groups: dict[Structure, tuple[list[int], list[Parameters]]] = {}
    for index in window:
        try:
            params = resolved_parameters(base, overrides[index], known)
        except ValueError as error:
            raise type(error)(f"run {index}: {error}") from None
        rows, members = groups.setdefault(Structure.of(params), ([], []))
        rows.append(index)
        members.append(params)
    return [(structure, np.asarray(rows), members) for structure, (rows, members) in groups.items()]


@dataclass
class Collected:
    """The groups' results, put back in the order the runs were given."""

    columns: dict[str, np.ndarray]
    positions: np.ndarray | None
    accepted: np.ndarray | None
    paths: list[tuple[np.ndarray, int, np.ndarray]]

    @classmethod
    def empty(cls, runs: int, allies: int, per_ally: bool) -> Collected:
        columns = {name: np.empty((runs, allies) if name in ("holdouts", "flexibility") else runs, dtype=kind)
                   for name, kind in RESULT_TYPES.items()}
        return cls(columns=columns, positions=np.empty((runs, allies)) if per_ally else None,
                   accepted=np.empty((runs, allies), dtype=bool) if per_ally else None, paths=[])

    def add(self, rows: np.ndarray, result: GroupResult) -> None:
        for name, values in result.columns.items():
            self.columns[name][rows] = values
        if self.positions is not None:
            self.positions[rows] = result.ended.stance.position
            self.accepted[rows] = result.ended.stance.accepted
            self.paths.append((rows, result.projection.first_year, result.projection.trajectory))

    def ally_columns(self) -> AllyColumns | None:
        """The per-ally arrays, every run's path on one calendar of years."""
        if self.positions is None:
            return None
        years = trajectory_years(self.paths)
        trajectory = np.full((*self.positions.shape, len(years)), np.nan)
        for rows, first_year, path in self.paths:
            offset = first_year - years[0]
            trajectory[rows, :, offset:offset + path.shape[2]] = path
        return AllyColumns(years=years, final_position_pct=self.positions, accepted=self.accepted,
                           flexibility=self.columns["flexibility"].copy(), trajectory_pct=trajectory)


#: `BatchResult`'s run-level arrays and their types (holdouts and side letters are runs x allies).
RESULT_TYPES = {"deal": bool, "core_target_pct": float, "related_target_pct": float, "deadline_year": float,
                "rounds": np.int64, "holdouts": bool, "flexibility": bool, "baseline_weighted_mean": float,
                "baseline_weighted_median": float, "baseline_nash": float, "us_share_before": float,
                "us_share_after": float, "allies_on_track": np.int64, "extra_spending_usd_bn": float}


def trajectory_years(paths: list[tuple[np.ndarray, int, np.ndarray]]) -> tuple[int, ...]:
    """The calendar years spanned by every group's projected paths."""
    if not paths:
        return ()
    first = min(first_year for _, first_year, _ in paths)
    last = max(first_year + path.shape[2] - 1 for _, first_year, path in paths)
    return tuple(range(first, last + 1))
