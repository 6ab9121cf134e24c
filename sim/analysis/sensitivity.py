"""Global sensitivity analysis: which parameters drive the deal, its level, its deadline, the
holdouts and how many allies keep the pledge, as Sobol' indices (Sobol' 2001; Saltelli et al. 2010) computed by SALib over
the batch engine.

A first-order index S1 is the share of an outcome's variance that one parameter explains on
its own; the total index ST adds every interaction the parameter takes part in, so ST near 0
means the parameter can be fixed anywhere in its range without changing the outcome
(Saltelli et al. 2008, *Global Sensitivity Analysis: The Primer*). Indices are relative to
the parameter box: a parameter matters here only as much as its range lets it.

The model is stochastic. Each design point runs `replicates_per_point` seeds, spawned from
the root seed by the point's index, and the point's value is the mean over them, so the
indices describe the parameters rather than one seed's luck. What noise is left in a point's
mean is independent from point to point, so SALib sees it as an interaction of every
parameter: it adds about `noise_share` (reported per outcome) to each ST. A dummy factor
(`with_dummy`), sampled like the others but never passed to the model, measures that floor
directly: a parameter whose ST is not above the dummy's cannot be told from noise.

Outcomes without a deal. The deal probability is the share of a point's seeds that end in a
deal, and the holdouts are counted at the end of the talks in every seed, deal or not. The
core level and the deadline exist only with a deal: a point's value is the mean over its
seeds with a deal, and a point with no deal in any seed has none; so is the number of allies
keeping the pledge to the deadline (a pledge exists only with a deal). Sobol' estimators work on
blocks of one base row (the rows A and B of the design and the D rows that mix them), so the
indices of these three use only the base rows whose whole block has a value (reported as
`base_rows`). They are the indices *given a deal*, over the part
of the box where deals happen, and are not confounded with whether a deal happens, which the
deal probability's own indices measure. Encoding no deal as a status-quo level was rejected:
the scenario defines no status-quo pledge, and any number chosen for it would turn the
level's variance into the deal's. An outcome that does not vary has all indices 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from sim.engines.batch import run_batch
from sim.model.parameters import Parameters, parameter_fields
from sim.model.scenario import Scenario, load_scenario
from sim.sweeps.seeds import spawned_states

#: The scenario's levers in the analysis, and the behavioural parameters the calibration searches
#: (ODD section 9; `experiments/calibrate.py`'s SEARCH_SPACE, in its order: a test keeps the two equal).
LEVERS = ("us_pressure", "threat_level", "related_cap_pct")
BEHAVIOURAL = ("shared_threat", "abandonment_weight", "spill_in", "related_cost_share", "peer_weight",
               "need_scale_pct", "fiscal_drag", "ramp_base_pct", "ramp_threat_pct", "expansion_rate_pct",
               "concession_rate", "leverage", "secretary_general_weight", "proximity_decay_km", "adjustment_rate",
               "punctuation_rate", "friction_pp", "enforcement_rate", "bilateral_pressure_pct", "caucus_cohesion",
               "consensus_stake_pct", "tariff_stake_share")
DEFAULT_FACTORS = LEVERS + BEHAVIOURAL
RELATIVE_SPREAD = 0.3  # default ranges: the scenario's value +-30%, clipped to what the parameter allows
CONF_LEVEL = 0.95
BOOTSTRAP_RESAMPLES = 200
POINTS_PER_CALL = 1024  # design points per call to the batch engine, so memory stays flat
#: Spawn-key namespaces under the root seed: the runs' seeds, the design, the bootstrap.
RUN_SEEDS, SAMPLER_SEED, BOOTSTRAP_SEED = 0, 1, 2
DUMMY = "dummy"  # the factor that changes nothing (see `SensitivityProblem.with_dummy`)
TABLE_COLUMNS = ("outcome", "parameter", "low", "high", "S1", "S1_conf", "ST", "ST_conf", "base_rows",
                 "noise_share")


class Response(StrEnum):
    """The outcomes analysed, one value per design point (see the module docstring)."""

    DEAL_PROBABILITY = "deal_probability"  # share of the point's seeds with a deal
    CORE_LEVEL = "core_target_pct"  # mean over the point's seeds with a deal
    DEADLINE = "deadline_year"  # mean over the point's seeds with a deal
    HOLDOUTS = "n_holdouts"  # mean over all the point's seeds
    ON_TRACK = "allies_on_track"  # mean over the point's seeds with a deal

    @property
    def label(self) -> str:
        return {Response.DEAL_PROBABILITY: "probability of a deal",
                Response.CORE_LEVEL: "core target (% of GDP), given a deal",
                Response.DEADLINE: "deadline (year), given a deal",
                Response.HOLDOUTS: "holdouts at the end of the talks (allies)",
                Response.ON_TRACK: "allies keeping the pledge to the deadline, given a deal"}[self]


# --- the problem --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Factor:
    """One varied parameter and its range; values are drawn uniformly from [low, high]."""

    name: str
    low: float
    high: float

    def __post_init__(self):
        if not (math.isfinite(self.low) and math.isfinite(self.high) and self.low < self.high):
            raise ValueError(f"{self.name}: range [{self.low}, {self.high}] is not allowed; "
                             "allowed: finite bounds with low < high")


@dataclass(frozen=True)
class SensitivityProblem:
    """The varied parameters and their ranges; every other parameter keeps the scenario's value."""

    factors: tuple[Factor, ...]

    def __post_init__(self):
        if not self.factors:
            raise ValueError("a sensitivity problem needs at least one factor")
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"factors named more than once: {', '.join(self.names)}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(factor.name for factor in self.factors)

    @property
    def model_names(self) -> tuple[str, ...]:
        """The factors passed to the model: all but the dummy."""
        return tuple(name for name in self.names if name != DUMMY)

    @property
    def bounds(self) -> tuple[tuple[float, float], ...]:
        return tuple((factor.low, factor.high) for factor in self.factors)

    @classmethod
    def around(cls, params: Parameters, names: Iterable[str] = DEFAULT_FACTORS,
               relative: float = RELATIVE_SPREAD) -> SensitivityProblem:
        """Each named parameter over its value +-`relative` (a share of it), clipped to the
        parameter's allowed range: a plausible neighbourhood of the calibrated baseline. A
        parameter at 0 has no such neighbourhood; it goes from 0 to `relative` of its allowed top."""
        factors = []
        for name in names:
            meta = _continuous(name).metadata
            value = getattr(params, name)
            if value == 0 and meta["high"] is not None and meta["high"] > 0:
                low, high = 0.0, relative * meta["high"]
            else:
                low, high = (value * (1 - relative), value * (1 + relative))
            low, high = (float(f"{bound:.12g}") for bound in (low, high))
            factors.append(Factor(name, max(meta["low"], low), min(meta["high"], high)))
        return cls(tuple(factors))

    @classmethod
    def over(cls, ranges: Mapping[str, tuple[float, float]]) -> SensitivityProblem:
        """Each named parameter over the range given (a prior's support, say), which must lie
        within what the parameter allows."""
        factors = []
        for name, (low, high) in ranges.items():
            meta = _continuous(name).metadata
            if low < meta["low"] or high > meta["high"]:
                raise ValueError(f"{name}: range [{low}, {high}] is outside what the parameter allows; "
                                 f"allowed: within [{meta['low']}, {meta['high']}]")
            factors.append(Factor(name, float(low), float(high)))
        return cls(tuple(factors))

    def with_dummy(self) -> SensitivityProblem:
        """This problem plus a dummy factor on [0, 1] that the model never sees: its indices
        are what seed noise and estimation error alone give (a noise floor)."""
        return self if DUMMY in self.names else SensitivityProblem((*self.factors, Factor(DUMMY, 0.0, 1.0)))

    def salib(self) -> dict:
        """The problem as SALib takes it."""
        return {"num_vars": len(self.factors), "names": list(self.names), "bounds": [list(b) for b in self.bounds]}

    def sample(self, base_samples: int, seed: int) -> np.ndarray:
        """Saltelli's design on a scrambled Sobol' sequence (first and total orders only):
        `base_samples * (D + 2)` points, in SALib's block layout, seeded from `seed`."""
        from SALib.sample import sobol

        if base_samples < 2 or base_samples & (base_samples - 1):
            raise ValueError(f"base_samples = {base_samples!r}; allowed: a power of two >= 2 "
                             "(the Sobol' sequence is balanced only then)")
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(SAMPLER_SEED,)))
        return sobol.sample(self.salib(), base_samples, calc_second_order=False, seed=rng)

    def check(self, scenario: Scenario) -> None:
        """Both ends of every range are values the scenario accepts (raises ScenarioError)."""
        for factor in self.factors:
            if factor.name == DUMMY:
                continue
            scenario.with_parameters(**{factor.name: factor.low})
            scenario.with_parameters(**{factor.name: factor.high})


