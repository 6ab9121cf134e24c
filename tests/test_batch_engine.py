"""The batch engine on its own: a run does not depend on its batch, the tables and the errors,
and the fast paths give what the one-run paths give.

A run's batch result must not depend on the batch size, the order of runs or the chunking,
and the same seeds must give the same output. `run_batch` checks a window's parameters as
columns (`sim.model.parameters.parameter_columns`) and groups runs by structure from them,
instead of building one `Parameters` per run, and reads the scenario and the allies' data
through a `ScenarioCache`: each is pinned to the one-run path it replaces (the same runs
accepted and refused, the same values, the same messages, the same results). The batch
engine against the Mesa model: tests/test_engine_equivalence.py.
"""

from __future__ import annotations

import dataclasses
import math
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import SLOW_EXAMPLES, batches, parameter_overrides, scenario

from sim.engines import batch
from sim.engines.batch import BatchResult, run_batch
from sim.engines.outcome import RUN_FIELDS
from sim.model.parameters import (
    COLUMN_TYPES,
    ParameterError,
    parameter_columns,
    parameter_fields,
)
from sim.model.scenario import ScenarioCache, ScenarioError, load_scenario


def assert_identical(first: BatchResult, second: BatchResult):
    """Bit for bit the same columns (NaN where NaN) and per-ally arrays."""
    for name in ("seed", *RUN_FIELDS):
        a, b = getattr(first, name), getattr(second, name)
        assert a.dtype == b.dtype, name
        if a.dtype.kind == "f":
            np.testing.assert_array_equal(a, b, err_msg=name, strict=True)
        else:
            assert a.tolist() == b.tolist(), name
    if first.allies is not None or second.allies is not None:
        assert first.allies.years == second.allies.years
        for name in ("final_position_pct", "accepted", "flexibility", "trajectory_pct", "on_track"):
            np.testing.assert_array_equal(getattr(first.allies, name), getattr(second.allies, name), err_msg=name)


NAMES = sorted(parameter_fields())


def same(a, b) -> bool:
    """Equal, or both NaN."""
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


@cache
def hague():
    return load_scenario("hague2025")


def one_by_one(overrides):
    """Each run's `Parameters` through the one-run path, or None where it is refused."""
    runs = []
    for changes in overrides:
        try:
            runs.append(hague().with_parameters(**(changes or {})).params)
        except ValueError:
            runs.append(None)
    return runs


# --- a run does not depend on its batch -------------------------------------------------------


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=SLOW_EXAMPLES)
@given(batch=batches(max_runs=24), data=st.data())
def test_result_does_not_depend_on_order_or_chunking(batch, data):
    name, overrides, seeds = batch
    whole = run_batch(scenario(name), overrides, seeds, per_ally=True)
    order = data.draw(st.permutations(range(len(seeds))))
    chunk = data.draw(st.integers(min_value=1, max_value=len(seeds)))
    shuffled = run_batch(scenario(name), [overrides[i] for i in order], [seeds[i] for i in order],
                         per_ally=True, chunk_runs=chunk)
    back = np.argsort(order)
    assert_identical(whole, reorder(shuffled, back))


def test_result_does_not_depend_on_batch_size():
    """Each run of a mixed batch (rules, data years, rounds, peer scales) alone equals the batch's row."""
    overrides = [{"mediator_rule": rule, "max_rounds": rounds, "peer_distance_km": scale, "us_pressure": pressure}
                 for rule in ("compromise", "median", "nash") for rounds, scale in ((3, 800.0), (12, 1000.0))
                 for pressure in (0.2, 0.9)]
    overrides += [{"data_year": 2014, "summit_year": 2014, "us_demand_pct": 2.0}, {"data_year": 2014}]
    seeds = list(range(len(overrides)))
    whole = run_batch(scenario("hague2025"), overrides, seeds)
    for run, (changes, seed) in enumerate(zip(overrides, seeds)):
        alone = run_batch(scenario("hague2025"), [changes], [seed])
        assert_identical(reorder(whole, [run]), alone)


def test_same_seeds_give_identical_output():
    overrides = [{"us_pressure": p} for p in np.linspace(0.0, 1.0, 9)]
    first = run_batch(scenario("hague2025"), overrides, range(9), per_ally=True)
    second = run_batch(scenario("hague2025"), overrides, range(9), per_ally=True)
    assert_identical(first, second)
    other = run_batch(scenario("hague2025"), overrides, range(100, 109))
    assert not np.array_equal(first.baseline_weighted_mean, other.baseline_weighted_mean)


