"""The behavioural rules, as pure functions on numpy values.

Every rule broadcasts: the same function serves one ally (scalars), an alliance (a vector of
allies) and many runs at once (runs x allies). Reductions over allies (the mediator's rules)
work on the last axis. Nothing here keeps state or draws random numbers; the caller passes
in each run's random draws.

Levels are % of GDP, deadlines are calendar years, ramps are percentage points per year.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from sim.model.parameters import MediatorRule

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG), as used for the distances in the data
LEVEL_CEILING_PCT = 10.0  # no ally's parliament ratifies more than this; bounds every position
DEBT_REFERENCE_PCT = 60.0  # Maastricht reference value for government debt (TFEU Protocol 12)
DEFICIT_REFERENCE_PCT = 3.0  # Maastricht reference value for the deficit (TFEU Protocol 12)
MIN_RAMP_PCT = 1e-6  # keeps "years needed" finite for an ally that cannot raise spending at all
PLEDGE_TIE_PCT = 1e-9  # a target equal to an ally's ideal up to rounding counts as wanted (no-deal targets often are)
NASH_BLOCK_CELLS = 1 << 17  # points x allies cells nash_bargaining scores at once (1 MB: fewer, larger passes)
NASH_BLOCK_POINTS = 12  # grid points per block of nash_bargaining's branch and bound


# --- geography and perception ---------------------------------------------------------------

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


def abandonment_fear(us_pressure, exposure_, weight, is_us):
    """Extra threat from fear that the US walks away: Snyder (1984), the alliance security
    dilemma. It grows with the credibility of the US threat and with the ally's exposure;
    the US itself does not fear its own departure."""
    return np.where(is_us, 0.0, weight * us_pressure * exposure_)


def threat_perception(threat_level, exposure_, shared_threat, abandonment):
    """An ally's threat perception, 0..1.

    A share of the threat environment is felt by all allies alike (collective defence,
    Article 5); the rest scales with exposure (Walt 1987). Fear of abandonment adds on top.
    """
    felt = threat_level * (shared_threat + (1.0 - shared_threat) * exposure_)
    return np.clip(felt + abandonment, 0.0, 1.0)


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


# --- preferences and the domestic win-set -----------------------------------------------------

def ideal_level(start_pct, threat, fiscal, need_scale_pct, fiscal_drag):
    """The level an ally would choose alone: its security need, held back by fiscal pressure.

    Need rises with threat (Olson & Zeckhauser 1966: demand for the alliance good rises with
    what is at stake for the ally); no ally proposes to cut (the Wales pledge to halt any
    decline), so the ideal never falls below current spending.
    """
    shortfall = np.maximum(need_scale_pct * threat - start_pct, 0.0)
    return np.clip(start_pct + shortfall * (1.0 - fiscal_drag * fiscal), 0.0, LEVEL_CEILING_PCT)


def shocked_ideal(start_pct, threat, fiscal, need_scale_pct, fiscal_drag, shock_pct):
    """The ideal level plus the ally's idiosyncratic domestic shock, kept within bounds."""
    ideal = ideal_level(start_pct, threat, fiscal, need_scale_pct, fiscal_drag)
    return np.clip(ideal + shock_pct, 0.0, LEVEL_CEILING_PCT)


def ratifiable_ramp(threat, fiscal, base_pct, threat_extra_pct):
    """The yearly increase (pp of GDP) the ally's parliament and public will ratify.

    Putnam (1988): the win-set shrinks with the domestic cost of the agreement (here fiscal
    pressure) and widens with the cost of no agreement (here threat).
    """
    return np.maximum(base_pct * (1.0 - fiscal) + threat_extra_pct * threat, MIN_RAMP_PCT)


def win_set_ceiling(start_pct, ramp_pct, deadline, summit_year):
    """The highest level the ally can ratify for a given deadline: today's spending plus
    the ratifiable ramp over the years to the deadline."""
    years = np.maximum(deadline - summit_year, 0.0)
    return np.minimum(start_pct + ramp_pct * years, LEVEL_CEILING_PCT)


