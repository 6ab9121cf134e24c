"""`mediator.nash_bargaining`, rewritten for speed (in place, by blocks, with a branch and bound),
gives what it gave before: the reference below is the old code, kept verbatim."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.protocols import mediator


def reference_nash_bargaining(values, weights, disagreement, grid_points=201):
    """`mediator.nash_bargaining` as it was before the in-place, blocked rewrite (kept verbatim)."""
    values = np.asarray(values, dtype=float)
    active = weights > 0
    low = np.min(np.where(active, values, np.inf), axis=-1)
    high = np.max(np.where(active, values, -np.inf), axis=-1)
    steps = np.linspace(0.0, 1.0, grid_points)
    grid = low[..., None] + (high - low)[..., None] * steps  # (..., G)
    gain = np.abs(disagreement - values)[..., None, :] - np.abs(grid[..., :, None] - values[..., None, :])
    safe = np.where(active[..., None, :], np.maximum(gain, 1e-9), 1.0)
    score = np.sum(weights[..., None, :] * np.log(safe), axis=-1)  # (..., G)
    best = np.argmax(score, axis=-1)
    return np.take_along_axis(grid, best[..., None], axis=-1)[..., 0]


@pytest.mark.parametrize("shape", [(32,), (1, 32), (700, 32), (3, 5, 32), (40, 2)])
def test_nash_bargaining_matches_the_reference(shape):
    rng = np.random.default_rng(sum(shape))
    values = rng.uniform(0.0, 10.0, shape)
    weights = rng.uniform(0.0, 1.0, shape) * (rng.random(shape) < 0.9)
    weights[..., 0] = 0.5  # at least one ally at the table
    values[weights == 0] = np.where(rng.random(np.sum(weights == 0)) < 0.5, np.nan, 3.0)  # no vote: ignored
    values[..., 1] = np.where(rng.random(shape[:-1]) < 0.3, values[..., 0], values[..., 1])  # ties
    disagreement = np.where(rng.random(shape) < 0.3, values, rng.uniform(0.0, 10.0, shape))
    for d in (disagreement, 2030.0, disagreement[..., :1]):
        np.testing.assert_allclose(mediator.nash_bargaining(values, weights, d),
                                   reference_nash_bargaining(values, weights, d), rtol=0, atol=1e-12)


def test_nash_bargaining_matches_the_reference_on_equal_positions_and_many_grids():
    values = np.full((4, 6), 2.5)
    weights = np.ones((4, 6))
    for grid_points in (1, 2, 201, 1000):
        np.testing.assert_allclose(mediator.nash_bargaining(values, weights, values + 1, grid_points),
                                   reference_nash_bargaining(values, weights, values + 1, grid_points), atol=1e-12)
    single = mediator.nash_bargaining(values[0], weights[0], values[0] - 1)
    assert np.shape(single) == np.shape(reference_nash_bargaining(values[0], weights[0], values[0] - 1))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(21, 200), st.integers(2, 40), st.sampled_from([1e-6, 0.01, 1.0]),
       st.sampled_from([2, 13, 201, 500]))
def test_nash_branch_and_bound_is_the_whole_grid(seed, rows, allies, narrow, grid_points):
    """Many rows (the branch-and-bound path), with some allies whose gain is positive only in a
    narrow band around their position (spikes between the blocks' bounds): the same grid point
    as scoring every point of the grid."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 6.0, (rows, allies))
    weights = rng.uniform(0.0, 1.0, (rows, allies)) * (rng.random((rows, allies)) < 0.9)
    weights[:, 0] = 1.0
    reach = np.where(rng.random((rows, allies)) < 0.3, narrow * rng.random((rows, allies)),
                     rng.uniform(0.0, 4.0, (rows, allies)))
    disagreement = values + reach * np.where(rng.random((rows, allies)) < 0.5, 1.0, -1.0)
    np.testing.assert_array_equal(mediator.nash_bargaining(values, weights, disagreement, grid_points),
                                  reference_nash_bargaining(values, weights, disagreement, grid_points))
