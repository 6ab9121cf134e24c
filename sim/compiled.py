"""The challenge protocol's round as compiled loops, where numba is installed (optional).

Each round of the challenge protocol weighs every ally at the table against every other, on
the level and on the deadline: (runs, allies, allies) pairs. Over arrays numpy makes some
twenty passes over them; `settle_loop` makes one, with no temporaries, and numba compiles it
to about an eighth of numpy's time (benchmarks/README.md). Before the pairs, each run's allies
are sorted twice per issue (the forecast and each ally's support, `contend_loop`), which for
32 allies costs numpy more in calls than in work.

They are the same rules, not new ones: each line is the rule of `sim/rules.py` it names,
with the same floating-point operations in the same order, so the answers are numpy's bit for
bit (`tests/test_compiled.py` pins the two together, and the batch-equivalence test pins the
batch engine, which uses these loops, to the Mesa model, which does not). Without numba, or
with `ALLIANCE_SIM_NUMBA=0` in the environment, the numpy path in `sim/challenge.py` runs and
nothing else changes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

try:  # numba is an optional dependency (the `fast` extra); it refuses to import with a numpy it does not support
    import numba
except ImportError:
    numba = None

SWITCH = "ALLIANCE_SIM_NUMBA"  # set to 0 to run the numpy path with numba installed


def sorts_after(keys, a, b):
    """Whether ally `a` comes after ally `b` in numpy's stable sort of `keys`: a larger key, NaN
    last, equal keys in the allies' order."""
    key_a, key_b = keys[a], keys[b]
    if np.isnan(key_a) or np.isnan(key_b):
        return np.isnan(key_a) and (a > b or not np.isnan(key_b))
    return key_a > key_b or (key_a == key_b and a > b)


def sort_stably(keys, order):
    """Sort the allies in `order` (a permutation, any) by `keys` as numpy's stable argsort
    orders them (`sorts_after`), in place: an insertion sort, which for a few dozen allies beats
    a general sort's allocations, and costs next to nothing when `order` is nearly sorted."""
    for k in range(1, len(order)):
        ally, place = order[k], k
        while place > 0 and sorts_after(keys, order[place - 1], ally):
            order[place] = order[place - 1]
            place -= 1
        order[place] = ally
    return order


def contend_loop(position, weights, status_quo, distance, to_forecast, drift):
    """Each ally's standing as a party to challenges on one issue (`challenge.contenders`): the
    support a rival draws (`rules.weighted_distance`), its distance from the forecast (the
    weighted median, `rules.weighted_median`) and the status quo's drift toward it
    (`rules.status_quo_drift`). `position` and `weights` (runs, allies), `status_quo` (runs,);
    the other three (runs, allies) are written. Plain Python; `COMPILED` is it compiled."""
    runs, allies = position.shape
    shifted, ranked = np.empty(allies), np.empty(allies)
    weight_below, sum_below = np.empty(allies), np.empty(allies)
    order = np.empty(allies, dtype=np.int64)
    for run in range(runs):
        x, w = position[run], weights[run]
        # rules.weighted_median: zero-weight allies at +inf, the first sorted ally at half the weight
        for ally in range(allies):
            ranked[ally] = x[ally] if w[ally] > 0 else np.inf
        for ally in range(allies):
            order[ally] = ally
        sort_stably(ranked, order)
        half = 0.0
        for k in range(allies):
            half += w[order[k]]
        half = half / 2.0 - 1e-12
        cumulative, median = 0.0, order[0]
        for k in range(allies):
            cumulative += w[order[k]]
            if cumulative >= half:
                median = order[k]
                break
        forecast = ranked[median]
        # rules.weighted_distance: sums over the positions sorted, taken from the least present one
        least = np.inf
        for ally in range(allies):
            if w[ally] > 0 and (x[ally] < least or np.isnan(x[ally])) and not np.isnan(least):
                least = x[ally]
        base = least if np.isfinite(least) else 0.0
        for ally in range(allies):
            shifted[ally] = 0.0 if np.isnan(x[ally]) else x[ally] - base
        sort_stably(shifted, order)  # from the forecast's order: the same but for the absent allies
        running_weight, running_sum = 0.0, 0.0  # numpy's cumsum of weight and of weight x position
        for k in range(allies):
            present = w[order[k]] if w[order[k]] > 0 else 0.0
            running_weight += present
            running_sum += present * shifted[order[k]]
            weight_below[k], sum_below[k] = running_weight, running_sum
        for k in range(allies):  # below: x_j W_below - S_below; above: S_above - x_j W_above
            y = shifted[order[k]]
            distance[run, order[k]] = (y * weight_below[k] - sum_below[k] + (running_sum - sum_below[k])
                                       - y * (running_weight - weight_below[k]))
        for ally in range(allies):  # rules.status_quo_drift
            to_forecast[run, ally] = abs(x[ally] - forecast)
            gain = abs(x[ally] - status_quo[run]) - abs(x[ally] - forecast)
            drift[run, ally] = 0.5 if np.isnan(gain) else 0.5 + 0.5 * np.sign(gain)


