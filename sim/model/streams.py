"""Counter-based random numbers: each number a pure function of (a run's seed, a stream, a counter).

Why: a sweep runs many runs at once, and each run's numbers must depend on its own seed alone,
whatever the batch it is run in. A sequential generator per run (`np.random.default_rng(seed)`)
gives that, but costs a Python call and a `SeedSequence` hash per run (~14 us, as much as the
run's own arithmetic). A counter-based generator computes the n-th number of a stream directly,
so the numbers of a whole block of runs come from a few whole-array operations (Salmon, Moraes,
Dror & Shaw 2011, "Parallel random numbers: as easy as 1, 2, 3", SC'11).

The mixing function is SplitMix64's (Steele, Lea & Flood 2014, "Fast splittable pseudorandom
number generators", OOPSLA'14; the finaliser is Stafford's "Mix13" variant of MurmurHash3's):
the n-th output of SplitMix64 started from state `s` is `mix(s + n * GAMMA)`, a function of
(s, n) alone, which is what makes it counter-based. Here `s` is the mixed seed with the stream
in its top bits (`Stream`), so streams never overlap for counters below 2^32, and adding a
stream or drawing more of one changes no other number.

Uniforms take the top 53 bits of a 64-bit output (every double in [0, 1) on a grid of 2^-53);
standard normals are Box-Muller pairs (Box & Muller 1958) of two uniforms at counters 2k and
2k + 1, the cosine branch only, so the k-th normal needs nothing but its own two counters.
Integers are numpy uint64, whose arithmetic wraps modulo 2^64 as the method wants.

An ally's numbers are keyed by its ISO3 code, not by its row in the data (`ally_index`): the
same ally draws the same numbers however allies.csv orders its rows.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

GAMMA = np.uint64(0x9E3779B97F4A7C15)  # SplitMix64's increment: 2^64 / golden ratio, odd
MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
MIX_2 = np.uint64(0x94D049BB133111EB)
SEED_SALT = np.uint64(0x6A09E667F3BCC908)  # sqrt(2)'s fraction: keeps seed 0 away from state 0
STREAM_SHIFT = np.uint64(32)  # a stream's counters live below bit 32, its number above
UNIT = 2.0 ** -53
WORD = 1 << 64
LETTERS = 26
ALLY_CODES = LETTERS ** 3  # the ISO 3166 alpha-3 codes: each ally's place in a per-ally stream


class Stream(enum.IntEnum):
    """A run's independent streams of numbers, one per use (a number's stream is part of its key)."""

    PREFERENCE = 1  # each ally's domestic preference shock
    WIDENING_FACTOR = 2  # each round's and ally's random factor on a holdout's ramp widening
    RECOGNITION = 3  # each round's draw of who proposes


def mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's output function (a bijection on 64-bit words), in place on a fresh uint64 array."""
    z ^= z >> np.uint64(30)
    z *= MIX_1
    z ^= z >> np.uint64(27)
    z *= MIX_2
    z ^= z >> np.uint64(31)
    return z


def seed_key(seed: int) -> int:
    """A non-negative integer seed as a 64-bit key: the seed itself below 2^64; a larger one
    folded word by word (each higher word mixed in), so every integer seed has its key."""
    if seed < 0:
        raise ValueError(f"seed {seed!r} is not allowed; allowed: a non-negative integer")
    key, rest = seed % WORD, seed // WORD
    while rest:
        key = int(mix(np.array([key ^ (rest % WORD)], dtype=np.uint64))[0])
        rest //= WORD
    return key


def seed_keys(seeds) -> np.ndarray:
    """Seeds (an int, or an array or sequence of non-negative ints, Python's big ones included)
    as uint64 keys, keeping their shape."""
    array = np.asarray(seeds)
    if array.dtype.kind in "iu":
        if array.dtype.kind == "i" and np.any(array < 0):
            raise ValueError("seeds must be non-negative integers")
        return array.astype(np.uint64)
    return np.vectorize(lambda seed: seed_key(int(seed)), otypes=[np.uint64])(array)


