"""After the summit: each ally's yearly spending from the data year to the deadline.

The yearly rules (the path to a target or a floor, whether an ally keeps a pledge, how far the
US enforces it, its own adjustment), and the projection that combines them: one function over
arrays, called by the Mesa model for its alliance (allies) and by the batch engine for a block
of runs (runs x allies).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from sim.model.alliance import Alliance
from sim.model.burden import left_to_others
from sim.model.down_payment import down_payment
from sim.model.pledges import Ledger
from sim.model.state import Circumstances, Stance
from sim.model.win_set import own_spending_ideal, ramp

PLEDGE_TIE_PCT = 1e-9  # a target equal to an ally's ideal up to rounding counts as wanted (no-deal targets often are)


def yearly_step(spending_pct, target_pct, years_left, ramp_pct, fiscal, compliance_drag):
    """One year of implementation: a credible linear path to the target (the Hague's "credible
    yearly path"), slowed by fiscal pressure and capped by what parliament ratifies. Allies
    already at or above their target hold their level."""
    planned = (target_pct - spending_pct) / np.maximum(years_left, 1.0)
    step = np.minimum(planned * (1.0 - compliance_drag * fiscal), ramp_pct)
    return spending_pct + np.maximum(step, 0.0)


def keeps_pledge(own_ideal_pct, target_pct, self_enforcing):
    """Whether an ally implements the pledge this year: with `self_enforcing`, only where the
    target is within what it would spend on its own in this year's threat environment;
    without, always (every signature is kept).

    Pledges are self-enforcing or not kept (Downs, Rocke & Barsoom 1996: high compliance
    mostly means agreements that ask what states would do anyway; Barrett 1994). An ally for
    whom the target is above its own ideal signs, ratifies and then lets the path slip; a
    rise in threat (an event, fear of abandonment) can bring it back to the path later.
    """
    return np.logical_not(self_enforcing) | (own_ideal_pct >= target_pct - PLEDGE_TIE_PCT)


def floor_step(spending_pct, floor_pct, ramp_pct, fiscal, compliance_drag):
    """One year toward a floor pledge ("at least 2% of GDP annually", Vilnius 2023): the
    whole gap if parliament ratifies that much, else its ramp; slowed by fiscal
    pressure as the path to a target is. Allies at or above the floor hold their level."""
    gap = np.maximum(floor_pct - spending_pct, 0.0)
    return spending_pct + np.minimum(gap * (1.0 - compliance_drag * fiscal), ramp_pct)


def enforcement_share(us_pressure, reliance, rate):
    """The share of a pledged step an ally takes in a year it would not take it on its own,
    because it is pressed to. Downs, Rocke & Barsoom (1996): agreements that ask more than
    states would do anyway hold only where defection is punished; in the alliance the
    punisher that counts is the United States, and what it can withhold (markets, forces,
    the guarantee) weighs by how much the ally relies on it (`reliance`, 0..1)."""
    return np.clip(rate * us_pressure * reliance, 0.0, 1.0)


def comply(spending_pct, pledged_pct, keeps, enforced_share):
    """A year's spending under a pledge: the pledged level where the ally keeps it of its own
    accord (`keeps_pledge`), elsewhere only the enforced share of the way there (none: it
    lets the pledge slip)."""
    return np.where(keeps, pledged_pct, spending_pct + enforced_share * (pledged_pct - spending_pct))


def threat_level_in_year(year, talks_level, event_year, event_level):
    """The threat environment a year's budget answers: the level the talks ended in, or an
    exogenous event's level from the year after it on (e.g. the full-scale invasion of
    February 2022 weighs on the budgets of 2023). A year's budget is passed before the year
    begins, so it sees the events of the years before it, as it sees the US's posture of the
    end of the year before (`chain.posture_by_year`)."""
    return np.where((event_year > 0) & (year > event_year), event_level, talks_level)


def adjust_toward_ideal(spending_pct, ideal_pct, rate, punctuation_rate=0.0, friction_pp=0.0):
    """Beside the pledge, an ally moves on its own toward the level its threat calls for, and
    never cuts on that account. Budgets are incremental until the pressure for change beats the
    friction of the institutions that pass them, then they jump (punctuated equilibrium: Jones,
    Baumgartner & True 1998; Jones, Sulkin & Larsen 2003): each year the ally closes a share
    `rate` of its gap to that level (partial adjustment: defence budgets carry strong inertia),
    and a further share `punctuation_rate` of the part of the gap beyond `friction_pp` pp of
    GDP. One rule for the slow decade after 2014 and the surge after 2022."""
    gap = ideal_pct - spending_pct
    step = rate * gap + punctuation_rate * np.maximum(gap - friction_pp, 0.0)
    return spending_pct + np.clip(step, 0.0, np.maximum(gap, 0.0))


@dataclass(frozen=True)
class Projection:
    """Each ally's target and its spending year by year."""

    target: np.ndarray  # (..., allies) the package's core level, or the ally's own position
    end: np.ndarray  # (..., allies) spending in the last projected year; NaN without armed forces
    first_year: int  # the data year: the paths' first column
    trajectory: np.ndarray | None  # (..., allies, years): NaN after each run's deadline and without forces


