"""The batch engine: many runs of the talks at once, as arrays of shape (runs, allies).

The Mesa model (`sim/model.py`) is the canonical, inspectable run; sweeps need thousands to
millions of them. This engine replays the model's schedule for a whole chunk of runs at once
by calling the same rules (`sim/rules.py`) on arrays, so it is fast and still gives what the
model gives, run for run (`tests/test_batch_equivalence.py` pins the two together).

How runs are batched. Runs are taken in windows of `chunk_runs`, so memory stays bounded
whatever the size of the sweep. Within a window, runs that share what fixes the arrays'
shapes or the control flow (data year, summit year, mediator rule) run as one group; every
other parameter varies run by run as a column (runs, 1) that the rules broadcast. A run that
concludes (a deal, or the summit) is recorded there and then, so it stays frozen while the
others talk on; concluded runs leave the live arrays once they are a quarter of them. Each run draws its random numbers from its own generator, seeded by its own seed,
in the model's order (`sim.model.random_draws`), and every array operation works run by run,
so a run's result never depends on the batch size, the grouping or the other runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter

import numpy as np

from sim import rules
from sim.agents import apply_rule
from sim.data.loader import AllyFacts
from sim.engines import RoundColumns
from sim.model import ON_TRACK_TOLERANCE_PCT, ally_profiles, random_draws
from sim.outcome import RUN_FIELDS
from sim.parameters import MediatorRule, Parameters, parameter_fields
from sim.scenario import Scenario, load_scenario

DEFAULT_CHUNK_RUNS = 2048  # runs per window: a few MB of working arrays, large enough to vectorise well
DROP_CONCLUDED_SHARE = 0.25  # concluded runs leave the live arrays once they are this share of them


# --- what a batch returns -----------------------------------------------------------------------

@dataclass(frozen=True)
class AllyColumns:
    """Per-ally results, allies in the model's order (runs x allies; trajectories runs x allies x years)."""

    years: tuple[int, ...]
    final_position_pct: np.ndarray  # NaN for an ally without armed forces, as in the model
    accepted: np.ndarray
    flexibility: np.ndarray
    trajectory_pct: np.ndarray  # NaN outside the run's data year..deadline and for allies without forces

    def spending_in(self, year: int) -> np.ndarray:
        """Projected spending in `year` (runs x allies), NaN where a run's path does not reach it."""
        if year in self.years:
            return self.trajectory_pct[:, :, self.years.index(year)]
        return np.full(self.trajectory_pct.shape[:2], np.nan)

    def spending_at_end(self) -> np.ndarray:
        """Projected spending in each run's last year, its deadline (runs x allies); a path is
        NaN only after its end, so the end is the last of its leading values."""
        reached = np.sum(~np.isnan(self.trajectory_pct), axis=2)
        last = np.take_along_axis(self.trajectory_pct, np.maximum(reached - 1, 0)[:, :, None], axis=2)[:, :, 0]
        return np.where(reached > 0, last, np.nan)


@dataclass(frozen=True)
class BatchResult:
    """Every run's outcome as one array per field of `sim.outcome.RUN_FIELDS`, in the order the
    runs were given and encoded as `outcome_row` encodes them (NaN for an absent level, -1 for
    no deadline, ISO3 codes joined by ';' in the model's ally order)."""

    scenario: str
    iso3: tuple[str, ...]
    seed: np.ndarray
    deal: np.ndarray
    core_target_pct: np.ndarray
    related_target_pct: np.ndarray
    deadline_year: np.ndarray
    rounds: np.ndarray
    holdouts: np.ndarray
    flexibility: np.ndarray
    n_holdouts: np.ndarray
    n_flexibility: np.ndarray
    baseline_weighted_mean: np.ndarray
    baseline_weighted_median: np.ndarray
    baseline_nash: np.ndarray
    us_share_before: np.ndarray
    us_share_after: np.ndarray
    allies_on_track: np.ndarray
    extra_spending_usd_bn: np.ndarray
    allies: AllyColumns | None = None  # only with run_batch(..., per_ally=True)
    per_round: RoundColumns | None = None  # sim.engines.RoundColumns: only the Mesa engine keeps rounds

    def __len__(self) -> int:
        return len(self.seed)

    def columns(self) -> dict[str, np.ndarray]:
        """The run-level columns, named and ordered as `RUN_FIELDS`."""
        return {name: getattr(self, name) for name in RUN_FIELDS}

    def rows(self) -> list[dict]:
        """One dict per run, with the keys and plain Python values of `outcome_row`."""
        values = [column.tolist() for column in self.columns().values()]
        return [dict(zip(RUN_FIELDS, row)) for row in zip(*values)]

    def to_pandas(self):
        """The run-level table as a pandas DataFrame (one row per run)."""
        import pandas as pd

        return pd.DataFrame(self.columns())

    def to_arrow(self):
        """The run-level table as a pyarrow Table (one row per run), ready for Parquet."""
        import pyarrow as pa

        def array(column):
            return pa.array(column, type=pa.string()) if column.dtype == object else pa.array(column)

        return pa.table({name: array(column) for name, column in self.columns().items()})


