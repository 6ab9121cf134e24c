"""The mediator: its compromise rules and the weights it gives the allies, against values worked
out by hand, and their invariants."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.model import clout
from sim.protocols import mediator

levels = arrays(np.float64, st.integers(2, 12), elements=st.floats(0.0, 10.0))


def test_mediator_rules_by_hand():
    values, weights = np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 2.0])
    assert mediator.weighted_mean(values, weights) == pytest.approx(2.25)
    assert mediator.weighted_median(values, weights) == 2.0
    assert mediator.weighted_median(values, np.array([1.0, 1.0, 3.0])) == 3.0
    # zero weight: ignored even when the value is missing
    assert mediator.weighted_mean(np.array([1.0, np.nan]), np.array([1.0, 0.0])) == 1.0
    assert mediator.weighted_median(np.array([np.nan, 2.0]), np.array([0.0, 1.0])) == 2.0


def test_nash_bargaining_by_hand():
    # Positions 1 and 3, each one's disagreement point the other's position: the gains are
    # (3 - x) and (x - 1); equal weights -> x = 2; weights 3:1 -> 3/(3-x) = 1/(x-1) -> x = 1.5.
    positions, disagreement = np.array([1.0, 3.0]), np.array([3.0, 1.0])
    assert mediator.nash_bargaining(positions, np.array([1.0, 1.0]), disagreement) == pytest.approx(2.0)
    assert mediator.nash_bargaining(positions, np.array([3.0, 1.0]), disagreement) == pytest.approx(1.5)


def test_nash_bargaining_by_hand_with_three_allies():
    # Positions 0, 1, 2, each one's gain over no deal 2 - |x - p| (reach 2), weights 2:1:1.
    # Left of 1 the objective 2 log(2 - x) + log(1 + x) + log(x) is stationary where
    # 2 + x - 4x^2 = 0, x = (1 + sqrt(33)) / 8 = 0.843; the grid (step 0.01) holds it to a step.
    positions = np.array([0.0, 1.0, 2.0])
    disagreement = positions + np.array([2.0, 2.0, -2.0])
    solution = mediator.nash_bargaining(positions, np.array([2.0, 1.0, 1.0]), disagreement)
    assert solution == pytest.approx((1 + math.sqrt(33)) / 8, abs=0.01)
    # equal weights: symmetric, so the middle
    assert mediator.nash_bargaining(positions, np.ones(3), disagreement) == pytest.approx(1.0)


def test_the_mediator_weighs_clout_salience_and_leverage():
    assert clout.bargaining_weight(0.5, 0.8, 2, 0.5) == pytest.approx(0.8)


def test_the_median_voter_is_the_ally_at_the_weighted_median():
    values = np.array([[5.0, 2.0, 3.0], [1.0, 1.0, 4.0]])
    weights = np.array([[2.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
    index = mediator.weighted_median_index(values, weights)
    assert index.tolist() == [2, 0]  # 3 (cumulative 1, 2 of 4); 1 (the zero weight never counts)
    np.testing.assert_allclose(np.take_along_axis(values, index[:, None], -1)[:, 0],
                               mediator.weighted_median(values, weights))


@given(st.integers(1, 5), st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_the_mediator_rules_broadcast_over_runs_and_allies(runs, allies, seed):
    rng = np.random.default_rng(seed)
    positions, weights = rng.uniform(0, 5, (runs, allies)), rng.uniform(0.1, 1, (runs, allies))
    for rule in (mediator.weighted_mean, mediator.weighted_median):
        many = rule(positions, weights)
        assert many.shape == (runs,)
        assert many == pytest.approx([float(rule(positions[r], weights[r])) for r in range(runs)])


@settings(max_examples=60)
@given(levels, st.data())
def test_mediator_rules_stay_within_the_positions(values, data):
    weights = data.draw(arrays(np.float64, values.shape, elements=st.floats(0.01, 10.0)))
    disagreement = data.draw(arrays(np.float64, values.shape, elements=st.floats(0.0, 10.0)))
    for draft in (mediator.weighted_mean(values, weights), mediator.weighted_median(values, weights),
                  mediator.nash_bargaining(values, weights, disagreement)):
        assert values.min() - 1e-9 <= draft <= values.max() + 1e-9
