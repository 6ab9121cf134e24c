"""The United States as an actor in the talks: it anchors high and settles where the allies
can follow.

It opens at its demand (`win_set.current_ideal`), an anchor, and holds out for a headline it
sets before the first round: as much of its demand as its pressure makes credible, but no more
than it expects the allies to ratify. An agenda setter facing a unanimity rule asks for the
most the decisive member accepts (Romer & Rosenthal 1978; Tsebelis 2002); here the decisive
members are the laggards the summit cannot carry with side letters, and a patron whose goal is
to shift the burden, not to break the alliance, has no use for a floor that ends the talks
(Snyder 1984: the patron fears entrapment, not the allies' signature).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import numpy as np

from sim.data.sourced_table import published_by
from sim.data.us_posture import THREAT_LEVELS, PostureEvent, latest_demand, posture_as_of
from sim.model.alliance import Alliance
from sim.model.consensus import sponsored_letters
from sim.model.pressure import widening_per_round
from sim.model.reversion import signing_limit
from sim.model.state import Circumstances, Stance
from sim.model.win_set import base_ramp, core_floor, win_set_ceiling


POSTURE_MEMORY_DAYS = 365  # how long a stated threat of abandonment keeps its credibility
SITTING = ("Obama", "Trump", "Biden")  # statements of an administration in office, not of a campaign or transition


@dataclass(frozen=True)
class PostureReading:
    """How hard the US presses and what it asks, read from its public statements by a case's
    information date (`sim/data/us_posture.csv`), with the statements each comes from."""

    as_of: dt.date
    pressure: float  # 0..1, `us_pressure`
    demand_pct: float | None  # `us_demand_pct`; None if no statement had named a level
    deadline_year: int | None  # the year it asked for it by; None if no statement had named one
    pressed_by: PostureEvent | None  # the sitting administration's most explicit threat in the year before
    asked_by: PostureEvent | None  # the latest statement that named a level
    deadline_by: PostureEvent | None  # the statement the deadline was read from (`deadline_statement`)


def read_posture(as_of: dt.date | str, events: tuple[PostureEvent, ...] | None = None) -> PostureReading:
    """The US's pressure and demand as the allies could read them on `as_of`.

    Pressure is the most explicit threat of abandonment an administration in office stated in
    the year before (its code on the file's 0..3 scale, over 3): what makes a patron's threat
    credible to its clients is that it has been said, by those who would carry it out, in so
    many words (Snyder 1984; Schelling 1966 on commitment), and gentler statements in between
    do not withdraw it. A candidate's words are a forecast, not yet a posture.
    The demand is the latest level of GDP an administration in office had named, the deadline
    the one it was last asked by (`deadline_statement`). Only statements published by `as_of` count."""
    day = as_of if isinstance(as_of, dt.date) else dt.date.fromisoformat(str(as_of))
    known = posture_as_of(day) if events is None else published_by(events, day)
    sitting = tuple(event for event in known if event.administration in SITTING)
    recent = [event for event in sitting if (day - event.date).days <= POSTURE_MEMORY_DAYS]
    pressed_by = max(recent, key=lambda event: (event.threat_of_abandonment, event.date), default=None)
    asked_by = latest_demand(sitting)
    deadline_by = deadline_statement(sitting)
    pressure = pressed_by.threat_of_abandonment / max(THREAT_LEVELS) if pressed_by is not None else 0.0
    return PostureReading(as_of=day, pressure=float(pressure),
                          demand_pct=asked_by.demand_pct_gdp if asked_by is not None else None,
                          deadline_year=deadline_by.demand_deadline if deadline_by is not None else None,
                          pressed_by=pressed_by, asked_by=asked_by, deadline_by=deadline_by)


def deadline_statement(events: tuple[PostureEvent, ...]) -> PostureEvent | None:
    """The statement the US was last asked its demand to be met by: of the latest day that named a
    year, the one naming the soonest (a negotiator opens at the most it has said; Rubio named 2032
    to the ministers and "the next decade" on television on 15 May 2025). None if no statement
    named a year."""
    named = [event for event in events if event.demand_deadline is not None]
    if not named:
        return None
    last_day = max(event.date for event in named)
    return min((event for event in named if event.date == last_day), key=lambda event: event.demand_deadline)


def decisive_ceiling(ceilings, members, carried: int):
    """The level the decisive laggard can ratify: the (`carried` + 1)-th lowest of the members'
    ceilings (the lower ones the summit can carry with side letters), over the last axis."""
    ranked = np.sort(np.where(members, ceilings, np.inf), axis=-1)
    count = np.sum(members, axis=-1, keepdims=True)
    index = np.minimum(np.asarray(carried), np.maximum(count - 1, 0))
    return np.take_along_axis(ranked, np.broadcast_to(index, ranked.shape[:-1] + (1,)).astype(np.intp), axis=-1)


def expected_deadline(alliance: Alliance, deadlines):
    """The deadline the US expects the talks to settle on: the allies' asks, weighted by their
    economic weight (the compromise model's forecast), over the last axis."""
    clout = np.asarray(alliance.clout, dtype=float)
    asked = np.where(clout > 0, deadlines, 0.0)
    return np.sum(asked * clout, axis=-1, keepdims=True) / np.sum(clout, axis=-1, keepdims=True)


def settled_headline(us_pressure, us_demand_pct, acceptable_pct):
    """The lowest headline the US holds out for: the part of its demand its pressure makes
    credible, capped at what it expects the allies to accept."""
    return np.minimum(us_pressure * us_demand_pct, acceptable_pct)


def settle(alliance: Alliance, params, circumstances: Circumstances, opening: Stance) -> Circumstances:
    """The circumstances with the US's floor set (`settled_headline`) from the allies' opening
    stances: what each can ratify by the deadline the talks are expected to reach, at its
    parliament's pace widened by what the US's own pressure wins in the rounds before the summit
    (`widening_per_round`, with no ally yet on board) and no more than it would sign rather than
    have no agreement (`reversion.signing_limit`), plus the headline that related spending adds
    for free (the part of it that is not new money, `new_money`). Every ally reads the floor
    settled (`Circumstances.us_headline`)."""
    p = params
    members = np.asarray(alliance.at_table) & ~np.asarray(alliance.is_us)
    deadline = expected_deadline(alliance, opening.deadline_position)
    pressed = p.max_rounds * widening_per_round(alliance, p, 0.0)
    ramp_pct = base_ramp(opening.threat, circumstances.fiscal, p.ramp_base_pct, p.ramp_threat_pct) + pressed
    ceilings = np.minimum(win_set_ceiling(alliance.start_pct, ramp_pct, deadline, p.summit_year),
                          signing_limit(alliance, p, circumstances, opening.ideal))
    carried = np.where(p.allow_flexibility, sponsored_letters(p), 0)
    # a headline costs the decisive laggard least with all the related spending it can count:
    # each pp of it is (1 - related_cost_share) pp of headline its budget does not pay
    fill = np.where(p.split_enabled, (1.0 - p.related_cost_share) * p.related_cap_pct, 0.0)
    acceptable = decisive_ceiling(ceilings, members, carried) + fill
    settled = settled_headline(p.us_pressure, p.us_demand_pct, acceptable)
    headline = np.where(alliance.is_us, settled, 0.0)
    return dataclasses.replace(circumstances, reservation_total=headline,
                               floor=core_floor(headline, p.related_cap_pct, p.split_enabled),
                               us_headline=np.broadcast_to(settled, np.shape(headline)).copy())
