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

For EMA workbench (3.x), `EMAFunction` is the model's function, one call per experiment, and
`BatchEvaluator` evaluates a whole design of experiments in one call to the batch engine
(`tests/test_api_ema.py` pins it to one call per experiment); `prim_ready` gives EMA's PRIM an
experiments table it can read under pandas 3. For SALib and other tools that cannot take NaN,
`defined_outcome` refuses a missing value, or fills it by a rule the caller names.
"""

from __future__ import annotations

import enum
import functools
import numbers
import os
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from sim.engines.batch import run_batch
from sim.engines.outcome import BatchResult
from sim.engines.schema import RUN_OUTCOMES
from sim.model.parameters import ParameterError
from sim.model.scenario import DEFAULT_SCENARIO, Scenario, ScenarioCache, load_scenario

__all__ = ["OUTCOME_FIELDS", "SEED_COLUMN", "MAX_RUNS", "MISSING_RULES", "simulate", "simulate_many",
           "defined_outcome", "EMAFunction", "prim_ready"]  # BatchEvaluator too, built on first use (needs EMA)

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


# --- outcomes for tools that cannot take NaN (SALib) ----------------------------------------------

#: The rules `defined_outcome` fills a missing value by, each named by what it puts in its place.
MISSING_RULES = ("refuse", "zero", "status_quo")


def defined_outcome(table: pd.DataFrame, name: str, where_missing: str | float = "refuse", *,
                    status_quo: pd.Series | np.ndarray | None = None) -> np.ndarray:
    """The column `name` of `table` (a `simulate_many` result, or any table of outcomes) as a
    float array with a value in every row, for tools that cannot take NaN.

    SALib's `sobol.analyze` (1.6) gives no error for a NaN in the model's outputs: the NaN
    propagates through its estimators and the total indices come back as 0.0 (or NaN), which
    reads as "no effect". A run without a deal has no core or related level and no deadline
    (NaN, see the module docstring), so such an outcome must be made whole first, by a rule
    the caller names:

    - ``"refuse"`` (the default): raise `ValueError` naming how many runs lack the value and
      the ways out, if any does;
    - ``"zero"``: 0.0 where missing (e.g. "no agreed increase");
    - ``"status_quo"``: the value in `status_quo` (an array or Series aligned with `table`,
      e.g. the allies' current spending) where missing;
    - a number: that number where missing.

    Runs are never dropped here: that would break the design SALib reads (a Sobol' design's
    blocks, a Morris trajectory); to analyse the level given a deal, keep the blocks where
    every run has a value (`examples/salib_sobol.py`).

    An always-defined alternative is to analyse the deal itself (`deal`, a bool, never
    missing) or a point's deal probability.
    """
    if name not in table.columns:
        raise KeyError(f"outcome {name!r} is not a column of the table; columns: {', '.join(map(str, table.columns))}")
    values = pd.to_numeric(table[name], errors="raise").to_numpy(dtype=float, na_value=np.nan)
    missing = np.isnan(values)
    count = int(missing.sum())
    if count == 0:
        return values
    if isinstance(where_missing, str):
        if where_missing not in MISSING_RULES:
            raise ValueError(f"where_missing = {where_missing!r}; allowed: one of {', '.join(MISSING_RULES)}, "
                             "or a number to put where the value is missing")
        if where_missing == "zero":
            return np.where(missing, 0.0, values)
        if where_missing == "status_quo":
            if status_quo is None:
                raise ValueError("where_missing = 'status_quo' needs status_quo=, the value for each run "
                                 "(aligned with the table)")
            fill = np.asarray(status_quo, dtype=float)
            if fill.shape != values.shape:
                raise ValueError(f"status_quo has shape {fill.shape}; it must have one value per run, {values.shape}")
            return np.where(missing, fill, values)
        raise ValueError(
            f"outcome {name!r} is missing (NaN) in {count:,} of {len(values):,} runs "
            f"({count / len(values):.1%}), e.g. row {plain(table.index[missing][0])!r}, and where_missing='refuse': "
            "SALib would take the NaN silently "
            "and give indices of 0.0 or NaN. Fill it by a named rule (where_missing='zero', "
            "'status_quo' with status_quo=..., or a number), analyse an outcome that is always defined "
            "('deal', or each point's deal probability), or analyse it given a deal on the design "
            "blocks where every run has a value (examples/salib_sobol.py)")
    if isinstance(where_missing, bool) or not isinstance(where_missing, numbers.Real) or np.isnan(where_missing):
        raise ValueError(f"where_missing = {where_missing!r}; allowed: one of {', '.join(MISSING_RULES)}, "
                         "or a number to put where the value is missing")
    return np.where(missing, float(where_missing), values)


# --- EMA workbench ----------------------------------------------------------------------------------

class EMAFunction:
    """The model as an EMA workbench `Model`'s function: called with one keyword argument per
    uncertainty, lever and constant, `seed` among them (0 if absent), it runs `simulate` once on
    `scenario` and returns the outcomes dict. `Model("alliance", function=EMAFunction())` runs
    with any EMA evaluator, one call per experiment; `BatchEvaluator` runs the same model a
    whole design at a time, with the same outcomes for the same seeds.
    """

    def __init__(self, scenario: str | os.PathLike | Scenario = DEFAULT_SCENARIO) -> None:
        self.scenario = scenario
        self.cache = ScenarioCache()

    def __call__(self, seed: int = 0, **params: object) -> dict[str, float]:
        return simulate(params, seed=seed, scenario=self.scenario, cache=self.cache)

    def __getstate__(self) -> dict:  # for EMA's multiprocessing evaluator: the cache is rebuilt
        return {"scenario": self.scenario}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["scenario"])


def experiment_arguments(model: object, experiment: object) -> dict[str, object]:
    """The keyword arguments EMA workbench 3's `Model` would call its function with for
    `experiment`: the model's uncertainties from the scenario, its levers from the policy (a
    parameter's default where the sample lacks it) and its constants, by variable name."""
    arguments: dict[str, object] = {}
    for parameters, sample in ((model.uncertainties, experiment.scenario), (model.levers, experiment.policy)):
        for parameter in parameters:
            if parameter.name in sample:
                value = sample[parameter.name]
            elif parameter.default is not None:
                value = parameter.default
            else:
                continue
            if getattr(parameter, "multivalue", False):
                raise ValueError(f"{parameter.name}: multivalue categorical parameters are not supported")
            for variable in parameter.variable_name:
                arguments[variable] = value
    for constant in model.constants:
        for variable in constant.variable_name:
            arguments[variable] = constant.value
    return arguments


def evaluate_design(model: object, experiments: Sequence[object]) -> list[dict[str, object]]:
    """Each experiment's outcomes, as EMA's `Model` would give them (each outcome's `process`
    on its variables), all experiments of `model` run in one call to the batch engine."""
    function = getattr(model, "function", None)
    if not isinstance(function, EMAFunction):
        raise TypeError(f"model {getattr(model, 'name', model)!r}: BatchEvaluator runs models whose function is "
                        f"sim.api.EMAFunction (Model(name, function=EMAFunction(scenario))), not "
                        f"{type(function).__name__}; run other models with EMA's own evaluators")
    for outcome in model.outcomes:
        unknown = [variable for variable in outcome.variable_name if variable not in OUTCOME_FIELDS]
        if unknown:
            raise ValueError(f"outcome {outcome.name!r} reads {', '.join(unknown)}, which the model does not give; "
                             f"allowed: {', '.join(OUTCOME_FIELDS)}")
    base = scenario_of(function.scenario, function.cache)
    overrides, seeds = [], []
    for experiment in experiments:
        arguments = experiment_arguments(model, experiment)
        try:
            seeds.append(checked_seed(arguments.pop(SEED_COLUMN, 0)))
            overrides.append(checked_parameters(base, arguments))
        except ValueError as error:
            raise type(error)(f"experiment {experiment.experiment_id}: {error}") from None
    if not seeds:
        return []
    columns = {name: column.tolist() for name, column in
               outcome_columns(run_batch(base, overrides, seeds, cache=function.cache)).items()}
    return [{outcome.name: outcome.process([columns[variable][row] for variable in outcome.variable_name])
             for outcome in model.outcomes} for row in range(len(seeds))]


@functools.cache
def batch_evaluator_class() -> type:
    """`BatchEvaluator`, built on first use so that the API does not need EMA workbench."""
    from ema_workbench.em_framework.evaluators import BaseEvaluator

    class BatchEvaluator(BaseEvaluator):
        """An EMA workbench 3 evaluator that runs a whole design in one call to the batch engine.

            model = Model("alliance", function=EMAFunction())
            model.uncertainties = [RealParameter("us_pressure", 0, 1), IntegerParameter("seed", 0, 2**31 - 1)]
            model.outcomes = [ScalarOutcome(name) for name in OUTCOME_FIELDS]
            with BatchEvaluator(model) as evaluator:
                experiments, outcomes = evaluator.perform_experiments(1000)

        Why an evaluator: in EMA workbench 3, `perform_experiments` samples the design, builds
        the `Experiment`s and hands them all to its evaluator's `evaluate_experiments(experiments,
        callback)`, which reports each experiment's outcomes to `callback`; the evaluator is
        the documented extension point (`BaseEvaluator`, whose subclasses are the sequential,
        multiprocessing and MPI evaluators), and the only one that sees the design at once. A
        `Model`'s function is always called once per experiment (`Model.run_experiment`), so
        a function taking arrays is not something EMA 3 supports. Sampling, the experiments
        table, the outcome arrays, `Model.outcomes` (with their `function`s), levers,
        constants and policies all stay EMA's own; only the running is batched.

        The models must have `EMAFunction` as their function (their scenario is its
        scenario); `seed` is an uncertainty, a lever or a constant like any other (0 where
        absent). A bad experiment raises before any run, naming its `experiment_id`.
        """

        def initialize(self) -> None:
            """Nothing to start: the batch engine runs in this process."""

        def finalize(self) -> None:
            """Nothing to stop."""

        def evaluate_experiments(self, experiments: Iterable[object], callback: Callable, **kwargs) -> None:
            """Run every experiment, model by model, and report each one's outcomes to `callback`
            in the order EMA gave them."""
            experiments = list(experiments)
            models = {model.name: model for model in self._msis}
            outcomes: dict[int, dict] = {}
            for name, model in models.items():
                mine = [experiment for experiment in experiments if experiment.model_name == name]
                for experiment, found in zip(mine, evaluate_design(model, mine)):
                    outcomes[id(experiment)] = found
            for experiment in experiments:
                callback(experiment, outcomes[id(experiment)])

    BatchEvaluator.__module__ = __name__
    return BatchEvaluator


def prim_ready(experiments: pd.DataFrame, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """EMA workbench's experiments table (or `columns` of it) with every column a float64, as
    EMA 3.0's PRIM (`ema_workbench.analysis.prim.Prim`) can read it under pandas 3:

    - an integer column as floats (12 as 12.0);
    - a bool column as 0.0 (False) and 1.0 (True);
    - a categorical (or text) column as one 0/1 column per category, named
      ``"<column>=<category>"`` (``protocol=mediator``, ...), so that PRIM can keep or drop
      each category on its own, as it would peel a nominal variable; a box that keeps
      only the mediator has ``protocol=mediator`` in [1, 1], one that drops the agenda setter
      ``protocol=agenda_setter`` in [0, 0];
    - a float column as it is.

    Why: EMA 3.0's PRIM writes a box's new limits into pandas tables in place, and pandas 3
    refuses a value of another type where pandas 2 cast it silently. Pasting an integer
    limit halfway between two values raises ``TypeError: Invalid value '9.5' for dtype
    'int64'`` (`Prim._real_paste`), and `box.inspect()` writing the set of values a bool or
    a categorical keeps into its float table raises ``Invalid value '{False}' for dtype
    'float64'`` (`PrimBox._inspect_data`), whatever the categories' type. With floats only,
    every limit is a float, and a 0/1 column is peeled at 0.5 (EMA's quantile steps over ties).
    """
    names = list(experiments.columns) if columns is None else list(columns)
    parts: dict[str, pd.Series] = {}
    for name in names:
        column = experiments[name]
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column) \
                and not isinstance(column.dtype, pd.CategoricalDtype):
            parts[name] = column.astype(np.float64)
            continue
        labels = column.map(lambda value: value.value if isinstance(value, enum.Enum) else value).astype(str)
        categories = (column.cat.categories if isinstance(column.dtype, pd.CategoricalDtype)
                      else pd.unique(labels))
        for category in categories:
            label = category.value if isinstance(category, enum.Enum) else category
            parts[f"{name}={label}"] = (labels == str(label)).astype(np.float64)
    return pd.DataFrame(parts, index=experiments.index)


def __getattr__(name: str) -> object:
    if name == "BatchEvaluator":
        return batch_evaluator_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
