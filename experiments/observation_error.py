"""The observation error of NATO's spending figures, measured from their revisions.

A posterior predictive for observed data is a prediction of the observation, not of the
quantity behind it: the model's spread plus the error of the measurement (Kennedy & O'Hagan
2001, whose calibration model writes the observation as the simulator, plus a discrepancy,
plus observation error; Gelman et al. 2013, ch. 6, on checks against replicated data). NATO's
figures are estimates that are revised as budgets are executed and GDP is re-estimated
(Croushore 2011 on how far first releases of national accounts move), so the same ally-year
published twice is the measurement of that error the project can make: the record holds
NATO's June 2024 estimate of 2024 and the April 2025 Secretary General's Annual Report's
figure for the same year (`sim/data/defence_spending_2014_2024.csv`, the same two figures as
`allies.csv`'s `defence_pct_gdp_2024_est` and `defence_pct_gdp_2024_sgar_apr2025`). Only
figures for years up to 2024 are read (a figure for a later year is held out); SIPRI's series
is another definition, not a revision, and is not paired with NATO's.

The error is taken as multiplicative: the log of the later over the earlier figure, whose
size does not grow with the level (the absolute revisions do: correlation 0.29 with the
level, 0.04 for the relative ones), and Gaussian with the root mean square of the measured
log revisions as its sd (the bias is kept in it: an error around the figure, not around the
revisions' mean). The revisions are heavier-tailed than a Gaussian (half within 1.2%, the largest
16.5%): stated, not modelled.

    .venv/bin/python -m experiments.observation_error     # prints the measurement
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.data.spending_record import load_spending_record

LAST_RECORD_YEAR = 2024  # figures for later years are held out
#: NATO's releases in the record, in the order they were published; each pair of releases of
#: the same ally-year is one revision.
NATO_VINTAGES = ("NATO_JUN2024", "NATO_SGAR_APR2025")


@dataclass(frozen=True)
class Revisions:
    """The pairs of figures for the same ally-year, earlier and later release."""

    iso3: tuple[str, ...]
    years: tuple[int, ...]
    earlier: np.ndarray
    later: np.ndarray

    @property
    def relative(self) -> np.ndarray:
        """Each revision as a log ratio, later over earlier."""
        return np.log(self.later / self.earlier)

    @property
    def absolute(self) -> np.ndarray:
        return self.later - self.earlier


def revision_pairs(earlier: str = NATO_VINTAGES[0], later: str = NATO_VINTAGES[-1],
                   path: Path | None = None) -> Revisions:
    """Every ally-year up to LAST_RECORD_YEAR that both releases give (from the project's
    record, or the file `path` in its format)."""
    first, second = load_spending_record(path, vintage=earlier), load_spending_record(path, vintage=later)
    years = tuple(year for year in second.years if year in first.years and year <= LAST_RECORD_YEAR)
    iso3, pairs = [], []
    for year in years:
        a, b = first.path(second.iso3, [year])[:, 0], second.path(second.iso3, [year])[:, 0]
        for code, x, y in zip(second.iso3, a, b):
            if not (math.isnan(x) or math.isnan(y)) and x > 0 and y > 0:
                iso3.append(code)
                pairs.append((year, x, y))
    if not pairs:
        raise ValueError(f"no ally-year up to {LAST_RECORD_YEAR} is in both {earlier} and {later}")
    year_of, x, y = (np.array(column) for column in zip(*pairs))
    return Revisions(iso3=tuple(iso3), years=tuple(int(v) for v in year_of), earlier=x, later=y)


@dataclass(frozen=True)
class ObservationError:
    """A multiplicative Gaussian error on each observed ally-year: observed = true x exp(e),
    e ~ N(0, relative_sd^2), independent across ally-years."""

    relative_sd: float
    pairs: int
    source: str

    def observe(self, values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """The values as the record would publish them (NaN stays NaN)."""
        values = np.asarray(values, dtype=float)
        return values * np.exp(rng.normal(0.0, self.relative_sd, size=values.shape))


def measured(revisions: Revisions | None = None) -> ObservationError:
    """The error whose sd is the root mean square of the measured log revisions."""
    revisions = revisions or revision_pairs()
    rms = float(np.sqrt(np.mean(revisions.relative ** 2)))
    years = sorted(set(revisions.years))
    return ObservationError(relative_sd=rms, pairs=len(revisions.years),
                            source=f"{NATO_VINTAGES[0]} against {NATO_VINTAGES[-1]}, years {years[0]}-{years[-1]}")


def describe(revisions: Revisions) -> str:
    rel, ab = revisions.relative, revisions.absolute
    return "\n".join([
        f"{len(rel)} ally-years in both {NATO_VINTAGES[0]} and {NATO_VINTAGES[-1]} "
        f"(years {min(revisions.years)}-{max(revisions.years)})",
        f"relative (log later/earlier): mean {rel.mean():+.4f}, sd {rel.std(ddof=1):.4f}, "
        f"root mean square {np.sqrt(np.mean(rel ** 2)):.4f}, median |.| {np.median(np.abs(rel)):.4f}, "
        f"largest |.| {np.abs(rel).max():.4f}",
        f"absolute (pp of GDP): mean {ab.mean():+.4f}, sd {ab.std(ddof=1):.4f}, "
        f"root mean square {np.sqrt(np.mean(ab ** 2)):.4f}, median |.| {np.median(np.abs(ab)):.4f}, "
        f"largest |.| {np.abs(ab).max():.4f}",
        f"correlation with the level: absolute {np.corrcoef(revisions.earlier, np.abs(ab))[0, 1]:.2f}, "
        f"relative {np.corrcoef(revisions.earlier, np.abs(rel))[0, 1]:.2f}",
        f"observation error used: relative sd {measured(revisions).relative_sd:.4f}"])


def main(argv=None) -> int:
    print(describe(revision_pairs()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