def reorder(result: BatchResult, runs) -> BatchResult:
    """The result's runs in another order (or a subset), per-ally arrays included."""
    runs = np.asarray(runs)
    columns = {field.name: getattr(result, field.name)[runs] for field in dataclasses.fields(result)
               if isinstance(getattr(result, field.name), np.ndarray)}
    allies = result.allies
    if allies is not None:
        allies = type(allies)(years=allies.years, final_position_pct=allies.final_position_pct[runs],
                              accepted=allies.accepted[runs], flexibility=allies.flexibility[runs],
                              trajectory_pct=allies.trajectory_pct[runs], on_track=allies.on_track[runs])
    return BatchResult(scenario=result.scenario, iso3=result.iso3, allies=allies, **columns)


def test_mixed_structures_give_each_run_what_it_gives_alone():
    overrides = [{"mediator_rule": rule, "us_pressure": pressure, "data_year": year, "max_rounds": rounds}
                 for rule, pressure, year, rounds in zip(["nash", "median", "compromise", "median", "nash", "compromise"],
                                                         [0.1, 0.9, 0.5, 0.3, 0.7, 1.0],
                                                         [2024, 2014, 2024, 2024, 2014, 2014], [3, 12, 7, 20, 5, 9])]
    together = batch.run_batch(hague(), overrides, range(len(overrides)), per_ally=True).rows()
    for row, changes in enumerate(overrides):
        alone = batch.run_batch(hague(), [changes], [row], per_ally=True).rows()[0]
        assert alone.keys() == together[row].keys()
        for name, value in alone.items():
            assert same(value, together[row][name]), (row, name)


# --- the tables and the errors ----------------------------------------------------------------


def test_tables_have_the_run_level_columns():
    result = run_batch(scenario("hague2025"), [{}, {"us_pressure": 0.4}], [0, 1])
    assert len(result) == 2 and list(result.columns()) == list(RUN_FIELDS)
    assert [list(row) for row in result.rows()] == [list(RUN_FIELDS)] * 2
    assert list(result.to_pandas().columns) == list(RUN_FIELDS)
    table = result.to_arrow()
    assert table.column_names == list(RUN_FIELDS) and table.num_rows == 2
    assert result.allies is None


def test_empty_batch():
    result = run_batch(scenario("hague2025"), [], [], per_ally=True)
    assert len(result) == 0 and result.to_pandas().empty and result.allies.years == ()
    assert str(result.to_arrow().schema.field("holdouts").type) == "list<item: string>"


@pytest.mark.parametrize(("overrides", "seeds", "message"), [
    ([{}], [0, 1], "1 sets of overrides but 2 seeds"),
    ([{}], [-1], "run 0: seed -1 is not allowed"),
    ([{}], [True], "run 0: seed True is not allowed"),
    ([{}], [1.5], "run 0: seed 1.5 is not allowed"),
])
def test_bad_runs_are_refused(overrides, seeds, message):
    with pytest.raises(ValueError, match=message):
        run_batch(scenario("hague2025"), overrides, seeds)


def test_a_bad_override_names_its_run():
    with pytest.raises(ScenarioError, match=r"run 1: .*us_pressure"):
        run_batch(scenario("hague2025"), [{}, {"us_pressure": 2.0}], [0, 1])


@pytest.mark.parametrize("bad, kind", [
    ({"us_pressure": 7.0}, ScenarioError),
    ({"us_pressure": "x"}, ParameterError),
    ({"max_rounds": 0, "us_pressure": 2}, ScenarioError),
    ({"earliest_deadline_years": 20, "latest_deadline_years": 10}, ScenarioError),
    ({"latest_deadline_years": 2}, ScenarioError),
    ({"no_such_parameter": 1}, ParameterError),
    ({"mediator_rule": "vote"}, ParameterError),
    ({"data_year": 2030}, ScenarioError),
    ({"summit_year": 2000}, ScenarioError),  # before the data year
    ({"max_rounds": 12.5}, ParameterError),
    ({"split_enabled": 1}, ParameterError),
])
def test_a_refused_run_is_reported_as_the_one_run_path_reports_it_with_its_index(bad, kind):
    with pytest.raises(ValueError) as one_run:
        hague().with_parameters(**bad)
    overrides = [{"us_pressure": 0.5}] * 17 + [bad, {"us_pressure": 9.0}] + [{}] * 3
    with pytest.raises(kind) as raised:
        batch.run_batch(hague(), overrides, range(len(overrides)), chunk_runs=8)
    assert type(raised.value) is type(one_run.value)
    assert str(raised.value) == f"run 17: {one_run.value}"


