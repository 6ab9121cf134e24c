"""Pressure on the holdouts: each round an ally rejects the draft, the US and the allies
already on board press it, and the US presses it by name with what it stands to lose in
trade; its government spends political capital and widens its ramp (`Stance.ramp_widening`),
and its veto gains it leverage with the mediator.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sim.model.alliance import Alliance
from sim.model.state import Stance


def holdout_pressure(us_pressure, share_accepting, peer_weight):
    """Pressure on a holdout: the US threat plus the weight of the allies already on board
    (peer pressure grows as the holdout becomes isolated)."""
    return us_pressure + peer_weight * share_accepting


def bilateral_pressure(us_pressure, exports_to_us_pct_gdp, rate_pct):
    """The widening (pp a year of ramp) the US wins from a holdout it presses by
    name in one round. A government's win-set widens with its constituents' cost of no
    agreement (Putnam 1988); what a named holdout's constituents stand to lose bilaterally is
    the trade the US can tariff (Hirschman 1945; Drezner 1999 on coercing allies), which the
    US used against Canada in February-March 2025. Its forces abroad are no such lever: the
    bases serve US power projection, so threatening to pull them is less credible (Lanoszka
    2018); the guarantee works alliance-wide, through the fear of abandonment. An ally with
    no figure (the US itself) has nothing at stake: 0."""
    return rate_pct * us_pressure * np.nan_to_num(exports_to_us_pct_gdp, nan=0.0)


def widen_ramp(ramp_widening, rejected, widening_pct, draw):
    """A holdout's government spends political capital under pressure and widens its
    win-set (Putnam 1988, synergistic linkage) by the round's `widening_pct` (pp a year);
    `draw` is the run's random factor for this round and ally (mean 1)."""
    return ramp_widening + np.where(rejected, widening_pct * draw, 0.0)


def widening_per_round(alliance: Alliance, params, share_accepting_):
    """How far a holdout's ramp widens in a round it rejects (pp a year), before
    the round's random factor: the US and the allies already on board press it
    (`holdout_pressure`), and the US presses it by name with what it stands to lose in
    trade (`bilateral_pressure`)."""
    pressure = holdout_pressure(params.us_pressure, share_accepting_, params.peer_weight)
    named = bilateral_pressure(params.us_pressure, alliance.exports_to_us_pct_gdp, params.bilateral_pressure_pct)
    return params.expansion_rate_pct * pressure + named


def respond_to_pressure(alliance: Alliance, params, stance: Stance, share_accepting_, widening_factor) -> Stance:
    """A holdout spends political capital under pressure, widening its ramp, and gains
    leverage with the mediator; an ally that accepted does neither."""
    rejected = ~np.asarray(stance.accepted)
    ramp_widening = widen_ramp(stance.ramp_widening, rejected, widening_per_round(alliance, params, share_accepting_),
                               widening_factor)
    return dataclasses.replace(stance, ramp_widening=ramp_widening, rejections=stance.rejections + rejected)