def bits(keys, stream: Stream, counters) -> np.ndarray:
    """The 64-bit words at `counters` of `stream` for each key: shape keys.shape + counters.shape."""
    keys = seed_keys(keys)
    counters = np.asarray(counters, dtype=np.uint64)
    state = mix(keys.reshape(-1) ^ SEED_SALT) + (np.uint64(stream) << STREAM_SHIFT)  # each run's stream, seeded
    steps = (counters.reshape(-1) + np.uint64(1)) * GAMMA  # flat arrays: uint64 arithmetic wraps silently
    words = (state[:, None] + steps).reshape(keys.shape + counters.shape)
    return mix(words)


def uniform(keys, stream: Stream, counters, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """Uniform numbers in [low, high) at `counters` of `stream`, one per key and counter."""
    unit = (bits(keys, stream, counters) >> np.uint64(11)).astype(np.float64)
    unit *= UNIT
    if low == 0.0 and high == 1.0:
        return unit
    if high - low != 1.0:  # a factor of exactly 1 would change no bit
        unit *= high - low
    unit += low
    return unit


def standard_normal(keys, stream: Stream, counters) -> np.ndarray:
    """Standard normal numbers at `counters` of `stream`: the k-th from the uniforms at
    counters 2k and 2k + 1 (Box-Muller, cosine branch)."""
    counters = np.asarray(counters, dtype=np.uint64)
    pairs = uniform(keys, stream, np.stack([2 * counters, 2 * counters + np.uint64(1)], axis=-1))
    radius = np.sqrt(-2.0 * np.log1p(-pairs[..., 0]))  # 1 - u in (0, 1]: never log(0)
    return radius * np.cos(2.0 * np.pi * pairs[..., 1])


def ally_index(code: str) -> int:
    """An ally's stable place in the per-ally streams, from its ISO 3166 alpha-3 code alone (the
    code read as a base-26 number, AAA = 0 to ZZZ = 17575): never its row in the data, so
    reordering allies.csv gives every ally the same numbers."""
    if not (isinstance(code, str) and len(code) == 3 and all("A" <= letter <= "Z" for letter in code)):
        raise ValueError(f"ally code {code!r} is not an ISO 3166 alpha-3 code (three letters A-Z)")
    index = 0
    for letter in code:
        index = index * LETTERS + (ord(letter) - ord("A"))
    return index


def ally_indices(iso3: Sequence[str]) -> np.ndarray:
    """`ally_index` of each code, as uint64 counters."""
    return np.array([ally_index(code) for code in iso3], dtype=np.uint64)


@dataclass(frozen=True)
class Draws:
    """A run's only random numbers (a block of runs': the same with a leading runs axis)."""

    preference: np.ndarray  # (allies,) each ally's domestic preference shock, standard normal
    widening_factor: np.ndarray  # (rounds, allies) the factor on a holdout's ramp widening, uniform 0.5..1.5
    recognition: np.ndarray  # (rounds,) who is recognised to propose (agenda_setter, baron_ferejohn), uniform 0..1


def random_draws(seeds, iso3: Sequence[str], rounds: int) -> Draws:
    """The random numbers of a run (`seeds` an integer) or of a block of runs (an array of
    integer seeds, one per run), for the allies `iso3` (their codes, in the data's order), by
    both engines alike.

    Each number is a pure function of the run's seed, its stream and its place in it
    (counter-based), so a run gets the same numbers whatever the batch. An ally's place is
    keyed by its code (`ally_index`), not its row, so the order of the data's rows changes no
    ally's numbers; and drawing more rounds changes none of the first rounds' numbers: the
    preference shock of the ally with index a is number a of its stream, the widening factor
    of round r and that ally number r x 17576 + a of its stream."""
    allies = ally_indices(iso3)
    rounds_axis = np.arange(rounds, dtype=np.uint64)[:, None] * np.uint64(ALLY_CODES)
    return Draws(
        preference=standard_normal(seeds, Stream.PREFERENCE, allies),
        widening_factor=uniform(seeds, Stream.WIDENING_FACTOR, rounds_axis + allies, 0.5, 1.5),
        recognition=uniform(seeds, Stream.RECOGNITION, np.arange(rounds)),
    )
