"""Risk attitudes in the challenge protocol (docs/ODD.md, 7.6c): each ally's risk exponent,
estimated from how secure its position is, and the expected utility of a challenge with the
loss bent by it, after Bueno de Mesquita (1994) as laid out by Scholz, Calbert & Smith (2011).

Functions of arrays over allies or runs x allies (and pairs), as in `sim.protocols.challenge`,
which gathers what they take from the round.
"""

from __future__ import annotations

import numpy as np

CHALLENGE_STATUS_QUO_HOLDS = 0.5  # Q: the chance nothing changes if i does not challenge (BdM 1994)


def risk_challenge_utility(prevail, apart, target_salience, forecast_distance, drift, risk,
                           status_quo_holds=CHALLENGE_STATUS_QUO_HOLDS):
    """i's expected utility of challenging j with i's risk exponent r_i (Scholz, Calbert & Smith
    2011, eqs. for U_s, U_f, U_b, U_w, U_sq; Bueno de Mesquita 1994), the distances `apart` =
    |x_i - x_j| and `forecast_distance` = |x_i - mu| on positions rescaled to 0..1 over the
    issue's range (`issue_span`), since the exponent bends the loss and the scale then matters:

        U_s = 2 - 4 (1/2 - d/2)^r      U_f = 2 - 4 (1/2 + d/2)^r      U_sq = 2 - 4 (1/2)^r
        U_b = 2 - 4 (1/2 - (|x_i - mu| + d)/4)^r      U_w = 2 - 4 (1/2 + (|x_i - mu| + d)/4)^r

    combined as in `sim.protocols.challenge.challenge_utility`. r < 1 (down to 1/2) is risk acceptant, r > 1 (up to 2)
    risk averse; at r = 1 this is that linear rule times 2 / (the issue's range). The
    constants 2 cancel (the weights of the five utilities sum to zero), leaving
    EU_ij = -4 [(1 - a) L_s^r + a L_f^r - Q (1/2)^r - (1 - Q)(T L_b^r + (1 - T) L_w^r)], a = s_j (1 - P_ij)
    and L the bracketed losses (`powered_loss`)."""
    half_apart = np.multiply(0.5, apart, dtype=float)
    shift = np.add(forecast_distance, apart, dtype=float)
    shift *= 0.25
    resisted = np.subtract(1.0, prevail, dtype=float)  # a = s_j (1 - P_ij): the weight of failure
    resisted *= target_salience
    drift = np.asarray(drift, dtype=float)
    weighted = powered_loss(0.5 - half_apart, risk)
    weighted *= 1.0 - resisted
    weighted += resisted * powered_loss(half_apart + 0.5, risk)
    weighted -= status_quo_holds * np.power(0.5, risk)
    weighted -= ((1.0 - status_quo_holds) * drift) * powered_loss(0.5 - shift, risk)
    weighted -= ((1.0 - status_quo_holds) * (1.0 - drift)) * powered_loss(shift + 0.5, risk)
    weighted *= -4.0
    return weighted


def powered_loss(loss, risk):
    """loss^r for losses in 0..1; a loss a rounding below 0 counts as 0."""
    return np.power(np.maximum(loss, 0.0), risk)


def issue_span(positions, at_table):
    """The issue's range this round, max - min of the positions of the allies at the table (over
    the last axis, kept), by which Scholz et al. rescale positions to 0..1; 1 where they all
    stand together or nobody is at the table (no pair is then apart)."""
    highest = np.max(positions, axis=-1, where=at_table, initial=-np.inf, keepdims=True)
    lowest = np.min(positions, axis=-1, where=at_table, initial=np.inf, keepdims=True)
    span = highest - lowest
    return np.where(np.isfinite(span) & (span > 0), span, 1.0)


def risk_exponent(security, at_table):
    """Each ally's risk exponent r_i from its security level S_i (`security_levels`), over the
    last axis (allies; only those at the table compared), after Bueno de Mesquita (1994) and
    Scholz et al. (2011): R_i = (2 S_i - max S - min S) / (max S - min S), in -1..1, and
    r_i = (1 - R_i/3) / (1 + R_i/3), in 1/2..2. An ally the others gain most by challenging
    (R = 1) is inferred to have taken a risky position, r = 1/2 (risk acceptant); the most
    secure (R = -1), r = 2 (risk averse). 1 where all are equally secure or for an ally away
    from the table."""
    highest = np.max(security, axis=-1, where=at_table, initial=-np.inf, keepdims=True)
    lowest = np.min(security, axis=-1, where=at_table, initial=np.inf, keepdims=True)
    varied = np.isfinite(highest) & np.isfinite(lowest) & (highest > lowest)
    highest, lowest = np.where(varied, highest, 0.0), np.where(varied, lowest, 0.0)
    exposure = (2.0 * np.where(at_table, security, 0.0) - highest - lowest) / np.where(varied, highest - lowest, 1.0)
    return np.where(varied & at_table, (1.0 - exposure / 3.0) / (1.0 + exposure / 3.0), 1.0)