def _continuous(name: str):
    """The field of a continuous model parameter (raises ValueError for any other name)."""
    fields = parameter_fields()
    if name not in fields or fields[name].type not in ("float", float):
        raise ValueError(f"{name}: not a continuous model parameter; allowed: a float parameter of "
                         "sim.model.parameters.Parameters")
    return fields[name]


# --- running the design -------------------------------------------------------------------------

def point_seeds(root: int, points: int, replicates: int) -> np.ndarray:
    """(points, replicates) run seeds: point i's come from SeedSequence(root, spawn_key=(0, i)),
    so a point's seeds depend on its index alone, never on batching (computed over arrays,
    the same bits: `sim.sweeps.seeds`)."""
    states = spawned_states(root, RUN_SEEDS, np.arange(points), replicates).reshape(points, replicates)
    return (states >> np.uint64(1)).astype(np.int64)


@dataclass(frozen=True)
class PointMeans:
    """Each design point's outcomes averaged over its seeds, and the seed noise left in each
    mean (its variance: the seeds' variance over their number; NaN with fewer than two)."""

    values: dict[Response, np.ndarray]
    noise: dict[Response, np.ndarray]

    @classmethod
    def of(cls, deal: np.ndarray, core: np.ndarray, deadline: np.ndarray, holdouts: np.ndarray,
           on_track: np.ndarray) -> PointMeans:
        """From (points, replicates) run arrays; level, deadline and the allies keeping the
        pledge count only runs with a deal."""
        deal = deal.astype(bool)
        columns = {Response.DEAL_PROBABILITY: (deal.astype(float), np.ones_like(deal)),
                   Response.CORE_LEVEL: (core, deal),
                   Response.DEADLINE: (deadline.astype(float), deal),
                   Response.HOLDOUTS: (holdouts.astype(float), np.ones_like(deal)),
                   Response.ON_TRACK: (on_track.astype(float), deal)}
        values, noise = {}, {}
        for response, (runs, counted) in columns.items():
            values[response], noise[response] = masked_mean(runs, counted)
        return cls(values, noise)