# --- the runs' inputs -----------------------------------------------------------------------------

class Levers:
    """A group's parameters (levers and behaviour alike), each a column (runs, 1) named as in
    `Parameters`, so that the rules broadcast it over the allies as the agents pass the scalar."""

    NAMES = tuple(name for name in parameter_fields() if name != "mediator_rule") + (
        "earliest_deadline", "latest_deadline")

    def __init__(self, columns: dict[str, np.ndarray]):
        self.__dict__.update(columns)

    @classmethod
    def of(cls, params: Sequence[Parameters]) -> Levers:
        values = list(zip(*map(attrgetter(*cls.NAMES), params))) or [()] * len(cls.NAMES)
        return cls({name: np.array(column)[:, None] for name, column in zip(cls.NAMES, values)})

    def take(self, runs) -> Levers:
        return Levers({name: column[runs] for name, column in self.__dict__.items()})


@dataclass(frozen=True)
class Structure:
    """What fixes the arrays' shapes or the control flow; runs that share it are batched together."""

    data_year: int
    summit_year: int
    mediator_rule: MediatorRule

    @classmethod
    def of(cls, params: Parameters) -> Structure:
        return cls(params.data_year, params.summit_year, params.mediator_rule)


@dataclass(frozen=True)
class Alliance:
    """The allies' fixed facts for one data year and summit, one entry per ally in the model's order."""

    facts: AllyFacts
    iso3: tuple[str, ...]
    start: np.ndarray
    gdp: np.ndarray
    debt: np.ndarray
    deficit: np.ndarray
    eu_member: np.ndarray
    is_us: np.ndarray
    bears_cost: np.ndarray
    votes: np.ndarray
    clout: np.ndarray

    @classmethod
    def of(cls, facts: AllyFacts, params: Parameters) -> Alliance:
        """Built by the model's own `ally_profiles`, so clout and membership are the model's."""
        profiles = ally_profiles(facts, params)

        def column(name):
            return np.array([getattr(profile, name) for profile in profiles])

        return cls(facts=facts, iso3=tuple(facts.iso3), start=column("start_pct"), gdp=column("gdp_usd_bn"),
                   debt=column("debt_pct_gdp"), deficit=column("deficit_pct_gdp"), eu_member=column("eu_member"),
                   is_us=column("is_us"), bears_cost=column("bears_cost"), votes=column("votes"),
                   clout=column("clout"))

    def exposure(self, levers: Levers) -> np.ndarray:
        return rules.exposure(self.facts.distance_to_moscow_km, self.facts.borders_russia,
                              levers.proximity_reference_km, levers.proximity_decay_km)

    def peer_matrices(self, scales: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each distinct peer-distance scale's influence matrix, stored transposed and contiguous
        (see `peer_influence_weights`), and each run's index into them."""
        unique, index = np.unique(scales, return_inverse=True)
        matrices = np.stack([np.ascontiguousarray(rules.peer_weights(self.facts.capital_lat, self.facts.capital_lon,
                                                                     scale).T) for scale in unique])
        return matrices, index.reshape(-1)


def peer_influence_weights(matrices: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The `weights` argument of `rules.peer_influence` for runs shaped (runs, 1, allies): its
    transpose is each run's (allies x allies) matrix, so `@` multiplies run by run. The matrix
    is laid out the same whether one or many scales are in play, so a run's result does not
    depend on the other runs in its batch."""
    if len(matrices) == 1:
        return matrices[0].T
    return matrices[index].T


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

@dataclass
class Talks:
    """The live runs' state during the talks: (runs, allies) unless noted. Concluded runs are
    recorded when they conclude and leave it in bulk (`keep`), so few rows are computed in vain."""

    run: np.ndarray  # (runs,) each live run's row in the group
    levers: Levers
    exposure: np.ndarray
    fiscal: np.ndarray
    reservation_total: np.ndarray
    floor: np.ndarray
    noise: np.ndarray
    peer_index: np.ndarray  # (runs,)
    threat: np.ndarray
    ideal: np.ndarray
    position: np.ndarray
    deadline_preference: np.ndarray
    deadline_position: np.ndarray
    expansion: np.ndarray
    rejections: np.ndarray
    accepted: np.ndarray
    core: np.ndarray  # (runs,) the last draft
    related: np.ndarray  # (runs,)
    deadline: np.ndarray  # (runs,)

    def keep(self, runs: np.ndarray) -> Talks:
        changes = {field.name: getattr(self, field.name)[runs] for field in dataclasses.fields(self)
                   if field.name != "levers"}
        return dataclasses.replace(self, levers=self.levers.take(runs), **changes)


@dataclass
class Concluded:
    """Each run's state when its talks ended, one row per run of the group."""

    threat: np.ndarray
    position: np.ndarray
    expansion: np.ndarray
    accepted: np.ndarray
    flexibility: np.ndarray
    core: np.ndarray
    related: np.ndarray
    deadline: np.ndarray
    rounds: np.ndarray
    deal: np.ndarray

    @classmethod
    def empty(cls, runs: int, allies: int) -> Concluded:
        def grid(dtype):
            return np.zeros((runs, allies), dtype=dtype)

        return cls(threat=grid(float), position=grid(float), expansion=grid(float), accepted=grid(bool),
                   flexibility=grid(bool), core=np.zeros(runs), related=np.zeros(runs),
                   deadline=np.zeros(runs, dtype=np.int64), rounds=np.zeros(runs, dtype=np.int64),
                   deal=np.zeros(runs, dtype=bool))

    def record(self, rows: np.ndarray, **values):
        for name, value in values.items():
            getattr(self, name)[rows] = value


def own_threat(alliance: Alliance, levers: Levers, exposure, threat_level):
    """`Ally.own_threat`: the threat read from the environment, geography and fear of abandonment."""
    fear = rules.abandonment_fear(levers.us_pressure, exposure, levers.abandonment_weight, alliance.is_us)
    return rules.threat_perception(threat_level, exposure, levers.shared_threat, fear)


def urgency(alliance: Alliance, levers: Levers, threat):
    """`Ally.urgency`: the US's is its own pressure; everyone else's is the threat it perceives."""
    return np.where(alliance.is_us, levers.us_pressure, threat)


def current_ideal(alliance: Alliance, levers: Levers, threat, fiscal, noise):
    """`Ally.current_ideal`: the US wants its demand, the others their need held back by the purse."""
    us = np.clip(levers.us_demand_pct + noise, 0.0, rules.LEVEL_CEILING_PCT)
    ideal = rules.shocked_ideal(alliance.start, threat, fiscal, levers.need_scale_pct, levers.fiscal_drag, noise)
    return np.where(alliance.is_us, us, ideal)


def ramp(levers: Levers, threat, fiscal, expansion):
    """`Ally.ramp_pct`: the ratifiable yearly increase, widened by pressure during the talks."""
    return rules.ratifiable_ramp(threat, fiscal, levers.ramp_base_pct, levers.ramp_threat_pct) + expansion


def python_max(first, second):
    """Python's `max(first, second)` elementwise: `second` only if it is greater (NaN never is)."""
    return np.where(second > first, second, first)


def python_min(first, second):
    """Python's `min(first, second)` elementwise: `second` only if it is smaller (NaN never is)."""
    return np.where(second < first, second, first)


@dataclass(frozen=True)
class Opening:
    """A group as `AllianceModel.__init__` leaves it, with what stays fixed during the talks."""

    talks: Talks
    expansion_draws: np.ndarray  # (runs, rounds, allies) each run's factor on win-set growth per round
    peer_matrices: np.ndarray  # (scales, allies, allies) see `peer_influence_weights`
    initial_weights: np.ndarray  # the mediator's, before the first round (for the baselines)


def open_talks(alliance: Alliance, params: Sequence[Parameters], seeds: Sequence[int]) -> Opening:
    """Every run's opening state, computed as the model's constructor computes it."""
    levers = Levers.of(params)
    runs, allies = len(params), len(alliance.iso3)
    preference = np.empty((runs, allies))
    expansion_draws = np.zeros((runs, max(p.max_rounds for p in params), allies))
    for row, (p, seed) in enumerate(zip(params, seeds)):
        preference[row], draws = random_draws(np.random.default_rng(seed), allies, p.max_rounds)
        expansion_draws[row, :p.max_rounds] = draws

    exposure = alliance.exposure(levers)
    escape = np.where(levers.eu_escape_clause & alliance.eu_member, levers.escape_room_pct, 0.0)
    fiscal = rules.fiscal_pressure(alliance.debt, alliance.deficit, escape)
    reservation_total = rules.us_reservation_total(levers.us_pressure, levers.us_demand_pct, alliance.is_us)
    threat = own_threat(alliance, levers, exposure, levers.threat_level)
    noise = levers.noise_sd_pct * preference
    ideal = current_ideal(alliance, levers, threat, fiscal, noise)
    wanted = rules.preferred_deadline(urgency(alliance, levers, threat), levers.earliest_deadline,
                                      levers.latest_deadline)
    rejections = np.zeros((runs, allies), dtype=np.int64)
    peer_matrices, peer_index = alliance.peer_matrices(levers.peer_distance_km[:, 0])
    talks = Talks(
        run=np.arange(runs), levers=levers, exposure=exposure, fiscal=fiscal, reservation_total=reservation_total,
        floor=rules.core_floor(reservation_total, levers.related_cap_pct, levers.split_enabled), noise=noise,
        peer_index=peer_index, threat=threat, ideal=ideal,
        position=ideal.copy(), deadline_preference=wanted, deadline_position=wanted.copy(),
        expansion=np.zeros((runs, allies)), rejections=rejections, accepted=np.zeros((runs, allies), dtype=bool),
        core=np.full(runs, np.nan), related=np.full(runs, np.nan), deadline=np.full(runs, -1, dtype=np.int64),
    )
    salience = 0.5 + 0.5 * urgency(alliance, levers, threat)
    return Opening(talks=talks, expansion_draws=expansion_draws, peer_matrices=peer_matrices,
                   initial_weights=rules.mediator_weights(alliance.clout, salience, rejections, levers.leverage))


def negotiate(alliance: Alliance, rule: MediatorRule, opening: Opening) -> Concluded:
    """`AllianceModel.step` until every run has concluded, with each run's state frozen when its talks end."""
    talks = opening.talks
    ended = Concluded.empty(len(talks.run), len(alliance.iso3))
    recorded = np.zeros(len(talks.run), dtype=bool)  # concluded rows not yet dropped: computed, never read
    round_index = 0
    while not recorded.all():
        round_index += 1
        p = talks.levers

        # perceive: own reading mixed with the neighbours' readings of the last round
        shock = np.where(round_index >= p.threat_shock_round, p.threat_shock, 0.0)
        own = own_threat(alliance, p, talks.exposure, np.clip(p.threat_level + shock, 0.0, 1.0))
        weights = peer_influence_weights(opening.peer_matrices, talks.peer_index)
        threat = rules.peer_influence(own[:, None, :], talks.threat[:, None, :], weights,
                                      p.peer_weight[:, :, None])[:, 0, :]

        # update positions: follow the ideal, concede toward the last draft, stay in the win-set
        urgent = urgency(alliance, p, threat)
        ideal = current_ideal(alliance, p, threat, talks.fiscal, talks.noise)
        shifted = talks.position + (ideal - talks.ideal)
        ratifiable = ramp(p, threat, talks.fiscal, talks.expansion)
        preference = talks.deadline_preference
        if round_index == 1:
            level, wanted = shifted, preference
        else:
            core, deadline = talks.core[:, None], talks.deadline[:, None]
            level = rules.concede(shifted, core, rules.concession_share(p.concession_rate, urgent))
            preference = rules.concede(preference, deadline, p.concession_rate)
            wanted = python_max(preference, rules.needed_deadline(core, alliance.start, ratifiable, p.summit_year))
        deadline_position = np.clip(wanted, p.earliest_deadline, p.latest_deadline)
        ceiling = rules.win_set_ceiling(alliance.start, ratifiable, deadline_position, p.summit_year)
        level = np.where(alliance.bears_cost, python_min(python_max(level, talks.floor), ceiling), level)
        position = np.clip(level, 0.0, rules.LEVEL_CEILING_PCT)

        # the Secretary General drafts
        mediator = rules.mediator_weights(alliance.clout, 0.5 + 0.5 * urgent, talks.rejections, p.leverage)
        core = apply_rule(rule, position, mediator, alliance.start)
        latest = np.broadcast_to(p.latest_deadline.astype(float), deadline_position.shape)
        deadline = np.rint(apply_rule(rule, deadline_position, mediator, latest)).astype(np.int64)
        related = rules.related_component(core, p.us_demand_pct[:, 0], p.related_cap_pct[:, 0], p.split_enabled[:, 0])

        # the allies vote; consensus decides
        fits = rules.win_set_ceiling(alliance.start, ratifiable, deadline[:, None], p.summit_year)
        accepted = rules.accepts(core[:, None], related[:, None], deadline[:, None], fits, talks.reservation_total,
                                 alliance.bears_cost)
        holdouts = alliance.votes & ~accepted
        unanimous = ~holdouts.any(axis=1)
        summit = round_index >= p.max_rounds[:, 0]
        us_accepts = np.all(accepted | ~(alliance.is_us & alliance.votes), axis=1)
        carried = summit & rules.flexibility_allowed(holdouts, us_accepts, p.allow_flexibility[:, 0],
                                                     p.max_flexibility_holdouts[:, 0])
        ends = (unanimous | summit) & ~recorded
        if ends.any():
            ended.record(talks.run[ends], threat=threat[ends], position=position[ends],
                         expansion=talks.expansion[ends], accepted=accepted[ends],
                         flexibility=holdouts[ends] & carried[ends, None], core=core[ends], related=related[ends],
                         deadline=deadline[ends], rounds=round_index, deal=(unanimous | carried)[ends])

        # holdouts respond to US and peer pressure, and gain leverage
        share = np.sum(accepted & alliance.votes, axis=1) / np.sum(alliance.votes)
        pressure = rules.holdout_pressure(p.us_pressure[:, 0], share, p.peer_weight[:, 0])
        expansion = rules.expand_ramp(talks.expansion, ~accepted, pressure[:, None], p.expansion_rate_pct,
                                      opening.expansion_draws[talks.run, round_index - 1])
        talks = dataclasses.replace(
            talks, threat=threat, ideal=ideal, position=position, deadline_preference=preference,
            deadline_position=deadline_position, expansion=expansion, rejections=talks.rejections + ~accepted,
            accepted=accepted, core=core, related=related, deadline=deadline)
        recorded |= ends
        if np.mean(recorded) > DROP_CONCLUDED_SHARE:
            talks, recorded = talks.keep(~recorded), recorded[~recorded]
    return ended


# --- after the summit -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Implementation:
    """`AllianceModel.project_spending`: each ally's target and its yearly path to the deadline."""

    target: np.ndarray  # (runs, allies)
    end: np.ndarray  # (runs, allies) spending in the last projected year; NaN without forces
    first_year: int
    trajectory: np.ndarray | None  # (runs, allies, years from first_year), NaN outside each run's years


def implement(alliance: Alliance, opening: Talks, ended: Concluded, data_year: int,
              keep_trajectory: bool) -> Implementation:
    """Project spending year by year, the faster of the pledge's path (in the years an ally
    keeps it) and its own adjustment toward what the year's threat calls for; a run's path
    stops at its own deadline."""
    levers, fiscal = opening.levers, opening.fiscal
    target = np.where(ended.deal[:, None] & ~ended.flexibility, ended.core[:, None], ended.position)
    ratifiable = ramp(levers, ended.threat, fiscal, ended.expansion)
    shocked = ended.rounds[:, None] >= levers.threat_shock_round
    talks_level = np.clip(levers.threat_level + np.where(shocked, levers.threat_shock, 0.0), 0.0, 1.0)
    horizon = ended.deadline[:, None]
    spending = np.broadcast_to(alliance.start, target.shape).copy()
    last_year = max(data_year, int(horizon.max(initial=data_year)))
    trajectory = np.full((*target.shape, last_year - data_year + 1), np.nan) if keep_trajectory else None
    if trajectory is not None:
        trajectory[:, :, 0] = spending
    for year in range(data_year + 1, last_year + 1):
        going = year <= horizon
        level = rules.threat_level_in_year(year, talks_level, levers.threat_event_year, levers.threat_event_level)
        own_ideal = rules.shocked_ideal(alliance.start, own_threat(alliance, levers, opening.exposure, level),
                                        fiscal, levers.need_scale_pct, levers.fiscal_drag, opening.noise)
        pledged = rules.yearly_step(spending, target, horizon - year + 1, ratifiable, fiscal, levers.compliance_drag)
        kept = np.where(rules.keeps_pledge(own_ideal, target, levers.self_enforcing_pledges), pledged, spending)
        own = rules.adjust_toward_ideal(spending, own_ideal, levers.adjustment_rate)
        spending = np.where(going, np.maximum(kept, own), spending)
        if trajectory is not None:
            trajectory[:, :, year - data_year] = np.where(going, spending, np.nan)
    end = np.where(alliance.bears_cost, spending, np.nan)
    if trajectory is not None:
        trajectory[:, ~alliance.bears_cost, :] = np.nan
    return Implementation(target=target, end=end, first_year=data_year, trajectory=trajectory)


def joined_codes(mask: np.ndarray, iso3: tuple[str, ...]) -> np.ndarray:
    """Each row's ISO3 codes where `mask` is set, joined by ';' (one string per distinct set)."""
    keys, inverse = np.unique(np.packbits(mask, axis=1), axis=0, return_inverse=True)
    names = [";".join(code for code, chosen in zip(iso3, np.unpackbits(key)[:len(iso3)]) if chosen) for key in keys]
    return np.array(names, dtype=object)[inverse.reshape(-1)]


@dataclass(frozen=True)
class GroupResult:
    """One group's run-level columns (`RUN_FIELDS`) and per-ally arrays."""

    columns: dict[str, np.ndarray]
    ended: Concluded
    implementation: Implementation


def run_group(alliance: Alliance, structure: Structure, params: Sequence[Parameters], seeds: Sequence[int],
              per_ally: bool) -> GroupResult:
    """A group of runs that share a structure, from the opening positions to the outcome."""
    opening = open_talks(alliance, params, seeds)
    levers, fiscal, initial = opening.talks.levers, opening.talks.fiscal, opening.talks.position
    ended = negotiate(alliance, structure.mediator_rule, opening)
    done = implement(alliance, opening.talks, ended, structure.data_year, per_ally)

    disagreement = np.where(np.isnan(alliance.start), initial, alliance.start)
    baseline = {rule: apply_rule(rule, initial, opening.initial_weights, disagreement) for rule in MediatorRule}
    start = np.nan_to_num(alliance.start)
    final = np.nan_to_num(done.end)
    runs = len(params)
    holdouts = alliance.votes & ~ended.accepted
    on_track = (ended.deal[:, None] & alliance.bears_cost & ~ended.flexibility
                & (done.end >= done.target - ON_TRACK_TOLERANCE_PCT))
    columns = {
        "deal": ended.deal,
        "core_target_pct": np.where(ended.deal, ended.core, np.nan),
        "related_target_pct": np.where(ended.deal & levers.split_enabled[:, 0], ended.related, np.nan),
        "deadline_year": np.where(ended.deal, ended.deadline, -1),
        "rounds": ended.rounds,
        "holdouts": joined_codes(holdouts, alliance.iso3),
        "flexibility": joined_codes(ended.flexibility, alliance.iso3),
        "n_holdouts": holdouts.sum(axis=1),
        "n_flexibility": ended.flexibility.sum(axis=1),
        "baseline_weighted_mean": baseline[MediatorRule.COMPROMISE],
        "baseline_weighted_median": baseline[MediatorRule.MEDIAN],
        "baseline_nash": baseline[MediatorRule.NASH],
        "us_share_before": np.full(runs, np.sum(start * alliance.gdp * alliance.is_us) / np.sum(start * alliance.gdp)),
        "us_share_after": (np.sum(final * alliance.gdp * alliance.is_us, axis=1)
                           / np.sum(final * alliance.gdp, axis=1)),
        "allies_on_track": on_track.sum(axis=1),
        "extra_spending_usd_bn": np.sum((final - start) * alliance.gdp, axis=1) / 100.0,
    }
    return GroupResult(columns=columns, ended=ended, implementation=done)


# --- the public entry point ------------------------------------------------------------------------

COLUMN_TYPES = {"deal": bool, "deadline_year": np.int64, "rounds": np.int64, "holdouts": object,
                "flexibility": object, "n_holdouts": np.int64, "n_flexibility": np.int64,
                "allies_on_track": np.int64}


def checked_seeds(seeds: Sequence[int]) -> np.ndarray:
    """Seeds as an array; each must be a non-negative integer, so every run is reproducible."""
    for index, seed in enumerate(seeds):
        if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"run {index}: seed {seed!r} is not allowed; allowed: a non-negative integer")
    array = np.asarray(seeds)
    return array if array.dtype.kind in "iu" else np.array([int(seed) for seed in seeds], dtype=object)


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
    total = len(seed_column)
    facts = base.allies()
    allies = facts.count
    columns = {name: np.empty(total, dtype=COLUMN_TYPES.get(name, float)) for name in RUN_FIELDS}
    positions = np.empty((total, allies)) if per_ally else None
    accepted = np.empty((total, allies), dtype=bool) if per_ally else None
    flexibility = np.empty((total, allies), dtype=bool) if per_ally else None
    paths: list[tuple[np.ndarray, int, np.ndarray]] = []
    alliances: dict[tuple[int, int], Alliance] = {}

    for first in range(0, total, chunk_runs):
        window = range(first, min(first + chunk_runs, total))
        known: dict = {}
        params = []
        for index in window:
            try:
                params.append(resolved_parameters(base, overrides[index], known))
            except ValueError as error:
                raise type(error)(f"run {index}: {error}") from None
        groups: dict[Structure, list[int]] = {}
        for offset, p in enumerate(params):
            groups.setdefault(Structure.of(p), []).append(offset)
        for structure, offsets in groups.items():
            where = (structure.data_year, structure.summit_year)
            if where not in alliances:
                alliances[where] = Alliance.of(facts, params[offsets[0]])
            rows = np.asarray(offsets) + first
            result = run_group(alliances[where], structure, [params[o] for o in offsets],
                               [int(seed_column[row]) for row in rows], per_ally)
            for name, values in result.columns.items():
                columns[name][rows] = values
            if per_ally:
                positions[rows] = result.ended.position
                accepted[rows] = result.ended.accepted
                flexibility[rows] = result.ended.flexibility
                paths.append((rows, result.implementation.first_year, result.implementation.trajectory))

    ally_columns = None
    if per_ally:
        years = trajectory_years(paths)
        trajectory = np.full((total, allies, len(years)), np.nan)
        for rows, first_year, path in paths:
            offset = first_year - years[0]
            trajectory[rows, :, offset:offset + path.shape[2]] = path
        ally_columns = AllyColumns(years=years, final_position_pct=positions, accepted=accepted,
                                   flexibility=flexibility, trajectory_pct=trajectory)
    return BatchResult(scenario=base.name, iso3=tuple(facts.iso3), seed=seed_column, allies=ally_columns, **columns)


def trajectory_years(paths: list[tuple[np.ndarray, int, np.ndarray]]) -> tuple[int, ...]:
    """The calendar years spanned by every group's projected paths."""
    if not paths:
        return ()
    first = min(first_year for _, first_year, _ in paths)
    last = max(first_year + path.shape[2] - 1 for _, first_year, path in paths)
    return tuple(range(first, last + 1))
