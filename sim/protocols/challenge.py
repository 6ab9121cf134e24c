"""The challenge protocol: a round of bilateral challenges after Bueno de Mesquita's expected
utility model (docs/ODD.md, 7.6c).

Allies perceive and update their positions as in every protocol (`sim.model.perception`,
`sim.model.concession`); then, on the core level and on the deadline, every ally at the table
weighs challenging every other, each answers the offers it must accept by the one that moves
it least, and the forecast, the weighted median, is tabled. Like every step, each function
here runs for one ally (its own row), the alliance, or runs x allies.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from sim.model import clout
from sim.model.alliance import Alliance
from sim.model.clout import mediator_weights
from sim.model.parameters import MediatorRule
from sim.model.perception import urgency
from sim.model.state import Circumstances, Package, Stance
from sim.model.reversion import signing_core
from sim.model.win_set import ramp, within_win_set
from sim.protocols.challenge_risk import CHALLENGE_STATUS_QUO_HOLDS, issue_span, risk_challenge_utility, risk_exponent
from sim.protocols.mediator import compromise_package, weighted_median, weighted_median_index


# Bueno de Mesquita (1994; 2002) as laid out by Scholz, Calbert & Smith (2011) and used on EU
# decisions by Thomson et al. (2006): each ally weighs challenging each other ally on an issue,
# and the challenged ally answers the offers it cannot refuse. Each ally's risk attitude is
# estimated from how exposed its position is (`risk_exponent`), and its utilities are bent by it
# on positions rescaled to 0..1 over the issue's range (`risk_challenge_utility`; both in
# `sim.protocols.challenge_risk`); with `challenge_risk_attitudes` off, linear loss throughout
# (risk neutral, r = 1), where no rescaling is needed (`challenge_utility`): only the sign of
# an expected utility and the ratio of two on the same issue are read.

PAIRS_PER_BLOCK = 1 << 15  # pairs of allies weighed at once over runs (`in_blocks_of_runs`): 256 kB a float array


class Answer(IntEnum):
    """How a challenged ally answers a challenger's proposal (an array of these codes)."""

    REJECT = 0  # the challenge does not pay the challenger: the target stays where it is
    COUNTER = 1  # compromise: the target offers back a position part of the way to the challenger's
    SUPPORT = 2  # compelled (or already there): the target takes the challenger's position


def vote_share(positions, weights):
    """P_ij, the chance that challenger i prevails over target j, for every pair: (..., i, j)
    from positions and weights (capability x salience) over the last axis (allies).

    Bueno de Mesquita (1994; Scholz, Calbert & Smith 2011, eq. for P_ij): every ally k votes
    for the nearer of x_i and x_j with v_k = w_k (U_k(x_i) - U_k(x_j)), here under linear loss
    w_k (|x_k - x_j| - |x_k - x_i|) (every voter risk neutral, where Scholz et al. weigh the
    votes by utilities the risk attitudes bend; ODD 7.6c), and P_ij is the share of the votes cast for i,
    sum_k max(v_k, 0) / sum_k |v_k| = 1/2 + (sum_k v_k) / (2 sum_k |v_k|); 1/2 where no vote
    differs. The net vote sum_k v_k is D_j - D_i, D_j = sum_k w_k |x_k - x_j|; the absolute
    votes are summed over k one ally at a time, so memory stays (..., allies, allies).
    Allies of zero weight cast no vote (their position may be NaN; as i or j they get a
    stand-in, never read). P_ij + P_ji = 1 exactly: each pair's larger share is computed and
    the smaller is 1 less it, so either side of a contest reads the same numbers."""
    weights = np.asarray(weights, dtype=float)
    voting = weights > 0
    positions = np.where(np.isnan(positions), 0.0, positions)
    weights = np.where(voting, weights, 0.0)
    pulls = np.empty(np.shape(positions) + np.shape(positions)[-1:])  # [k, m] = w_k |x_k - x_m|
    np.abs(positions[..., :, None] - positions[..., None, :], out=pulls)
    pulls *= weights[..., :, None]
    support = np.sum(pulls, axis=-2)  # D_m
    cast = np.zeros_like(pulls)  # sum_k |v_k| for [i, j]
    vote = np.empty_like(pulls)
    for k in range(np.shape(positions)[-1]):
        if not voting[..., k].any():  # away from the table in every run: no vote to count
            continue
        pull = pulls[..., k, :]
        np.subtract(pull[..., None, :], pull[..., :, None], out=vote)  # [i, j]: w_k (|x_k - x_j| - |x_k - x_i|)
        np.abs(vote, out=vote)
        cast += vote
    lead = np.subtract(support[..., None, :], support[..., :, None])  # net vote for i, D_j - D_i
    np.divide(lead, cast, out=lead, where=cast > 0)
    lead[cast <= 0] = 0.0
    larger = np.abs(lead, out=cast)  # the net vote's share of the votes, 0..1, the same for both orders
    np.minimum(larger, 1.0, out=larger)
    larger *= 0.5
    larger += 0.5
    return np.where(lead >= 0, larger, 1.0 - larger)