def masked_mean(runs: np.ndarray, counted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row means over the counted runs and the variance of each mean (NaN where too few)."""
    n = counted.sum(axis=1)
    filled = np.where(counted, runs, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, filled.sum(axis=1) / n, np.nan)
        squares = np.where(counted, (runs - mean[:, None]) ** 2, 0.0).sum(axis=1)
        noise = np.where(n > 1, squares / (n - 1) / n, np.nan)
    return mean, noise


def evaluate(scenario: Scenario, problem: SensitivityProblem, design: np.ndarray, seeds: np.ndarray,
             progress: bool = False) -> PointMeans:
    """Run every design point with its seeds on the batch engine, a slice of points at a time."""
    points, replicates = seeds.shape
    passed = [j for j, name in enumerate(problem.names) if name != DUMMY]
    names = problem.model_names
    runs = {name: np.empty((points, replicates)) for name in ("deal", "core_target_pct", "deadline_year",
                                                              "n_holdouts", "allies_on_track")}
    starts = range(0, points, POINTS_PER_CALL)
    if progress:
        from tqdm import tqdm

        starts = tqdm(starts, desc="sensitivity", unit="slice")
    for first in starts:
        rows = slice(first, min(first + POINTS_PER_CALL, points))
        overrides = [dict(zip(names, map(float, point))) for point in design[rows][:, passed]
                     for _ in range(replicates)]
        result = run_batch(scenario, overrides, seeds[rows].ravel().tolist())
        for name, column in runs.items():
            column[rows] = getattr(result, name).reshape(-1, replicates)
    deal = runs["deal"].astype(bool)
    return PointMeans.of(deal, runs["core_target_pct"], np.where(deal, runs["deadline_year"], np.nan),
                         runs["n_holdouts"], runs["allies_on_track"])


# --- the indices --------------------------------------------------------------------------------

@dataclass(frozen=True)
class SobolIndices:
    """First-order and total indices per factor, with the half-widths of their bootstrap
    confidence intervals, and how many base rows (complete blocks) they rest on."""

    S1: np.ndarray
    S1_conf: np.ndarray
    ST: np.ndarray
    ST_conf: np.ndarray
    base_rows: int
    kept: np.ndarray  # (base_samples,) which base rows were used


def sobol_indices(problem: SensitivityProblem, values: np.ndarray, seed: int) -> SobolIndices:
    """SALib's Sobol' analysis of one outcome over the design of `problem.sample`, on the base
    rows whose whole block is finite (see the module docstring); 0 for an outcome that does not vary."""
    from SALib.analyze import sobol

    width = len(problem.factors) + 2
    blocks = np.asarray(values, dtype=float).reshape(-1, width)
    kept = np.isfinite(blocks).all(axis=1)
    usable = blocks[kept]
    dims = len(problem.factors)
    if len(usable) < 2:
        nan = np.full(dims, np.nan)
        return SobolIndices(nan, nan, nan, nan, int(len(usable)), kept)
    if np.ptp(usable) == 0:
        zero = np.zeros(dims)
        return SobolIndices(zero, zero, zero, zero, int(len(usable)), kept)
    # SALib leaves the bootstrap unseeded for a seed of 0, hence + 1
    bootstrap = int(np.random.SeedSequence(seed, spawn_key=(BOOTSTRAP_SEED,)).generate_state(1)[0]) + 1
    result = sobol.analyze(problem.salib(), usable.ravel(), calc_second_order=False,
                           num_resamples=BOOTSTRAP_RESAMPLES, conf_level=CONF_LEVEL, seed=bootstrap)
    return SobolIndices(result["S1"], result["S1_conf"], result["ST"], result["ST_conf"], int(len(usable)), kept)


def noise_share(means: PointMeans, response: Response, kept_points: np.ndarray) -> float:
    """The seed noise left in the point means, as a share of their variance (over the points used)."""
    values = means.values[response][kept_points]
    noise = means.noise[response][kept_points]
    variance = np.var(values)
    if variance == 0 or not np.isfinite(noise).any():
        return 0.0 if variance == 0 else math.nan
    return float(min(1.0, np.nanmean(noise) / variance))


def sobol_analysis(scenario: Scenario | str, problem: SensitivityProblem, base_samples: int, seed: int,
                   replicates_per_point: int = 4, *, progress: bool = False) -> pd.DataFrame:
    """Sobol' indices of every `Response` to every factor of `problem` on `scenario`.

    Runs `base_samples * (D + 2) * replicates_per_point` runs on the batch engine. Returns one
    row per outcome x parameter with the columns `TABLE_COLUMNS`: the range, S1 and ST with
    the half-widths of their 95% bootstrap intervals, the base rows used (fewer than
    `base_samples` for the outcomes given a deal where some points never reach a deal) and the share
    of the point means' variance that is seed noise. The same arguments give the same table.
    """
    if replicates_per_point < 1:
        raise ValueError(f"replicates_per_point = {replicates_per_point!r}; allowed: an integer >= 1")
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    problem.check(base)
    design = problem.sample(base_samples, seed)
    means = evaluate(base, problem, design, point_seeds(seed, len(design), replicates_per_point), progress)
    rows = []
    for response in Response:
        indices = sobol_indices(problem, means.values[response], seed)
        kept_points = np.repeat(indices.kept, len(problem.factors) + 2)
        share = noise_share(means, response, kept_points) if indices.base_rows else math.nan
        for j, factor in enumerate(problem.factors):
            rows.append({"outcome": response.value, "parameter": factor.name, "low": factor.low, "high": factor.high,
                         "S1": float(indices.S1[j]), "S1_conf": float(indices.S1_conf[j]),
                         "ST": float(indices.ST[j]), "ST_conf": float(indices.ST_conf[j]),
                         "base_rows": indices.base_rows, "noise_share": share})
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS))


def ranked(table: pd.DataFrame, outcome: Response | str) -> pd.DataFrame:
    """One outcome's rows, most influential first (by total index)."""
    return table[table["outcome"] == str(outcome)].sort_values("ST", ascending=False, kind="stable")