def settle_loop(position, distance, salience, to_forecast, drift, at_table, status_quo_holds, settled):
    """Where every target ends on one issue: each takes the offer it must accept that moves it
    least, or stays (`challenge.settle` over `challenge.offers` for every ally against every
    other). Inputs are the `challenge.Contenders` fields as contiguous (runs, allies) arrays;
    `settled` (runs, allies) is written and returned. Plain Python; `COMPILED` is it compiled."""
    runs, allies = position.shape
    moves = np.empty(allies)
    drift_weight = np.empty(allies)
    drifting = np.empty(allies)
    for run in range(runs):  # a run's rows, in rules.challenge_utility's notation: x, D, s, |x - mu|
        x, d, s, f, at = position[run], distance[run], salience[run], to_forecast[run], at_table[run]
        for ally in range(allies):  # rules.challenge_utility's k_i = (1 - Q)(T_i - 1/2), and k_i |x_i - mu|
            drift_weight[ally] = (1.0 - status_quo_holds) * (drift[run, ally] - 0.5)
            drifting[ally] = drift_weight[ally] * f[ally]
        for j in range(allies):  # the target
            x_j, d_j, resolve_j, k_j, kf_j, at_j = x[j], d[j], 2.0 * s[j], drift_weight[j], drifting[j], at[j]
            unordered = 0  # NaN moves (none in the model: positions are finite), which numpy's argmin takes first
            for i in range(allies):  # the challenger
                gap = x[i] - x_j
                apart = abs(gap)
                total = d[i] + d_j  # rules.prevail_probability: P_ij = D_j / (D_i + D_j), 1/2 with no support
                prevail, resists = d_j / total, d[i] / total  # P_ij, P_ji (divided first: the loop vectorises)
                prevail = prevail if total > 0 else 0.5
                resists = resists if total > 0 else 0.5
                pressing = ((1.0 - drift_weight[i]) - (1.0 - prevail) * resolve_j) * apart - drifting[i]  # EU_ij
                resisting = ((1.0 - k_j) - (1.0 - resists) * (2.0 * s[i])) * apart - kf_j  # EU_ji
                # rules.challenge_classes: i challenges if able and EU_ij > 0; compels if EU_ji <= 0 < EU_ij + EU_ji
                challenges = (pressing > 0) & (apart > 0) & at[i] & at_j
                compelled = (resisting <= 0) & (pressing + resisting > 0)
                share = 1.0 if compelled else 0.0  # rules.offered_move: max(P_ij, compelled), NaN kept as numpy keeps it
                move = (share if share > prevail else prevail) * apart
                moves[i] = move if challenges else np.inf
                unordered += moves[i] != moves[i]
            best, least = 0, moves[0]  # rules.least_move: numpy's argmin, the first least (or the first NaN)
            for i in range(1, allies):
                if moves[i] < least:
                    best, least = i, moves[i]
            if unordered:  # a separate scan: testing for NaN in the loop above costs it a factor of four
                for i in range(allies):
                    if np.isnan(moves[i]):
                        best, least = i, moves[i]
                        break
            settled[run, j] = x_j + np.copysign(least, x[best] - x_j) if np.isfinite(least) else x_j
    return settled


@dataclass(frozen=True)
class Loops:
    """The challenge round's loops, as Python (`PLAIN`, for tests on a few runs; where numba is
    installed, the sorts they call are compiled) or compiled (`COMPILED`), with what lays their
    arrays out for them: float64 (runs, allies) arrays, as the batch engine holds them."""

    contend_loop: Callable
    settle_loop: Callable

    def contend(self, positions, weights, status_quo) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`challenge.contenders`' distance, distance from the forecast and drift, (runs, allies)
        each, for positions and weights (runs, allies) and the status quo (a value, or (runs, 1))."""
        shape = np.shape(positions)
        distance, to_forecast, drift = np.empty(shape), np.empty(shape), np.empty(shape)
        self.contend_loop(laid_out(positions, shape), laid_out(weights, shape),
                          laid_out(np.broadcast_to(status_quo, (shape[0], 1))[:, 0], shape[:1]),
                          distance, to_forecast, drift)
        return distance, to_forecast, drift

    def settle(self, contenders, status_quo_holds: float) -> np.ndarray:
        """Every ally's settled position on one issue (`challenge.settle` with the allies as both
        targets and challengers), (runs, allies)."""
        shape = np.shape(contenders.position)
        return self.settle_loop(laid_out(contenders.position, shape), laid_out(contenders.distance, shape),
                                laid_out(contenders.salience, shape), laid_out(contenders.to_forecast, shape),
                                laid_out(contenders.drift, shape), laid_out(contenders.at_table, shape, bool),
                                float(status_quo_holds), np.empty(shape))


def laid_out(values, shape, dtype=float) -> np.ndarray:
    """`values` as a contiguous, writable array of `shape`, as the compiled loops take them (one
    layout: numba compiles a loop once per layout it is given)."""
    return np.require(np.broadcast_to(values, shape), dtype=dtype, requirements=("C", "W"))


def jit(function, **options):
    """`function` compiled by numba on its first call, and kept on disk for the next process
    where numba finds a writable place for it (else compiled anew in each process)."""
    try:
        return numba.njit(cache=True, **options)(function)
    except RuntimeError:  # numba's "no locator available": a read-only install and no writable cache directory
        return numba.njit(**options)(function)


PLAIN = Loops(contend_loop=contend_loop, settle_loop=settle_loop)
if numba is not None:  # contend_loop calls these two, so they are compiled first
    sorts_after = jit(sorts_after)
    sort_stably = jit(sort_stably)
#: the loops compiled; None without numba
COMPILED = None if numba is None else Loops(contend_loop=jit(contend_loop, error_model="numpy"),
                                            settle_loop=jit(settle_loop, error_model="numpy"))


def compiled_loops() -> Loops | None:
    """The compiled loops, or None where numba is missing or switched off (the switch is read
    at each call, so a test or a benchmark can turn it off and on)."""
    return None if os.environ.get(SWITCH, "1") == "0" else COMPILED
