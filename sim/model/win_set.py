"""What an ally wants and what its parliament will ratify: its ideal level, its ramp (the
yearly increase, pp of GDP, its parliament and public ratify; Putnam 1988's domestic
win-set), the highest level it can ratify by a deadline, the deadline it prefers, the US
floor on the headline, and whether a package fits.

Levels are % of GDP, deadlines calendar years, ramps percentage points per year.
"""

from __future__ import annotations

import numpy as np

from sim.model.alliance import Alliance
from sim.model.perception import own_threat
from sim.model.state import Circumstances, Stance

LEVEL_CEILING_PCT = 10.0  # no ally's parliament ratifies more than this; bounds every position
MIN_RAMP_PCT = 1e-6  # keeps "years needed" finite for an ally that cannot raise spending at all


def ideal_level(start_pct, threat, fiscal, need_scale_pct, fiscal_drag, free_riding_pct=0.0):
    """The level an ally would choose: its security need, less what it leaves to the others'
    effort, held back by fiscal pressure.

    Need rises with the threat the ally perceives (Walt 1987); it counts on its allies for part
    of it (`free_riding_pct`, `sim.model.burden`: Olson & Zeckhauser 1966, Sandler 1977). No
    ally proposes to cut (the Wales pledge to halt any decline), so the ideal never falls below
    current spending.
    """
    shortfall = np.maximum(need_scale_pct * threat - free_riding_pct - start_pct, 0.0)
    return np.clip(start_pct + shortfall * (1.0 - fiscal_drag * fiscal), 0.0, LEVEL_CEILING_PCT)


def shocked_ideal(start_pct, threat, fiscal, need_scale_pct, fiscal_drag, shock_pct, free_riding_pct=0.0):
    """The ideal level plus the ally's idiosyncratic domestic shock, kept within bounds."""
    ideal = ideal_level(start_pct, threat, fiscal, need_scale_pct, fiscal_drag, free_riding_pct)
    return np.clip(ideal + shock_pct, 0.0, LEVEL_CEILING_PCT)


def base_ramp(threat, fiscal, base_pct, threat_extra_pct):
    """The yearly increase (pp of GDP) the ally's parliament and public will ratify before any
    pressure in the talks (`ramp` adds what pressure has won).

    Putnam (1988): the win-set shrinks with the domestic cost of the agreement (here fiscal
    pressure) and widens with the cost of no agreement (here threat).
    """
    return np.maximum(base_pct * (1.0 - fiscal) + threat_extra_pct * threat, MIN_RAMP_PCT)


def win_set_ceiling(start_pct, ramp_pct, deadline, summit_year):
    """The highest level the ally can ratify for a given deadline: today's spending plus
    the ramp over the years to the deadline."""
    years = np.maximum(deadline - summit_year, 0.0)
    return np.minimum(start_pct + ramp_pct * years, LEVEL_CEILING_PCT)


def needed_deadline(level_pct, start_pct, ramp_pct, summit_year):
    """The earliest deadline at which the ally could ratify `level_pct` (inverse of the
    win-set ceiling)."""
    return summit_year + np.maximum(level_pct - start_pct, 0.0) / np.maximum(ramp_pct, MIN_RAMP_PCT)


def preferred_deadline(urgency, feasible_year, horizon_year, earliest, latest):
    """The deadline an ally asks for: the year it could meet the level on the table at the pace
    its parliament ratifies (`feasible_year`, from `needed_deadline`), pulled toward the year
    the threat assessments say the threat could materialise (`horizon_year`) by its urgency,
    if that comes sooner. A relaxed ally asks for the time it needs; a threatened one wants the
    capability in place before the danger (Walt 1987), and would stretch to get it. `earliest`
    and `latest` only bound it."""
    pull = np.clip(urgency, 0.0, 1.0) * np.maximum(feasible_year - horizon_year, 0.0)
    return np.clip(feasible_year - pull, earliest, latest)


def us_reservation_total(us_pressure, us_demand_pct, is_us):
    """The lowest headline (core plus related) the US accepts: its demand scaled by how hard
    it presses. Other allies set no floor (0)."""
    return np.where(is_us, us_pressure * us_demand_pct, 0.0)


def core_floor(reservation_total_pct, related_cap_pct, split_enabled):
    """The lowest core level compatible with an ally's floor on the headline, when the
    related category can fill up to its cap."""
    fill = np.where(split_enabled, related_cap_pct, 0.0)
    return np.maximum(reservation_total_pct - fill, 0.0)


def related_component(core_pct, headline_pct, related_cap_pct, split_enabled):
    """The defence-related share of the package: the drafter tops the core up toward the
    headline the package must meet (`headline_floor`) with related spending (infrastructure,
    resilience, industry), up to what allies can count as related, and no further, because
    related spending costs them too (`new_money`). Zero when the split is off."""
    return np.where(split_enabled, np.clip(headline_pct - core_pct, 0.0, related_cap_pct), 0.0)


