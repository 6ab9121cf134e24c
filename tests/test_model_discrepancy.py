"""experiments/model_discrepancy.py: a random-walk discrepancy estimated by the method of moments."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from experiments.model_discrepancy import RandomWalkDiscrepancy, estimate

YEARS = (2015, 2016, 2017)


def test_the_estimate_by_hand():
    """Draws that agree (no variance) on 0, a record 1 pp off in 2015 (h = 1) and 2 pp off in 2016
    (h = 2): s^2 = (1 + 4) / (1 + 2) = 5/3. The 2017 column is not fitted, so its residual of
    10 pp does not count."""
    draws = np.zeros((5, 1, 3))
    record = np.array([[1.0, -2.0, 10.0]])
    found = estimate(draws, record, YEARS, fitted_years=(2015, 2016), origin_year=2014)
    assert found.sd_per_root_year_pp == pytest.approx(math.sqrt(5 / 3))
    assert found.fitted_years == (2015, 2016)


def test_the_draws_own_spread_is_taken_off():
    """Draws of 0 and 2 (mean 1, variance 1) and a record at 3 in 2015 (h = 1): s^2 = 4 - 1 = 3."""
    draws = np.array([[[0.0]], [[2.0]]])
    found = estimate(draws, np.array([[3.0]]), (2015,), fitted_years=(2015,), origin_year=2014)
    assert found.sd_per_root_year_pp == pytest.approx(math.sqrt(3.0))


def test_a_record_inside_the_draws_spread_gives_no_discrepancy():
    """Residuals smaller than the draws' own spread: the estimate floors at 0, never imaginary."""
    draws = np.array([[[0.0]], [[2.0]]])
    assert estimate(draws, np.array([[1.0]]), (2015,), (2015,), 2014).sd_per_root_year_pp == 0.0


def test_ally_years_without_record_or_draws_are_left_out():
    draws = np.array([[[0.0, np.nan]], [[0.0, np.nan]]])
    record = np.array([[np.nan, 5.0]])
    with pytest.raises(ValueError, match="no fitted ally-year"):
        estimate(draws, record, (2015, 2016), (2015, 2016), 2014)
    draws = np.zeros((2, 2, 2))
    draws[:, 1, 1] = np.nan  # the second ally's 2016: no draw reaches it
    record = np.array([[1.0, np.nan], [0.0, 7.0]])
    assert estimate(draws, record, (2015, 2016), (2015, 2016), 2014).sd_per_root_year_pp == pytest.approx(
        math.sqrt(1.0 / 2.0))  # residuals 1 (h = 1) and 0 (h = 1); the NaNs do not count


@settings(max_examples=20, deadline=None)
@given(s=st.floats(0.05, 1.0), seed=st.integers(0, 2**31 - 1))
def test_added_walks_have_the_stated_sd_each_year(s, seed):
    """One walk per draw and ally: year h after the origin has sd s * sqrt(h) (within sampling
    error of 4,000 walks: the sd's standard error is about 1.1%)."""
    walk = RandomWalkDiscrepancy(s, origin_year=2014, fitted_years=(2015,))
    years = tuple(range(2015, 2025))
    added = walk.add(np.zeros((2000, 2, len(years))), years, np.random.default_rng(seed))
    assert np.std(added, axis=(0, 1)) == pytest.approx(walk.sd(years), rel=0.06)
    assert walk.sd(years)[-1] == pytest.approx(s * math.sqrt(10))


def test_the_estimate_recovers_a_walk_it_did_not_see():
    """A record that is the model's path plus a walk of s = 0.3 for 400 allies: the estimate on
    the first eight years is within 10% of 0.3."""
    rng = np.random.default_rng(7)
    years = tuple(range(2015, 2025))
    truth = RandomWalkDiscrepancy(0.3, 2014, ())
    model = rng.normal(2.0, 0.1, size=(300, 400, len(years)))  # draws around each ally-year's truth
    record = truth.add(np.full((1, 400, len(years)), 2.0), years, rng)[0]
    found = estimate(model, record, years, years[:8], 2014)
    assert found.sd_per_root_year_pp == pytest.approx(0.3, rel=0.10)


def test_bad_walks_are_refused():
    with pytest.raises(ValueError, match="allowed: a number >= 0"):
        RandomWalkDiscrepancy(-0.1, 2014, ())
    with pytest.raises(ValueError, match="before the path's origin"):
        RandomWalkDiscrepancy(0.1, 2014, ()).sd((2013,))
    with pytest.raises(ValueError, match="not consecutive"):
        RandomWalkDiscrepancy(0.1, 2014, ()).add(np.zeros((1, 1, 2)), (2015, 2017), np.random.default_rng(0))
