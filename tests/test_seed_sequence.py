"""The sweep's run seeds over arrays are numpy's SeedSequence, bit for bit."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.sweeps.seeds import spawned_states
from sim.sweeps.seeds import run_seed, run_seeds


def numpy_states(root: int, stream: int, keys, words: int) -> np.ndarray:
    return np.stack([np.random.SeedSequence(root, spawn_key=(stream, int(key))).generate_state(words, np.uint64)
                     for key in keys])


@settings(max_examples=60, deadline=None)
@given(root=st.integers(0, 2**100), stream=st.integers(0, 2**40),
       keys=st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=20), words=st.integers(1, 5))
def test_spawned_states_are_numpys(root, stream, keys, words):
    np.testing.assert_array_equal(spawned_states(root, stream, np.array(keys)), numpy_states(root, stream, keys, 1))
    np.testing.assert_array_equal(spawned_states(root, stream, np.array(keys), words),
                                  numpy_states(root, stream, keys, words))


def test_run_seeds_are_run_seed_one_by_one_beyond_32_bits_too():
    keys = np.array([0, 1, 7, 2**32 - 1, 2**32, 2**40 + 3])
    expected = [int(numpy_states(2025, 0, [key], 1)[0, 0] >> np.uint64(1)) for key in keys]
    assert [run_seed(2025, int(key)) for key in keys] == expected
    assert run_seeds(2025, keys[:4]).tolist() == expected[:4]
    assert run_seeds(2025, keys).tolist() == expected
