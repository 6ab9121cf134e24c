"""The design of a sweep: which parameter values each design point takes, on a grid, from an
explicit list, or sampled by Latin hypercube or scrambled Sobol' over the ranges.

Apart from the sweep spec (`sim/sweeps/spec.py`), which reads and checks the TOML and builds
the axes: the sampling itself knows nothing of files or their errors, only of values and of
the random stream it is handed, so the same axes and stream always give the same design.

A grid is never expanded: a design point is computed from its index by mixed-radix
arithmetic, so a grid of 10^12 points costs no more memory than one of 10. Latin hypercube
and Sobol' samples must be drawn all at once; they are kept as one compact array per
parameter (8 bytes a value), and the spec refuses more than `MAX_SAMPLED_VALUES` of them.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

import numpy as np

from sim.model.parameters import CHOICE_TYPES, parameter_fields

#: The most values one grid axis may take: its values are kept (and recorded in _sweep.json).
MAX_GRID_STEPS = 100_000
#: The most sampled values (samples x parameters) a Latin hypercube or Sobol' design may hold:
#: 32 MB as arrays, a few times that while scipy draws them, and a few seconds to fingerprint.
MAX_SAMPLED_VALUES = 2**22
DIGEST_BLOCK = 65_536  # design points hashed at a time


class SamplerMethod(StrEnum):
    """How the design points are chosen."""

    GRID = "grid"  # every combination of the listed values
    LIST = "list"  # the explicit [[points]] tables, in order
    LATIN_HYPERCUBE = "latin_hypercube"  # scipy.stats.qmc.LatinHypercube over the ranges
    SOBOL = "sobol"  # scrambled scipy.stats.qmc.Sobol over the ranges (samples a power of two)


@dataclass(frozen=True)
class Axis:
    """One swept parameter: explicit values, or a range [low, high] (with `steps` on a grid)."""

    name: str
    values: tuple = ()
    low: float | None = None
    high: float | None = None
    steps: int | None = None

    @property
    def is_range(self) -> bool:
        return self.low is not None

    def grid_values(self) -> tuple:
        """The values a grid takes: the explicit list, or `steps` evenly spaced over the range."""
        if not self.is_range:
            return self.values
        points = np.linspace(self.low, self.high, self.steps)
        if parameter_kind(self.name) is int:
            return tuple(dict.fromkeys(int(round(v)) for v in points))
        # 0.6, not linspace's 0.6000000000000001; the ends exactly low and high
        inner = (min(max(float(f"{v:.12g}"), self.low), self.high) for v in points[1:-1])
        return tuple(dict.fromkeys([float(self.low), *inner, float(self.high)][:self.steps]))

    def from_unit(self, u: np.ndarray) -> SampledColumn:
        """Map points of the unit interval onto this axis (uniform over values or the range),
        as one compact column: the values themselves, or indices into the listed values."""
        if not self.is_range:
            index = np.minimum((u * len(self.values)).astype(int), len(self.values) - 1)
            return SampledColumn(index, choices=self.values)
        if parameter_kind(self.name) is int:
            width = int(self.high) - int(self.low) + 1
            return SampledColumn(int(self.low) + np.minimum(np.floor(u * width), width - 1).astype(np.int64))
        return SampledColumn(self.low + u * (self.high - self.low))


@dataclass(frozen=True, eq=False)
class SampledColumn:
    """One parameter's sampled values: an array of numbers, or of indices into `choices`."""

    data: np.ndarray
    choices: tuple | None = None

    def __eq__(self, other) -> bool:
        return (isinstance(other, SampledColumn) and self.choices == other.choices
                and self.data.dtype == other.data.dtype and np.array_equal(self.data, other.data))

    def __hash__(self) -> int:
        return hash((self.choices, self.data.dtype.str, self.data.tobytes()))

    def json_values(self, start: int, stop: int) -> list:
        """Values start..stop-1 as plain JSON-ready values."""
        data = self.data[start:stop].tolist()
        if self.choices is None:
            return data
        shown = [_json_ready(choice) for choice in self.choices]
        return [shown[i] for i in data]

    def value(self, index: int):
        """The value at `index` as the plain Python value (int, float, bool or enum)."""
        item = self.data[index]
        return self.choices[int(item)] if self.choices is not None else item.item()