def needed_deadline(level_pct, start_pct, ramp_pct, summit_year):
    """The earliest deadline at which the ally could ratify `level_pct` (inverse of the
    win-set ceiling)."""
    return summit_year + np.maximum(level_pct - start_pct, 0.0) / np.maximum(ramp_pct, MIN_RAMP_PCT)


def preferred_deadline(urgency, earliest, latest):
    """An urgent ally wants the earliest deadline on the table, a relaxed one the latest."""
    return latest - (latest - earliest) * np.clip(urgency, 0.0, 1.0)


def us_reservation_total(us_pressure, us_demand_pct, is_us):
    """The lowest headline (core plus related) the US accepts: its demand scaled by how hard
    it presses. Other allies set no floor (0)."""
    return np.where(is_us, us_pressure * us_demand_pct, 0.0)


def core_floor(reservation_total_pct, related_cap_pct, split_enabled):
    """The lowest core level compatible with an ally's floor on the headline, when the
    related category can fill up to its cap."""
    fill = np.where(split_enabled, related_cap_pct, 0.0)
    return np.maximum(reservation_total_pct - fill, 0.0)


def related_component(core_pct, us_demand_pct, related_cap_pct, split_enabled):
    """The defence-related share of the package: the mediator tops the core up towards the
    US headline with related spending (infrastructure, resilience, industry), up to what
    allies can count as related. Zero when the split is off."""
    return np.where(split_enabled, np.clip(us_demand_pct - core_pct, 0.0, related_cap_pct), 0.0)


def fits_win_set(core_pct, ceiling_pct):
    """Whether a core level is within what an ally can ratify (ties count as within, to 1e-9 pp,
    so the engines cannot split on rounding)."""
    return core_pct <= ceiling_pct + 1e-9


def accepts(core_pct, related_pct, deadline, ceiling_pct, reservation_total_pct, bears_cost):
    """Whether an ally ratifies the package: the core level fits its win-set for that
    deadline and the headline meets its floor. An ally with no armed forces (Iceland)
    bears no cost and accepts."""
    fits = fits_win_set(core_pct, ceiling_pct)
    enough = core_pct + related_pct >= reservation_total_pct - 1e-9
    return np.where(bears_cost, fits & enough, True)


# --- the mediator -------------------------------------------------------------------------------

def salience(urgency):
    """How much the issue matters to an ally, 0.5..1: never nothing, since every ally at the
    table votes on it, and more the more urgent (Bueno de Mesquita 1994)."""
    return 0.5 + 0.5 * urgency


def mediator_weights(clout, salience, rejections, leverage):
    """The Secretary General's weight for each ally: clout x salience (Bueno de Mesquita 1994;
    Thomson et al. 2006), raised for every round the ally has rejected, because under
    consensus a holdout's veto is its leverage (Putnam 1988: a narrow win-set is a
    bargaining advantage)."""
    return clout * salience * (1.0 + leverage * rejections)


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
    the whole grid's argmax, bit for bit, at about a third of the time on the Hague sweep.
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


# --- moves during the talks ---------------------------------------------------------------------

def concede(position, draft, rate):
    """Move a share `rate` of the way toward the draft (Zeuthen-style stepwise concession)."""
    return position + rate * (draft - position)


def concession_share(rate, urgency):
    """The share of the gap to the draft an ally closes in a round: the more the issue
    matters to it, the less it gives (salience as resolve; Bueno de Mesquita 1994,
    Stokman & Van Oosten 1994)."""
    return rate * (1.0 - np.clip(urgency, 0.0, 1.0))


def holdout_pressure(us_pressure, share_accepting, peer_weight):
    """Pressure on a holdout: the US threat plus the weight of the allies already on board
    (peer pressure grows as the holdout becomes isolated)."""
    return us_pressure + peer_weight * share_accepting


def expand_ramp(ramp_pct, rejected, widening_pct, draw):
    """A holdout's government spends political capital under pressure and widens its
    win-set (Putnam 1988, synergistic linkage) by the round's `widening_pct` (pp a year);
    `draw` is the run's random factor for this round and ally (mean 1)."""
    return ramp_pct + np.where(rejected, widening_pct * draw, 0.0)


