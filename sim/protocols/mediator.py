"""The mediator protocol: the Secretary General drafts the package by a compromise rule over
the allies' positions and deadlines, weighted by their clout, salience and leverage
(`sim.model.clout`), and tops the core up with related spending toward the US headline.
The same rules give the one-shot models' predictions from the opening positions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.model.alliance import Alliance
from sim.model.clout import mediator_weights
from sim.model.parameters import NO_DEADLINE_NAMED, MediatorRule
from sim.model.requirement import capability_requirement
from sim.model.state import Circumstances, Package, Stance
from sim.model.win_set import headline_floor, related_component

NASH_BLOCK_CELLS = 1 << 17  # points x allies cells nash_bargaining scores at once (1 MB: fewer, larger passes)
NASH_BLOCK_POINTS = 12  # grid points per block of nash_bargaining's branch and bound


def mediate(rule: MediatorRule, values, weights, disagreement):
    """The mediator's compromise rule over the last axis (allies); `disagreement` is each
    ally's value with no deal, which only the Nash solution reads (Thomson et al. 2006)."""
    if rule is MediatorRule.COMPROMISE:
        return weighted_mean(values, weights)
    if rule is MediatorRule.MEDIAN:
        return weighted_median(values, weights)
    return nash_bargaining(values, weights, np.where(np.isnan(disagreement), values, disagreement))


def weighted_mean(values, weights):
    """The compromise model: the weighted mean over the last axis (allies). Allies with zero
    weight (no vote, no armed forces) are ignored, whatever their value."""
    values = np.where(weights > 0, values, 0.0)
    return np.sum(values * weights, axis=-1) / np.sum(weights, axis=-1)


def weighted_median(values, weights):
    """The weighted median over the last axis: the position at which half the weight lies
    on either side (the lower one at an exact tie)."""
    values = np.where(weights > 0, values, np.inf)
    index = weighted_median_index(values, weights)
    return np.take_along_axis(values, index[..., None], axis=-1)[..., 0]


def weighted_median_index(values, weights):
    """Which ally (index on the last axis) holds the weighted median (`weighted_median`): the
    median voter, whose position the challenge protocol's package is."""
    values = np.where(weights > 0, values, np.inf)
    order = np.argsort(values, axis=-1, kind="stable")
    cumulative = np.cumsum(np.take_along_axis(weights, order, axis=-1), axis=-1)
    half = cumulative[..., -1:] / 2.0
    index = np.argmax(cumulative >= half - 1e-12, axis=-1)
    return np.take_along_axis(order, index[..., None], axis=-1)[..., 0]


def nash_bargaining(values, weights, disagreement, grid_points=201):
    """The weighted (asymmetric) Nash bargaining solution on one dimension.

    Nash (1950); Thomson et al. (2006): maximise sum_i w_i log(u_i(x) - u_i(d_i)) with
    linear loss u_i(x) = -|x - p_i| and each ally's disagreement point d_i (what it gets
    with no deal). Searched on a grid of `grid_points` spanning the positions, so the result
    stays within their range; allies that gain nothing anywhere contribute a tiny floor, not
    -inf. The answer is the best grid point (the first of equals).

    Branch and bound over the grid, because the batch engine calls this for every run and the
    logs dominate: the grid is cut into blocks of NASH_BLOCK_POINTS points; a block's best
    score is at most the sum of each ally's best score in it (its gain peaks at its own
    position, so at the block's point nearest it: one log per ally and block). The block with
    the highest bound is scored point by point, then only the blocks whose bound reaches the
    best score found, with the same arithmetic, summed the same way, as the whole grid would
    be (floating-point rounding is monotonic, so the bound holds as computed). The result is
    the whole grid's argmax, bit for bit.
    """
    values, weights, disagreement = np.broadcast_arrays(np.asarray(values, dtype=float), weights, disagreement)
    lead, allies = values.shape[:-1], values.shape[-1]
    search = NashSearch.of(values.reshape(-1, allies), weights.reshape(-1, allies),
                           np.abs(disagreement - values).reshape(-1, allies), grid_points)
    return search.solve().reshape(lead)


