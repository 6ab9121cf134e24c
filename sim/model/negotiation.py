"""One round of talks, step by step: each step written once, as a function over arrays.

A round (simultaneous moves): allies perceive the threat, update their positions, the
Secretary General drafts a package, allies vote, the alliance decides by consensus, and
holdouts respond to pressure. Each step below is that step, for whoever calls it:

- a Mesa agent passes its own row (`Alliance.row`, scalar state): `sim/engines/agents.py`;
- the Secretary General and the model pass the alliance (vectors over allies): `sim/engines/model.py`;
- the batch engine passes a block of runs (runs x allies, parameters as (runs, 1) columns,
  `sim.engines.batch.Levers`): `sim/engines/batch.py`.

So the two engines share the behaviour, not copies of it. Reductions over the allies (the
draft, the decision, the share accepting) keep the allies axis with length 1, so their
answer broadcasts against the allies it came from. The formulas themselves, with their
sources, are in `sim/model/rules.py`; nothing here draws random numbers or keeps state.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from sim.model import caucuses, rules, streams
from sim.model.alliance import Alliance
from sim.model.caucuses import CaucusLine
from sim.model.parameters import MediatorRule
from sim.model.streams import Stream


@dataclass(frozen=True)
class Standing:
    """What an ally brings to the talks and keeps through them."""

    exposure: np.ndarray | float  # 0..1, see rules.exposure
    fiscal: np.ndarray | float  # fiscal pressure, 0..1
    reservation_total: np.ndarray | float  # the lowest headline it accepts (only the US sets one)
    floor: np.ndarray | float  # the lowest core level compatible with that headline
    noise: np.ndarray | float  # its idiosyncratic domestic preference (pp)

    def take(self, rows) -> Standing:
        return taken(self, rows)


@dataclass(frozen=True)
class Stance:
    """Where an ally stands in the talks; every step returns a new one."""

    threat: np.ndarray | float
    ideal: np.ndarray | float  # what it would choose alone now (% GDP)
    position: np.ndarray | float  # the core level it argues for (% GDP)
    deadline_preference: np.ndarray | float
    deadline_position: np.ndarray | float  # the deadline it argues for (year, fractional)
    expansion: np.ndarray | float  # how far pressure has widened its ratifiable ramp (pp/year)
    rejections: np.ndarray | int  # rounds it has rejected the draft
    accepted: np.ndarray | bool  # its vote on the last draft

    def take(self, rows) -> Stance:
        return taken(self, rows)


@dataclass(frozen=True)
class Package:
    """A draft on the table: core level, defence-related level (% GDP) and deadline year."""

    core_pct: np.ndarray | float
    related_pct: np.ndarray | float
    deadline_year: np.ndarray | int

    def item(self) -> Package:
        """The package of one alliance as plain Python numbers."""
        return Package(float(np.asarray(self.core_pct).item()), float(np.asarray(self.related_pct).item()),
                       int(np.asarray(self.deadline_year).item()))

    def take(self, rows) -> Package:
        return taken(self, rows)


@dataclass(frozen=True)
class Decision:
    """What consensus makes of a round's votes: `holdouts` and `flexibility` over allies, the
    rest with the allies axis kept at length 1."""

    holdouts: np.ndarray  # members rejecting the draft
    concluded: np.ndarray  # the talks end this round: everyone accepts, it is the summit, or the few left are carried
    deal: np.ndarray
    flexibility: np.ndarray  # holdouts carried with side letters, at the summit or when settled early


def taken(state, rows):
    """A state dataclass with only the given rows of every field (the batch engine's runs)."""
    return dataclasses.replace(state, **{field.name: getattr(state, field.name)[rows]
                                         for field in dataclasses.fields(state)})


# --- what an ally reads from its situation ------------------------------------------------------------

@dataclass(frozen=True)
class Draws:
    """A run's only random numbers (a block of runs': the same with a leading runs axis)."""

    preference: np.ndarray  # (allies,) each ally's domestic preference shock, standard normal
    expansion: np.ndarray  # (rounds, allies) the factor on a holdout's win-set growth, uniform 0.5..1.5
    recognition: np.ndarray  # (rounds,) which ally is recognised to propose (proposer protocol), uniform 0..1


def random_draws(seeds, allies: int, rounds: int) -> Draws:
    """The random numbers of a run (`seeds` an integer) or of a block of runs (an array of
    integer seeds, one per run), by both engines alike.

    Each number is a pure function of the run's seed, its stream and its place in it
    (`sim.model.streams`: counter-based), so a run gets the same numbers whatever the batch, and
    drawing more rounds changes none of the first rounds' numbers: the expansion factor of
    round r and ally a is number r x allies + a of its stream."""
    return Draws(
        preference=streams.standard_normal(seeds, Stream.PREFERENCE, np.arange(allies)),
        expansion=streams.uniform(seeds, Stream.EXPANSION, np.arange(rounds * allies), 0.5, 1.5).reshape(
            np.shape(seeds) + (rounds, allies)),
        recognition=streams.uniform(seeds, Stream.RECOGNITION, np.arange(rounds)),
    )


def standing(alliance: Alliance, params, preference_draw) -> Standing:
    """An ally's exposure, fiscal pressure, floor and domestic shock for these talks. The EU's
    escape clause for defence eases the deficit rule for an ally that asked for it (the
    scenario's list), or for every EU ally with `eu_escape_clause` (a counterfactual)."""
    p = params
    escape = np.where((p.eu_escape_clause & alliance.eu_member) | alliance.escape_clause, p.escape_room_pct, 0.0)
    reservation = rules.us_reservation_total(p.us_pressure, p.us_demand_pct, alliance.is_us)
    return Standing(
        exposure=rules.exposure(alliance.distance_to_moscow_km, alliance.borders_russia, p.proximity_reference_km,
                                p.proximity_decay_km),
        fiscal=rules.fiscal_pressure(alliance.debt_pct_gdp, alliance.deficit_pct_gdp, escape),
        reservation_total=reservation,
        floor=rules.core_floor(reservation, p.related_cap_pct, p.split_enabled),
        noise=p.noise_sd_pct * preference_draw,
    )


def threat_level_in_round(round_index, params):
    """The threat environment in a round of the talks: the scenario's level, plus its shock
    from the shock's round on."""
    shock = np.where(round_index >= params.threat_shock_round, params.threat_shock, 0.0)
    return np.clip(params.threat_level + shock, 0.0, 1.0)


def own_threat(alliance: Alliance, params, standing_: Standing, threat_level):
    """The threat an ally reads from the environment, its geography and its fear of
    abandonment, before its neighbours' readings."""
    fear = rules.abandonment_fear(params.us_pressure, standing_.exposure, params.abandonment_weight, alliance.is_us)
    return rules.threat_perception(threat_level, standing_.exposure, params.shared_threat, fear)


def urgency(alliance: Alliance, params, threat):
    """The US's urgency is its own pressure; everyone else's is the threat it perceives."""
    return np.where(alliance.is_us, params.us_pressure, threat)


def current_ideal(alliance: Alliance, params, standing_: Standing, threat):
    """The level an ally wants now: the US its demand on the others, everyone else its need
    held back by the purse, each with its domestic shock."""
    us = np.clip(params.us_demand_pct + standing_.noise, 0.0, rules.LEVEL_CEILING_PCT)
    ideal = rules.shocked_ideal(alliance.start_pct, threat, standing_.fiscal, params.need_scale_pct,
                                params.fiscal_drag, standing_.noise)
    return np.where(alliance.is_us, us, ideal)


def own_spending_ideal(alliance: Alliance, params, standing_: Standing, threat_level):
    """What an ally would spend on its own in a threat environment, after the summit (the US
    included, whose position in the talks is its demand on the others)."""
    return rules.shocked_ideal(alliance.start_pct, own_threat(alliance, params, standing_, threat_level),
                               standing_.fiscal, params.need_scale_pct, params.fiscal_drag, standing_.noise)


def ramp(params, standing_: Standing, stance: Stance):
    """The yearly increase an ally's parliament ratifies, widened by pressure during the talks."""
    base = rules.ratifiable_ramp(stance.threat, standing_.fiscal, params.ramp_base_pct, params.ramp_threat_pct)
    return base + stance.expansion


def mediator_weights(alliance: Alliance, params, stance: Stance):
    """The Secretary General's weight for each ally: clout x salience, raised by its vetoes."""
    salience = rules.salience(urgency(alliance, params, stance.threat))
    return rules.mediator_weights(alliance.clout, salience, stance.rejections, params.leverage)


def caucus_lines(alliance: Alliance, params, caucus, stances: Stance) -> CaucusLine:
    """The line each ally's caucus argues this round, from the members' last positions."""
    return caucuses.caucus_lines(caucus, mediator_weights(alliance, params, stances), stances.position,
                                 stances.deadline_position)


# --- the opening ---------------------------------------------------------------------------------------

def open_stance(alliance: Alliance, params, standing_: Standing) -> Stance:
    """Where an ally stands before the first round: at its ideal, asking for the deadline its
    urgency prefers."""
    threat = own_threat(alliance, params, standing_, params.threat_level)
    ideal = current_ideal(alliance, params, standing_, threat)
    wanted = rules.preferred_deadline(urgency(alliance, params, threat), params.earliest_deadline,
                                      params.latest_deadline)
    return Stance(threat=threat, ideal=ideal, position=ideal, deadline_preference=wanted, deadline_position=wanted,
                  expansion=np.zeros_like(ideal), rejections=np.zeros_like(ideal, dtype=np.int64),
                  accepted=np.zeros_like(ideal, dtype=bool))


def baselines(rule: MediatorRule, alliance: Alliance, params, opening: Stance, weights=None):
    """What a one-shot model (`rule`) predicts from the opening positions and weights, with
    today's spending as each ally's disagreement point. `weights` are the opening's
    `mediator_weights` where the caller has them (one set serves every rule)."""
    disagreement = np.where(np.isnan(alliance.start_pct), opening.position, alliance.start_pct)
    weights = mediator_weights(alliance, params, opening) if weights is None else weights
    return rules.mediate(rule, opening.position, weights, disagreement)


# --- one round ------------------------------------------------------------------------------------------

def perceive(alliance: Alliance, params, standing_: Standing, stance: Stance, threat_level, previous_threats,
             peer_weights, own=None) -> Stance:
    """Read the threat: own reading mixed with the neighbours' readings of the last round
    (`previous_threats` over allies; `peer_weights` the ally's row, or the alliance's matrix).
    `own` is `own_threat` at `threat_level` where the caller kept it from an earlier round
    at the same level (it depends on nothing else that changes during the talks)."""
    own = own_threat(alliance, params, standing_, threat_level) if own is None else own
    threat = rules.peer_influence(own, previous_threats, peer_weights, params.peer_weight)
    return dataclasses.replace(stance, threat=threat)


def update_position(alliance: Alliance, params, standing_: Standing, stance: Stance, draft: Package | None,
                    caucus_line: CaucusLine | None = None, ratifiable=None) -> Stance:
    """Follow shifts in the ideal, concede toward the last draft (none in the first round),
    move toward the caucus's line (`caucus_line`, from the members' positions before this
    update; none: no caucus), and stay within the win-set and above the floor. `ratifiable` is
    `ramp` for this stance where the caller has it (it is the same through the vote)."""
    p = params
    ideal = current_ideal(alliance, p, standing_, stance.threat)
    shifted = stance.position + (ideal - stance.ideal)
    ratifiable = ramp(p, standing_, stance) if ratifiable is None else ratifiable
    preference = stance.deadline_preference
    if draft is None:
        level, wanted = shifted, preference
    else:
        level = rules.concede(shifted, draft.core_pct, rules.concession_share(p.concession_rate,
                                                                              urgency(alliance, p, stance.threat)))
        preference = rules.concede(preference, draft.deadline_year, p.concession_rate)
        # an ally without forces needs no time (NaN): fmax keeps its preference
        wanted = np.fmax(preference, rules.needed_deadline(draft.core_pct, alliance.start_pct, ratifiable,
                                                           p.summit_year))
    if caucus_line is not None:
        level = caucuses.follow(level, caucus_line.level, p.caucus_cohesion)
        wanted = caucuses.follow(wanted, caucus_line.deadline, p.caucus_cohesion)
    deadline_position = np.clip(wanted, p.earliest_deadline, p.latest_deadline)
    return dataclasses.replace(stance, ideal=ideal,
                               position=within_win_set(alliance, p, standing_, level, ratifiable, deadline_position),
                               deadline_preference=preference, deadline_position=deadline_position)


def within_win_set(alliance: Alliance, params, standing_: Standing, level, ratifiable, deadline):
    """A level an ally can argue for: no higher than it can ratify by `deadline` at its ramp
    `ratifiable` (`rules.win_set_ceiling`), no lower than its floor, within 0..the ceiling of
    any level. Wherever a step moves a position, it ends here."""
    ceiling = rules.win_set_ceiling(alliance.start_pct, ratifiable, deadline, params.summit_year)
    level = np.where(alliance.bears_cost, np.fmin(np.fmax(level, standing_.floor), ceiling), level)
    return np.clip(level, 0.0, rules.LEVEL_CEILING_PCT)


def draft_package(rule: MediatorRule, alliance: Alliance, params, stances: Stance) -> Package:
    """The Secretary General's draft: the mediator's rule over the positions and deadlines,
    topped up with related spending toward the US headline."""
    weights = mediator_weights(alliance, params, stances)
    latest = np.broadcast_to(np.asarray(params.latest_deadline, dtype=float), np.shape(stances.deadline_position))
    core = rules.mediate(rule, stances.position, weights, alliance.start_pct)[..., None]
    deadline = np.rint(rules.mediate(rule, stances.deadline_position, weights, latest)).astype(np.int64)[..., None]
    related = rules.related_component(core, params.us_demand_pct, params.related_cap_pct, params.split_enabled)
    return Package(core_pct=core, related_pct=related, deadline_year=deadline)


def recognised(alliance: Alliance, draw):
    """Which ally is recognised to propose this round (a boolean mask over the allies): each
    ally at the table with probability equal to its clout (Baron & Ferejohn 1989 recognition,
    weighted by economic weight as in Snyder, Ting & Ansolabehere 2005). `draw` is the round's
    uniform number, one per run."""
    cumulative = np.cumsum(alliance.clout, axis=-1)
    threshold = np.asarray(draw, dtype=float)[..., None] * cumulative[..., -1:]
    index = np.argmax(cumulative > threshold, axis=-1)
    return np.arange(np.shape(cumulative)[-1]) == np.asarray(index)[..., None]


def propose_package(alliance: Alliance, params, standings: Standing, stances: Stance, proposer) -> Package:
    """The recognised ally's proposal under unanimity, with full information (Baron & Ferejohn
    1989): its own level, raised to the US floor if below it, by the earliest deadline at which
    every member can ratify it; if none can by the latest deadline on the table, the most every
    member ratifies by then. The proposer keeps what the others leave it, the level, and pays
    in time (Rubinstein 1982: the proposer's advantage)."""
    p = params
    at_stake = alliance.bears_cost & alliance.votes
    own = np.sum(np.where(proposer, stances.position, 0.0), axis=-1, keepdims=True)
    floor = np.max(np.where(alliance.votes, standings.floor, 0.0), axis=-1, keepdims=True)
    level = np.maximum(own, floor)
    ratifiable = ramp(p, standings, stances)
    needed = np.max(np.where(at_stake, rules.needed_deadline(level, alliance.start_pct, ratifiable, p.summit_year),
                             -np.inf), axis=-1, keepdims=True)
    latest = np.asarray(p.latest_deadline, dtype=float)
    most_by_latest = np.min(np.where(at_stake, rules.win_set_ceiling(alliance.start_pct, ratifiable, latest,
                                                                     p.summit_year), np.inf), axis=-1, keepdims=True)
    core = np.where(needed > latest, most_by_latest, level)
    deadline = np.clip(np.ceil(needed), p.earliest_deadline, p.latest_deadline).astype(np.int64)
    related = rules.related_component(core, p.us_demand_pct, p.related_cap_pct, p.split_enabled)
    return Package(core_pct=core, related_pct=related, deadline_year=deadline)


def vote(alliance: Alliance, params, standing_: Standing, stance: Stance, draft: Package, ratifiable=None) -> Stance:
    """Accept if the package fits the domestic win-set and meets the ally's floor (`ratifiable`
    as in `update_position`)."""
    ratifiable = ramp(params, standing_, stance) if ratifiable is None else ratifiable
    ceiling = rules.win_set_ceiling(alliance.start_pct, ratifiable, draft.deadline_year, params.summit_year)
    accepted = rules.accepts(draft.core_pct, draft.related_pct, draft.deadline_year, ceiling,
                             standing_.reservation_total, alliance.bears_cost)
    return dataclasses.replace(stance, accepted=accepted)


def caucus_vetoes(alliance: Alliance, params, caucus, stances: Stance):
    """Which allies' caucus rejects the draft as a bloc this round, from every ally's own vote
    (`caucuses.bloc_vetoes`); none unless `caucus_bloc_votes` (for any of the runs: then nothing
    is weighed, the default costs nothing)."""
    if not np.any(params.caucus_bloc_votes):
        return np.zeros(np.shape(stances.accepted), dtype=bool)
    vetoes = caucuses.bloc_vetoes(caucus, mediator_weights(alliance, params, stances), stances.accepted)
    return vetoes & params.caucus_bloc_votes


def stand_with_caucus(stance: Stance, vetoed) -> Stance:
    """Vote no with its caucus where the caucus rejects the draft as a bloc; a member so
    holding out is a holdout like any other (pressed, and gaining leverage)."""
    return dataclasses.replace(stance, accepted=stance.accepted & ~np.asarray(vetoed))


def out_of_reach(alliance: Alliance, params, standing_: Standing, stance: Stance, draft: Package, share_accepting_,
                 round_index, caucus, ratifiable=None):
    """The holdouts the draft cannot win before the summit, as the Secretary General reckons
    from the capitals' reports: even if its ramp widened every round left as it did this
    round (at the mean random factor), its parliament could not ratify the draft by its
    deadline; or, with bloc votes (`caucus_vetoes`; `caucus`, each ally's caucus code), its
    caucus would still reject the draft as one were every member that can be won won. Allies
    that accept are never out of reach. (`ratifiable` as in `vote`.)"""
    ratifiable = ramp(params, standing_, stance) if ratifiable is None else ratifiable
    rounds_left = np.maximum(params.max_rounds - round_index, 0)
    reachable = ratifiable + rounds_left * widening(alliance, params, share_accepting_)
    ceiling = rules.win_set_ceiling(alliance.start_pct, reachable, draft.deadline_year, params.summit_year)
    beyond = alliance.bears_cost & ~rules.fits_win_set(draft.core_pct, ceiling)
    beyond = beyond | caucus_vetoes(alliance, params, caucus, dataclasses.replace(stance, accepted=~beyond))
    return ~np.asarray(stance.accepted) & beyond


def decide(alliance: Alliance, params, accepted, round_index, beyond_reach) -> Decision:
    """Consensus: a deal when every member accepts; one blocker blocks. A few holdouts may be
    carried with side letters at the summit (the last round), or earlier, when the Secretary
    General settles because no holdout can be won by the summit (`beyond_reach`, see
    `out_of_reach`; Zartman & Berman 1982: closure comes when waiting buys nothing, as the
    letter to Spain came three days before the Hague summit); otherwise no deal at the summit."""
    holdouts = alliance.votes & ~np.asarray(accepted)
    unanimous = ~np.any(holdouts, axis=-1, keepdims=True)
    summit = round_index >= params.max_rounds
    stalled = params.early_settlement & np.all(~holdouts | beyond_reach, axis=-1, keepdims=True)
    us_accepts = np.all(accepted | ~(alliance.is_us & alliance.votes), axis=-1, keepdims=True)
    carried = (summit | stalled) & rules.flexibility_allowed(holdouts, us_accepts, params.allow_flexibility,
                                                            params.max_flexibility_holdouts)
    return Decision(holdouts=holdouts, concluded=unanimous | summit | carried, deal=unanimous | carried,
                    flexibility=holdouts & carried)


def share_accepting(alliance: Alliance, accepted):
    """The share of the members accepting the draft."""
    return np.sum(accepted & alliance.votes, axis=-1, keepdims=True) / np.sum(alliance.votes)


def widening(alliance: Alliance, params, share_accepting_):
    """How far a holdout's ratifiable ramp widens in a round it rejects (pp a year), before
    the round's random factor: the US and the allies already on board press it
    (`rules.holdout_pressure`), and the US presses it by name with what it stands to lose in
    trade (`rules.bilateral_pressure`)."""
    pressure = rules.holdout_pressure(params.us_pressure, share_accepting_, params.peer_weight)
    named = rules.bilateral_pressure(params.us_pressure, alliance.exports_to_us_pct_gdp, params.bilateral_pressure_pct)
    return params.expansion_rate_pct * pressure + named


def respond_to_pressure(alliance: Alliance, params, stance: Stance, share_accepting_, expansion_draw) -> Stance:
    """A holdout spends political capital under pressure, widening its win-set, and gains
    leverage with the mediator; an ally that accepted does neither."""
    rejected = ~np.asarray(stance.accepted)
    expansion = rules.expand_ramp(stance.expansion, rejected, widening(alliance, params, share_accepting_),
                                  expansion_draw)
    return dataclasses.replace(stance, expansion=expansion, rejections=stance.rejections + rejected)
