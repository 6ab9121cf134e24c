"""The exchange protocol: allies trade voting positions on the core level and the deadline after
Stokman & Van Oosten's exchange model (1994), and the expected outcome is tabled (docs/ODD.md,
7.6d).

Allies perceive and update their positions as in every protocol (`sim.model.perception`,
`sim.model.concession`); then two allies who stand on opposite sides of the expected outcome on
both issues, and who care about the two issues in different proportions, each give ground on the
issue it cares less about, toward the other's position, by the amounts that leave both equally
better off (the equal gain rate, as the `decide` exchange model computes it). Like every step,
each function here runs for one ally (its own row), the alliance, or runs x allies; the pairs
are (..., allies, allies), row i and column j the exchange between ally i and ally j.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from sim.model import clout
from sim.model.alliance import Alliance
from sim.model.perception import urgency
from sim.model.reversion import signing_core
from sim.model.state import Circumstances, Package, Stance
from sim.model.win_set import ramp, within_win_set
from sim.protocols.challenge_risk import issue_span
from sim.protocols.mediator import topped_up, weighted_mean

LEAST_GAIN = 1e-12  # a gain (in the issues' 0..1 scale, times salience) below this is no reason to trade


def level_salience(alliance: Alliance, params, circumstances: Circumstances, stance: Stance):
    """How much the core level matters to an ally, 0.5..1: to a fiscally pressed ally because it
    must find the money (the domestic constraint, Putnam 1988), to a threatened one because it
    needs what the money buys (Walt 1987), so the larger of its fiscal pressure and its urgency
    enters as urgency enters the salience of the other protocols (`clout.salience`). The US
    pays nothing of the others' level, which is its demand on them: only its urgency counts."""
    pressed = np.where(alliance.is_us, 0.0, circumstances.fiscal)
    return clout.salience(np.maximum(pressed, urgency(alliance, params, stance.threat)))


def deadline_salience(alliance: Alliance, params, stance: Stance):
    """How much the deadline matters to an ally, 0.5..1: its urgency, the salience of the other
    protocols (`clout.salience`). A threatened ally wants the capability before the danger
    (Walt 1987; the threat horizon of 7.3); a relaxed one has time."""
    return clout.salience(urgency(alliance, params, stance.threat))


def capability(alliance: Alliance, params, stance: Stance):
    """An ally's capability in the exchange model: its clout, raised by its vetoes as the
    mediator and the challenge protocol raise it (`clout.bargaining_weight` with salience 1),
    since under consensus a holdout's veto is power (Putnam 1988)."""
    return clout.bargaining_weight(alliance.clout, 1.0, stance.rejections, params.leverage)


def expected_outcome(positions, capabilities, saliences):
    """The exchange model's expected outcome on one issue: the capability x salience weighted
    mean of the positions over the last axis (Stokman & Van Oosten 1994; the compromise model),
    allies of zero weight ignored."""
    return weighted_mean(positions, capabilities * saliences)


@dataclass(frozen=True)
class Traders:
    """The allies as parties to exchanges on the two issues (over allies, or runs x allies)."""

    level: np.ndarray  # the core level each argues for
    deadline: np.ndarray  # the deadline each argues for
    capability: np.ndarray
    level_salience: np.ndarray
    deadline_salience: np.ndarray
    at_table: np.ndarray  # who may trade and counts in the outcome

    @classmethod
    def of(cls, alliance: Alliance, params, circumstances: Circumstances, stance: Stance) -> Traders:
        shape = np.shape(stance.position)
        at_table = np.broadcast_to(alliance.at_table, shape)
        weight = np.where(at_table, np.broadcast_to(capability(alliance, params, stance), shape), 0.0)
        return cls(level=np.asarray(stance.position, dtype=float), deadline=np.asarray(stance.deadline_position,
                                                                                          dtype=float),
                   capability=weight,
                   level_salience=np.broadcast_to(level_salience(alliance, params, circumstances, stance), shape),
                   deadline_salience=np.broadcast_to(deadline_salience(alliance, params, stance), shape),
                   at_table=at_table)

    def outcomes(self):
        """The expected level and deadline (..., 1 each)."""
        return (expected_outcome(self.level, self.capability, self.level_salience)[..., None],
                expected_outcome(self.deadline, self.capability, self.deadline_salience)[..., None])


@dataclass(frozen=True)
class ExchangeTerms:
    """What each possible exchange would be, over pairs (..., i, j): the equal gain each party
    makes (0 where no exchange is possible) and how far ally i moves, signed, on the level and on
    the deadline in its exchange with j (one of the two is 0: it moves on one issue only)."""

    gain: np.ndarray
    level_move: np.ndarray
    deadline_move: np.ndarray


