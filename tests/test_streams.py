"""The counter-based generator: a run's numbers depend on its seed alone, lie in range, and
look like the distributions they stand for."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.data.loader import load_allies
from sim.model import streams
from sim.model.streams import random_draws
from sim.model.streams import Stream

SEEDS = st.integers(min_value=0, max_value=2**70)  # beyond 64 bits too: every integer seed has a key
CODES = load_allies().iso3  # the allies' ISO3 codes, in the data's order


@settings(max_examples=50, deadline=None)
@given(seed=SEEDS, others=st.lists(SEEDS, max_size=12), position=st.integers(0, 12), rounds=st.integers(1, 20))
def test_a_runs_draws_depend_on_its_seed_alone(seed, others, position, rounds):
    """The same seed alone, or anywhere in a batch of any size, gets the same numbers."""
    alone = random_draws(seed, CODES, rounds)
    batch = others[:position] + [seed] + others[position:]
    together = random_draws(np.array(batch, dtype=object if max(batch) >= 2**63 else np.int64), CODES, rounds)
    row = min(position, len(others))
    np.testing.assert_array_equal(together.preference[row], alone.preference)
    np.testing.assert_array_equal(together.widening_factor[row], alone.widening_factor)
    np.testing.assert_array_equal(together.recognition[row], alone.recognition)


@settings(max_examples=30, deadline=None)
@given(seed=SEEDS, rounds=st.integers(1, 20), more=st.integers(0, 10))
def test_more_rounds_change_none_of_the_first_rounds_draws(seed, rounds, more):
    short, long = random_draws(seed, CODES, rounds), random_draws(seed, CODES, rounds + more)
    np.testing.assert_array_equal(long.widening_factor[:rounds], short.widening_factor)
    np.testing.assert_array_equal(long.recognition[:rounds], short.recognition)
    np.testing.assert_array_equal(long.preference, short.preference)


@settings(max_examples=30, deadline=None)
@given(seeds=st.lists(SEEDS, min_size=1, max_size=8), rounds=st.integers(1, 20))
def test_draws_lie_in_their_ranges(seeds, rounds):
    draws = random_draws(np.array(seeds, dtype=object), CODES, rounds)
    assert draws.preference.shape == (len(seeds), 32) and np.all(np.isfinite(draws.preference))
    assert draws.widening_factor.shape == (len(seeds), rounds, 32)
    assert np.all((draws.widening_factor >= 0.5) & (draws.widening_factor < 1.5))
    assert draws.recognition.shape == (len(seeds), rounds)
    assert np.all((draws.recognition >= 0.0) & (draws.recognition < 1.0))


def test_neighbouring_seeds_and_streams_differ():
    counters = np.arange(64)
    words = streams.bits(np.arange(100), Stream.WIDENING_FACTOR, counters)
    assert len(np.unique(words)) == words.size
    assert not np.any(streams.bits(5, Stream.WIDENING_FACTOR, counters) == streams.bits(5, Stream.RECOGNITION, counters))


def test_uniforms_look_uniform():
    """Mean 1/2, variance 1/12, every tenth of [0, 1) about equally full, neighbours uncorrelated:
    over 10^6 numbers from 1000 consecutive seeds (tolerances of several standard errors)."""
    u = streams.uniform(np.arange(1000), Stream.WIDENING_FACTOR, np.arange(1000)).ravel()
    assert abs(u.mean() - 0.5) < 0.002
    assert abs(u.var() - 1 / 12) < 0.001
    counts = np.bincount((u * 10).astype(int), minlength=10)
    assert np.all(np.abs(counts - 100_000) < 2_000)
    assert abs(np.corrcoef(u[:-1], u[1:])[0, 1]) < 0.005
    across = streams.uniform(np.arange(1000), Stream.WIDENING_FACTOR, 0)  # the same counter, seed after seed
    assert abs(np.corrcoef(across[:-1], across[1:])[0, 1]) < 0.15


def test_normals_look_standard_normal():
    z = streams.standard_normal(np.arange(500), Stream.PREFERENCE, np.arange(1000)).ravel()
    assert abs(z.mean()) < 0.01
    assert abs(z.var() - 1.0) < 0.01
    assert abs(np.mean(np.abs(z) < 1.0) - 0.6827) < 0.003
    assert abs(np.mean(z > 1.96) - 0.025) < 0.002
    assert abs(np.mean(z ** 3)) < 0.03 and abs(np.mean(z ** 4) - 3.0) < 0.05


def test_seed_keys():
    assert streams.seed_key(5) == 5 and streams.seed_key(2**64 - 1) == 2**64 - 1
    assert streams.seed_key(2**64) != streams.seed_key(0)
    np.testing.assert_array_equal(streams.seed_keys(np.array([1, 2**70, 3], dtype=object)),
                                  [1, streams.seed_key(2**70), 3])


@settings(max_examples=30, deadline=None)
@given(seed=SEEDS, rounds=st.integers(1, 20), order=st.permutations(range(32)))
def test_an_allys_draws_follow_its_code_not_its_row(seed, rounds, order):
    """The same ally draws the same numbers wherever its row is: keyed by its ISO3 code."""
    draws = random_draws(seed, CODES, rounds)
    shuffled = random_draws(seed, [CODES[i] for i in order], rounds)
    np.testing.assert_array_equal(shuffled.preference, draws.preference[list(order)])
    np.testing.assert_array_equal(shuffled.widening_factor, draws.widening_factor[:, list(order)])
    np.testing.assert_array_equal(shuffled.recognition, draws.recognition)


def test_ally_index_is_the_code_in_base_26_and_refuses_other_codes():
    assert streams.ally_index("AAA") == 0 and streams.ally_index("ZZZ") == 26**3 - 1
    assert streams.ally_index("USA") == (20 * 26 + 18) * 26 + 0
    for bad in ("usa", "US", "ÄBC", "U1A", 7):
        with pytest.raises(ValueError, match="ISO 3166 alpha-3"):
            streams.ally_index(bad)