def status_quo_drift(position, forecast, status_quo):
    """T: the chance that, without a challenge, the outcome moves toward the ally: 1 if the
    forecast (the median of this round's positions) is nearer its position than the package on
    the table, 0 if farther, 1/2 if as near or with nothing on the table yet (BdM 1994: T = 1
    when the median is moving toward i)."""
    gain = np.abs(position - status_quo) - np.abs(position - forecast)
    return np.where(np.isnan(gain), 0.5, 0.5 + 0.5 * np.sign(np.nan_to_num(gain)))


def challenge_utility(prevail, distance, target_salience, forecast_distance, drift,
                      status_quo_holds=CHALLENGE_STATUS_QUO_HOLDS):
    """i's expected utility of challenging j on one issue (Bueno de Mesquita 1994, in Scholz,
    Calbert & Smith 2011's notation) with linear loss:

        EU_ij = s_j [P_ij U_s + (1 - P_ij) U_f] + (1 - s_j) U_s - [Q U_sq + (1 - Q)(T U_b + (1 - T) U_w)]

    j resists with probability s_j, its salience; if it does, i wins (j moves to x_i, U_s =
    |x_i - x_j| = d) with probability P_ij or loses (i moves to x_j, U_f = -d); if not, i gets
    its way. Not challenging, the status quo holds (U_sq = 0) with probability Q, else it moves
    toward i (U_b = (|x_i - mu| + d) / 2, mu the forecast) with probability T (`status_quo_drift`)
    or away (U_w = -U_b). BdM's risk-neutral utilities are these doubled. Collected:
    EU_ij = d (1 - k_i - 2 s_j (1 - P_ij)) - k_i |x_i - mu|, with k_i = (1 - Q)(T_i - 1/2).
    Computed in place on one new array (the pairs are allies x allies per run)."""
    drift_weight = (1.0 - status_quo_holds) * (np.asarray(drift) - 0.5)
    utility = np.subtract(1.0, prevail, dtype=float)
    utility *= 2.0 * np.asarray(target_salience)
    utility = np.subtract(1.0 - drift_weight, utility, out=utility if utility.ndim else None)
    utility *= distance
    utility -= drift_weight * forecast_distance
    return utility


def challenge_classes(challenger_utility, target_utility, able=True):
    """Which challenges are made and which of them compel (Bueno de Mesquita 1994), from i's
    expected utility EU_ij and j's of the same contest EU_ji, as two masks: i challenges j when
    it is `able` to and EU_ij > 0; it compels j when, besides, EU_ji <= 0 and EU_ij > |EU_ji|
    (j loses less by giving in than i gains by pressing). See `challenge_answer`."""
    challenges = np.asarray(challenger_utility) > 0
    challenges &= able
    compelled = np.asarray(target_utility) <= 0
    compelled &= np.add(challenger_utility, target_utility) > 0
    compelled &= challenges
    return challenges, compelled


def challenge_answer(challenger_utility, target_utility, able=True):
    """The outcome class of i's challenge to j, from i's expected utility EU_ij and j's of the
    same contest EU_ji (Bueno de Mesquita 1994): i does not challenge (EU_ij <= 0, or i is not
    `able` to) and j rejects; i compels j (EU_ij > 0 >= EU_ji, EU_ij > |EU_ji|: j loses less by
    giving in than i gains by pressing) and j supports x_i; otherwise, a compromise (EU_ij > 0 >
    EU_ji, EU_ij <= |EU_ji|) or a conflict (both > 0), which in expectation ends the same way, and
    j counters part of the way. `Answer` codes: REJECT 0, COUNTER 1, SUPPORT 2 (from the masks of
    `challenge_classes`)."""
    challenges, compelled = challenge_classes(challenger_utility, target_utility, able)
    return np.asarray(challenges).view(np.int8) + np.asarray(compelled).view(np.int8)


