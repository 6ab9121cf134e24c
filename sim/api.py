"""Parameters in, outcomes out: the model as a function, for exploratory-modelling tools.

`simulate` runs the talks once and `simulate_many` runs a design of parameter sets, each with
one or more seeds, both on the batch engine (`sim.engines.batch.run_batch`), and both give the
run-level outcomes (`RUN_FIELDS`) as scalars, which is what EMA workbench, SALib, pandas and
DuckDB read without help (docs/design.md, "Style": a model is a function from parameters to
outcomes, as in EMA workbench):

- Each is typed as the outcome schema (`sim.engines.schema.RunOutcomes`) declares it: a bool
  stays a bool (`deal`), an int that is never missing an int (`rounds`, the counts), and
  every other outcome is a float.
- Missing is NaN (never -1 or None): a run without a deal has no core or related level, no
  deadline and no implementation, so every field the schema declares nullable is NaN for it
  (`allies_on_track` and the deadline are floats for that reason: 2035.0); the related level
  is NaN too for a deal without the core/related split.
- Which allies hold out or get a side letter are lists, so they are given only as counts
  (`n_holdouts`, `n_flexibility`); `holdouts` and `flexibility` are left out. For the codes,
  use `run_batch(...).rows()` or a sweep's results (`sim.sweeps.results.load_results`).

Parameters are named as in `sim.model.parameters.Parameters` and checked like a scenario file's
(`Scenario.with_parameters`): an unknown name, a value of the wrong kind or out of range
raises `ParameterError` or `ScenarioError` (both `ValueError`s) naming the parameter and what
is allowed. numpy scalars are taken as the Python values they hold (EMA workbench and numpy
designs pass them): `np.bool_` as a bool, `np.integer` as an int, `np.floating` as a float,
and a float with an integral value (12.0) is accepted for an integer parameter, 12.5 is not.

The same parameters and seed give what `AllianceModel(scenario, rng=seed, **params).run()`
gives (`tests/test_api.py` pins `simulate` to the Mesa model's `outcome_row` to 1e-9).
"""

from __future__ import annotations

import numbers
import os
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sim.engines.batch import run_batch
from sim.engines.outcome import BatchResult
from sim.engines.schema import RUN_OUTCOMES
from sim.model.parameters import ParameterError
from sim.model.scenario import DEFAULT_SCENARIO, Scenario, ScenarioCache, load_scenario

#: The outcomes `simulate` and `simulate_many` give, in RUN_FIELDS order: every field of the
#: schema with a scalar type (`OutcomeField.scalar_type`; the lists of ISO3 codes left out,
#: their counts kept).
OUTCOME_FIELDS = tuple(spec.name for spec in RUN_OUTCOMES if spec.scalar_type is not None)
SEED_COLUMN = "seed"
#: The most runs `simulate_many` takes in one call: it holds every run's outcomes in memory
#: (some hundreds of bytes each); a sweep writes any number to disk as it goes.
MAX_RUNS = 10**8


def simulate(params: Mapping[str, object] | None = None, seed: int = 0,
             scenario: str | os.PathLike | Scenario = DEFAULT_SCENARIO, *,
             cache: ScenarioCache | None = None) -> dict[str, float]:
    """One run of the talks: `scenario` (a built-in name, a TOML path or a `Scenario`) with
    `params` changed, seeded with `seed`; its outcomes as plain Python scalars keyed by
    OUTCOME_FIELDS (see the module docstring: bools, ints, floats with NaN where missing;
    holdouts and side letters only as counts, `n_holdouts` and `n_flexibility`). A caller
    that runs one run at a time (as EMA workbench does) passes a `ScenarioCache` it holds, so
    the scenario and the allies' data are not read again for every run.

    >>> simulate({"us_pressure": 0.5}, seed=3)["deal"]
    True
    """
    base = scenario_of(scenario, cache)
    overrides = checked_parameters(base, params or {})
    result = run_batch(base, [overrides], [checked_seed(seed)], cache=cache)
    return {name: column[0].item() for name, column in outcome_columns(result).items()}


