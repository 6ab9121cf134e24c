"""How an ally moves in a round: it follows shifts in its ideal, concedes part of the way to
the draft on the table and to its caucus's line, and stays within its win-set.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sim.model import caucuses
from sim.model.alliance import Alliance
from sim.model.caucuses import CaucusLine
from sim.model.clout import mediator_weights
from sim.model.perception import urgency
from sim.model.reversion import signing_core
from sim.model.state import Circumstances, Package, Stance
from sim.model.win_set import current_ideal, needed_deadline, new_money, ramp, within_win_set


def concede(position, draft, rate):
    """Move a share `rate` of the way toward the draft (Zeuthen-style stepwise concession)."""
    return position + rate * (draft - position)


def concession_share(rate, urgency):
    """The share of the gap to the draft an ally closes in a round: the more the issue
    matters to it, the less it gives (salience as resolve; Bueno de Mesquita 1994,
    Stokman & Van Oosten 1994)."""
    return rate * (1.0 - np.clip(urgency, 0.0, 1.0))


def caucus_lines(alliance: Alliance, params, caucus, stances: Stance) -> CaucusLine:
    """The line each ally's caucus argues this round, from the members' last positions."""
    return caucuses.caucus_lines(caucus, mediator_weights(alliance, params, stances), stances.position,
                                 stances.deadline_position)


def update_position(alliance: Alliance, params, circumstances: Circumstances, stance: Stance, draft: Package | None,
                    caucus_line: CaucusLine | None = None, ramp_pct=None) -> Stance:
    """Follow shifts in the ideal, concede toward the last draft (none in the first round),
    move toward the caucus's line (`caucus_line`, from the members' positions before this
    update; none: no caucus), and stay within the win-set and above the floor. `ramp_pct` is
    `ramp` for this stance where the caller has it (it is the same through the vote)."""
    p = params
    ideal = current_ideal(alliance, p, circumstances, stance.threat)
    shifted = stance.position + (ideal - stance.ideal)
    ramp_pct = ramp(p, circumstances, stance) if ramp_pct is None else ramp_pct
    preference = stance.deadline_preference
    if draft is None:
        level, wanted = shifted, preference
    else:
        level = concede(shifted, draft.core_pct,
                        concession_share(p.concession_rate, urgency(alliance, p, stance.threat)))
        preference = concede(preference, draft.deadline_year, p.concession_rate)
        # an ally without forces needs no time (NaN): fmax keeps its preference
        asked = new_money(draft.core_pct, draft.related_pct, p.related_cost_share)
        wanted = np.fmax(preference, needed_deadline(asked, alliance.start_pct, ramp_pct, p.summit_year))
    if caucus_line is not None:
        level = caucuses.follow(level, caucus_line.level, p.caucus_cohesion)
        wanted = caucuses.follow(wanted, caucus_line.deadline, p.caucus_cohesion)
    deadline_position = np.clip(wanted, p.earliest_deadline, p.latest_deadline)
    return dataclasses.replace(stance, ideal=ideal,
                               position=within_win_set(alliance, p, circumstances, level, ramp_pct, deadline_position,
                                                       signing_core(alliance, p, circumstances, ideal)),
                               deadline_preference=preference, deadline_position=deadline_position)
