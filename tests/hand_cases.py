"""The small cases the step tests work out by hand: one ally (its parameters, facts and
circumstances) and three allies (a hawk, a laggard and the US)."""

from __future__ import annotations

import dataclasses

import numpy as np

from sim.model import state
from sim.model.alliance import Alliance
from sim.model.parameters import Parameters
from sim.model.state import Circumstances

PARAMS = Parameters(threat_level=0.5, us_pressure=0.5, abandonment_weight=0.0, peer_weight=0.0, need_scale_pct=6.0,
                    fiscal_drag=0.4, ramp_base_pct=0.2, ramp_threat_pct=0.4, concession_rate=0.5,
                    expansion_rate_pct=0.02, noise_sd_pct=0.0, summit_year=2025, earliest_deadline_years=5,
                    latest_deadline_years=15, capability_base_pct=5.0, capability_shortfall=0.0,
                    threat_horizon_years=5.0, related_cost_share=0.0,
                    consensus_stake_pct=3.0)  # wide enough that no hand case turns on the reversion point
ALLY = Alliance(iso3="AAA", name="Ally", start_pct=2.0, gdp_usd_bn=100.0, debt_pct_gdp=60.0, deficit_pct_gdp=3.0,
               eu_member=False, escape_clause=False, distance_to_moscow_km=500.0, borders_russia=True, is_us=False,
               bears_cost=True, votes=True, clout=1.0, accession_year=1949, us_reliance=0.5, exports_to_us_pct_gdp=0.0,
               allied_effort_pct=0.0, us_effort_pct=0.0)
CIRCUMSTANCES = Circumstances(exposure=1.0, fiscal=0.5, reservation_total=0.0, floor=0.0, us_headline=0.0, free_riding=0.0,
                              no_deal_cost=0.0, noise=0.0)


def three_allies():
    """A hawk (start 2.0, ramp 0.3), a laggard (start 1.0, ramp 0.2) and the US (floor 3.0 on
    the core, start 3.0): clout 0.2, 0.3, 0.5."""
    alliance = dataclasses.replace(ALLY, iso3=("HWK", "LAG", "USA"), name=("Hawk", "Laggard", "US"),
                                   start_pct=np.array([2.0, 1.0, 3.0]), is_us=np.array([False, False, True]),
                                   bears_cost=np.ones(3, bool), votes=np.ones(3, bool),
                                   clout=np.array([0.2, 0.3, 0.5]))
    circumstances = Circumstances(exposure=np.ones(3), fiscal=np.full(3, 0.5),
                                  reservation_total=np.array([0.0, 0.0, 4.5]), floor=np.array([0.0, 0.0, 3.0]),
                                  us_headline=np.full(3, 4.5), free_riding=np.zeros(3), no_deal_cost=np.zeros(3),
                                  noise=np.zeros(3), standing_pct=np.zeros(3))
    return alliance, circumstances


def stances_at(positions, ramps):
    """Stances whose threat gives each ally the ramp asked for (ramp = 0.1 + 0.4 x threat here)."""
    threat = (np.asarray(ramps) - 0.1) / 0.4
    n = len(positions)
    return state.Stance(threat=threat, ideal=np.asarray(positions, float), position=np.asarray(positions, float),
                        deadline_preference=np.full(n, 2030.0), deadline_position=np.full(n, 2030.0),
                        ramp_widening=np.zeros(n), rejections=np.zeros(n, dtype=np.int64),
                        accepted=np.zeros(n, dtype=bool))