def offered_move(apart, prevail, challenges, compelled):
    """How far the target would move on answering a challenge, |x_i - x_j| = `apart` away: all
    the way to the challenger's position if it is compelled (supports it), the share P_ij of the
    way if it counters (the expected result of the contest), and never (infinitely far) if it is
    not challenged (rejects). Which way: toward the challenger (`offered_step`). The share is
    max(P_ij, compelled): 1 or P_ij, since P_ij <= 1."""
    move = np.maximum(prevail, compelled, dtype=float)
    move *= apart
    np.putmask(move, ~np.asarray(challenges, dtype=bool), np.inf)
    return move


def offered_step(target_position, challenger_position, prevail, answer):
    """How far, and which way, the target would move on answering (`offered_move` toward the
    challenger): to the challenger's position if it supports it, the share P_ij of the way there
    if it counters, nowhere if it rejects. Its offered position is its own plus this step."""
    answer = np.asarray(answer)
    gap = np.subtract(challenger_position, target_position, dtype=float)
    move = offered_move(np.abs(gap), prevail, answer != Answer.REJECT, answer == Answer.SUPPORT)
    return np.copysign(np.where(answer == Answer.REJECT, 0.0, move), gap)


def least_move(position, gap, moves):
    """The offer an ally must accept that moves it least (Bueno de Mesquita 1994), over the
    last axis (challengers), or its own position if it must accept none. `position` is the
    ally's (...); `gap` (the challengers' positions less its own) and `moves` (`offered_move`)
    its (..., challengers), of one shape. The move is taken toward the challenger: position +
    sign(gap) x move, which is the position + P_ij (x_i - x_j) of a counter and x_j + (x_i - x_j)
    of a support. Ties go to the first challenger."""
    position = np.asarray(position, dtype=float)
    moves = np.asarray(moves)
    best = np.argmin(moves, axis=-1)
    at = best + moves.shape[-1] * np.arange(best.size).reshape(best.shape)  # the least move's place, flat
    move, toward = np.take(moves, at), np.take(gap, at)
    return np.where(np.isfinite(move), position + np.copysign(move, toward), position)


@dataclass(frozen=True)
class Contenders:
    """The allies as parties to a round's challenges on one issue, as they stand before anyone
    answers (over allies, or runs x allies)."""

    position: np.ndarray
    prevail: np.ndarray  # (..., allies, challengers): P_ij of each challenger i over the ally j (vote_share)
    salience: np.ndarray
    to_forecast: np.ndarray  # |x - mu|, the distance from the forecast (the weighted median)
    drift: np.ndarray  # T, the chance the outcome moves its way unchallenged (status_quo_drift)
    at_table: np.ndarray  # who may challenge
    span: np.ndarray  # the issue's range this round, the same for every ally of a run (issue_span)
    risk: np.ndarray | None = None  # r, the risk exponent (risk_exponent); None: linear loss

    def take(self, rows) -> Contenders:
        """The given rows of every field; `risk` stays None under linear loss."""
        return dataclasses.replace(self, **{field.name: getattr(self, field.name)[rows]
                                            for field in dataclasses.fields(self)
                                            if getattr(self, field.name) is not None})


@dataclass(frozen=True)
class Challenges:
    """A round's challenges on the core level and on the deadline."""

    level: Contenders
    deadline: Contenders

    def take(self, rows) -> Challenges:
        """The given allies' own rows (one ally's: plain values), as targets of the challenges."""
        return Challenges(level=self.level.take(rows), deadline=self.deadline.take(rows))


