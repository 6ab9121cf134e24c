"""After the summit: each ally's yearly spending from the data year to the deadline.

One function over arrays, called by the Mesa model for its alliance (allies) and by the
batch engine for a block of runs (runs x allies); the yearly rules are in `sim/model/rules.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model import rules
from sim.model.alliance import Alliance
from sim.model.negotiation import Standing, Stance, own_spending_ideal, ramp
from sim.model.pledges import Ledger


@dataclass(frozen=True)
class Projection:
    """Each ally's target and its spending year by year."""

    target: np.ndarray  # (..., allies) the package's core level, or the ally's own position
    end: np.ndarray  # (..., allies) spending in the last projected year; NaN without armed forces
    first_year: int  # the data year: the paths' first column
    trajectory: np.ndarray | None  # (..., allies, years): NaN after each run's deadline and without forces


def targets(deal, flexibility, core_pct, position_pct):
    """What each ally implements: the package's core level, or, without a deal or with a
    side letter, its own final position."""
    return np.where(deal & ~flexibility, core_pct, position_pct)


def project_spending(alliance: Alliance, params, standing: Standing, ended: Stance, target, horizon, talks_level,
                     data_year: int, ledger: Ledger = Ledger(), keep_trajectory: bool = True) -> Projection:
    """Spending year by year to the deadline (`horizon`): the fastest of the package's path,
    the standing floors of the `ledger` (each where the ally keeps it of its own accord,
    `rules.keeps_pledge`, or as far as it is pressed to, `rules.enforcement_share`), and its
    own adjustment toward what the year's threat calls for. `ended` is each ally's stance
    when the talks ended."""
    p = params
    ratifiable = ramp(p, standing, ended)
    spending = np.broadcast_to(alliance.start_pct, np.shape(target)).astype(float)
    last_year = max(data_year, int(np.max(horizon, initial=data_year)))
    trajectory = np.full((*np.shape(target), last_year - data_year + 1), np.nan) if keep_trajectory else None
    if trajectory is not None:
        trajectory[..., 0] = spending
    pressed = rules.enforcement_share(p.us_pressure, alliance.us_reliance, p.enforcement_rate)
    level = floor = None  # what this year's own ideal and pledges were last computed for
    for year in range(data_year + 1, last_year + 1):
        going = year <= horizon
        year_level = rules.threat_level_in_year(year, talks_level, p.threat_event_year, p.threat_event_level)
        if level is None or not np.array_equal(year_level, level):  # both depend on the year's level alone
            level, floor = year_level, None
            own_ideal = own_spending_ideal(alliance, p, standing, level)
            keeps_target = rules.keeps_pledge(own_ideal, target, p.self_enforcing_pledges)
        year_floor = ledger.floor_pct(year, alliance.accession_year)
        if floor is None or not np.array_equal(year_floor, floor):
            floor = year_floor
            keeps_floor = rules.keeps_pledge(own_ideal, floor, p.self_enforcing_pledges)
        pledged = rules.yearly_step(spending, target, horizon - year + 1, ratifiable, standing.fiscal,
                                    p.compliance_drag)
        on_path = rules.comply(spending, pledged, keeps_target, pressed)
        floored = rules.comply(spending, rules.floor_step(spending, floor, ratifiable, standing.fiscal,
                                                          p.compliance_drag), keeps_floor, pressed)
        own = rules.adjust_toward_ideal(spending, own_ideal, p.adjustment_rate)
        spending = np.where(going, np.maximum(np.maximum(on_path, floored), own), spending)
        if trajectory is not None:
            trajectory[..., year - data_year] = np.where(going, spending, np.nan)
    if trajectory is not None:
        trajectory[..., ~np.asarray(alliance.bears_cost), :] = np.nan
    return Projection(target=target, end=np.where(alliance.bears_cost, spending, np.nan), first_year=data_year,
                      trajectory=trajectory)