def simulate_many(design: pd.DataFrame, seeds: Sequence[int] | int,
                  scenario: str | os.PathLike | Scenario = DEFAULT_SCENARIO) -> pd.DataFrame:
    """Every row of `design` (one column per parameter changed) run with every seed of `seeds`
    (or with seeds 0..seeds-1 when `seeds` is a count), all in one call to the batch engine.

    Returns one row per run, design row by design row and within a row seed by seed: the
    design's columns (their values and types as given), a `seed` column and the outcome
    columns OUTCOME_FIELDS, typed as `simulate` gives them (bool, int64, float64 with NaN
    where missing). The index is 0..runs-1. A design with no columns runs the scenario as it
    is, once per row. A bad design row raises `ParameterError`/`ScenarioError` naming the
    row's index label.
    """
    if not isinstance(design, pd.DataFrame):
        raise TypeError(f"design must be a pandas DataFrame with one column per parameter, not "
                        f"{type(design).__name__}; e.g. pandas.DataFrame({{'us_pressure': [0.2, 0.8]}})")
    base = scenario_of(scenario)
    runs = max(len(design), 1) * (int(plain(seeds)) if is_count(seeds) else 1)
    if runs > MAX_RUNS:  # before the list of seeds: 10**12 of them is a bare MemoryError
        raise ParameterError(f"seeds = {plain(seeds)!r} with {len(design)} design rows is {runs:,} runs; allowed: "
                             f"at most {MAX_RUNS:,} in one call, which holds every run in memory; for more, run a "
                             "sweep (alliance-sim sweep, or sim.sweeps.sweep.run_sweep), which writes them to disk "
                             "as it goes")
    run_seeds = seed_list(seeds)
    if len(design) * len(run_seeds) > MAX_RUNS:
        raise ParameterError(f"seeds: {len(run_seeds):,} seeds with {len(design)} design rows is "
                             f"{len(design) * len(run_seeds):,} runs; allowed: at most {MAX_RUNS:,} in one call; "
                             "for more, run a sweep (alliance-sim sweep)")
    names = list(design.columns)
    for name in names:
        if not isinstance(name, str):
            raise ParameterError(f"design column {name!r}: parameter names must be strings")
    if design.columns.duplicated().any():
        raise ParameterError(f"design columns {sorted(set(design.columns[design.columns.duplicated()]))}: "
                             "each parameter may have one column only")
    columns = [design[name].tolist() for name in names]  # numpy scalars become Python values here
    rows = []
    for label, values in zip(design.index, zip(*columns) if names else [()] * len(design)):
        try:
            rows.append(checked_parameters(base, dict(zip(names, values))))
        except ValueError as error:
            raise type(error)(f"design row {label!r}: {error}") from None
    overrides = [row for row in rows for _ in run_seeds]
    result = run_batch(base, overrides, run_seeds * len(rows))
    table = design.iloc[np.repeat(np.arange(len(design)), len(run_seeds))].reset_index(drop=True)
    table[SEED_COLUMN] = np.array(run_seeds * len(rows), dtype=np.int64)
    for name, column in outcome_columns(result).items():
        table[name] = column
    return table


# --- the conversions -------------------------------------------------------------------------------

def scenario_of(scenario: str | os.PathLike | Scenario, cache: ScenarioCache | None = None) -> Scenario:
    """The scenario, loaded once per call (or taken from the caller's cache) and handed to the
    batch engine as an object."""
    if isinstance(scenario, Scenario):
        return scenario
    return cache.scenario(scenario) if cache is not None else load_scenario(scenario)


def plain(value: object) -> object:
    """A numpy scalar (or 0-d array) as the Python value it holds; anything else as it is."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    return value.item() if isinstance(value, np.generic) else value


def checked_parameters(base: Scenario, params: Mapping[str, object]) -> dict[str, object]:
    """`params` with plain Python values, each checked against `base` as a scenario file's
    would be; the values the model will use (an integral 12.0 becomes 12)."""
    if not isinstance(params, Mapping):
        raise ParameterError(f"parameters must be a mapping of name to value, not {type(params).__name__}")
    values = {}
    for name, value in params.items():
        if not isinstance(name, str):
            raise ParameterError(f"parameter name {name!r}: names must be strings")
        values[name] = plain(value)
    changed = base.with_parameters(**values).params
    return {name: getattr(changed, name) for name in values}


def checked_seed(seed: object) -> int:
    """A seed as an int: a non-negative integer, numpy's included, or a float with an integral value."""
    value = plain(seed)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ParameterError(f"seed {seed!r} is not allowed; allowed: a non-negative integer")
    return int(value)


def is_count(seeds: object) -> bool:
    """Whether `seeds` is a count of seeds (an integer), not the seeds themselves."""
    count = plain(seeds)
    return isinstance(count, numbers.Integral) and not isinstance(count, bool)


def seed_list(seeds: Sequence[int] | int) -> list[int]:
    """The seeds as a list of ints: `seeds` itself, or 0..seeds-1 when it is a count."""
    count = plain(seeds)
    if is_count(count):
        if count < 1:
            raise ParameterError(f"seeds = {count!r}: a count of seeds must be at least 1")
        return list(range(int(count)))
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, (Sequence, np.ndarray, pd.Series, range)):
        raise ParameterError(f"seeds = {seeds!r} is not allowed; allowed: a count or a sequence of "
                             "non-negative integers")
    listed = [checked_seed(seed) for seed in seeds]
    if not listed:
        raise ParameterError("seeds is empty; give at least one seed")
    return listed


def outcome_columns(result: BatchResult) -> dict[str, np.ndarray]:
    """The batch's outcome columns, typed as the schema says: bool, int64 or float64 (NaN
    where missing)."""
    return {spec.name: np.asarray(getattr(result, spec.name), dtype=spec.scalar_type)
            for spec in RUN_OUTCOMES if spec.scalar_type is not None}
