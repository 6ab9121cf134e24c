"""The validation measures on numbers worked out by hand."""

import math

import numpy as np
import pytest

from sim.analysis import metrics


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


def test_path_score_over_every_ally_year_and_year_by_year():
    predicted = np.array([[1.0, 2.0], [3.0, np.nan]])
    actual = np.array([[1.5, 2.0], [2.0, 4.0]])
    score = metrics.path_score(predicted, actual, (2015, 2016))
    assert score.mae_pp == pytest.approx((0.5 + 0.0 + 1.0) / 3)  # the missing ally-year is skipped
    assert score.mae_by_year == {2015: pytest.approx(0.75), 2016: pytest.approx(0.0)}
    # pairs (1, 1.5), (2, 2), (3, 2): ranks (1, 2, 3) against (1, 2.5, 2.5); Pearson on those
    # ranks is 1.5 / sqrt(2 x 1.5) = 0.866
    assert score.spearman == pytest.approx(math.sqrt(3) / 2)


def test_naive_paths_by_hand():
    start = np.array([1.0, 2.5])
    years = (2015, 2016, 2017, 2018)
    assert np.array_equal(metrics.no_change_path(start, years), [[1.0] * 4, [2.5] * 4])
    assert np.array_equal(metrics.everyone_to_two_percent_path(start, years), [[2.0] * 4, [2.5] * 4])
    # from 1.0 in 2014 to 2.0 in 2018: a quarter of the way each year
    assert np.allclose(metrics.linear_to_two_percent_path(start, 2014, 2018, years),
                       [[1.25, 1.5, 1.75, 2.0], [2.5] * 4])
