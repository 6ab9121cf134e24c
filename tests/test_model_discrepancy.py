"""experiments/model_discrepancy.py: a random-walk discrepancy sized to cover the fitted years."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from experiments.model_discrepancy import RandomWalkDiscrepancy, band_coverage, calibrate, unit_walks

YEARS = tuple(range(2015, 2025))


def exact(values, rng):
    """An observation without error."""
    return values


def test_band_coverage_by_hand():
    """Draws 0..100 of one ally-year give the 5-95% band [5, 95]: a record at 50 is inside, at
    99 outside, a missing one not counted; an ally-year no draw reaches counts as outside."""
    draws = np.arange(101, dtype=float).reshape(101, 1, 1) * np.ones((1, 1, 3))
    draws[:, 0, 2] = np.nan
    assert band_coverage(draws, np.array([[50.0, 99.0, np.nan]]), (5.0, 95.0)) == 0.5
    assert band_coverage(draws, np.array([[50.0, 50.0, 50.0]]), (5.0, 95.0)) == pytest.approx(2 / 3)


def test_draws_that_already_cover_need_no_discrepancy():
    rng = np.random.default_rng(0)
    draws = rng.normal(2.0, 1.0, size=(500, 20, len(YEARS)))
    record = np.full((20, len(YEARS)), 2.0)  # the centre of every band
    assert calibrate(draws, record, YEARS, YEARS[:8], 2014, exact, seed=1).sd_per_root_year_pp == 0.0


def test_the_size_recovers_a_walk_it_did_not_see():
    """A record that is the model's (spread-free) path plus a walk of s = 0.3 for 400 allies: the
    size set on the first eight years is within 10% of 0.3, and its bands hold about 90% of the
    two years it did not see."""
    rng = np.random.default_rng(7)
    truth = RandomWalkDiscrepancy(0.3, 2014)
    record = truth.add(np.full((1, 400, len(YEARS)), 2.0), YEARS, rng)[0]
    model = np.full((400, 400, len(YEARS)), 2.0)
    found = calibrate(model, record, YEARS, YEARS[:8], 2014, exact, seed=3)
    assert found.sd_per_root_year_pp == pytest.approx(0.3, rel=0.10)
    held_out = found.add(model, YEARS, np.random.default_rng(11))
    assert band_coverage(held_out[:, :, 8:], record[:, 8:], (5.0, 95.0)) == pytest.approx(0.9, abs=0.05)


def test_a_record_twice_as_far_asks_for_twice_the_walk():
    """With draws that have no spread of their own and an exact observation, the bands are the
    walks' own, scaled by s: doubling every residual doubles the s that covers them (to the
    bisection's precision; the same seed, so the same walks)."""
    rng = np.random.default_rng(5)
    residuals = RandomWalkDiscrepancy(0.2, 2014).add(np.zeros((1, 100, len(YEARS))), YEARS, rng)[0]
    model = np.zeros((300, 100, len(YEARS)))
    near = calibrate(model, residuals, YEARS, YEARS, 2014, exact, seed=2)
    far = calibrate(model, 2 * residuals, YEARS, YEARS, 2014, exact, seed=2)
    assert far.sd_per_root_year_pp == pytest.approx(2 * near.sd_per_root_year_pp, rel=1e-6)


def test_a_record_no_walk_can_reach_is_refused():
    model = np.zeros((50, 2, len(YEARS)))
    record = np.full((2, len(YEARS)), 100.0)
    with pytest.raises(ValueError, match="no discrepancy up to"):
        calibrate(model, record, YEARS, YEARS, 2014, exact, seed=0)


@settings(max_examples=20, deadline=None)
@given(s=st.floats(0.05, 1.0), seed=st.integers(0, 2**31 - 1))
def test_added_walks_have_the_stated_sd_each_year(s, seed):
    """One walk per draw and ally: year h after the origin has sd s * sqrt(h) (within sampling
    error of 4,000 walks: the sd's standard error is about 1.1%)."""
    walk = RandomWalkDiscrepancy(s, origin_year=2014)
    added = walk.add(np.zeros((2000, 2, len(YEARS))), YEARS, np.random.default_rng(seed))
    assert np.std(added, axis=(0, 1)) == pytest.approx(walk.sd(YEARS), rel=0.06)
    assert walk.sd(YEARS)[-1] == pytest.approx(s * math.sqrt(10))


def test_bad_walks_are_refused():
    with pytest.raises(ValueError, match="allowed: a number >= 0"):
        RandomWalkDiscrepancy(-0.1, 2014)
    with pytest.raises(ValueError, match="before the path's origin"):
        RandomWalkDiscrepancy(0.1, 2014).sd((2013,))
    with pytest.raises(ValueError, match="not consecutive"):
        unit_walks((1, 1, 2), (2015, 2017), 2014, np.random.default_rng(0))