@dataclass(frozen=True)
class StandingPath:
    """An earlier package's path, which stands where talks to revise it end without a deal."""

    target: np.ndarray  # (allies,) what each ally implements under it (`targets`)
    deadline_year: int


def targets(deal, flexibility, core_pct, position_pct):
    """What each ally implements: the package's core level, or, without a deal or with a
    side letter, its own final position."""
    return np.where(deal & ~flexibility, core_pct, position_pct)


def project_spending(alliance: Alliance, params, circumstances: Circumstances, ended: Stance, target, horizon,
                     talks_level, data_year: int, ledger: Ledger = Ledger(),
                     keep_trajectory: bool = True, until: int | None = None,
                     us_pressure_by_year: Mapping[int, float] | None = None) -> Projection:
    """Spending year by year to the deadline (`horizon`), or to `until` where given (a chain of
    summits runs each summit's years to the next one's data year), with the US's pressure of each
    year where `us_pressure_by_year` gives it (the posture in force when the year's budget was
    passed: it sets how hard the US enforces and how far allies fear abandonment), the summit's
    otherwise: the fastest of the package's path,
    the standing floors of the `ledger` (each where the ally keeps it of its own accord,
    `keeps_pledge`, or as far as it is pressed to, `enforcement_share`), and its
    own adjustment toward what the year's threat calls for; in the first year, at least what the
    ally decided at the talks toward the floor already due (`down_payment`). `ended`
    is each ally's stance when the talks ended."""
    p = params
    ramp_pct = ramp(p, circumstances, ended)
    spending = np.broadcast_to(alliance.start_pct, np.shape(target)).astype(float)
    last_year = max(data_year, int(np.max(horizon, initial=data_year)) if until is None else until)
    trajectory = np.full((*np.shape(target), last_year - data_year + 1), np.nan) if keep_trajectory else None
    if trajectory is not None:
        trajectory[..., 0] = spending
    pressure_by_year = us_pressure_by_year or {}
    decided = down_payment(spending, ledger.floor_pct(data_year + 1, alliance.accession_year),  # due in the first budget
                           enforcement_share(p.us_pressure, alliance.us_reliance, p.enforcement_rate),
                           circumstances.fiscal, p.compliance_drag)
    level = floor = pressure = None  # what this year's own ideal, pledges and enforcement were last computed for
    for year in range(data_year + 1, last_year + 1):
        going = year <= horizon if until is None else np.full(np.shape(target), True)
        year_level = threat_level_in_year(year, talks_level, p.threat_event_year, p.threat_event_level)
        year_pressure = pressure_by_year.get(year)
        if level is None or not np.array_equal(year_level, level) or year_pressure != pressure:
            level, floor, pressure = year_level, None, year_pressure  # all depend on the year's level and pressure
            pressed = enforcement_share(p.us_pressure if pressure is None else pressure, alliance.us_reliance,
                                        p.enforcement_rate)
            feared = circumstances if pressure is None else dataclasses.replace(
                circumstances, free_riding=left_to_others(alliance, p, circumstances.exposure, pressure))
            own_ideal = own_spending_ideal(alliance, p, feared, level)
            keeps_target = keeps_pledge(own_ideal, target, p.self_enforcing_pledges)
        year_floor = ledger.floor_pct(year, alliance.accession_year)
        if floor is None or not np.array_equal(year_floor, floor):
            floor = year_floor
            keeps_floor = keeps_pledge(own_ideal, floor, p.self_enforcing_pledges)
        pledged = yearly_step(spending, target, horizon - year + 1, ramp_pct, circumstances.fiscal, p.compliance_drag)
        on_path = np.where(np.asarray(alliance.accession_year) <= year,  # the package binds an ally from its accession
                           comply(spending, pledged, keeps_target, pressed), spending)
        floored = comply(spending, floor_step(spending, floor, ramp_pct, circumstances.fiscal,
                                              p.compliance_drag), keeps_floor, pressed)
        own = adjust_toward_ideal(spending, own_ideal, p.adjustment_rate, p.punctuation_rate, p.friction_pp)
        budgeted = np.maximum(np.maximum(on_path, floored), own)
        if year == data_year + 1:
            budgeted = np.maximum(budgeted, decided)
        spending = np.where(going, budgeted, spending)
        if trajectory is not None:
            trajectory[..., year - data_year] = np.where(going, spending, np.nan)
    if trajectory is not None:
        trajectory[..., ~np.asarray(alliance.bears_cost), :] = np.nan
    return Projection(target=target, end=np.where(alliance.bears_cost, spending, np.nan), first_year=data_year,
                      trajectory=trajectory)
