"""Before the first round: what each ally brings to the talks (`Circumstances`) and where it
opens (`Stance`), at its ideal and asking for the deadline its urgency prefers.
"""

from __future__ import annotations

import numpy as np

from sim.model.alliance import Alliance
from sim.model.burden import left_to_others
from sim.model.parameters import NO_DEADLINE_NAMED
from sim.model.pledges import Ledger
from sim.model.perception import exposure, fiscal_pressure, own_threat, urgency
from sim.model.requirement import capability_requirement
from sim.model.reversion import no_deal_cost
from sim.model.state import Circumstances, Stance
from sim.model.win_set import (base_ramp, core_floor, current_ideal, needed_deadline, preferred_deadline,
                               us_reservation_total)


def circumstances_of(alliance: Alliance, params, preference_draw, ledger: Ledger = Ledger()) -> Circumstances:
    """An ally's exposure, fiscal pressure, floor, what no agreement would cost it, the floor it
    pledged at an earlier summit (the scenario's `ledger`) and its domestic shock for these talks. The EU's escape clause for defence eases the deficit rule
    for an ally that asked for it (the scenario's list), or for every EU ally with
    `eu_escape_clause` (a counterfactual). The US's floor is its demand scaled by its pressure
    until it settles (`us_actor.settle`)."""
    p = params
    escape = np.where((p.eu_escape_clause & alliance.eu_member) | alliance.escape_clause, p.escape_room_pct, 0.0)
    reservation = us_reservation_total(p.us_pressure, p.us_demand_pct, alliance.is_us)
    exposed = exposure(alliance.distance_to_moscow_km, alliance.borders_russia, p.proximity_reference_km,
                       p.proximity_decay_km)
    return Circumstances(
        exposure=exposed,
        fiscal=fiscal_pressure(alliance.debt_pct_gdp, alliance.deficit_pct_gdp, escape),
        reservation_total=reservation,
        floor=core_floor(reservation, p.related_cap_pct, p.split_enabled),
        us_headline=np.zeros_like(reservation) + p.us_pressure * p.us_demand_pct,
        free_riding=left_to_others(alliance, p, exposed),
        no_deal_cost=np.where(alliance.is_us, 0.0, no_deal_cost(p.us_pressure, alliance.exports_to_us_pct_gdp,
                                                                p.abandonment_stake_pct, p.tariff_stake_share)),
        standing_pct=ledger.standing_floor_pct(p.summit_year, alliance.accession_year),
        noise=p.noise_sd_pct * preference_draw,
    )


def opening_deadline(alliance: Alliance, params, circumstances: Circumstances, threat):
    """The deadline an ally asks for before the first round: when it could meet what the
    capability targets cost (the level everyone knows the first draft will ask, `requirement`)
    at its parliament's pace, pulled toward the threat's horizon by its urgency. An ally with no
    forces needs no time (the summit year). The US asks for the year it named, if it named one
    (`us_deadline_years`, from its posture)."""
    p = params
    ramp_pct = base_ramp(threat, circumstances.fiscal, p.ramp_base_pct, p.ramp_threat_pct)
    feasible = np.fmax(needed_deadline(capability_requirement(p), alliance.start_pct, ramp_pct, p.summit_year),
                       p.summit_year)
    wanted = preferred_deadline(urgency(alliance, p, threat), feasible, p.summit_year + p.threat_horizon_years,
                                p.earliest_deadline, p.latest_deadline)
    named = alliance.is_us & (p.us_deadline_years < NO_DEADLINE_NAMED)
    return np.where(named, np.clip(p.summit_year + p.us_deadline_years, p.earliest_deadline, p.latest_deadline),
                    wanted)


def open_stance(alliance: Alliance, params, circumstances: Circumstances) -> Stance:
    """Where an ally stands before the first round: at its ideal, asking for the deadline it
    can meet, or sooner if the threat is pressing (`opening_deadline`)."""
    threat = own_threat(alliance, params, circumstances, params.threat_level)
    ideal = current_ideal(alliance, params, circumstances, threat)
    wanted = opening_deadline(alliance, params, circumstances, threat)
    return Stance(threat=threat, ideal=ideal, position=ideal, deadline_preference=wanted, deadline_position=wanted,
                  ramp_widening=np.zeros_like(ideal), rejections=np.zeros_like(ideal, dtype=np.int64),
                  accepted=np.zeros_like(ideal, dtype=bool))
