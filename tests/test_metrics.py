"""The validation measures on numbers worked out by hand."""

import math

import numpy as np
import pytest

from sim import metrics


def test_mean_absolute_error_skips_missing_pairs():
    assert metrics.mean_absolute_error([1.0, 2.0, np.nan], [1.5, 1.0, 3.0]) == pytest.approx(0.75)


def test_spearman_by_hand():
    # ranks (1,2,3,4) against (1,3,2,4): d = (0,1,1,0), rho = 1 - 6*2/(4*15) = 0.8
    assert metrics.spearman([1, 2, 3, 4], [10, 30, 20, 40]) == pytest.approx(0.8)
    assert metrics.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert math.isnan(metrics.spearman([2, 2, 2], [1, 2, 3]))


def test_count_at_least_two_percent():
    assert metrics.count_at_least([1.99, 2.0, 2.5, np.nan]) == 2


def test_naive_hindcasts():
    start = np.array([1.0, 2.5, np.nan])
    assert np.array_equal(metrics.no_change_hindcast(start), start, equal_nan=True)
    assert np.array_equal(metrics.everyone_to_two_percent_hindcast(start), [2.0, 2.5, np.nan], equal_nan=True)


def test_measures_without_pairs_are_undefined_not_an_error():
    nothing = [np.nan, np.nan]
    assert np.isnan(metrics.mean_absolute_error(nothing, [1.0, 2.0]))
    assert np.isnan(metrics.spearman(nothing, [1.0, 2.0]))
    assert np.isnan(metrics.spearman([1.0, np.nan], [1.0, 2.0]))  # one pair has no rank order
