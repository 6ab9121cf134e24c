"""The challenge protocol: a round of bilateral challenges after Bueno de Mesquita's expected
utility model (docs/ODD.md, 7.6c).

Allies perceive and update their positions as in every protocol (`sim/model/negotiation.py`); then,
on the core level and on the deadline, every ally at the table weighs challenging every other,
each answers the offers it must accept by the one that moves it least, and the forecast, the
weighted median, is tabled. The formulas, with their sources, are in `sim/model/rules.py`; like every
step, each function here runs for one ally (its own row), the alliance, or runs x allies.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from sim.model import rules
from sim.model.alliance import Alliance
from sim.model.negotiation import (Package, Stance, Standing, draft_package, mediator_weights, ramp, taken, urgency,
                             within_win_set)
from sim.model.parameters import MediatorRule


@dataclass(frozen=True)
class Contenders:
    """The allies as parties to a round's challenges on one issue, as they stand before anyone
    answers (over allies, or runs x allies)."""

    position: np.ndarray
    distance: np.ndarray  # D_j, the weighted support any rival of the ally draws (rules.weighted_distance)
    salience: np.ndarray
    to_forecast: np.ndarray  # |x - mu|, the distance from the forecast (the weighted median)
    drift: np.ndarray  # T, the chance the outcome moves its way unchallenged (rules.status_quo_drift)
    at_table: np.ndarray  # who may challenge

    def take(self, rows) -> Contenders:
        return taken(self, rows)


@dataclass(frozen=True)
class Challenges:
    """A round's challenges on the core level and on the deadline."""

    level: Contenders
    deadline: Contenders

    def take(self, rows) -> Challenges:
        """The given allies' own rows (one ally's: plain values), as targets of the challenges."""
        return Challenges(level=self.level.take(rows), deadline=self.deadline.take(rows))


@dataclass(frozen=True)
class Offers:
    """What each challenger's proposal asks of a target on one issue, over the challengers (last
    axis): whether it challenges and whether it compels (`rules.challenge_classes`), the
    challenger's position less the target's (`gap`) and P_ij; its answer (`rules.Answer` codes)
    and how far it would move (`rules.offered_step`; the offered position is its own plus the
    step) follow from these."""

    challenges: np.ndarray
    compelled: np.ndarray
    gap: np.ndarray  # x_i - x_j
    apart: np.ndarray  # |x_i - x_j|
    prevail: np.ndarray

    @property
    def answer(self) -> np.ndarray:
        return np.asarray(self.challenges).view(np.int8) + np.asarray(self.compelled).view(np.int8)

    @property
    def step(self) -> np.ndarray:
        return rules.offered_step(0.0, self.gap, self.prevail, self.answer)

    def moves(self) -> np.ndarray:
        """How far each offer would move the target (`rules.offered_move`; infinite: none made)."""
        return rules.offered_move(self.apart, self.prevail, self.challenges, self.compelled)


def contenders(positions, weights, salience, at_table, status_quo) -> Contenders:
    """The allies as parties to challenges on one issue: `positions`, `weights` (capability x
    salience) and `salience` over allies; `status_quo` the issue's value in the package on the
    table (NaN before the first)."""
    forecast = rules.weighted_median(positions, weights)[..., None]
    return Contenders(position=positions, distance=rules.weighted_distance(positions, weights), salience=salience,
                      to_forecast=np.abs(positions - forecast),
                      drift=rules.status_quo_drift(positions, forecast, status_quo),
                      at_table=np.broadcast_to(at_table, np.shape(positions)))


def challenges(alliance: Alliance, params, stances: Stance, draft: Package | None) -> Challenges:
    """The round's challenges (Bueno de Mesquita 1994): every ally at the table weighs
    challenging every other on the level and on the deadline; capability is clout, raised by
    vetoes as with the mediator, and salience the ally's (`mediator_weights`); the status quo is
    the package on the table."""
    weights = mediator_weights(alliance, params, stances)
    salience = rules.salience(urgency(alliance, params, stances.threat))
    at_table = alliance.at_table
    level_now = np.nan if draft is None else draft.core_pct
    deadline_now = np.nan if draft is None else draft.deadline_year
    return Challenges(level=contenders(stances.position, weights, salience, at_table, level_now),
                      deadline=contenders(stances.deadline_position, weights, salience, at_table, deadline_now))


def offers(targets: Contenders, challengers: Contenders) -> Offers:
    """Every challenger's proposal to the targets on one issue and the targets' answers: to one
    target (its own row, plain values) over the challengers, or to every ally (the targets
    being the challengers) as (..., targets, challengers). O(allies) pairs per target."""

    def target(values):
        return np.asarray(values)[..., None]

    def challenger(values):
        values = np.asarray(values)
        return values[..., None, :] if values.ndim == np.ndim(targets.position) else values

    x_j, x_i = target(targets.position), challenger(challengers.position)
    gap = x_i - x_j
    apart = np.abs(gap)
    prevails = rules.prevail_probability(challenger(challengers.distance), target(targets.distance))  # P_ij
    pressing = rules.challenge_utility(prevails, apart, target(targets.salience), challenger(challengers.to_forecast),
                                       challenger(challengers.drift))  # EU_ij
    if targets is challengers:  # every ally against every other: j's view of i's challenge is j's challenge to i
        resisting = np.swapaxes(pressing, -1, -2)
    else:
        resisting = rules.challenge_utility(rules.prevail_probability(target(targets.distance),
                                                                      challenger(challengers.distance)),
                                            apart, challenger(challengers.salience), target(targets.to_forecast),
                                            target(targets.drift))  # EU_ji
    able = (apart > 0) & challenger(challengers.at_table) & target(targets.at_table)  # only allies at the table
    challenges_, compelled = rules.challenge_classes(pressing, resisting, able)
    return Offers(challenges=challenges_, compelled=compelled, gap=gap, apart=apart, prevail=prevails)


def settle(targets: Contenders, challengers: Contenders):
    """Where the targets end on one issue: each takes the offer it must accept that moves it
    least (`rules.least_move`)."""
    made = offers(targets, challengers)
    return rules.least_move(targets.position, made.gap, made.moves())


def answer_challenges(alliance: Alliance, params, standing_: Standing, stance: Stance, challenges_: Challenges,
                      seat: int | None = None) -> Stance:
    """Take, on each issue, the offer it must accept that moves it least (Bueno de Mesquita
    1994), or stay; and stay within the window of deadlines and its win-set for its deadline.
    `seat` is one ally's index among the challenges' allies (its own row); None, every ally."""
    p = params
    own = challenges_ if seat is None else challenges_.take(seat)
    deadline = np.clip(settle(own.deadline, challenges_.deadline), p.earliest_deadline, p.latest_deadline)
    level = settle(own.level, challenges_.level)
    return dataclasses.replace(stance, position=within_win_set(alliance, p, standing_, level,
                                                               ramp(p, standing_, stance), deadline),
                               deadline_position=deadline)


def forecast_package(alliance: Alliance, params, stances: Stance) -> Package:
    """The package the challenges leave on the table: Bueno de Mesquita's forecast, the weighted
    median of the positions (and of the deadlines), with related spending as in a draft."""
    return draft_package(MediatorRule.MEDIAN, alliance, params, stances)


def median_voter(alliance: Alliance, params, stances: Stance):
    """Whose position the forecast's level is (a boolean mask over the allies)."""
    index = rules.weighted_median_index(stances.position, mediator_weights(alliance, params, stances))
    return np.arange(np.shape(stances.position)[-1]) == np.asarray(index)[..., None]
