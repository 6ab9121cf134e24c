"""numpy's `SeedSequence(root, spawn_key=(stream, key)).generate_state(words, uint64)` for many
keys at once, bit for bit.

Why: a sweep gives every run a seed derived from the root seed and the run's id through
`SeedSequence` (`run_seed`). One `SeedSequence` per run costs ~20 us of Python in
the process that hands out the batches, as much as the run itself on a worker, so a sweep of
10^6 runs spent ~20 s there. The algorithm (O'Neill's seed_seq hashing, as numpy implements
it in `numpy/random/bit_generator.pyx`) is a few 32-bit multiply-xorshift steps, done here
over arrays of keys. The entropy shared by every key (the root's words) is mixed once;
`tests/test_seed_sequence.py` checks the result against numpy's own for random roots and keys.
"""

from __future__ import annotations

import numpy as np

RUN_SEEDS = 0  # the run seeds' spawn-key namespace under a sweep's root seed
MAX_VECTOR_KEY = 2**32 - 1  # run ids up to here get their seeds over arrays (`run_seeds`)

POOL_SIZE = 4
INIT_A = 0x43B0D7E5
MULT_A = 0x931E8875
INIT_B = 0x8B51F9DD
MULT_B = 0x58F38DED
MIX_MULT_L = 0xCA01F9DD
MIX_MULT_R = 0x4973F715
XSHIFT = 16
MASK = 0xFFFFFFFF


def words32(value: int) -> list[int]:
    """A non-negative integer as 32-bit words, least significant first (0 is one word)."""
    words = []
    while True:
        words.append(value & MASK)
        value >>= 32
        if not value:
            return words


def spawned_states(root: int, stream: int, keys: np.ndarray, words: int = 1) -> np.ndarray:
    """`SeedSequence(root, spawn_key=(stream, key)).generate_state(words, np.uint64)` for every
    key (non-negative, below 2^32), shape (keys, words)."""
    keys = np.asarray(keys, dtype=np.uint64)
    if keys.size and int(keys.max()) > MASK:
        raise ValueError("keys must be below 2^32")
    entropy = words32(root)
    entropy += [0] * (POOL_SIZE - len(entropy))  # a spawned sequence pads the root's words to the pool
    entropy += words32(stream)
    shared, hash_const = mix_entropy(entropy)  # every key's pool before its own word
    pool = [np.full(keys.shape, word, dtype=np.uint32) for word in shared]
    key_words = keys.astype(np.uint32)
    for i_dst in range(POOL_SIZE):  # the key's word, mixed into every word of the pool
        value, hash_const = hashmix(key_words, hash_const)
        pool[i_dst] = mix(pool[i_dst], value)
    return generate_state(pool, words)


def hashmix(value, hash_const: int):
    """seed_seq's hashmix: (mixed value, next hash constant); `value` an int or a uint32 array."""
    if isinstance(value, np.ndarray):
        value = value ^ np.uint32(hash_const)
        hash_const = (hash_const * MULT_A) & MASK
        value = value * np.uint32(hash_const)
        return value ^ (value >> np.uint32(XSHIFT)), hash_const
    value = (value ^ hash_const) & MASK
    hash_const = (hash_const * MULT_A) & MASK
    value = (value * hash_const) & MASK
    return value ^ (value >> XSHIFT), hash_const


def mix(x, y):
    """seed_seq's mix of two words (ints or uint32 arrays)."""
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        result = np.uint32(MIX_MULT_L) * np.asarray(x, dtype=np.uint32) - np.uint32(MIX_MULT_R) * np.asarray(
            y, dtype=np.uint32)
        return result ^ (result >> np.uint32(XSHIFT))
    result = (MIX_MULT_L * x - MIX_MULT_R * y) & MASK
    return result ^ (result >> XSHIFT)


def mix_entropy(entropy: list[int]) -> tuple[list[int], int]:
    """The pool after mixing in `entropy` (at least POOL_SIZE words), and the hash constant
    reached, so more words can be mixed in afterwards."""
    hash_const = INIT_A
    pool = []
    for i in range(POOL_SIZE):
        value, hash_const = hashmix(entropy[i], hash_const)
        pool.append(value)
    for i_src in range(POOL_SIZE):
        for i_dst in range(POOL_SIZE):
            if i_src != i_dst:
                value, hash_const = hashmix(pool[i_src], hash_const)
                pool[i_dst] = mix(pool[i_dst], value)
    for word in entropy[POOL_SIZE:]:
        for i_dst in range(POOL_SIZE):
            value, hash_const = hashmix(word, hash_const)
            pool[i_dst] = mix(pool[i_dst], value)
    return pool, hash_const


def generate_state(pool: list[np.ndarray], words: int) -> np.ndarray:
    """seed_seq's output: `words` 64-bit words per key from the pool (uint32 arrays)."""
    hash_const = INIT_B
    state = []
    for i_dst in range(2 * words):
        value = pool[i_dst % POOL_SIZE] ^ np.uint32(hash_const)
        hash_const = (hash_const * MULT_B) & MASK
        value = value * np.uint32(hash_const)
        state.append(value ^ (value >> np.uint32(XSHIFT)))
    low, high = state[0::2], state[1::2]
    return np.stack([lo.astype(np.uint64) | (hi.astype(np.uint64) << np.uint64(32)) for lo, hi in zip(low, high)],
                    axis=-1)


def run_seed(root: int, key: int) -> int:
    """A 63-bit seed for run `key`: the key-th child of the root's run-seed sequence, the same
    as `SeedSequence(root).spawn(1)[0].spawn(key + 1)[key]` and independent of batching."""
    return int(run_seeds(root, np.array([key]))[0])


def run_seeds(root: int, keys: np.ndarray) -> np.ndarray:
    """`run_seed` for many keys at once, as int64 (numpy's SeedSequence hashing over arrays,
    `spawned_states`: the same bits); keys beyond 32 bits, if a sweep ever has them, one by one."""
    keys = np.asarray(keys, dtype=np.uint64)
    if keys.size and int(keys.max()) > MAX_VECTOR_KEY:
        states = np.array([np.random.SeedSequence(root, spawn_key=(RUN_SEEDS, int(key))).generate_state(1, np.uint64)[0]
                           for key in keys], dtype=np.uint64)
    else:
        states = spawned_states(root, RUN_SEEDS, keys)[:, 0]
    return (states >> np.uint64(1)).astype(np.int64)
