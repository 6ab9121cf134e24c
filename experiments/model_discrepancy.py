"""The model's discrepancy on the 2015-2024 path: its size set on the years the fit saw, tested on
the years it did not.

Kennedy & O'Hagan (2001) write an observation as the simulator's output, plus the model's
discrepancy (what no parameter value reproduces), plus the measurement's error. The measurement's
error is measured (`experiments.observation_error`); this module sizes the discrepancy.

Its form is a random walk from the case's data year. Budgets are made incrementally: each year's
is last year's plus a change (Davis, Dempster & Wildavsky 1966), so a change the model misses in
one year is carried into every year after it, and the error of a path projected from 2014 grows
with the square root of the years since: sd(h) = s * sqrt(h), h = year - 2014.

Its size s is the one at which the predictive bands come to hold their nominal share of the
fitted ally-years, as split conformal prediction sizes its bands on a calibration set (Vovk, Gammerman
& Shafer 2005; Lei et al. 2018): the fitted years are the calibration set, and the held-out
years (2023-2024) test it, their coverage not fitted. The method of moments (the residuals'
mean square less the draws' variance) was tried first and over-covers: the residuals are
heavy-tailed (Greece, Norway), so a Gaussian whose variance matches theirs is too wide for
most ally-years.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LARGEST_SD_PER_ROOT_YEAR_PP = 2.0  # the search's upper end: 6 pp of GDP by the tenth year, beyond any miss
BISECTIONS = 40


@dataclass(frozen=True)
class RandomWalkDiscrepancy:
    """A discrepancy of sd `sd_per_root_year_pp * sqrt(year - origin_year)` pp of GDP on each
    ally-year, one walk per draw and ally."""

    sd_per_root_year_pp: float
    origin_year: int  # the year the path is projected from: the case's data year

    def __post_init__(self):
        if not (math.isfinite(self.sd_per_root_year_pp) and self.sd_per_root_year_pp >= 0):
            raise ValueError(f"sd_per_root_year_pp = {self.sd_per_root_year_pp!r}; allowed: a number >= 0")

    def sd(self, years) -> np.ndarray:
        """The discrepancy's sd (pp) in each of `years`."""
        years_out = np.asarray(years, dtype=float) - self.origin_year
        if np.any(years_out < 0):
            raise ValueError(f"years {list(years)} start before the path's origin {self.origin_year}")
        return self.sd_per_root_year_pp * np.sqrt(years_out)

    def add(self, paths: np.ndarray, years, rng: np.random.Generator) -> np.ndarray:
        """`paths` (draws x allies x years) with one random walk per draw and ally added: each
        year's step has sd `sd_per_root_year_pp`, so year h carries sd s * sqrt(h)."""
        return paths + self.sd_per_root_year_pp * unit_walks(paths.shape, years, self.origin_year, rng)


def unit_walks(shape: tuple[int, ...], years, origin_year: int, rng: np.random.Generator) -> np.ndarray:
    """Random walks of unit steps from `origin_year`, read in `years` (consecutive, after it)."""
    years_out = np.asarray(years, dtype=int) - origin_year
    if len(years_out) == 0 or years_out[0] < 1 or np.any(np.diff(years_out) != 1):
        raise ValueError(f"years {list(years)} are not consecutive years after {origin_year}")
    steps = rng.normal(0.0, 1.0, size=tuple(shape[:-1]) + (int(years_out[-1]),))
    return np.cumsum(steps, axis=-1)[..., years_out - 1]


def band_coverage(draws: np.ndarray, record: np.ndarray, band: tuple[float, float]) -> float:
    """The share of the record's ally-years (allies x years; NaN: none) inside the draws' band
    (draws x allies x years); an ally-year no draw reaches counts as outside."""
    recorded = ~np.isnan(record)
    reached = ~np.isnan(draws).all(axis=0)
    low, high = np.full(record.shape, np.nan), np.full(record.shape, np.nan)
    low[reached] = np.nanpercentile(draws[:, reached], band[0], axis=0)
    high[reached] = np.nanpercentile(draws[:, reached], band[1], axis=0)
    inside = (record >= low) & (record <= high) & reached
    return float(inside[recorded].mean())


def calibrate(modelled: np.ndarray, record: np.ndarray, years, fitted_years, origin_year: int,
              observe: Callable[[np.ndarray, np.random.Generator], np.ndarray], seed: int,
              band: tuple[float, float] = (5.0, 95.0)) -> RandomWalkDiscrepancy:
    """The s, found by bisection, at which the bands, with the walks and the observation error
    `observe` on the model's draws (draws x allies x `years`), come to hold the band's nominal
    share of the record's fitted ally-years (module docstring); 0 where the draws hold it already.

    The walks and the observation's noise are drawn once from `seed` and scaled (common random
    numbers), so the coverage is a function of s alone, growing with it (not strictly: a band's
    percentiles move with the draws' order)."""
    years = list(years)
    columns = [years.index(year) for year in fitted_years]
    nominal = (band[1] - band[0]) / 100.0
    walks = unit_walks(modelled.shape, years, origin_year, np.random.default_rng(seed))

    def coverage(s: float) -> float:
        observed = observe(modelled + s * walks, np.random.default_rng(seed + 1))
        return band_coverage(observed[:, :, columns], record[:, columns], band)

    if coverage(0.0) >= nominal:
        return RandomWalkDiscrepancy(0.0, origin_year)
    if coverage(LARGEST_SD_PER_ROOT_YEAR_PP) < nominal:
        raise ValueError(f"no discrepancy up to {LARGEST_SD_PER_ROOT_YEAR_PP} pp per root year covers "
                         f"{nominal:.0%} of the fitted ally-years")
    low, high = 0.0, LARGEST_SD_PER_ROOT_YEAR_PP
    for _ in range(BISECTIONS):
        middle = (low + high) / 2
        low, high = (middle, high) if coverage(middle) < nominal else (low, middle)
    return RandomWalkDiscrepancy(high, origin_year)
