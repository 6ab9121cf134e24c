"""A sweep spec (TOML): which scenario, which parameters over which values, how many runs.

A spec says what to compute, never how (workers, scheduler), so the same file runs on a
laptop and on a cluster and gives the same dataset. Every run gets a stable integer run id
(its index in the expanded design) and a seed spawned from the spec's root seed by that id
alone, so results never depend on batching, worker count or order of completion.

    name = "us_pressure"
    scenario = "hague2025"            # built-in name, or a TOML path relative to this file

    [runs]
    replicates = 20                   # runs per design point, each with its own seed
    seed = 2025                       # root seed all run seeds are spawned from
    engine = "batch"                  # batch or mesa
    batch_size = 256                  # runs per task and per result shard
    per_ally = false                  # also keep each ally's final position and vote
    per_round = false                 # also keep every round (mesa only: the agents remember rounds)
    common_random_numbers = false     # true: replicate k has the same seed at every design point

    [sampler]
    method = "grid"                   # grid, list, latin_hypercube or sobol
    # samples = 64                    # design points, for latin_hypercube and sobol

    [parameters]
    us_pressure = { low = 0.0, high = 1.0, steps = 11 }   # a range (steps only for grid)
    mediator_rule = ["compromise", "median"]              # explicit values
    threat_level = 0.5                                    # one value for every run

    # with method = "list", no [parameters]: one table per design point
    # [[points]]
    # us_pressure = 0.4

This module reads and checks the spec and numbers and seeds its runs; the design points
themselves (grid, Latin hypercube, Sobol') are computed in `sim/sweeps/sampling.py`.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from pathlib import Path

import numpy as np

from sim.engines.engine import Engine
from sim.model.parameters import ParameterError, allowed, coerce, did_you_mean, parameter_fields
from sim.sweeps.sampling import (
    MAX_GRID_STEPS,
    MAX_SAMPLED_VALUES,
    Axis,
    Design,
    SamplerMethod,
    parameter_kind,
    sample_design,
)
from sim.model.scenario import (
    Scenario,
    ScenarioError,
    configs_dir,
    display_path,
    load_scenario,
)
from sim.sweeps.seeds import run_seed, run_seeds
from sim.sweeps.spec_fields import SweepSpecError, boolean, choice, integer, only, string, table

TOP_LEVEL_KEYS = ("name", "description", "scenario", "runs", "sampler", "parameters", "points")
RUNS_KEYS = ("replicates", "seed", "engine", "batch_size", "per_ally", "per_round", "common_random_numbers")
SAMPLER_KEYS = ("method", "samples")
RANGE_KEYS = ("low", "high", "steps")
MAX_SEED = 2**63 - 1
MAX_RUNS = 10**12
MAX_SAMPLES = 10**8  # the field's own range; the memory limit (samples x parameters) is MAX_SAMPLED_VALUES
POINTS_CHECKED = 20_000  # designs up to this size are checked point by point before running
SAMPLER_SEED = 1  # the sampler's spawn-key namespace under the root seed (run seeds: `seeds.RUN_SEEDS`)


@dataclass(frozen=True)
class RunBatch:
    """A contiguous block of run ids: one task for an executor, one shard on disk."""

    index: int
    start: int
    stop: int

    @property
    def run_ids(self) -> range:
        return range(self.start, self.stop)

    def __len__(self) -> int:
        return self.stop - self.start


@dataclass(frozen=True)
class SweepSpec:
    """A validated sweep: the base scenario, the design, replicates and how runs are grouped."""

    name: str
    description: str
    scenario: Scenario
    sampler: SamplerMethod
    axes: tuple[Axis, ...]
    design: Design
    replicates: int
    seed: int
    engine: Engine
    batch_size: int
    per_ally: bool
    common_random_numbers: bool
    source: str
    text: str  # the spec as written (the file's text), kept with the results
    per_round: bool = False  # the round-by-round tables too; only the Mesa engine has them

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return self.design.names

    @property
    def runs(self) -> int:
        return len(self.design) * self.replicates

    def batches(self) -> Iterator[RunBatch]:
        """Every batch in order, one at a time: a sweep of 10^12 runs never lists them."""
        return (self.batch(index) for index in range(self.batch_count))

    def batch(self, index: int) -> RunBatch:
        """Batch `index`, computed from the index alone."""
        if not 0 <= index < self.batch_count:
            raise IndexError(f"batch {index} is outside this sweep's {self.batch_count} batches")
        start = index * self.batch_size
        return RunBatch(index, start, min(start + self.batch_size, self.runs))

    @property
    def batch_count(self) -> int:
        return -(-self.runs // self.batch_size)

    def overrides(self, run_id: int) -> dict[str, object]:
        """The parameter values of a run (its design point's)."""
        return self.design.point(run_id // self.replicates)

    def replicate(self, run_id: int) -> int:
        return run_id % self.replicates

    def seed_of(self, run_id: int) -> int:
        """A run's seed, from the root seed and the run id only (or, with common random
        numbers, its replicate index, so every design point sees the same draws)."""
        key = self.replicate(run_id) if self.common_random_numbers else run_id
        return run_seed(self.seed, key)

    def seeds_of(self, run_ids: range) -> list[int]:
        """`seed_of` for a block of runs, computed over arrays (a sweep hands out 10^6 of them)."""
        ids = np.arange(run_ids.start, run_ids.stop, run_ids.step, dtype=np.int64)
        return run_seeds(self.seed, ids % self.replicates if self.common_random_numbers else ids).tolist()

    def with_engine(self, engine: Engine | None) -> SweepSpec:
        """The spec run by another engine (the CLI's --engine), refused when it cannot give
        what the spec asks for."""
        if engine is None or engine == self.engine:
            return self
        engine = Engine(engine)
        _check_per_round(self.per_round, engine, self.source, f"--engine {engine}")
        return replace(self, engine=engine)

    def canonical(self) -> dict:
        """Everything that determines the dataset, as plain JSON: two specs with the same
        canonical form produce the same rows, whatever their comments or layout."""
        return _plain({
            "scenario": {"name": self.scenario.name, "parameters": asdict(self.scenario.params),
                         "allies": self.scenario.ally_overrides,
                         # only when there are any, as for per_round below
                         **({"pledges": [asdict(pledge) for pledge in self.scenario.ledger.pledges]}
                            if self.scenario.ledger.pledges else {}),
                         **({"escape_clause": asdict(self.scenario.escape_clause)}
                            if self.scenario.escape_clause.allies else {})},
            "sampler": self.sampler, "axes": [asdict(axis) for axis in self.axes],
            "design": ({"grid": self.design.grid} if self.design.grid is not None
                       else {"points": len(self.design), "table_sha256": self.design.table_sha256}),
            "names": self.design.names, "replicates": self.replicates, "seed": self.seed, "engine": self.engine,
            "batch_size": self.batch_size, "per_ally": self.per_ally,
            "common_random_numbers": self.common_random_numbers,
            # only when set, so the sweeps started before the field existed keep their hash
            **({"per_round": True} if self.per_round else {}),
        })

    def digest(self) -> str:
        """The spec hash that identifies a results directory's sweep."""
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


# --- reading and validating a spec ------------------------------------------------------

def specs_dir() -> Path:
    """The sweep specs shipped with the project (`configs/sweeps/`)."""
    return configs_dir() / "sweeps"


def builtin_specs() -> list[str]:
    return sorted(p.stem for p in specs_dir().glob("*.toml"))


def resolve_spec(name_or_path: str | Path) -> Path:
    """A spec path as given, or the name of a built-in spec."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise SweepSpecError(f"{path}: sweep spec not found")
        return path
    candidate = specs_dir() / f"{name_or_path}.toml"
    if candidate.is_file():
        return candidate
    raise SweepSpecError(f"{name_or_path}: no such sweep spec file or built-in spec; "
                         f"built-in: {', '.join(builtin_specs())}")


def load_spec(name_or_path: str | Path) -> SweepSpec:
    """The sweep spec `name_or_path` names: a built-in spec's name (`configs/sweeps/`, e.g.
    `"us_pressure"`) or a TOML file; a mistake raises `SweepSpecError` naming the file and the field."""
    path = resolve_spec(name_or_path)
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SweepSpecError(f"{shown}: not valid TOML ({error})") from None
    except RecursionError:  # tomllib reads nested arrays recursively
        raise SweepSpecError(f"{shown}: not valid TOML (nested too deeply)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SweepSpecError(f"{shown}: cannot be read ({error})") from None
    except ValueError as error:  # an integer past Python's limit on digits (4300)
        raise SweepSpecError(f"{shown}: a number is too long ({error.args[0].split(';')[0]})") from None
    return parse_spec(raw, shown, base_dir=path.parent, default_name=path.stem, text=text)


def parse_spec(raw: Mapping, source: str, *, base_dir: Path = Path("."), default_name: str = "sweep",
               text: str | None = None) -> SweepSpec:
    """Validate a spec read from TOML (or built in code, e.g. an experiment's quick version)."""
    only(raw, TOP_LEVEL_KEYS, source, "")
    name = string(raw, "name", default_name, source)
    description = string(raw, "description", "", source)
    scenario = _scenario(raw.get("scenario", "hague2025"), source, base_dir)

    runs = table(raw, "runs", source)
    only(runs, RUNS_KEYS, source, "runs.")
    replicates = integer(runs, "replicates", 1, 1, 10**9, source)
    seed = integer(runs, "seed", 0, 0, MAX_SEED, source)
    engine = choice(runs, "engine", Engine.BATCH, Engine, source)
    batch_size = integer(runs, "batch_size", 256, 1, 10**7, source, prefix="runs.")
    per_ally = boolean(runs, "per_ally", False, source)
    per_round = boolean(runs, "per_round", False, source)
    _check_per_round(per_round, engine, source,
                     f'runs.engine = "{engine}"' + ("" if "engine" in runs else " (the default)"))
    crn = boolean(runs, "common_random_numbers", False, source)

    sampler = table(raw, "sampler", source)
    only(sampler, SAMPLER_KEYS, source, "sampler.")
    method = choice(sampler, "method", SamplerMethod.GRID, SamplerMethod, source, prefix="sampler.")
    qmc = method in (SamplerMethod.LATIN_HYPERCUBE, SamplerMethod.SOBOL)
    if "samples" in sampler and not qmc:
        raise SweepSpecError(f"{source}: field sampler.samples is only for methods latin_hypercube and sobol; "
                             f"method {method} takes its points from the {'grid' if method == 'grid' else 'points'}")
    samples = integer(sampler, "samples", 64, 1, MAX_SAMPLES, source, prefix="sampler.") if qmc else 0
    if method == SamplerMethod.SOBOL and samples & (samples - 1):
        raise SweepSpecError(f"{source}: field sampler.samples = {samples} is not allowed for sobol; "
                             "allowed: a power of two (e.g. 64, 128, 256)")

    if method == SamplerMethod.LIST:
        if "parameters" in raw:
            raise SweepSpecError(f"{source}: field parameters is not used with sampler.method = \"list\"; "
                                 "give each parameter set as a [[points]] table")
        axes, design = (), _points(raw.get("points"), scenario, source)
    else:
        if "points" in raw:
            raise SweepSpecError(f"{source}: field points is only for sampler.method = \"list\"; "
                                 "allowed here: [parameters]")
        axes = _axes(table(raw, "parameters", source), method, source)
        _check_sample_memory(axes, method, samples, source)
        design = sample_design(axes, method, samples, np.random.SeedSequence(seed, spawn_key=(SAMPLER_SEED,)))
    spec = SweepSpec(name=name, description=description, scenario=scenario, sampler=method, axes=axes,
                     design=design, replicates=replicates, seed=seed, engine=engine, batch_size=batch_size,
                     per_ally=per_ally, per_round=per_round, common_random_numbers=crn, source=source,
                     text=text if text is not None else json.dumps(_plain(raw), indent=2, sort_keys=True))
    if spec.runs > MAX_RUNS:
        raise SweepSpecError(f"{source}: {spec.runs} runs is too many; allowed: at most {MAX_RUNS}")
    _check_combinations(spec)
    return spec


def _check_sample_memory(axes: tuple[Axis, ...], method: SamplerMethod, samples: int, source: str) -> None:
    """Refuse, before drawing anything, a Latin hypercube or Sobol' design too large to hold in
    memory: these samplers draw every point at once (a grid is computed point by point)."""
    values = samples * len(axes)
    if method == SamplerMethod.GRID or values <= MAX_SAMPLED_VALUES:
        return
    raise SweepSpecError(
        f"{source}: field sampler.samples = {samples} is too many to hold in memory ({method} draws every point "
        f"at once: {samples} samples x {len(axes)} parameters = {values} values); allowed: at most "
        f"{MAX_SAMPLED_VALUES} values, here samples <= {MAX_SAMPLED_VALUES // len(axes)}; "
        "for more runs raise runs.replicates")


def _check_per_round(per_round: bool, engine: Engine, source: str, engine_from: str) -> None:
    """Per-round tables come from the agents' own record, which only the Mesa engine keeps;
    refuse the pair rather than write a sweep without the tables it asked for."""
    if per_round and engine != Engine.MESA:
        raise SweepSpecError(f"{source}: field runs.per_round = true is not allowed with {engine_from}; "
                             f'allowed: per_round = true only with engine "mesa" (the {engine} engine keeps '
                             "no per-round data), or per_round = false")


def _check_combinations(spec: SweepSpec) -> None:
    """Each value was checked alone; check that the points also satisfy the cross-field rules
    (a deadline window that closes before it opens), when the design is small enough to scan."""
    if len(spec.design) > POINTS_CHECKED:
        return
    for index in range(len(spec.design)):
        point = spec.design.point(index)
        try:
            spec.scenario.params.replace(**point)
        except ParameterError as error:
            shown = ", ".join(f"{k} = {v}" for k, v in point.items())
            raise SweepSpecError(f"{spec.source}: field parameters: the design point {shown} is not allowed "
                                 f"({error})") from None


def _scenario(value, source: str, base_dir: Path) -> Scenario:
    if not isinstance(value, str) or not value:
        raise SweepSpecError(f"{source}: field scenario = {value!r} is not allowed; "
                             "allowed: a built-in scenario name or a scenario TOML path")
    candidate = base_dir / value
    target = candidate if (value.endswith(".toml") and candidate.is_file()) else value
    try:
        return load_scenario(target)
    except ScenarioError as error:
        raise SweepSpecError(f"{source}: field scenario: {error}") from None


def _axes(section: Mapping, method: SamplerMethod, source: str) -> tuple[Axis, ...]:
    known = parameter_fields()
    axes = []
    for name, value in section.items():
        where = f"{source}: field parameters.{name}"
        if name not in known:
            raise SweepSpecError(f"{where} is unknown; {did_you_mean(name)}known parameters: "
                                 f"{', '.join(sorted(known))}")
        if isinstance(value, Mapping):
            axes.append(_range_axis(name, value, method, where))
        else:
            values = value if isinstance(value, list) else [value]
            if not values:
                raise SweepSpecError(f"{where} = [] is not allowed; allowed: one value or a list of values, "
                                     f"each {allowed(name)}")
            checked = tuple(_value(name, v, where) for v in values)
            if len(set(checked)) != len(checked):
                raise SweepSpecError(f"{where} lists a value twice; allowed: distinct values")
            axes.append(Axis(name, values=checked))
    if method in (SamplerMethod.LATIN_HYPERCUBE, SamplerMethod.SOBOL) and not any(
            len(a.values) != 1 for a in axes):
        raise SweepSpecError(f"{source}: field parameters has nothing to sample; allowed: at least one range "
                             "{ low = ..., high = ... } or list of several values")
    return tuple(axes)


def _range_axis(name: str, table: Mapping, method: SamplerMethod, where: str) -> Axis:
    kind = parameter_kind(name)
    if kind not in (int, float):
        raise SweepSpecError(f"{where} cannot be a range; allowed: a list of values, each {allowed(name)}")
    unknown = sorted(set(table) - set(RANGE_KEYS))
    if unknown:
        raise SweepSpecError(f"{where}.{unknown[0]} is unknown; allowed: {', '.join(RANGE_KEYS)}")
    for key in ("low", "high"):
        if key not in table:
            raise SweepSpecError(f"{where}.{key} is missing; a range needs low and high, each {allowed(name)}")
    low = _value(name, table["low"], f"{where}.low")
    high = _value(name, table["high"], f"{where}.high")
    if high < low:
        raise SweepSpecError(f"{where}.high = {high!r} is below low = {low!r}; allowed: high >= low")
    steps = table.get("steps")
    if method == SamplerMethod.GRID:
        if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_GRID_STEPS:
            raise SweepSpecError(f"{where}.steps = {steps!r} is not allowed; allowed: an integer >= 1 and "
                                 f"<= {MAX_GRID_STEPS} (a grid range needs the number of evenly spaced values)")
        if steps > 1 and low == high:
            raise SweepSpecError(f"{where}: low = high with steps = {steps}; allowed: steps = 1 or high > low")
    elif steps is not None:
        raise SweepSpecError(f"{where}.steps is only for sampler.method = \"grid\"; "
                             f"{method} draws values from the whole range")
    return Axis(name, low=low, high=high, steps=steps)


def _points(points, scenario: Scenario, source: str) -> Design:
    if not isinstance(points, list) or not points or not all(isinstance(p, Mapping) for p in points):
        raise SweepSpecError(f"{source}: field points is missing or not a list of tables; allowed: one or more "
                             "[[points]] tables of parameter = value")
    known = parameter_fields()
    names = []
    for i, point in enumerate(points):
        for name in point:
            if name not in known:
                raise SweepSpecError(f"{source}: field points[{i}].{name} is unknown; {did_you_mean(name)}"
                                     f"known parameters: {', '.join(sorted(known))}")
            if name not in names:
                names.append(name)
    table = []
    for i, point in enumerate(points):
        values = {name: _value(name, point[name], f"{source}: field points[{i}].{name}")
                  for name in point}
        try:
            scenario.with_parameters(**values)
        except ScenarioError as error:
            raise SweepSpecError(f"{source}: field points[{i}]: {str(error).split(': ', 1)[-1]}") from None
        table.append(tuple(values.get(name, getattr(scenario.params, name)) for name in names))
    return Design(tuple(names), table=tuple(table))


def _value(name: str, value, where: str):
    """One parameter value, coerced and checked against the parameter's own range (the rules
    between parameters are checked on whole design points)."""
    meta = parameter_fields()[name].metadata
    try:
        coerced = coerce(name, value)
    except ParameterError:
        coerced = None
    in_range = coerced is not None and (meta["low"] is None or meta["low"] <= coerced <= meta["high"])
    if not in_range or (meta["choices"] and coerced not in meta["choices"]):
        raise SweepSpecError(f"{where} = {value!r} is not allowed; allowed: {allowed(name, value)}")
    return coerced


def _plain(value):
    """JSON-ready: enums as their values, tuples as lists, mapping keys as strings."""
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
