"""The Baron-Ferejohn protocol: each round an ally recognised by clout proposes a package, and
each member accepts it if it is worth at least what waiting for the next round's proposal is
worth to it (Baron & Ferejohn 1989), under unanimity and on one dimension (the core level; the
spatial game of Banks & Duggan 2000, 2006).

What a package is worth to an ally, over no agreement (the reversion point,
`sim.model.reversion`): to an ally that bears the cost, the money it would still sign beyond
what the package asks (`signing_limit` less `package_money`); to the US, the core level above
its floor. Its continuation value is the discount factor times the expected worth of the next
round's proposal, each ally recognised with its clout, computed backward from the summit's
last round, after which there is only no agreement (`continuation_values`). The recognised
ally tables the level nearest its own position that buys every vote it needs at that price,
the US's included; the votes of up to as many holdouts as the US's pressure sponsors side
letters for (`consensus.sponsored_letters`) it need not buy, and leaves the dearest out
(`cheapest_votes`): they are carried as the summit carries holdouts (docs/ODD.md 7.8).

Proposers do not know what the others take: each overrates it by `belief_error_pct` until
the ally has rejected a draft, which reveals it (`believed_slack`), so a proposal asks too
much, is rejected, and the next asks less: proposals are exchanged over rounds, as in the
screening games where an uninformed proposer learns the other's type from its rejections
(Fudenberg & Tirole 1983; Cramton 1984).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.model.alliance import Alliance
from sim.model.consensus import sponsored_letters
from sim.model.reversion import signing_limit
from sim.model.state import Circumstances, Package, Stance
from sim.model.win_set import (headline_floor, most_core_within, needed_deadline, new_money, package_money, ramp,
                               related_component, win_set_ceiling)

TIE_PP = 1e-9  # a package worth its continuation value to within this counts as worth it (engines agree)


# --- the game, on any values: the worked examples in the tests run through these ----------------

@dataclass(frozen=True)
class ProposerOffers:
    """What each potential proposer would table against given continuation values: the worth
    of its offer to every ally (..., proposers, allies), and whether every vote it needs
    accepts it (..., proposers); an offer that fails leaves the allies their continuation."""

    worth: np.ndarray
    agreed: np.ndarray


def cheapest_votes(prices, needed):
    """Which responders' votes the proposer buys: the `needed` cheapest over the last axis
    (`needed` broadcasts against the axes before it). Baron & Ferejohn (1989): the proposer
    offers just enough to the members whose votes cost it least, and nothing to the rest;
    under unanimity it must buy them all unless some can be left out (side letters here). The
    dearest are left out one at a time, the first of equals first, which costs less than a
    sort when few are left out, as side letters are."""
    prices = np.asarray(prices, dtype=float)
    n = prices.shape[-1]
    left_out = np.maximum(n - np.asarray(needed), 0)[..., None]
    bought = np.ones(np.broadcast_shapes(prices.shape, np.shape(left_out)), dtype=bool)
    remaining = np.broadcast_to(prices, bought.shape)
    for step in range(int(np.max(left_out, initial=0))):
        dearest = np.argmax(remaining, axis=-1)
        dropped = (np.arange(n) == dearest[..., None]) & (step < left_out)
        bought &= ~dropped
        remaining = np.where(dropped, -np.inf, remaining)
    return bought


def continuation_values(offers: Callable[[np.ndarray], ProposerOffers], recognition, discount_factor, rounds_left):
    """Each ally's continuation value (..., allies) with `rounds_left` rounds after this one:
    the discount factor times the expected worth of the next round's proposal (each proposer
    recognised with `recognition`, (..., proposers)), an offer that fails being worth the
    continuation after it. After the last round there is only no agreement, worth 0 (the
    reversion point), so the values are found backward from it (Baron & Ferejohn 1989 on the
    finite game; as the rounds left grow they approach the stationary values). `offers(W)` is
    what every proposer offers against continuation values W."""
    recognition = np.asarray(recognition, dtype=float)
    rounds_left = np.asarray(rounds_left)
    values = np.zeros(np.shape(recognition))
    for left in range(1, int(np.max(rounds_left, initial=0)) + 1):
        tabled = offers(values)
        worth = np.where(tabled.agreed[..., None], tabled.worth, values[..., None, :])
        worth = np.where(recognition[..., :, None] > 0, worth, 0.0)  # never recognised: its offer is never made
        expected = np.sum(recognition[..., :, None] * worth, axis=-2)
        values = np.where(rounds_left >= left, discount_factor * expected, values)
    return values


# --- the alliance's game: a package's core level --------------------------------------------------

@dataclass(frozen=True)
class BargainingTerms:
    """What every ally takes of a package, for every potential proposer (the proposers on the
    second last axis, the allies on the last; the proposers are the allies)."""

    limit: np.ndarray  # (..., allies) the most money each signs rather than no agreement (inf: no such limit)
    ideal: np.ndarray  # (..., allies) the level each wants anyway
    us_floor: np.ndarray  # (..., 1) the lowest core level the US takes
    ratifiable: np.ndarray  # (..., proposers, allies) the highest core each ratifies by the proposer's latest deadline
    latest: np.ndarray  # (..., proposers) the latest deadline each proposer accepts
    target: np.ndarray  # (..., proposers) the level each proposer argues for
    headline: np.ndarray  # (..., 1) the headline the package is topped up toward
    letters: np.ndarray  # (..., 1) or a number: how many holdouts side letters may carry
    fixed: np.ndarray  # (..., proposers, allies) votes a proposer cannot leave out: the US's, its own, non-members'
    is_us: np.ndarray  # (allies,)
    money: Callable  # core levels (..., proposers, 1) -> what each package asks of a budget (`package_money`)
    most_core: Callable  # money (..., allies) -> the highest core level asking no more (`most_core_within`)


def per_pair(value):
    """A parameter (a number, or the batch engine's (runs, 1) column) laid out against arrays of
    (runs, proposers, allies)."""
    value = np.asarray(value)
    return value[..., None] if value.ndim else value


def terms(alliance: Alliance, params, circumstances: Circumstances, stances: Stance) -> BargainingTerms:
    """The terms of the round's game, from the allies' stances (the same for every proposer
    but for its own level and deadline)."""
    p = params
    allies = np.shape(alliance.votes)[-1]
    at_stake = alliance.bears_cost & alliance.votes
    headline = headline_floor(circumstances, alliance.votes)

    cap, split, share, summit_year = map(per_pair, (p.related_cap_pct, p.split_enabled, p.related_cost_share,
                                                    p.summit_year))

    def money(core):
        return package_money(core, headline[..., None], cap, split, share)

    def most_core(ceiling):
        return most_core_within(ceiling, headline, p.related_cap_pct, p.split_enabled, p.related_cost_share)

    ramp_pct = ramp(p, circumstances, stances)
    latest = np.clip(np.ceil(stances.deadline_position), p.earliest_deadline, p.latest_deadline).astype(float)
    ceiling = win_set_ceiling(np.asarray(alliance.start_pct)[..., None, :], np.asarray(ramp_pct)[..., None, :],
                              latest[..., :, None], summit_year)
    ratifiable = np.where(at_stake, most_core_within(ceiling, headline[..., None], cap, split, share), np.inf)
    proposer = np.eye(allies, dtype=bool)
    fixed = proposer | np.asarray(alliance.is_us) | ~np.asarray(alliance.votes)
    us_floor = np.sum(np.where(alliance.is_us, circumstances.floor, 0.0), axis=-1, keepdims=True)
    return BargainingTerms(limit=np.where(at_stake, signing_limit(alliance, p, circumstances, stances.ideal), np.inf),
                           ideal=stances.ideal, us_floor=us_floor, ratifiable=ratifiable, latest=latest,
                           target=np.broadcast_to(stances.position, np.shape(latest)), headline=headline,
                           letters=np.where(p.allow_flexibility, sponsored_letters(p), 0), fixed=fixed,
                           is_us=np.asarray(alliance.is_us), money=money, most_core=most_core)


def worth(limit, ideal, us_floor, is_us, core, money):
    """What a package of this core level (asking `money` of a budget) is worth to each ally over
    no agreement: what no agreement would cost it less the money the package asks beyond the
    level it wants anyway (`reversion`: its signing limit less the greater of the money and its
    ideal, so a package below its ideal is worth the whole stake); to the US, the level above
    its floor; nothing to an ally with no such limit (no forces, no vote)."""
    return np.where(is_us, core - us_floor, np.where(np.isfinite(limit), limit - np.maximum(money, ideal), 0.0))


def believed_slack(params, rejections):
    """How far a proposer overrates what each ally takes (pp of GDP): `belief_error_pct` until
    the ally has rejected a draft, nothing after. A rejection reveals the responder's limit, as
    in the two-type screening game, where the seller who sees its high offer refused knows the
    buyer is the low type and offers the low type's price next (Fudenberg & Tirole 1983; the
    many-type game, Cramton 1984, learns the same way, in more steps)."""
    return np.where(np.asarray(rejections) > 0, 0.0, np.asarray(params.belief_error_pct))


@dataclass(frozen=True)
class LevelOffers:
    """Every proposer's package level, whether every vote it buys takes it (both (...,
    proposers)), and whose votes it buys (..., proposers, allies)."""

    core: np.ndarray
    agreed: np.ndarray
    bought: np.ndarray


def level_offers(t: BargainingTerms, continuation, slack) -> LevelOffers:
    """Every proposer's package level, whether every vote it buys takes it, and whose votes it
    buys (`LevelOffers`), against continuation values and the
    proposers' errors `slack` (both (..., allies)). Each responder takes a level between its
    bounds: at most what leaves it its continuation value in money, within what it ratifies;
    the US at least its floor plus its continuation value. The price of a vote is how far its
    bound pulls the level from the proposer's own; the proposer buys the cheapest it needs
    (`cheapest_votes`: all but as many as side letters carry, and never the US's) and tables
    the level nearest its own that they all take. Where no level does, it tables the least
    the US takes: a laggard can still be carried by a side letter or widen its win-set under
    pressure (7.7, 7.8), a US that rejects cannot. The proposer knows its own terms."""
    allies = np.shape(t.is_us)[-1]
    own = np.eye(allies, dtype=bool)
    continuation, slack, limit = np.asarray(continuation), np.asarray(slack), np.asarray(t.limit)
    finite = np.isfinite(limit)
    as_responder = np.where(finite, t.most_core(np.where(finite, limit + slack - continuation, 0.0)), np.inf)
    as_proposer = np.where(finite, t.most_core(np.where(finite, limit, 0.0)), np.inf)
    high = np.minimum(t.ratifiable, np.where(own, as_proposer[..., None, :], as_responder[..., None, :]))
    us_asks = np.sum(np.where(t.is_us, continuation - slack, 0.0), axis=-1, keepdims=True)
    lowest = t.us_floor + np.where(t.is_us, 0.0, us_asks)  # the US proposing asks no premium of itself
    price = np.maximum(np.asarray(t.target)[..., None] - high, 0.0)  # how far each bound pulls the level down
    bought = cheapest_votes(np.where(t.fixed, -np.inf, price), allies - np.asarray(t.letters)) | (price <= 0.0)
    highest = np.min(np.where(bought, high, np.inf), axis=-1)
    agreed = lowest <= highest + TIE_PP
    core = np.where(agreed, np.minimum(np.maximum(t.target, lowest), highest), lowest)
    return LevelOffers(core=core, agreed=agreed, bought=bought)


def offers_against(t: BargainingTerms) -> Callable[[np.ndarray], ProposerOffers]:
    """What every proposer offers against continuation values W under full information: the
    worth of its level to each ally whose vote it buys, nothing to those it leaves to side
    letters (carried, each keeps to its own path, as with no agreement)."""
    def offers(continuation):
        level = level_offers(t, continuation, np.zeros(np.shape(t.is_us)))
        values = worth(np.asarray(t.limit)[..., None, :], np.asarray(t.ideal)[..., None, :], t.us_floor[..., None],
                       t.is_us, level.core[..., None], t.money(level.core[..., None]))
        return ProposerOffers(worth=np.where(level.bought, values, 0.0), agreed=level.agreed)
    return offers


@dataclass(frozen=True)
class Proposal:
    """The recognised ally's package, and every ally's continuation value this round: what the
    vote weighs the package against (`accept_or_wait`)."""

    package: Package
    continuation: np.ndarray  # (..., allies)


def propose(alliance: Alliance, params, circumstances: Circumstances, stances: Stance, proposer,
            round_index) -> Proposal:
    """The package the recognised ally (`proposer`, a mask over the allies) tables in round
    `round_index`: the level `level_offers` finds against the continuation values after this
    round (`continuation_values`, with the rounds left to the summit) and its beliefs about
    the others; the deadline the earliest by which every ally whose vote it buys ratifies it,
    no later than the proposer accepts (as the agenda setter's, 7.6b)."""
    p = params
    t = terms(alliance, p, circumstances, stances)
    rounds_left = np.maximum(np.asarray(p.max_rounds) - round_index, 0)
    recognition = np.where(alliance.votes, alliance.clout, 0.0)
    continuation = continuation_values(offers_against(t), recognition / np.sum(recognition, axis=-1, keepdims=True),
                                       np.asarray(p.discount_factor), rounds_left)
    continuation = np.broadcast_to(continuation, np.shape(stances.position))
    every = level_offers(t, continuation, believed_slack(p, stances.rejections))
    core = np.sum(np.where(proposer, every.core, 0.0), axis=-1, keepdims=True)
    bought = np.any(proposer[..., :, None] & every.bought, axis=-2)
    latest = np.sum(np.where(proposer, t.latest, 0.0), axis=-1, keepdims=True)
    at_stake = alliance.bears_cost & alliance.votes & bought
    asked = package_money(core, t.headline, p.related_cap_pct, p.split_enabled, p.related_cost_share)
    needed = np.max(np.where(at_stake, needed_deadline(asked, alliance.start_pct, ramp(p, circumstances, stances),
                                                       p.summit_year), -np.inf), axis=-1, keepdims=True)
    deadline = np.clip(np.ceil(np.minimum(needed, latest)), p.earliest_deadline, p.latest_deadline).astype(np.int64)
    related = related_component(core, t.headline, p.related_cap_pct, p.split_enabled)
    return Proposal(package=Package(core_pct=core, related_pct=related, deadline_year=deadline),
                    continuation=continuation)


def accept_or_wait(alliance: Alliance, params, circumstances: Circumstances, stance: Stance, draft: Package,
                   continuation, proposer) -> Stance:
    """Each ally's vote after `consensus.vote`: it still accepts only if the package is worth at
    least its continuation value to it (Baron & Ferejohn 1989), the proposer excepted, which
    tables what it prefers. Works on one ally (the Mesa agent) or on all."""
    limit = np.where(alliance.bears_cost & alliance.votes,
                     signing_limit(alliance, params, circumstances, stance.ideal), np.inf)
    money = new_money(draft.core_pct, draft.related_pct, params.related_cost_share)
    value = worth(limit, stance.ideal, circumstances.floor, alliance.is_us, draft.core_pct, money)
    content = (value >= continuation - TIE_PP) | np.asarray(proposer)
    return dataclasses.replace(stance, accepted=np.asarray(stance.accepted) & content)