def headline_floor(circumstances, votes):
    """The headline (core plus related) the package must meet to win every floor at the table:
    the highest member's floor (only the US sets one), over the last axis, kept with length 1."""
    return np.max(np.where(votes, circumstances.reservation_total, 0.0), axis=-1, keepdims=True)


def new_money(core_pct, related_pct, related_cost_share):
    """What a package asks of an ally's budget, % of GDP: the core, and the share of the related
    spending that is new money rather than spending it makes already and may now count
    (`related_cost_share`): the level its win-set must hold."""
    return core_pct + related_cost_share * related_pct


def package_money(core_pct, headline_pct, related_cap_pct, split_enabled, related_cost_share):
    """What a package of this core asks of a budget once the drafter tops it up with related
    spending toward `headline_pct` (`related_component`, `new_money`)."""
    related = related_component(core_pct, headline_pct, related_cap_pct, split_enabled)
    return new_money(core_pct, related, related_cost_share)


def most_core_within(ceiling_pct, headline_pct, related_cap_pct, split_enabled, related_cost_share):
    """The highest core level whose package (`package_money`) fits a budget ceiling: the inverse
    of `package_money`, which rises with the core in three pieces (the related spending at its
    cap, shrinking as the core nears the headline, none past it). Worked by hand in the tests."""
    cap = np.where(split_enabled, related_cap_pct, 0.0)
    share = np.asarray(related_cost_share, dtype=float)
    low_end = headline_pct - cap  # below it the related spending is at its cap
    at_low_end = low_end + share * cap  # what a package with the core at low_end asks
    capped = ceiling_pct - share * cap
    middle = np.where(share < 1.0, (ceiling_pct - share * headline_pct) / np.maximum(1.0 - share, 1e-12),
                      headline_pct)
    core = np.where(ceiling_pct <= at_low_end, capped,
                    np.where(ceiling_pct < headline_pct, middle, ceiling_pct))
    return np.clip(core, 0.0, LEVEL_CEILING_PCT)


def fits_win_set(core_pct, ceiling_pct):
    """Whether a core level is within what an ally can ratify (ties count as within, to 1e-9 pp,
    so the engines cannot split on rounding)."""
    return core_pct <= ceiling_pct + 1e-9


def accepts(core_pct, related_pct, deadline, ceiling_pct, reservation_total_pct, bears_cost, related_cost_share):
    """Whether an ally ratifies the package: what it asks of its budget (`new_money`) fits its
    win-set for that deadline and the headline meets its floor. An ally with no armed forces
    (Iceland) bears no cost and accepts."""
    fits = fits_win_set(new_money(core_pct, related_pct, related_cost_share), ceiling_pct)
    enough = core_pct + related_pct >= reservation_total_pct - 1e-9
    return np.where(bears_cost, fits & enough, True)


def current_ideal(alliance: Alliance, params, circumstances: Circumstances, threat):
    """The level an ally wants now: the US its demand on the others, everyone else its need,
    less what it leaves to the others, held back by the purse, each with its domestic shock."""
    us = np.clip(params.us_demand_pct + circumstances.noise, 0.0, LEVEL_CEILING_PCT)
    ideal = shocked_ideal(alliance.start_pct, threat, circumstances.fiscal, params.need_scale_pct,
                          params.fiscal_drag, circumstances.noise, circumstances.free_riding)
    return np.where(alliance.is_us, us, ideal)


def own_spending_ideal(alliance: Alliance, params, circumstances: Circumstances, threat_level):
    """What an ally would spend on its own in a threat environment, after the summit (the US
    included, whose position in the talks is its demand on the others)."""
    return shocked_ideal(alliance.start_pct, own_threat(alliance, params, circumstances, threat_level),
                         circumstances.fiscal, params.need_scale_pct, params.fiscal_drag, circumstances.noise,
                         circumstances.free_riding)


def ramp(params, circumstances: Circumstances, stance: Stance):
    """The yearly increase an ally's parliament ratifies, widened by pressure during the talks."""
    base = base_ramp(stance.threat, circumstances.fiscal, params.ramp_base_pct, params.ramp_threat_pct)
    return base + stance.ramp_widening


def within_win_set(alliance: Alliance, params, circumstances: Circumstances, level, ramp_pct, deadline,
                   signing_core_pct=np.inf):
    """A level an ally can argue for: no higher than it can ratify by `deadline` at its ramp
    `ramp_pct` (`win_set_ceiling`) nor than it would sign rather than have no agreement
    (`signing_core_pct`, `reversion.signing_core`), no lower than its floor, within 0..the
    ceiling of any level. Wherever a step moves a position, it ends here."""
    ceiling = np.minimum(win_set_ceiling(alliance.start_pct, ramp_pct, deadline, params.summit_year),
                         signing_core_pct)
    level = np.where(alliance.bears_cost, np.fmin(np.fmax(level, circumstances.floor), ceiling), level)
    return np.clip(level, 0.0, LEVEL_CEILING_PCT)
