"""The batch engine's fast paths give what the one-run paths give.

`run_batch` checks a window's parameters as columns (`sim.model.parameters.parameter_columns`) and
groups runs by structure from them, instead of building one `Parameters` per run; it reads the
scenario and the allies' data through a `ScenarioCache`. Each is pinned here to the one-run
path it replaces: the same runs accepted and refused, the same values, the same messages,
the same results, and a cache that notices an edited file.
"""

from __future__ import annotations

import math
import os
from functools import cache

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import parameter_overrides

from sim.engines import batch
from sim.model.parameters import (
    COLUMN_TYPES,
    ParameterError,
    parameter_columns,
    parameter_fields,
)
from sim.model.scenario import ScenarioCache, ScenarioError, load_scenario

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


#: Values of every kind a caller might pass: valid, out of range, of the wrong type, exotic.
ODD_VALUES = st.one_of(
    st.floats(), st.integers(min_value=-(2**70), max_value=2**70), st.booleans(), st.none(),
    st.sampled_from(["0.5", "12", "12.5", "nan", "median", "nash", "x", "", [1], np.float64(0.3), np.int64(12),
                     np.bool_(True), np.float32(0.5), 2014, 2024, 2014.0]),
)


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


@pytest.mark.parametrize("bad, kind", [
    ({"us_pressure": 7.0}, ScenarioError),
    ({"us_pressure": "x"}, ParameterError),
    ({"max_rounds": 0, "us_pressure": 2}, ScenarioError),
    ({"earliest_deadline_years": 20, "latest_deadline_years": 10}, ScenarioError),
    ({"latest_deadline_years": 2}, ScenarioError),
    ({"no_such_parameter": 1}, ParameterError),
    ({"mediator_rule": "vote"}, ParameterError),
    ({"data_year": 2020}, ScenarioError),
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


def test_groups_are_in_order_of_first_run_and_keep_run_order():
    overrides = [{"mediator_rule": "nash"}, {}, {"data_year": 2014}, {"mediator_rule": "nash"}, {}]
    groups = batch.Structure.groups(parameter_columns(hague().params, overrides))
    assert [(s.mediator_rule.value, s.data_year) for s, _ in groups] == [("nash", 2024), ("compromise", 2024),
                                                                          ("compromise", 2014)]
    assert [rows.tolist() for _, rows in groups] == [[0, 3], [1, 4], [2]]


# --- the cache ------------------------------------------------------------------------------------

def test_cache_returns_the_loaded_scenario_and_facts_until_a_file_changes(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\n[parameters]\nus_pressure = 0.3\n')
    cache = ScenarioCache()
    first = cache.scenario(str(path))
    assert cache.scenario(str(path)) is first and first.params.us_pressure == 0.3
    facts = cache.allies(first)
    assert cache.allies(first) is facts
    assert cache.derived(facts, "x", object) is cache.derived(facts, "x", object)

    path.write_text('name = "mine"\n[parameters]\nus_pressure = 0.7\n')
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a new version even on a coarse clock
    assert cache.scenario(str(path)).params.us_pressure == 0.7


def test_cache_does_not_remember_errors(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[parameters]\nus_pressure = 7\n")
    cache = ScenarioCache()
    with pytest.raises(ScenarioError, match="us_pressure"):
        cache.scenario(str(path))
    path.write_text("[parameters]\nus_pressure = 0.5\n")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert cache.scenario(str(path)).params.us_pressure == 0.5


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
