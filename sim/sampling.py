"""The design of a sweep: which parameter values each design point takes, on a grid, from an
explicit list, or sampled by Latin hypercube or scrambled Sobol' over the ranges.

Apart from the sweep spec (`sim/sweep_spec.py`), which reads and checks the TOML and builds
the axes: the sampling itself knows nothing of files or their errors, only of values and of
the random stream it is handed, so the same axes and stream always give the same design.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from sim.parameters import MediatorRule, parameter_fields


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

    def from_unit(self, u: np.ndarray) -> list:
        """Map points of the unit interval onto this axis (uniform over values or the range)."""
        if not self.is_range:
            index = np.minimum((u * len(self.values)).astype(int), len(self.values) - 1)
            return [self.values[i] for i in index]
        if parameter_kind(self.name) is int:
            width = int(self.high) - int(self.low) + 1
            return [int(self.low) + int(min(math.floor(x * width), width - 1)) for x in u]
        return [float(self.low + x * (self.high - self.low)) for x in u]


@dataclass(frozen=True)
class Design:
    """The design points: a grid computed on demand, or an explicit table of points."""

    names: tuple[str, ...]
    grid: tuple[tuple, ...] | None = None  # per name, its values; first name varies slowest
    table: tuple[tuple, ...] | None = None  # per point, one value per name

    def __len__(self) -> int:
        if self.grid is not None:
            return math.prod(len(values) for values in self.grid) if self.names else 1
        return len(self.table)

    def point(self, index: int) -> dict[str, object]:
        if self.grid is not None:
            if not self.names:
                return {}
            position = np.unravel_index(index, tuple(len(v) for v in self.grid))
            return {name: values[int(i)] for name, values, i in zip(self.names, self.grid, position)}
        return dict(zip(self.names, self.table[index]))


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
    columns = [axis.from_unit(unit[:, j]) for j, axis in enumerate(axes)]
    return Design(names, table=tuple(zip(*columns)))


def parameter_kind(name: str):
    """A parameter's Python type (int, float, bool, MediatorRule), from its declaration."""
    kind = parameter_fields()[name].type
    return {"int": int, "float": float, "bool": bool, "MediatorRule": MediatorRule}.get(kind, kind)
