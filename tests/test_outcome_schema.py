"""The outcome schema is declared once (`sim.engines.schema.RunOutcomes`) and every other list
of outcome fields is derived from it: the run-level field list, the batch engine's columns and
dtypes, `BatchResult`, its rows, Arrow and pandas tables, the API's columns and casts, the
shards' column docs and the tables in docs/results.md. Both engines fill it through one
function (`run_outcomes`), so they give the same fields for the same seeds."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import sim.api as api
import sim.engines.outcome as outcome_module
import sim.engines.schema as schema
import sim.sweeps.shards as shards
from sim.engines.batch import LEVER_NAMES, Levers, run_batch
from sim.engines.engine import run_mesa
from sim.engines.model import AllianceModel
from sim.engines.outcome import (
    ALLY_FIELDS,
    ALLY_OUTCOMES,
    BASELINE_PREFIX,
    RUN_FIELDS,
    Baselines,
    BatchResult,
    Collected,
    Outcome,
)
from sim.engines.schema import RUN_OUTCOMES, Kind, OutcomeField, RunOutcomes, outcome
from sim.model.parameters import Parameters, parameter_fields
from sim.model.scenario import load_scenario
from sim.sweeps.shards import COLUMN_DOCS, ResultTable, markdown_table, parameter_doc, run_schema

DOCS = Path(__file__).resolve().parent.parent / "docs" / "results.md"
SEEDS = [0, 1, 2, 3]
OVERRIDES = [{}, {"us_pressure": 1.0, "max_rounds": 2}, {"split_enabled": False}, {"us_pressure": 0.3}]


@pytest.fixture(scope="module")
def both():
    """The same runs (deals and no deals) on each engine."""
    scenario = load_scenario("hague2025")
    return run_batch(scenario, OVERRIDES, SEEDS, per_ally=True), run_mesa(scenario, OVERRIDES, SEEDS, per_ally=True)


# --- every field named once ------------------------------------------------------------------

def test_the_schema_is_the_declarations_fields_each_named_once():
    names = [spec.name for spec in RUN_OUTCOMES]
    assert len(set(names)) == len(names)
    assert tuple(names) == RUN_FIELDS == tuple(f.name for f in dataclasses.fields(RunOutcomes))
    for spec in RUN_OUTCOMES:
        assert isinstance(spec.kind, Kind) and spec.unit and spec.description, spec.name
        assert spec.count_of is None or spec.count_of in names, spec.name


def test_batch_results_fields_are_the_schema_and_the_runs_identity():
    outcome_names = [f.name for f in dataclasses.fields(BatchResult)][:len(RUN_OUTCOMES)]
    assert outcome_names == list(RUN_FIELDS)
    assert issubclass(BatchResult, RunOutcomes)


def test_the_parquet_schema_is_the_schemas_names_and_types():
    runs = run_schema([])
    assert runs.names[-len(RUN_OUTCOMES):] == list(RUN_FIELDS)
    for spec in RUN_OUTCOMES:
        field = runs.field(spec.name)
        assert field.type == spec.arrow_type, spec.name
        assert field.metadata == {b"unit": spec.unit.encode(), b"description": spec.description.encode()}
    assert [name for name in COLUMN_DOCS[ResultTable.RUNS] if name in RUN_FIELDS] == list(RUN_FIELDS)
    assert ResultTable.ALLIES.schema.names == ["run_id", "iso3", *ALLY_FIELDS]
    for spec in ALLY_OUTCOMES:
        assert ResultTable.ALLIES.schema.field(spec.name).type == spec.arrow_type


def test_the_nullable_ints_are_int64_with_nulls_on_disk_and_float_in_memory():
    nullable_ints = {spec.name for spec in RUN_OUTCOMES if spec.kind is Kind.INT and spec.nullable}
    assert nullable_ints == {"deadline_year", "allies_on_track"}  # the contract the tests of results pin
    for spec in RUN_OUTCOMES:
        if spec.name in nullable_ints:
            assert spec.dtype == np.float64 and spec.arrow_type == pa.int64()


def test_the_api_gives_every_scalar_field_typed_as_the_schema_says(both):
    batch, _ = both
    scalars = [spec for spec in RUN_OUTCOMES if spec.kind is not Kind.CODES]
    assert api.OUTCOME_FIELDS == tuple(spec.name for spec in scalars)
    columns = api.outcome_columns(batch)
    for spec in scalars:
        expected = {bool: np.bool_, int: np.int64, float: np.float64}[spec.scalar_type]
        assert columns[spec.name].dtype == expected, spec.name
    one = api.simulate(seed=0)
    assert [type(value) for value in one.values()] == [spec.scalar_type for spec in scalars]


def test_the_docs_tables_are_the_rendered_schema():
    text = DOCS.read_text(encoding="utf-8")
    for table, columns in COLUMN_DOCS.items():
        rendered = markdown_table(columns)
        assert rendered in text, f"docs/results.md's {table}/ table is not what the schema renders:\n{rendered}"
    parameters = markdown_table({name: parameter_doc(name) for name in parameter_fields()})
    assert parameters in text, f"docs/results.md's parameter table is not what the schema renders:\n{parameters}"
    runs = text[text.index("## `runs/`"):text.index("### Parameter columns")]
    documented = re.findall(r"^\| `(\w+)` \|", runs, flags=re.MULTILINE)
    assert documented[-len(RUN_FIELDS):] == list(RUN_FIELDS)


def test_outcome_places_every_field_of_the_schema():
    """`Outcome` is a typed view of one row: each field is an attribute, a baseline or a count."""
    own = {f.name for f in dataclasses.fields(Outcome)}
    baselines = {BASELINE_PREFIX + f.name for f in dataclasses.fields(Baselines)}
    for spec in RUN_OUTCOMES:
        assert (spec.name in own) + (spec.name in baselines) + (spec.count_of is not None) == 1, spec.name


# --- both engines fill the same fields --------------------------------------------------------

def test_mesa_and_batch_fill_the_same_fields_for_the_same_seeds(both):
    batch, mesa = both
    assert [row.keys() for row in batch.rows()] == [row.keys() for row in mesa.rows()]
    assert not all(batch.deal) and any(batch.deal)  # deals and no deals alike
    for spec in RUN_OUTCOMES:
        a, b = getattr(batch, spec.name), getattr(mesa, spec.name)
        assert a.dtype == b.dtype == spec.dtype and a.shape == b.shape, spec.name
        assert np.allclose(a, b, rtol=0, atol=1e-9, equal_nan=True), spec.name
    for name in ALLY_FIELDS:
        assert np.allclose(getattr(batch.allies, name), getattr(mesa.allies, name), atol=1e-9, equal_nan=True)


def test_one_models_result_is_its_outcome():
    model = AllianceModel("hague2025", rng=1, **OVERRIDES[1])
    outcome = model.run()
    row = model.result().rows()[0]
    assert outcome.row() == row == outcome_module.outcome_row(outcome)
    assert outcome.to_dict()["baselines"] == {f.name: row[BASELINE_PREFIX + f.name] for f in dataclasses.fields(Baselines)}
    assert not row["deal"] and row["holdouts"] and row["core_target_pct"] is None  # a run without a deal


def test_non_nullable_fields_are_never_missing(both):
    for result in both:
        for spec in RUN_OUTCOMES:
            if not spec.nullable and spec.kind is Kind.FLOAT:
                assert not np.isnan(getattr(result, spec.name)).any(), spec.name
        table = result.to_arrow()
        for spec in RUN_OUTCOMES:
            if not spec.nullable:
                assert table.column(spec.name).null_count == 0, spec.name


def test_a_count_is_derived_from_its_list_and_checked():
    holdouts = np.array([[True, False, True], [False, False, False]])
    columns = {spec.name: np.zeros((2, 3) if spec.per_ally else 2, dtype=spec.dtype)
               for spec in RUN_OUTCOMES if spec.filled}
    built = RunOutcomes(**{**columns, "holdouts": holdouts})
    assert built.n_holdouts.tolist() == [2, 0]
    with pytest.raises(ValueError, match="n_holdouts is the length of holdouts"):
        RunOutcomes(**{**columns, "holdouts": holdouts, "n_holdouts": np.array([1, 0])})


# --- a new field appears everywhere -----------------------------------------------------------

@dataclasses.dataclass(frozen=True, kw_only=True)
class WithANewField(RunOutcomes):
    """The schema with one more outcome, to see every derived structure pick it up."""

    talk_hours: np.ndarray = outcome(Kind.FLOAT, "hours", "hours of talks; null without a deal", nullable=True)


def test_a_field_added_to_the_schema_appears_everywhere(monkeypatch):
    extended = schema.outcome_fields(WithANewField)
    assert extended[-1] == OutcomeField("talk_hours", Kind.FLOAT, "hours", "hours of talks; null without a deal",
                                        nullable=True)
    for module in (schema, outcome_module, api, shards):
        if hasattr(module, "RUN_OUTCOMES"):
            monkeypatch.setattr(module, "RUN_OUTCOMES", extended)
    monkeypatch.setattr(outcome_module, "RUN_FIELDS", tuple(spec.name for spec in extended))
    collected = Collected.empty(2, 3, per_ally=False)
    assert "talk_hours" in collected.columns and collected.columns["talk_hours"].dtype == np.float64
    columns = {spec.name: np.zeros((2, 3) if spec.per_ally else 2, dtype=spec.dtype)
               for spec in extended if spec.filled}
    columns["talk_hours"] = np.array([40.0, np.nan])

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Result(BatchResult, WithANewField):
        pass

    result = Result(scenario="s", iso3=("A", "B", "C"), seed=np.arange(2), **columns)
    assert [row["talk_hours"] for row in result.rows()] == [40.0, None]
    table = result.to_arrow()
    assert table.column("talk_hours").type == pa.float64() and table.column("talk_hours").null_count == 1
    assert "talk_hours" in result.to_pandas().columns
    assert "talk_hours" in result.columns()
    assert api.outcome_columns(result)["talk_hours"].dtype == np.float64
    docs = {spec.name: shards.ColumnDoc.of(spec) for spec in extended}
    assert "| `talk_hours` | double / DOUBLE | hours | hours of talks; null without a deal |" in markdown_table(docs)


# --- Levers ------------------------------------------------------------------------------------

def test_levers_are_every_parameter_but_those_that_group_runs():
    levers = Levers.of([Parameters(), Parameters(us_pressure=0.2)])
    assert set(LEVER_NAMES) == set(parameter_fields()) - {"mediator_rule", "protocol"}
    # us_pressure differs (the default, 1.0, and 0.2): one value a run; max_rounds does not: one for all
    assert levers.us_pressure.tolist() == [[1.0], [0.2]] and levers.max_rounds.shape == (1, 1)
    assert levers.earliest_deadline.tolist() == [[2029]]  # the 2025 summit + 4 years
    with pytest.raises(AttributeError, match="no lever 'mediator_rule'"):
        levers.mediator_rule  # noqa: B018
    assert levers.take(np.array([1])).us_pressure.tolist() == [[0.2]]
    assert pd.Series(levers.columns).index.tolist() == list(LEVER_NAMES)
