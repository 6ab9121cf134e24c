"""`alliance-sim run --out D` writes as much as a sweep records: the run's parameters, the
code and library versions and the input digests, and Parquet tables whose every column has
its unit and description."""

from __future__ import annotations

import dataclasses
import json

import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.model.scenario import load_scenario
from sim.sweeps.inputs import SweepInputs
from sim.sweeps.shards import COLUMN_DOCS, ResultTable
from sim.sweeps.versions import package_versions


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "D"
    assert main(["run", "wales2014", "--seed", "7", "--set", "us_pressure=0.3", "--json", "--out", str(out)]) == 0
    return out


def test_outcome_json_records_the_parameters_versions_and_input_digests(run_dir):
    record = json.loads((run_dir / "outcome.json").read_text())
    run = record["run"]
    scenario = load_scenario("wales2014").with_parameters(us_pressure=0.3)
    assert run["scenario"] == record["scenario"] == scenario.name
    assert run["seed"] == record["seed"] == 7 and run["draws_key"] == 7
    assert run["parameters"] == json.loads(json.dumps(dataclasses.asdict(scenario.params), default=str))
    assert run["parameters"]["us_pressure"] == 0.3
    inputs = SweepInputs.of(scenario)
    assert run["inputs"] == {"ally_data_sha256": inputs.ally_data, "parameters_sha256": inputs.parameters}
    assert run["package_versions"] == package_versions() and "mesa" in run["package_versions"]
    assert run["code_version"] and run["python"] and run["created"]


def test_the_printed_outcome_is_the_file_without_the_run_record(run_dir, capsys):
    record = json.loads((run_dir / "outcome.json").read_text())
    record.pop("run")
    assert main(["run", "wales2014", "--seed", "7", "--set", "us_pressure=0.3", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == record


@pytest.mark.parametrize("name", ["rounds", "allies_by_round"])
def test_every_parquet_column_has_its_unit_and_description(run_dir, name):
    schema = pq.read_schema(run_dir / f"{name}.parquet")
    docs = COLUMN_DOCS[ResultTable(name)]
    assert schema.names == [column for column in docs if column != "run_id"]
    for field in schema:
        doc = docs[field.name]
        assert field.type == doc.type
        assert field.metadata[b"unit"].decode() == doc.unit
        assert field.metadata[b"description"].decode() == doc.description
