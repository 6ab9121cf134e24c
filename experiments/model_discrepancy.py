"""The model's discrepancy on the 2015-2024 path: estimated on the years the fit saw, tested on
the years it did not.

Kennedy & O'Hagan (2001) write an observation as the simulator's output, plus the model's
discrepancy (what no parameter value reproduces), plus the measurement's error. The measurement's
error is measured (`experiments.observation_error`); this module estimates the discrepancy.

Its form is a random walk from the case's data year. Budgets are made incrementally: each year's
is last year's plus a change (Davis, Dempster & Wildavsky 1966), so a change the model misses in
one year is carried into every year after it, and the error of a path projected from 2014 grows
with the square root of the years since: sd(h) = s * sqrt(h), h = year - 2014.

Its size s is estimated by the method of moments on the fitted years alone: over every ally-year
the record has, the squared residual of the record from the draws' mean is, in expectation, the
draws' own variance plus s^2 * h, so s^2 = sum(residual^2 - variance) / sum(h), floored at 0.
The held-out years (2023-2024) then test the estimate: their coverage is not fitted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RandomWalkDiscrepancy:
    """A discrepancy of sd `sd_per_root_year_pp * sqrt(year - origin_year)` pp of GDP on each
    ally-year, independent across allies."""

    sd_per_root_year_pp: float
    origin_year: int  # the year the path is projected from: the case's data year
    fitted_years: tuple[int, ...]  # the years it was estimated on

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
        years_out = np.asarray(years, dtype=int) - self.origin_year
        if np.any(np.diff(years_out) != 1) or years_out[0] < 1:
            raise ValueError(f"years {list(years)} are not consecutive years after {self.origin_year}")
        steps = rng.normal(0.0, self.sd_per_root_year_pp, size=paths.shape[:-1] + (int(years_out[-1]),))
        walks = np.cumsum(steps, axis=-1)[..., years_out - 1]
        return paths + walks


def estimate(draws: np.ndarray, record: np.ndarray, years, fitted_years, origin_year: int) -> RandomWalkDiscrepancy:
    """The method-of-moments estimate of s from the fitted years (module docstring).

    `draws`: draws x allies x `years` of predicted observations (the observation error in
    them); `record`: allies x `years`, NaN where the record has no figure. An ally-year no draw
    reaches is left out."""
    years = list(years)
    columns = [years.index(year) for year in fitted_years]
    predicted, observed = draws[:, :, columns], record[:, columns]
    reached = ~np.isnan(predicted).all(axis=0) & ~np.isnan(observed)
    if not reached.any():
        raise ValueError("no fitted ally-year is both in the record and reached by a draw")
    mean = np.nanmean(np.where(reached, predicted, 0.0), axis=0)
    variance = np.nanvar(np.where(reached, predicted, 0.0), axis=0)
    years_out = np.broadcast_to(np.asarray(fitted_years, dtype=float) - origin_year, observed.shape)
    excess = ((observed - mean) ** 2 - variance)[reached]
    return RandomWalkDiscrepancy(sd_per_root_year_pp=math.sqrt(max(float(excess.sum() / years_out[reached].sum()), 0.0)),
                                 origin_year=origin_year, fitted_years=tuple(int(y) for y in fitted_years))