def exchange_terms(traders: Traders) -> ExchangeTerms:
    """Every pair's exchange (Stokman & Van Oosten 1994), with the equal gain rate of the
    `decide` exchange model.

    Positions are rescaled to 0..1 over each issue's range this round (`issue_span`), as the
    source scales every issue to 0..100, so a shift on the level and one on the deadline are
    comparable. With weights w = capability x salience and W their sum on an issue, an ally
    moving by dx shifts that issue's outcome O by dx w / W. Allies i and j can exchange if they
    stand on opposite sides of O on both issues and their salience ratios s_L / s_D differ: the
    one with the larger ratio, a, demands the level and supplies the deadline; b the reverse.
    b moves its level toward a's, shifting O_L toward a by dL; a moves its deadline toward b's,
    shifting O_D toward b by dD. a gains dL s_aL - dD s_aD, b gains dD s_bD - dL s_bL; equal
    gains give dD = k dL, k = (s_aL + s_bL) / (s_aD + s_bD). dL is the largest such shift with
    neither moving past the other's position and neither outcome shifting past the demander's
    position (the source's `check_nbs`); the gain is then dL (s_aL s_bD - s_bL s_aD) / (s_aD +
    s_bD), positive since a's ratio is the larger."""
    level_span = issue_span(np.where(traders.at_table, traders.level, 0.0), traders.at_table)
    deadline_span = issue_span(np.where(traders.at_table, traders.deadline, 0.0), traders.at_table)
    level = np.where(traders.at_table, traders.level, 0.0) / level_span
    deadline = np.where(traders.at_table, traders.deadline, 0.0) / deadline_span
    level_weight = traders.capability * traders.level_salience
    deadline_weight = traders.capability * traders.deadline_salience
    level_outcome = weighted_mean(level, level_weight)[..., None]
    deadline_outcome = weighted_mean(deadline, deadline_weight)[..., None]
    level_total = np.sum(level_weight, axis=-1)[..., None, None]
    deadline_total = np.sum(deadline_weight, axis=-1)[..., None, None]

    def mine(values):
        return np.asarray(values)[..., :, None]

    def theirs(values):
        return np.asarray(values)[..., None, :]

    level_side = np.sign(level - level_outcome)
    deadline_side = np.sign(deadline - deadline_outcome)
    opposite = (mine(level_side) * theirs(level_side) < 0) & (mine(deadline_side) * theirs(deadline_side) < 0)
    ratio = traders.level_salience / traders.deadline_salience
    i_demands_level = mine(ratio) > theirs(ratio)
    able = opposite & (mine(ratio) != theirs(ratio)) & mine(traders.at_table) & theirs(traders.at_table)

    def of_a(values):  # the party demanding the level
        return np.where(i_demands_level, mine(values), theirs(values))

    def of_b(values):  # the party supplying the level
        return np.where(i_demands_level, theirs(values), mine(values))

    s_al, s_ad = of_a(traders.level_salience), of_a(traders.deadline_salience)
    s_bl, s_bd = of_b(traders.level_salience), of_b(traders.deadline_salience)
    rate = (s_al + s_bl) / (s_ad + s_bd)  # k: dD per unit of dL at equal gains
    level_weight_b, deadline_weight_a = of_b(level_weight), of_a(deadline_weight)
    level_apart = np.abs(mine(level) - theirs(level))
    deadline_apart = np.abs(mine(deadline) - theirs(deadline))
    shift = np.minimum.reduce([
        level_apart * level_weight_b / level_total,  # b moves at most to a's level
        np.abs(of_a(level) - level_outcome[..., None]),  # O_L moves at most to a's level
        deadline_apart * deadline_weight_a / deadline_total / rate,  # a moves at most to b's deadline
        np.abs(of_b(deadline) - deadline_outcome[..., None]) / rate,  # O_D moves at most to b's deadline
    ])
    shift = np.where(able, shift, 0.0)
    gain = shift * (s_al * s_bd - s_bl * s_ad) / (s_ad + s_bd)
    gain = np.where(able & (gain > LEAST_GAIN), gain, 0.0)
    trades = gain > 0
    level_step = np.divide(shift * level_total, level_weight_b, out=np.zeros_like(shift), where=trades)
    deadline_step = np.divide(shift * rate * deadline_total, deadline_weight_a, out=np.zeros_like(shift),
                              where=trades)
    level_step = np.minimum(level_step, level_apart) * level_span[..., None]  # back to the issue's unit
    deadline_step = np.minimum(deadline_step, deadline_apart) * deadline_span[..., None]
    toward_level = np.sign(theirs(traders.level) - mine(traders.level))
    toward_deadline = np.sign(theirs(traders.deadline) - mine(traders.deadline))
    return ExchangeTerms(gain=gain, level_move=np.where(trades & ~i_demands_level, toward_level * level_step, 0.0),
                         deadline_move=np.where(trades & i_demands_level, toward_deadline * deadline_step, 0.0))