def test_the_message_names_the_field_and_range():
    with pytest.raises(ScenarioError, match=r"^run 17: configs/hague2025.toml: us_pressure: 7.0 is out of range; "
                                            r"allowed: a number from 0 to 1$"):
        batch.run_batch(hague(), [{}] * 17 + [{"us_pressure": 7.0}], range(18))


# --- parameters as columns, runs grouped by structure -----------------------------------------


#: Values of every kind a caller might pass: valid, out of range, of the wrong type, exotic.
ODD_VALUES = st.one_of(
    st.floats(), st.integers(min_value=-(2**70), max_value=2**70), st.booleans(), st.none(),
    st.sampled_from(["0.5", "12", "12.5", "nan", "median", "nash", "x", "", [1], np.float64(0.3), np.int64(12),
                     np.bool_(True), np.float32(0.5), 2014, 2024, 2014.0]),
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.dictionaries(st.sampled_from(NAMES + ["no_such_parameter"]), ODD_VALUES, max_size=4),
                          parameter_overrides(), st.none()), min_size=1, max_size=8))
def test_columns_accept_refuse_and_coerce_as_one_run_parameters_do(overrides):
    columns = parameter_columns(hague().params, overrides)
    for row, params in enumerate(one_by_one(overrides)):
        assert columns.refused[row] == (params is None), overrides[row]
        if params is None:
            continue
        for name, spec in parameter_fields().items():
            value = columns.values[name][row]
            assert columns.values[name].dtype == np.dtype(COLUMN_TYPES[spec.type])
            expected = getattr(params, name)
            assert same(value.item() if isinstance(value, np.generic) else value, expected), (name, value, expected)


def test_levers_from_columns_are_the_levers_from_parameters():
    overrides = [{"us_pressure": 0.25, "max_rounds": 7}, {}, {"threat_level": 1, "split_enabled": False},
                 {"earliest_deadline_years": 3, "latest_deadline_years": 3}]
    params = one_by_one(overrides)
    rows = np.arange(len(overrides))
    from_columns = batch.Levers.of_columns(parameter_columns(hague().params, overrides), rows)
    from_params = batch.Levers.of(params)
    assert list(from_columns.columns) == list(from_params.columns) == list(batch.LEVER_NAMES)
    for name in batch.LEVER_NAMES:
        a, b = getattr(from_columns, name), getattr(from_params, name)
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), name


def test_groups_are_in_order_of_first_run_and_keep_run_order():
    overrides = [{"mediator_rule": "nash"}, {}, {"data_year": 2014}, {"mediator_rule": "nash"}, {}]
    groups = batch.Structure.groups(parameter_columns(hague().params, overrides))
    assert [(s.mediator_rule.value, s.data_year) for s, _ in groups] == [("nash", 2024), ("compromise", 2024),
                                                                          ("compromise", 2014)]
    assert [rows.tolist() for _, rows in groups] == [[0, 3], [1, 4], [2]]


# --- through a scenario cache -----------------------------------------------------------------


def test_run_batch_with_a_cache_gives_what_it_gives_without(tmp_path):
    cache = ScenarioCache()
    overrides = [{"us_pressure": p} for p in (0.2, 0.6, 0.95)]
    plain = batch.run_batch("hague2025", overrides, [1, 2, 3], per_ally=True)
    for _ in range(2):
        cached = batch.run_batch("hague2025", overrides, [1, 2, 3], per_ally=True, cache=cache)
        assert all(same(a, b) for x, y in zip(cached.rows(), plain.rows(), strict=True)
                   for a, b in zip(x.values(), y.values(), strict=True))
        assert np.array_equal(cached.allies.trajectory_pct, plain.allies.trajectory_pct, equal_nan=True)
    assert cache.scenario("hague2025") is cache.scenario("hague2025")