def bilateral_pressure(us_pressure, exports_to_us_pct_gdp, rate_pct):
    """The widening (pp a year of ratifiable ramp) the US wins from a holdout it presses by
    name in one round. A government's win-set widens with its constituents' cost of no
    agreement (Putnam 1988); what a named holdout's constituents stand to lose bilaterally is
    the trade the US can tariff (Hirschman 1945; Drezner 1999 on coercing allies), which the
    US used against Canada in February-March 2025. Its forces abroad are no such lever: the
    bases serve US power projection, so threatening to pull them is less credible (Lanoszka
    2018); the guarantee works alliance-wide, through the fear of abandonment. An ally with
    no figure (the US itself) has nothing at stake: 0."""
    return rate_pct * us_pressure * np.nan_to_num(exports_to_us_pct_gdp, nan=0.0)


def flexibility_allowed(holdouts, us_accepts, allow, max_holdouts):
    """At the summit the remaining holdouts may be carried with side letters (as Spain was
    at the Hague), provided the US is on board and they are few. `holdouts` is a boolean
    array over allies (last axis), which the answer keeps with length 1."""
    count = np.sum(holdouts, axis=-1, keepdims=True)
    return allow & us_accepts & (count <= max_holdouts)


# --- implementation after the summit ----------------------------------------------------------

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
    whole gap if parliament ratifies that much, else its ratifiable ramp; slowed by fiscal
    pressure as the path to a target is. Allies at or above the floor hold their level."""
    gap = np.maximum(floor_pct - spending_pct, 0.0)
    return spending_pct + np.minimum(gap * (1.0 - compliance_drag * fiscal), ramp_pct)


def us_reliance(exports_pct_gdp, us_troops, gdp_usd_bn):
    """How much an ally stands to lose if the United States turns against it, 0..1: the mean
    of its rank among the allies (0 lowest, 1 highest) in goods exports to the US (% of GDP)
    and in US personnel based on its soil per USD bn of GDP. Trade and basing are the two
    levers a patron holds over its clients (Hirschman 1945 on trade dependence; Lanoszka 2018
    on US forces as the guarantee's hostage). Ranks, because the two measures share no unit
    and a few outliers (Canada's exports, Germany's bases) would otherwise decide alone. An
    ally with no figure (the US itself) relies on nobody: 0. Over allies (the last axis)."""
    def rank(values):
        values = np.asarray(values, dtype=float)
        known = ~np.isnan(values)
        ranks = np.full(values.shape, np.nan)
        order = np.argsort(np.argsort(values[known], kind="stable"), kind="stable")
        ranks[known] = order / max(np.sum(known) - 1, 1)
        return ranks

    reliance = (rank(exports_pct_gdp) + rank(np.asarray(us_troops, dtype=float) / gdp_usd_bn)) / 2.0
    return np.nan_to_num(reliance, nan=0.0)


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
    """The threat environment in a year after the summit: the level the talks ended in, or
    an exogenous event's level from its year on (e.g. the full-scale invasion of 2022)."""
    return np.where((event_year > 0) & (year >= event_year), event_level, talks_level)


def adjust_toward_ideal(spending_pct, ideal_pct, rate):
    """Beside the pledge, an ally moves on its own a share `rate` of the way toward the level
    its threat calls for each year (partial adjustment: defence budgets carry strong inertia);
    it never cuts on that account."""
    return spending_pct + np.maximum(rate * (ideal_pct - spending_pct), 0.0)



# --- bilateral challenges (the challenge protocol) -------------------------------------------------
#
# Bueno de Mesquita (1994; 2002) as laid out by Scholz, Calbert & Smith (2011) and used on EU
# decisions by Thomson et al. (2006): each ally weighs challenging each other ally on an issue,
# and the challenged ally answers the offers it cannot refuse. Linear loss throughout (risk
# neutral, r = 1), so positions need no rescaling to 0..1: every expected utility below scales
# with the unit of the issue (pp of GDP or years), and only its sign and the ratio of two of
# them on the same issue are read.

CHALLENGE_STATUS_QUO_HOLDS = 0.5  # Q: the chance nothing changes if i does not challenge (BdM 1994)


class Answer(IntEnum):
    """How a challenged ally answers a challenger's proposal (an array of these codes)."""

    REJECT = 0  # the challenge does not pay the challenger: the target stays where it is
    COUNTER = 1  # compromise: the target offers back a position part of the way to the challenger's
    SUPPORT = 2  # compelled (or already there): the target takes the challenger's position


def weighted_distance(positions, weights):
    """D_j = sum_k w_k |x_k - x_j| for every ally j over the last axis (allies): how much weighted
    support a rival of j draws, whoever the rival is. Allies of zero weight count for nothing
    (their position may be NaN). From the sorted positions and running sums of weight and
    weight x position, so O(allies log allies) per run: below j, x_j W_below - S_below; above,
    S_above - x_j W_above (positions taken from their least, which keeps the sums small). An
    ally of zero weight still gets its own D at its own position; one without a position (NaN)
    gets a stand-in value, never read."""
    present = weights > 0
    least = np.min(np.where(present, positions, np.inf), axis=-1, keepdims=True)
    positions = np.where(np.isnan(positions), 0.0, positions - np.where(np.isfinite(least), least, 0.0))
    order = np.argsort(positions, axis=-1, kind="stable")
    x = np.take_along_axis(positions, order, axis=-1)
    w = np.take_along_axis(np.where(present, weights, 0.0), order, axis=-1)
    weight_below, sum_below = np.cumsum(w, axis=-1), np.cumsum(w * x, axis=-1)
    weight_above, sum_above = weight_below[..., -1:] - weight_below, sum_below[..., -1:] - sum_below
    distance = np.empty_like(x)
    np.put_along_axis(distance, order, x * weight_below - sum_below + sum_above - x * weight_above, axis=-1)
    return distance


def prevail_probability(challenger_distance, target_distance):
    """The chance that challenger i prevails over target j: the share of the third parties'
    weighted support that goes to i, P_ij = D_j / (D_i + D_j) (`weighted_distance`).

    Bueno de Mesquita (1994): every ally k votes for the nearer of x_i and x_j with weight
    capability x salience x |U_k(x_i) - U_k(x_j)|, and P_ij is i's share of the votes, which
    costs O(allies^3) for all pairs. Here each k splits its weight w_k between the two in
    proportion to its distance from the other (w_k |x_k - x_j| to i, w_k |x_k - x_i| to j). Its
    net vote for i is BdM's vote under linear loss, w_k (|x_k - x_j| - |x_k - x_i|), so i is
    favoured (P_ij > 1/2) exactly when it is in BdM's count; the denominator is the gross
    support D_i + D_j rather than the sum of the net votes, so probabilities lie nearer 1/2.
    P_ij + P_ji = 1; with nobody between or apart (D_i + D_j = 0), 1/2."""
    total = np.add(challenger_distance, target_distance)
    supported = total > 0
    return np.where(supported, np.asarray(target_distance) / np.where(supported, total, 1.0), 0.5)


def status_quo_drift(position, forecast, status_quo):
    """T: the chance that, without a challenge, the outcome moves toward the ally: 1 if the
    forecast (the median of this round's positions) is nearer its position than the package on
    the table, 0 if farther, 1/2 if as near or with nothing on the table yet (BdM 1994: T = 1
    when the median is moving toward i)."""
    gain = np.abs(position - status_quo) - np.abs(position - forecast)
    return np.where(np.isnan(gain), 0.5, 0.5 + 0.5 * np.sign(np.nan_to_num(gain)))


def challenge_utility(prevail, distance, target_salience, forecast_distance, drift,
                      status_quo_holds=CHALLENGE_STATUS_QUO_HOLDS):
    """i's expected utility of challenging j on one issue (Bueno de Mesquita 1994, in Scholz,
    Calbert & Smith 2011's notation) with linear loss:

        EU_ij = s_j [P_ij U_s + (1 - P_ij) U_f] + (1 - s_j) U_s - [Q U_sq + (1 - Q)(T U_b + (1 - T) U_w)]

    j resists with probability s_j, its salience; if it does, i wins (j moves to x_i, U_s =
    |x_i - x_j| = d) with probability P_ij or loses (i moves to x_j, U_f = -d); if not, i gets
    its way. Not challenging, the status quo holds (U_sq = 0) with probability Q, else it moves
    toward i (U_b = (|x_i - mu| + d) / 2, mu the forecast) with probability T (`status_quo_drift`)
    or away (U_w = -U_b). BdM's risk-neutral utilities are these doubled. Collected:
    EU_ij = d (1 - k_i - 2 s_j (1 - P_ij)) - k_i |x_i - mu|, with k_i = (1 - Q)(T_i - 1/2)."""
    drift_weight = (1.0 - status_quo_holds) * (np.asarray(drift) - 0.5)
    resisted = (1.0 - np.asarray(prevail)) * (2.0 * np.asarray(target_salience))
    return ((1.0 - drift_weight) - resisted) * distance - drift_weight * forecast_distance


def challenge_classes(challenger_utility, target_utility, able=True):
    """Which challenges are made and which of them compel (Bueno de Mesquita 1994), from i's
    expected utility EU_ij and j's of the same contest EU_ji, as two masks: i challenges j when
    it is `able` to and EU_ij > 0; it compels j when, besides, EU_ji <= 0 and EU_ij > |EU_ji|
    (j loses less by giving in than i gains by pressing). See `challenge_answer`."""
    challenges = (np.asarray(challenger_utility) > 0) & able
    compelled = (np.asarray(target_utility) <= 0) & (np.add(challenger_utility, target_utility) > 0) & challenges
    return challenges, compelled


def challenge_answer(challenger_utility, target_utility, able=True):
    """The outcome class of i's challenge to j, from i's expected utility EU_ij and j's of the
    same contest EU_ji (Bueno de Mesquita 1994): i does not challenge (EU_ij <= 0, or i is not
    `able` to) and j rejects; i compels j (EU_ij > 0 >= EU_ji, EU_ij > |EU_ji|: j loses less by
    giving in than i gains by pressing) and j supports x_i; otherwise, a compromise (EU_ij > 0 >
    EU_ji, EU_ij <= |EU_ji|) or a conflict (both > 0), which in expectation ends the same way, and
    j counters part of the way. `Answer` codes: REJECT 0, COUNTER 1, SUPPORT 2 (from the masks of
    `challenge_classes`)."""
    challenges, compelled = challenge_classes(challenger_utility, target_utility, able)
    return np.asarray(challenges).view(np.int8) + np.asarray(compelled).view(np.int8)


def offered_move(apart, prevail, challenges, compelled):
    """How far the target would move on answering a challenge, |x_i - x_j| = `apart` away: all
    the way to the challenger's position if it is compelled (supports it), the share P_ij of the
    way if it counters (the expected result of the contest), and never (infinitely far) if it is
    not challenged (rejects). Which way: toward the challenger (`offered_step`)."""
    return np.where(challenges, np.where(compelled, 1.0, prevail) * apart, np.inf)


def offered_step(target_position, challenger_position, prevail, answer):
    """How far, and which way, the target would move on answering (`offered_move` toward the
    challenger): to the challenger's position if it supports it, the share P_ij of the way there
    if it counters, nowhere if it rejects. Its offered position is its own plus this step."""
    answer = np.asarray(answer)
    gap = np.subtract(challenger_position, target_position, dtype=float)
    move = offered_move(np.abs(gap), prevail, answer != Answer.REJECT, answer == Answer.SUPPORT)
    return np.copysign(np.where(answer == Answer.REJECT, 0.0, move), gap)


def least_move(position, gap, moves):
    """The offer an ally must accept that moves it least (Bueno de Mesquita 1994), over the
    last axis (challengers), or its own position if it must accept none. `position` is the
    ally's (...); `gap` (the challengers' positions less its own) and `moves` (`offered_move`)
    its (..., challengers), of one shape. The move is taken toward the challenger: position +
    sign(gap) x move, which is the position + P_ij (x_i - x_j) of a counter and x_j + (x_i - x_j)
    of a support. Ties go to the first challenger."""
    position = np.asarray(position, dtype=float)
    moves = np.asarray(moves)
    best = np.argmin(moves, axis=-1)
    at = best + moves.shape[-1] * np.arange(best.size).reshape(best.shape)  # the least move's place, flat
    move, toward = np.take(moves, at), np.take(gap, at)
    return np.where(np.isfinite(move), position + np.copysign(move, toward), position)