def realised(gain) -> np.ndarray:
    """Which exchanges are made, as each ally's partner (an index over the last axis): in order of
    gain, the largest first, each ally in at most one exchange a round (Stokman & Van Oosten 1994
    realise exchanges in order of gain; ties go to the first pair by row). An ally that makes no
    exchange is its own partner, as an unmatched agent is matched to itself in the theory of
    matching (Roth & Sotomayor 1990): `in_exchange` tells them apart. `gain` is (..., allies, allies),
    symmetric, 0 where no exchange is possible."""
    gain = np.asarray(gain, dtype=float)
    lead, allies = gain.shape[:-2], gain.shape[-1]
    left = np.where(gain > 0, gain, -np.inf).reshape(-1, allies * allies)
    partner = np.tile(np.arange(allies, dtype=np.int64), (left.shape[0], 1))
    rows = np.arange(left.shape[0])
    for _ in range(allies // 2):
        best = np.argmax(left, axis=-1)
        live = np.isfinite(left[rows, best])
        if not live.any():
            break
        run, first, second = rows[live], best[live] // allies, best[live] % allies
        partner[run, first], partner[run, second] = second, first
        grid = left.reshape(-1, allies, allies)
        for ally in (first, second):
            grid[run, ally, :] = -np.inf
            grid[run, :, ally] = -np.inf
    return partner.reshape(*lead, allies)


def in_exchange(partner) -> np.ndarray:
    """Which allies make an exchange: those whose partner (`realised`) is another ally."""
    partner = np.asarray(partner)
    return partner != np.arange(partner.shape[-1])


@dataclass(frozen=True)
class Exchanges:
    """A round's exchanges, per ally: its partner (itself: none), the level and deadline it
    moves to, and its gain (over allies, or runs x allies; one ally's row: plain values)."""

    partner: np.ndarray
    level: np.ndarray
    deadline: np.ndarray
    gain: np.ndarray

    def take(self, rows) -> Exchanges:
        return Exchanges(**{field.name: getattr(self, field.name)[..., rows]
                            for field in dataclasses.fields(self)})


def exchanges(alliance: Alliance, params, circumstances: Circumstances, stances: Stance) -> Exchanges:
    """The round's exchanges between the allies at the table (`exchange_terms`, `realised`),
    each ally moved on the issue it cares less about, toward its partner."""
    traders = Traders.of(alliance, params, circumstances, stances)
    terms = exchange_terms(traders)
    partner = realised(terms.gain)
    made = in_exchange(partner)
    index = partner[..., None]  # each ally's partner: a column of its row of pairs

    def of_partner(values):  # each ally's entry in its exchange with its partner, 0 without one
        chosen = np.take_along_axis(values, index, axis=-1)[..., 0]
        return np.where(made, chosen, 0.0)

    return Exchanges(partner=partner, level=traders.level + of_partner(terms.level_move),
                     deadline=traders.deadline + of_partner(terms.deadline_move), gain=of_partner(terms.gain))


def make_exchange(alliance: Alliance, params, circumstances: Circumstances, stance: Stance, exchanges_: Exchanges,
                  seat: int | None = None) -> Stance:
    """Move to the positions its exchange agreed (or stay), its deadline within the window and
    its level within its win-set for that deadline, as after every step that moves a position
    (`within_win_set`). `seat` is one ally's index among the exchanges' allies (its own row);
    None, every ally."""
    p = params
    own = exchanges_ if seat is None else exchanges_.take(seat)
    deadline = np.clip(own.deadline, p.earliest_deadline, p.latest_deadline)
    level = within_win_set(alliance, p, circumstances, own.level, ramp(p, circumstances, stance), deadline,
                           signing_core(alliance, p, circumstances, stance.ideal))
    return dataclasses.replace(stance, position=level, deadline_position=deadline)


def expected_package(alliance: Alliance, params, circumstances: Circumstances, stances: Stance) -> Package:
    """The package the exchanges leave on the table: the expected outcome on each issue (the
    deadline rounded to a year), the core topped up with related spending as the mediator's
    draft is (`mediator.topped_up`)."""
    level, deadline = Traders.of(alliance, params, circumstances, stances).outcomes()
    return Package(core_pct=level, related_pct=topped_up(level, alliance, params, circumstances),
                   deadline_year=np.rint(deadline).astype(np.int64))


def nearest_to_outcome(alliance: Alliance, params, circumstances: Circumstances, stances: Stance):
    """The ally at the table whose level is nearest the expected level, who tables it (a boolean
    mask over the allies; the first of equals)."""
    traders = Traders.of(alliance, params, circumstances, stances)
    level, _ = traders.outcomes()
    distance = np.where(traders.at_table, np.abs(traders.level - level), np.inf)
    index = np.argmin(distance, axis=-1)
    return np.arange(np.shape(distance)[-1]) == np.asarray(index)[..., None]