@dataclass(frozen=True)
class NashSearch:
    """The rows' Nash problems on their grids: positions, weights, reach (each ally's distance
    to no deal) and who is at the table, each (rows, allies); the grids (rows, points)."""

    values: np.ndarray
    weights: np.ndarray
    reach: np.ndarray
    idle: np.ndarray
    grid: np.ndarray

    @classmethod
    def of(cls, values, weights, reach, grid_points: int) -> NashSearch:
        active = weights > 0
        low = np.min(np.where(active, values, np.inf), axis=-1)
        high = np.max(np.where(active, values, -np.inf), axis=-1)
        grid = low[:, None] + (high - low)[:, None] * np.linspace(0.0, 1.0, grid_points)
        return cls(values=values, weights=weights, reach=reach, idle=~active, grid=grid)

    def scores(self, rows, distance: np.ndarray) -> np.ndarray:
        """sum_i w_i log(max(reach_i - distance_i, floor)) over the last axis, in place on
        `distance` (rows, points, allies), for the given rows (an index array or a slice)."""
        np.subtract(self.reach[rows, None, :], distance, out=distance)  # each ally's gain over no deal
        np.maximum(distance, 1e-9, out=distance)
        idle = self.idle[rows]
        if idle.any():  # allies not at the table count log(1) = 0
            np.copyto(distance, 1.0, where=idle[:, None, :])
        np.log(distance, out=distance)
        np.multiply(self.weights[rows, None, :], distance, out=distance)
        return np.sum(distance, axis=-1)

    def at_points(self, rows, points: np.ndarray) -> np.ndarray:
        """The scores at grid points (rows, k) of the given rows."""
        distance = np.subtract(points[:, :, None], self.values[rows, None, :])
        return self.scores(rows, np.abs(distance, out=distance))

    def solve(self) -> np.ndarray:
        rows, points = self.grid.shape
        everyone = np.arange(rows)
        if rows * points * self.values.shape[-1] <= NASH_BLOCK_CELLS:  # a run or two: the whole grid costs less
            return self.grid[everyone, np.argmax(self.at_points(everyone, self.grid), axis=-1)]
        size = min(NASH_BLOCK_POINTS, points)
        blocks = -(-points // size)
        first = np.arange(blocks) * size
        offsets = np.arange(size)
        allies = max(self.values.shape[-1], 1)
        bound = np.empty((rows, blocks))
        chunk = max(1, NASH_BLOCK_CELLS // (blocks * allies))
        for start in range(0, rows, chunk):  # each block's bound, a chunk of rows at a time
            part = slice(start, start + chunk)
            grid = self.grid[part]
            nearest = np.clip(self.values[part, None, :], grid[:, first, None],
                              grid[:, np.minimum(first + size - 1, points - 1), None])
            distance = np.subtract(nearest, self.values[part, None, :], out=nearest)
            bound[part] = self.scores(part, np.abs(distance, out=distance))
        score = np.full((rows, points), -np.inf)
        self.score_blocks(score, everyone, np.argmax(bound, axis=-1), first, offsets)  # the likeliest block first
        bound[everyone, np.argmax(bound, axis=-1)] = -np.inf
        run, block = np.nonzero(bound >= np.max(score, axis=-1)[:, None])  # blocks that may still hold the best
        self.score_blocks(score, run, block, first, offsets)
        return self.grid[everyone, np.argmax(score, axis=-1)]

    def score_blocks(self, score: np.ndarray, run: np.ndarray, block: np.ndarray, first: np.ndarray,
                     offsets: np.ndarray) -> None:
        """Score every point of the given (run, block) pairs into `score` (rows, points)."""
        points = score.shape[-1]
        pairs = max(1, NASH_BLOCK_CELLS // (len(offsets) * max(self.values.shape[-1], 1)))
        for start in range(0, len(run), pairs):
            r, b = run[start:start + pairs], block[start:start + pairs]
            index = np.minimum(first[b][:, None] + offsets, points - 1)
            score[r[:, None], index] = self.at_points(r, self.grid[r[:, None], index])


def compromise_package(rule: MediatorRule, alliance: Alliance, params, circumstances: Circumstances,
                       stances: Stance) -> Package:
    """The rule over the allies' positions and the deadlines they ask for, weighted as the
    mediator weighs them, the core topped up with related spending toward the headline the US
    holds out for (`related_component`)."""
    weights = mediator_weights(alliance, params, stances)
    latest = np.broadcast_to(np.asarray(params.latest_deadline, dtype=float), np.shape(stances.deadline_position))
    core = mediate(rule, stances.position, weights, alliance.start_pct)[..., None]
    deadline = np.rint(mediate(rule, stances.deadline_position, weights, latest)).astype(np.int64)[..., None]
    return Package(core_pct=core, related_pct=topped_up(core, alliance, params, circumstances), deadline_year=deadline)


def topped_up(core, alliance: Alliance, params, circumstances: Circumstances):
    """The related spending a package of this core carries (`related_component`)."""
    return related_component(core, headline_floor(circumstances, alliance.votes), params.related_cap_pct,
                             params.split_enabled)


def draft_package(rule: MediatorRule, alliance: Alliance, params, circumstances: Circumstances, stances: Stance,
                  first: bool = False) -> Package:
    """The Secretary General's draft.

    The first draft's level is what the capability targets cost (`capability_requirement`):
    the agenda setter under unanimity tables the outcome it wants among those it expects the
    members to prefer to no agreement (Romer & Rosenthal 1978; Tsebelis 2002), and the
    Secretary General's stated want is the targets' cost (Rutte, 14 February 2025). Each later
    draft amends that text toward the compromise over the positions the allies moved to
    (`compromise_package`), keeping `secretary_general_weight` of the targets' cost: the
    mediator is an actor with a position of its own, as the Commission is in the compromise
    model (Thomson et al. 2006), and the single negotiating text is revised, not rewritten
    (Raiffa 1982). The deadline is the compromise over the deadlines the allies ask for, but in
    the first draft (`first_deadline`)."""
    compromise = compromise_package(rule, alliance, params, circumstances, stances)
    wanted = np.broadcast_to(capability_requirement(params), np.shape(compromise.core_pct)).astype(float)
    keep = 1.0 if first else params.secretary_general_weight
    core = compromise.core_pct + keep * (wanted - compromise.core_pct)
    deadline = first_deadline(params, compromise.deadline_year) if first else compromise.deadline_year
    return Package(core_pct=core, related_pct=topped_up(core, alliance, params, circumstances),
                   deadline_year=deadline)


def first_deadline(params, asked_year):
    """The first draft's deadline: the Secretary General's own date, ready by the threat's horizon
    (`threat_horizon_years`; Rutte: "not ready for what is coming our way in four to five years",
    12 December 2024; "within five years", 9 June 2025), weighed against the compromise over the
    allies' asks (`asked_year`) as he weighs his own text in every draft
    (`secretary_general_weight`). The level he opens with is the capability targets' cost in
    full, a cost the allies' own targets set; no target sets a date, so his date is an opening
    bid, which anchors the talks (Tversky & Kahneman 1974; Galinsky & Mussweiler 2001 on first
    offers), and later drafts follow the allies' asks. With no horizon stated (Wales, Vilnius),
    the compromise."""
    asked = np.asarray(asked_year, dtype=float)
    stated = np.asarray(params.threat_horizon_years) < NO_DEADLINE_NAMED
    own = np.where(stated, params.summit_year + params.threat_horizon_years, asked)
    return np.clip(np.rint(asked + params.secretary_general_weight * (own - asked)), params.earliest_deadline,
                   params.latest_deadline).astype(np.int64)


def baselines(rule: MediatorRule, alliance: Alliance, params, opening: Stance, weights=None):
    """What a one-shot model (`rule`) predicts from the opening positions and weights, with
    today's spending as each ally's disagreement point. `weights` are the opening's
    `mediator_weights` where the caller has them (one set serves every rule)."""
    disagreement = np.where(np.isnan(alliance.start_pct), opening.position, alliance.start_pct)
    weights = mediator_weights(alliance, params, opening) if weights is None else weights
    return mediate(rule, opening.position, weights, disagreement)
