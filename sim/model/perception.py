"""What an ally reads from its situation: its exposure to Russia, the threat it perceives
(its own reading, mixed with its neighbours'), its urgency, and the pressure of its public
finances.

The rules are pure functions on numpy values that broadcast: one ally (scalars), an alliance
(vectors over allies) or many runs (runs x allies). The steps take an ally's facts
(`Alliance`), the parameters and its state, for whoever calls them.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sim.data.threat_horizon import HorizonStatement, horizon_as_of, latest_horizon
from sim.model.alliance import Alliance
from sim.model.state import Circumstances, Stance

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG), as used for the distances in the data
DEBT_REFERENCE_PCT = 60.0  # Maastricht reference value for government debt (TFEU Protocol 12)
DEFICIT_REFERENCE_PCT = 3.0  # Maastricht reference value for the deficit (TFEU Protocol 12)
HORIZON_SCOPE = "attack_on_nato"  # the assessments whose horizon urgent allies want the target met by


def haversine_km(lat1, lon1, lat2, lon2):
    """Great-circle distance between points given in degrees (haversine formula)."""
    lat1, lon1, lat2, lon2 = (np.radians(x) for x in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def exposure(distance_km, borders_russia, reference_km, decay_km):
    """How exposed an ally is to Russia, 0..1: full on the border, decaying with distance.

    Walt (1987), *The Origins of Alliances*: threat falls with geographic proximity. Allies
    with a land border with Russia or Belarus, or a capital within `reference_km` of Moscow,
    are fully exposed; beyond, exposure decays exponentially over `decay_km`.
    """
    beyond = np.maximum(np.asarray(distance_km, dtype=float) - reference_km, 0.0)
    return np.where(borders_russia, 1.0, np.exp(-beyond / decay_km))


def threat_perception(threat_level, exposure_, shared_threat):
    """An ally's threat perception, 0..1.

    A share of the threat environment is felt by all allies alike (collective defence,
    Article 5); the rest scales with exposure (Walt 1987). The fear of US abandonment does not
    add to it: it lowers the protection an ally counts on (`sim.model.burden`).
    """
    return np.clip(threat_level * (shared_threat + (1.0 - shared_threat) * exposure_), 0.0, 1.0)


def peer_weights(lat, lon, scale_km):
    """Row-normalised influence of each ally on each other, by a Gaussian kernel of the
    distance between capitals (neighbours read the same threat the same way; diffusion of
    threat perceptions, Rogers 1962 / DeGroot 1974). Shape (allies, allies), zero diagonal."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    distance = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    kernel = np.exp(-((distance / scale_km) ** 2))
    np.fill_diagonal(kernel, 0.0)
    totals = kernel.sum(axis=1, keepdims=True)
    return np.divide(kernel, totals, out=np.zeros_like(kernel), where=totals > 0)


def peer_influence(own, previous_threat, weights, peer_weight):
    """DeGroot (1974) averaging: own reading mixed with the neighbours' readings of the last
    round. `previous_threat` is (..., allies); `weights` is one ally's row of influence
    (allies,), giving that ally's reading, or a matrix (..., allies, allies) whose row i is
    ally i's, giving every ally's."""
    if np.ndim(weights) == 1:
        neighbours = previous_threat @ weights
    else:
        neighbours = (np.expand_dims(previous_threat, -2) @ np.swapaxes(weights, -1, -2))[..., 0, :]
    return (1.0 - peer_weight) * own + peer_weight * neighbours


def fiscal_pressure(debt_pct, deficit_pct, escape_room_pct):
    """Fiscal pressure, 0..1: debt and deficit against the Maastricht reference values.

    Pressure is the mean of debt / (2 x 60%) and deficit / (2 x 3%), capped at 1, so it is
    0.5 for an ally exactly at both reference values (TFEU Protocol 12; the Stability and
    Growth Pact). A missing deficit counts as the reference value. An escape clause for
    defence (European Commission, ReArm Europe, March 2025) removes `escape_room_pct` of
    the deficit from the count.
    """
    deficit = np.where(np.isnan(deficit_pct), DEFICIT_REFERENCE_PCT, deficit_pct)
    counted_deficit = np.maximum(deficit - escape_room_pct, 0.0)
    pressure = 0.5 * debt_pct / (2 * DEBT_REFERENCE_PCT) + 0.5 * counted_deficit / (2 * DEFICIT_REFERENCE_PCT)
    return np.clip(pressure, 0.0, 1.0)


def threat_level_in_round(round_index, params):
    """The threat environment in a round of the talks: the scenario's level, plus its shock
    from the shock's round on."""
    shock = np.where(round_index >= params.threat_shock_round, params.threat_shock, 0.0)
    return np.clip(params.threat_level + shock, 0.0, 1.0)


def own_threat(alliance: Alliance, params, circumstances: Circumstances, threat_level):
    """The threat an ally reads from the environment and its geography, before its neighbours'
    readings."""
    return threat_perception(threat_level, circumstances.exposure, params.shared_threat)


def urgency(alliance: Alliance, params, threat):
    """The US's urgency is its own pressure; everyone else's is the threat it perceives."""
    return np.where(alliance.is_us, params.us_pressure, threat)


def perceive(alliance: Alliance, params, circumstances: Circumstances, stance: Stance, threat_level, previous_threats,
             peer_weights, own=None) -> Stance:
    """Read the threat: own reading mixed with the neighbours' readings of the last round
    (`previous_threats` over allies; `peer_weights` the ally's row, or the alliance's matrix).
    `own` is `own_threat` at `threat_level` where the caller kept it from an earlier round
    at the same level (it depends on nothing else that changes during the talks)."""
    own = own_threat(alliance, params, circumstances, threat_level) if own is None else own
    threat = peer_influence(own, previous_threats, peer_weights, params.peer_weight)
    return dataclasses.replace(stance, threat=threat)


def threat_horizon(day, summit_year: int, statements: tuple[HorizonStatement, ...] | None = None
                   ) -> tuple[float | None, HorizonStatement | None]:
    """Years from the summit to when, by the assessments published by `day`, Russia could attack
    the alliance: the latest statement of that scope (the soonest, if one day gave several),
    counted from the year it was made; None, and no statement, if none had been made."""
    chosen = latest_horizon(horizon_as_of(day) if statements is None else statements, HORIZON_SCOPE)
    if chosen is None:
        return None, None
    return float(chosen.date.year + chosen.horizon_years - summit_year), chosen