@dataclass(frozen=True)
class Design:
    """The design points: a grid computed on demand, an explicit table of points (a spec's
    [[points]]), or sampled columns (Latin hypercube, Sobol')."""

    names: tuple[str, ...]
    grid: tuple[tuple, ...] | None = None  # per name, its values; first name varies slowest
    table: tuple[tuple, ...] | None = None  # per point, one value per name
    columns: tuple[SampledColumn, ...] | None = None  # per name, its sampled values

    def __len__(self) -> int:
        if self.grid is not None:
            return math.prod(len(values) for values in self.grid) if self.names else 1
        if self.columns is not None:
            return len(self.columns[0].data)
        return len(self.table)

    def point(self, index: int) -> dict[str, object]:
        if not 0 <= index < len(self):
            raise IndexError(f"design point {index} is outside the design's {len(self)} points")
        if self.grid is not None:
            return dict(zip(self.names, _grid_point(self.grid, index)))
        if self.columns is not None:
            return {name: column.value(index) for name, column in zip(self.names, self.columns)}
        return dict(zip(self.names, self.table[index]))

    @cached_property
    def table_sha256(self) -> str:
        """A sampled or listed design's fingerprint: the SHA-256 of its points as one JSON list
        of lists, hashed a block of points at a time (the design may hold millions of points)."""
        digest = hashlib.sha256(b"[")
        for start in range(0, len(self), DIGEST_BLOCK):
            block = json.dumps(self._rows(start, min(start + DIGEST_BLOCK, len(self))), separators=(",", ":"))
            digest.update((b"," if start else b"") + block[1:-1].encode())
        digest.update(b"]")
        return digest.hexdigest()

    def _rows(self, start: int, stop: int) -> list[list]:
        """Points start..stop-1 as lists of JSON-ready values."""
        if self.columns is None:
            return [[_json_ready(v) for v in self.point(i).values()] for i in range(start, stop)]
        return [list(row) for row in zip(*(column.json_values(start, stop) for column in self.columns))]


def _grid_point(grid: tuple[tuple, ...], index: int) -> list:
    """The grid point at `index`, by mixed-radix arithmetic (the last axis varies fastest,
    as numpy's C order): nothing of the grid is expanded."""
    values = []
    for axis in reversed(grid):
        index, position = divmod(index, len(axis))
        values.append(axis[position])
    return values[::-1]


def _json_ready(value):
    return value.value if isinstance(value, StrEnum) else value


def sample_design(axes: tuple[Axis, ...], method: SamplerMethod, samples: int,
                  stream: np.random.SeedSequence) -> Design:
    """The design over `axes`: a grid of their values, or `samples` points drawn from `stream`
    (Latin hypercube or scrambled Sobol'; the grid draws nothing)."""
    names = tuple(axis.name for axis in axes)
    if method == SamplerMethod.GRID:
        return Design(names, grid=tuple(axis.grid_values() for axis in axes))
    from scipy.stats import qmc

    rng = np.random.default_rng(stream)
    if method == SamplerMethod.SOBOL:
        unit = qmc.Sobol(len(axes), scramble=True, rng=rng).random_base2(int(math.log2(samples)))
    else:
        unit = qmc.LatinHypercube(len(axes), rng=rng).random(samples)
    return Design(names, columns=tuple(axis.from_unit(unit[:, j]) for j, axis in enumerate(axes)))


def parameter_kind(name: str):
    """A parameter's Python type (int, float, bool, or a choice type such as MediatorRule),
    from its declaration."""
    kind = parameter_fields()[name].type
    return {"int": int, "float": float, "bool": bool, **CHOICE_TYPES}.get(kind, kind)
