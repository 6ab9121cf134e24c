"""The agenda_setter protocol: each round one ally, recognised with probability equal to its clout
(the recognition of Baron & Ferejohn 1989), sets the agenda under unanimity: it tables the package
it wants among those every member prefers to no agreement, which the others take or leave
(Romer & Rosenthal 1978; Tsebelis 2002). No discounting, no continuation values and nothing to
distribute: that is the baron_ferejohn protocol (`sim/protocols/baron_ferejohn.py`).
"""

from __future__ import annotations

import numpy as np

from sim.model.alliance import Alliance
from sim.model.reversion import signing_core
from sim.model.state import Circumstances, Package, Stance
from sim.model.win_set import (headline_floor, most_core_within, needed_deadline, package_money, ramp,
                               related_component, win_set_ceiling)


def recognised(alliance: Alliance, draw):
    """Which ally is recognised to propose this round (a boolean mask over the allies): each
    ally at the table with probability equal to its clout (Baron & Ferejohn 1989 recognition,
    weighted by economic weight as in Snyder, Ting & Ansolabehere 2005). `draw` is the round's
    uniform number, one per run. The allies are laid end to end in the order of their ISO3
    codes, not the data's rows, so the same draw recognises the same ally however the data
    orders its rows."""
    order = np.argsort(np.asarray(alliance.iso3), kind="stable")
    cumulative = np.cumsum(np.asarray(alliance.clout)[..., order], axis=-1)
    threshold = np.asarray(draw, dtype=float)[..., None] * cumulative[..., -1:]
    index = order[np.argmax(cumulative > threshold, axis=-1)]
    return np.arange(np.shape(cumulative)[-1]) == np.asarray(index)[..., None]


def propose_package(alliance: Alliance, params, circumstances: Circumstances, stances: Stance, proposer) -> Package:
    """The recognised ally's proposal as an agenda setter under unanimity, with full information
    (Romer & Rosenthal 1978): its own level, raised to the US floor if below it, by the earliest
    deadline at which every member can ratify it with the related spending it carries
    (`package_money`); if none can by the latest deadline the proposer itself accepts (its own
    deadline position), the most every member ratifies by then; and no more than every member
    prefers to no agreement (`reversion.signing_core`). The proposer keeps what the others leave
    it, the level, and pays in time, as far as it is willing to wait (Rubinstein 1982: the
    proposer's advantage)."""
    p = params
    at_stake = alliance.bears_cost & alliance.votes
    own = np.sum(np.where(proposer, stances.position, 0.0), axis=-1, keepdims=True)
    floor = np.max(np.where(alliance.votes, circumstances.floor, 0.0), axis=-1, keepdims=True)
    level = np.maximum(own, floor)
    headline = headline_floor(circumstances, alliance.votes)
    asked = package_money(level, headline, p.related_cap_pct, p.split_enabled, p.related_cost_share)
    ramp_pct = ramp(p, circumstances, stances)
    needed = np.max(np.where(at_stake, needed_deadline(asked, alliance.start_pct, ramp_pct, p.summit_year),
                             -np.inf), axis=-1, keepdims=True)
    waits = np.sum(np.where(proposer, stances.deadline_position, 0.0), axis=-1, keepdims=True)
    latest = np.clip(np.ceil(waits), p.earliest_deadline, p.latest_deadline).astype(float)
    most_by_latest = np.min(np.where(at_stake, win_set_ceiling(alliance.start_pct, ramp_pct, latest,
                                                               p.summit_year), np.inf), axis=-1, keepdims=True)
    core = np.where(needed > latest, most_core_within(most_by_latest, headline, p.related_cap_pct, p.split_enabled,
                                                      p.related_cost_share), level)
    signed = np.min(np.where(at_stake, signing_core(alliance, p, circumstances, stances.ideal), np.inf), axis=-1,
                    keepdims=True)
    core = np.minimum(core, signed)
    deadline = np.clip(np.ceil(np.minimum(needed, latest)), p.earliest_deadline, p.latest_deadline).astype(np.int64)
    related = related_component(core, headline, p.related_cap_pct, p.split_enabled)
    return Package(core_pct=core, related_pct=related, deadline_year=deadline)
