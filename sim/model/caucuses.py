"""Caucuses: groups of allies that share a situation and argue one line in the talks.

The record's two: the front line (the Nordic-Baltic states and Poland, who pushed for 5% by
2030) and the fiscally pressed laggards (Spain, Italy, Belgium, Canada, who asked for time).
Who belongs is a rule over what the allies share, not a list: coalitions in EU negotiations
form from shared geography and shared interests, issue by issue (Elgström, Bjurulf,
Johansson & Sannerstedt 2001; Naurin & Lindahl 2008), and a shared threat is what aligns
states (Walt 1987). Like every step, each function here runs for one alliance (vectors over
allies) or a block of runs (runs x allies).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from sim.model.alliance import Alliance


class Caucus(IntEnum):
    """The group an ally argues with (stored as its integer code in arrays)."""

    NONE = 0
    FRONT_LINE = 1  # most exposed to Russia
    FISCAL = 2  # fiscally pressed and spending less than most allies


CAUCUSES = (Caucus.FRONT_LINE, Caucus.FISCAL)  # the groups that argue a line (not NONE)


@dataclass(frozen=True)
class CaucusLine:
    """The level (% GDP) and deadline (year) an ally's caucus argues for; NaN for an ally in none."""

    level: np.ndarray | float
    deadline: np.ndarray | float


def form_caucuses(alliance: Alliance, params, fiscal) -> np.ndarray:
    """Each ally's caucus code, over the allies (last axis). The front line: a land border with
    Russia or Belarus, or a capital within `front_line_km` of Moscow, geography the allies
    share and see (not the model's fitted exposure, whose scale the calibration moves). The
    fiscal caucus: not in the front line (that comes first), fiscal pressure of at least
    `fiscal_caucus_pressure` and spending below the median of the other allies at the table, so
    the demand costs it most. The US (the demandeur) and allies not at the table join none."""
    eligible = alliance.at_table & ~alliance.is_us
    spending = np.where(eligible, alliance.start_pct, np.nan)
    median = np.nanmedian(spending, axis=-1, keepdims=True)
    near = np.asarray(alliance.borders_russia) | (np.asarray(alliance.distance_to_moscow_km) <= params.front_line_km)
    front = eligible & near
    pressed = eligible & ~front & (fiscal >= params.fiscal_caucus_pressure) & (alliance.start_pct < median)
    return np.where(front, Caucus.FRONT_LINE, np.where(pressed, Caucus.FISCAL, Caucus.NONE)).astype(np.int64)


def caucus_lines(caucus, weights, position, deadline_position) -> CaucusLine:
    """Each ally's caucus line: the mean of its members' positions weighted as the mediator
    weighs them (clout x salience x leverage), so a caucus argues what its weight in the talks
    would carry. NaN for an ally in no caucus."""
    level = np.full(np.shape(position), np.nan)
    deadline = np.full(np.shape(position), np.nan)
    known = np.where(np.isnan(position), 0.0, position)  # no forces, no position: such an ally is in no caucus
    with np.errstate(invalid="ignore", divide="ignore"):
        for group in CAUCUSES:
            members = caucus == group
            weight = weights * members
            total = np.sum(weight, axis=-1, keepdims=True)
            np.copyto(level, np.sum(weight * known, axis=-1, keepdims=True) / total, where=members)
            np.copyto(deadline, np.sum(weight * deadline_position, axis=-1, keepdims=True) / total, where=members)
    return CaucusLine(level=level, deadline=deadline)


def bloc_vetoes(caucus, weights, accepted):
    """Which allies' caucus rejects the draft as a bloc (a mask over the allies, last axis):
    its members rejecting it hold more than half its weight, weighed as the mediator weighs
    them. A coalition that coordinates its line can also hold out together, trading its
    members' single vetoes for a collective one, which the summit carries with side letters
    only if few enough (Putnam 1988: a negotiator tied by its constituents bargains harder;
    here the constituents are its partners)."""
    vetoes = np.zeros(np.shape(accepted), dtype=bool)
    for group in CAUCUSES:
        weight = np.where(caucus == group, weights, 0.0)
        rejecting = np.sum(np.where(accepted, 0.0, weight), axis=-1, keepdims=True)
        vetoes |= (caucus == group) & (2.0 * rejecting > np.sum(weight, axis=-1, keepdims=True))
    return vetoes


def follow(value, line, cohesion):
    """Move a share `cohesion` of the way to the caucus line; an ally in no caucus (NaN line)
    keeps its own."""
    gap = np.subtract(line, value)
    if np.ndim(gap):
        np.nan_to_num(gap, copy=False)
    elif np.isnan(gap):  # one ally's own row
        gap = 0.0
    return value + cohesion * gap