@dataclass(frozen=True)
class ChallengeOffers:
    """What each challenger's proposal asks of a target on one issue, over the challengers (last
    axis): whether it challenges and whether it compels (`challenge_classes`), the
    challenger's position less the target's (`gap`) and P_ij; its answer (`Answer` codes)
    and how far it would move (`offered_step`; the offered position is its own plus the
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
        return offered_step(0.0, self.gap, self.prevail, self.answer)

    def moves(self) -> np.ndarray:
        """How far each offer would move the target (`offered_move`; infinite: none made)."""
        return offered_move(self.apart, self.prevail, self.challenges, self.compelled)


def in_blocks_of_runs(compute, parties):
    """compute(parties) -> values per ally (or per pair), over runs x allies a block of runs at
    a time (`PAIRS_PER_BLOCK`): the pairs' arrays then stay small enough to be reused from the
    heap rather than mapped and faulted in afresh at every step, which costs more than the
    arithmetic on them. Each run's numbers are the same either way; over allies alone, at once.
    `parties` has the allies' `position` and takes rows (`take`)."""
    if np.ndim(parties.position) < 2:
        return compute(parties)
    runs, allies = np.shape(parties.position)
    block = max(1, PAIRS_PER_BLOCK // max(allies * allies, 1))
    result = None
    for first in range(0, runs, block):
        part = compute(parties.take(slice(first, first + block)))
        if result is None:
            result = np.empty((runs,) + np.shape(part)[1:])
        result[first:first + block] = part
    return result


@dataclass(frozen=True)
class Voters:
    """The allies' positions on one issue and their weights (capability x salience), over allies
    or runs x allies: what each pair's vote share is counted from."""

    position: np.ndarray
    weight: np.ndarray

    def take(self, rows) -> Voters:
        return Voters(position=self.position[rows], weight=self.weight[rows])


def security_levels(parties: Contenders):
    """S_i, ally i's security level on one issue: the sum over the other allies j at the table of
    EU_ji, j's expected utility of challenging i, risk neutral (Bueno de Mesquita 1994; Scholz et
    al. 2011, computed with every r = 1 before the exponents are estimated). The higher, the more
    the others gain by challenging i. Linear loss in the issue's unit: rescaling to 0..1 would
    multiply every S of a run by one factor, which `risk_exponent` does not see."""

    def of_block(own: Contenders):
        apart = np.abs(own.position[..., None, :] - own.position[..., :, None])  # [target i, challenger j]
        utility = challenge_utility(own.prevail, apart, own.salience[..., :, None], own.to_forecast[..., None, :],
                                    own.drift[..., None, :])  # EU_ji
        others = own.at_table[..., None, :] & ~np.eye(np.shape(own.position)[-1], dtype=bool)
        return np.sum(np.where(others, utility, 0.0), axis=-1)

    return in_blocks_of_runs(of_block, parties)


def contenders(positions, weights, salience, at_table, status_quo, risk_attitudes=False) -> Contenders:
    """The allies as parties to challenges on one issue: `positions`, `weights` (capability x
    salience) and `salience` over allies; `status_quo` the issue's value in the package on the
    table (NaN before the first). With `risk_attitudes`, each ally's risk exponent is estimated
    from its security level (`risk_exponent`); without, linear loss."""
    forecast = weighted_median(positions, weights)[..., None]
    at_table = np.broadcast_to(at_table, np.shape(positions))
    shares = in_blocks_of_runs(lambda voters: vote_share(voters.position, voters.weight),
                               Voters(position=positions, weight=np.broadcast_to(weights, np.shape(positions))))
    parties = Contenders(position=positions, prevail=np.swapaxes(shares, -1, -2), salience=salience,
                         to_forecast=np.abs(positions - forecast),
                         drift=status_quo_drift(positions, forecast, status_quo), at_table=at_table,
                         span=np.broadcast_to(issue_span(positions, at_table), np.shape(positions)))
    estimated = np.asarray(risk_attitudes, dtype=bool)  # one flag, or one per run in a batch of mixed runs
    if not estimated.any():
        return parties
    # where a run's flag is off its exponent is 1: the same challenges and answers as linear loss
    risk = risk_exponent(security_levels(parties), at_table)
    return dataclasses.replace(parties, risk=np.where(estimated, risk, 1.0))


def challenges(alliance: Alliance, params, stances: Stance, draft: Package | None) -> Challenges:
    """The round's challenges (Bueno de Mesquita 1994): every ally at the table weighs
    challenging every other on the level and on the deadline; capability is clout, raised by
    vetoes as with the mediator, and salience the ally's (`mediator_weights`); the status quo is
    the package on the table; risk attitudes as `challenge_risk_attitudes` says."""
    weights = mediator_weights(alliance, params, stances)
    salience = clout.salience(urgency(alliance, params, stances.threat))
    at_table = alliance.at_table
    level_now = np.nan if draft is None else draft.core_pct
    deadline_now = np.nan if draft is None else draft.deadline_year
    risk = params.challenge_risk_attitudes
    return Challenges(level=contenders(stances.position, weights, salience, at_table, level_now, risk),
                      deadline=contenders(stances.deadline_position, weights, salience, at_table, deadline_now, risk))


def expected_utility(prevail, apart, target_salience, forecast_distance, drift, risk, span):
    """EU of a challenge: `risk_challenge_utility` on distances rescaled by the issue's `span`
    with the challenger's risk exponent, or `challenge_utility` (linear loss) if `risk` is None."""
    if risk is None:
        return challenge_utility(prevail, apart, target_salience, forecast_distance, drift)
    return risk_challenge_utility(prevail, apart / span, target_salience, forecast_distance / span, drift, risk)


def offers(targets: Contenders, challengers: Contenders) -> ChallengeOffers:
    """Every challenger's proposal to the targets on one issue and the targets' answers: to one
    target (its own row, plain values) over the challengers, or to every ally (the targets
    being the challengers) as (..., targets, challengers). O(allies) pairs per target. Each
    side's expected utility uses its own risk exponent."""

    def target(values):
        return None if values is None else np.asarray(values)[..., None]

    def challenger(values):
        if values is None:
            return None
        values = np.asarray(values)
        return values[..., None, :] if values.ndim == np.ndim(targets.position) else values

    x_j, x_i = target(targets.position), challenger(challengers.position)
    gap = x_i - x_j
    apart = np.abs(gap)
    span = target(targets.span)  # the same for both sides: one run
    prevails = targets.prevail  # P_ij, i the challenger
    pressing = expected_utility(prevails, apart, target(targets.salience), challenger(challengers.to_forecast),
                                challenger(challengers.drift), challenger(challengers.risk), span)  # EU_ij
    if targets is challengers:  # every ally against every other: j's view of i's challenge is j's challenge to i
        resisting = np.swapaxes(pressing, -1, -2)
    else:
        resisting = expected_utility(1.0 - prevails, apart, challenger(challengers.salience),  # P_ji, exactly
                                     target(targets.to_forecast), target(targets.drift), target(targets.risk),
                                     span)  # EU_ji
    able = (apart > 0) & challenger(challengers.at_table) & target(targets.at_table)  # only allies at the table
    challenges_, compelled = challenge_classes(pressing, resisting, able)
    return ChallengeOffers(challenges=challenges_, compelled=compelled, gap=gap, apart=apart, prevail=prevails)


def settle(targets: Contenders, challengers: Contenders):
    """Where the targets end on one issue: each takes the offer it must accept that moves it
    least (`least_move`). Every ally against every other over many runs is settled a block of
    runs at a time (`in_blocks_of_runs`)."""

    def least(own: Contenders, others: Contenders):
        made = offers(own, others)
        return least_move(own.position, made.gap, made.moves())

    if challengers is not targets or np.ndim(targets.position) < 2:
        return least(targets, challengers)
    return in_blocks_of_runs(lambda own: least(own, own), targets)


def answer_challenges(alliance: Alliance, params, circumstances: Circumstances, stance: Stance, challenges_: Challenges,
                      seat: int | None = None) -> Stance:
    """Take, on each issue, the offer it must accept that moves it least (Bueno de Mesquita
    1994), or stay; and stay within the window of deadlines and its win-set for its deadline.
    `seat` is one ally's index among the challenges' allies (its own row); None, every ally."""
    p = params
    own = challenges_ if seat is None else challenges_.take(seat)
    deadline = np.clip(settle(own.deadline, challenges_.deadline), p.earliest_deadline, p.latest_deadline)
    level = settle(own.level, challenges_.level)
    return dataclasses.replace(stance, position=within_win_set(alliance, p, circumstances, level,
                                                               ramp(p, circumstances, stance), deadline,
                                                               signing_core(alliance, p, circumstances, stance.ideal)),
                               deadline_position=deadline)


def forecast_package(alliance: Alliance, params, circumstances: Circumstances, stances: Stance) -> Package:
    """The package the challenges leave on the table: Bueno de Mesquita's forecast, the weighted
    median of the positions (and of the deadlines), with related spending as in a draft."""
    return compromise_package(MediatorRule.MEDIAN, alliance, params, circumstances, stances)


def median_voter(alliance: Alliance, params, stances: Stance):
    """Whose position the forecast's level is (a boolean mask over the allies)."""
    index = weighted_median_index(stances.position, mediator_weights(alliance, params, stances))
    return np.arange(np.shape(stances.position)[-1]) == np.asarray(index)[..., None]
