"""A sweep's results directory opens as a dataset with the tools researchers use: pandas,
pyarrow and DuckDB read each table's folder as it is and agree with `load_results`; the run
table keeps its data contract (null for what is missing, integer years, lists of codes) and
every column carries its unit and description; docs/results.md documents every column; a
directory in the old layout is refused in one line; a stopped sweep says how to resume it."""

import json
import math
import re
import shlex
import shutil
import tomllib
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from conftest import DOCS

from sim.cli import main
from sim.engines.engine import Engine
from sim.sweeps.executors import ExecutorChoice
from sim.model.parameters import parameter_fields
from sim.sweeps.results import METADATA_FILE, NOT_A_TABLE_FILE, OLD_METADATA_FILE, OlderLayoutError, ResultsDir, load_results, read_metadata
from sim.model.scenario import load_scenario
from sim.sweeps.shards import COLUMN_DOCS, ResultTable, parameter_doc, run_schema
from sim.sweeps.sweep import run_sweep
from sim.sweeps.spec import parse_spec

RESULTS_DOC = DOCS / "results.md"
IN_PROCESS = ExecutorChoice(workers=1)
#: 3 pressure levels x 12 seeds in short talks (6 rounds) in which pressure widens a holdout's
#: win-set slower than fitted (expansion_rate_pct 0.03, not 0.083) and no side letter may carry
#: it: with the fitted defaults every run ends in a deal, here a deal in 11 of 12 runs at 0.6,
#: 4 of 12 at 0.9 (so the mean deadline must skip the others' nulls) and 1 of 12 at 1.0 (the
#: last run, at 1.0, ends without one: Canada holds out). Both engines give the same runs.
DATASET_SPEC = """
name = "dataset"
scenario = "hague2025"
[runs]
replicates = 12
seed = 7
batch_size = 5
per_ally = true
engine = "batch"
[parameters]
us_pressure = [0.6, 0.9, 1.0]
max_rounds = 6
expansion_rate_pct = 0.03
allow_flexibility = false
"""
QUERY = """
SELECT us_pressure, avg(deal::INT), avg(core_target_pct), avg(deadline_year),
       count(*) FILTER (WHERE core_target_pct IS NULL)
FROM read_parquet('{runs}/*.parquet') GROUP BY 1 ORDER BY 1
"""


def dataset_spec():
    return parse_spec(tomllib.loads(DATASET_SPEC), "dataset (test)")


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dataset") / "out"
    run_sweep(dataset_spec(), out, executor=IN_PROCESS, progress=False)
    return out


# --- the layout ----------------------------------------------------------------------------

def test_each_table_has_its_folder_and_everything_else_is_hidden_from_readers(sweep):
    assert sorted(p.name for p in sweep.iterdir()) == [NOT_A_TABLE_FILE, METADATA_FILE, "allies", "runs"]
    assert METADATA_FILE.startswith("_")  # the readers skip it; the README file they must not skip
    for table in (ResultTable.RUNS, ResultTable.ALLIES):
        names = sorted(p.name for p in (sweep / table.value).iterdir())
        assert names == [f"{table.value}-{batch:06d}.parquet" for batch in range(8)]
    assert read_metadata(sweep)["tables"] == {"runs": "runs/", "allies": "allies/"}


# --- pandas, pyarrow and DuckDB read it as it is ------------------------------------------------

def same_fields(schema: pa.Schema, expected: pa.Schema) -> bool:
    """The same columns, types, units and descriptions (a list's item is named `element` once
    read from Parquet; the types still compare equal)."""
    return schema.names == expected.names and all(
        field.type == want.type and field.metadata == want.metadata for field, want in zip(schema, expected))


def test_pandas_pyarrow_and_duckdb_read_the_run_table_as_load_results_does(sweep):
    expected = load_results(sweep)
    assert len(expected) == 36 and expected["run_id"].tolist() == list(range(36))

    by_pandas = pd.read_parquet(sweep / "runs").sort_values("run_id", kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(by_pandas, expected)

    by_pyarrow = ds.dataset(sweep / "runs").to_table()
    assert same_fields(by_pyarrow.schema, run_schema(dataset_spec().parameter_names))
    pd.testing.assert_frame_equal(by_pyarrow.to_pandas().sort_values("run_id").reset_index(drop=True), expected)

    by_duckdb = duckdb.sql(f"SELECT * FROM read_parquet('{sweep / 'runs'}/*.parquet') ORDER BY run_id").arrow()
    by_duckdb = by_duckdb.read_all() if isinstance(by_duckdb, pa.RecordBatchReader) else by_duckdb
    assert by_duckdb.column_names == list(expected.columns)
    assert by_duckdb.column("deadline_year").type == pa.int64()
    assert by_duckdb.column("holdouts").type.value_type == pa.string()
    for name in ("deal", "core_target_pct", "deadline_year", "rounds", "n_holdouts", "us_pressure"):
        assert by_duckdb.column(name).to_pylist() == pa.Table.from_pandas(expected).column(name).to_pylist(), name
    assert by_duckdb.column("holdouts").to_pylist() == [list(codes) for codes in expected["holdouts"]]


def test_a_duckdb_aggregate_gives_the_numbers_pandas_gives_on_load_results(sweep):
    got = duckdb.sql(QUERY.format(runs=sweep / "runs")).fetchall()
    runs = load_results(sweep)
    groups = runs.groupby("us_pressure")
    expected = pd.DataFrame({
        "deal": groups["deal"].mean(),
        "core": groups["core_target_pct"].mean(),  # pandas skips NaN, as SQL's avg skips null
        "deadline": groups["deadline_year"].mean(),
        "no_deal": groups["core_target_pct"].apply(lambda column: int(column.isna().sum())),
    }).reset_index()
    assert len(got) == len(expected) == 3
    for row, (_, want) in zip(got, expected.iterrows()):
        pressure, deal, core, deadline, missing = row
        assert pressure == want["us_pressure"] and missing == want["no_deal"]
        for mine, theirs in ((deal, want["deal"]), (core, want["core"]), (deadline, want["deadline"])):
            assert (mine is None and math.isnan(theirs)) or mine == pytest.approx(theirs, rel=1e-12)
    # the design is worth testing: some runs have no deal, and one level mixes both
    assert sum(row[4] for row in got) > 0
    assert any(0 < row[1] < 1 for row in got)
    mixed = runs[runs["us_pressure"] == 0.9]
    assert mixed["deadline_year"].isna().any() and mixed["deadline_year"].notna().any()
    assert got[1][3] == pytest.approx(mixed["deadline_year"].dropna().mean())


# --- the data contract --------------------------------------------------------------------

CONTRACT = {"deal": pa.bool_(), "core_target_pct": pa.float64(), "related_target_pct": pa.float64(),
            "deadline_year": pa.int64(), "rounds": pa.int64(), "holdouts": pa.list_(pa.string()),
            "flexibility": pa.list_(pa.string()), "n_holdouts": pa.int64(), "allies_on_track": pa.int64(),
            "run_id": pa.int64(), "seed": pa.int64(), "us_pressure": pa.float64(), "max_rounds": pa.int64()}


def test_every_run_shard_keeps_the_contracts_types_and_nulls(sweep):
    schemas = [pq.read_schema(path) for path in ResultTable.RUNS.shards(sweep)]
    assert all(schema.equals(schemas[0], check_metadata=True) for schema in schemas)
    for name, kind in CONTRACT.items():
        assert schemas[0].field(name).type == kind, name
    table = ds.dataset(sweep / "runs").to_table()
    no_deal = pc.invert(table.column("deal"))
    for name in ("core_target_pct", "related_target_pct", "deadline_year"):
        column = table.column(name)
        assert column.null_count == pc.sum(no_deal).as_py() > 0, name  # null exactly where there is no deal
        assert pc.all(pc.equal(pc.is_null(column), no_deal)).as_py(), name
    for name in table.column_names:
        if pa.types.is_floating(table.column(name).type):
            assert not pc.any(pc.is_nan(table.column(name))).as_py(), f"{name} holds NaN, not null"
    holdouts = table.column("holdouts").to_pylist()
    assert all(holdouts[row] for row, deal in enumerate(table.column("deal").to_pylist()) if not deal)  # no deal: named


@pytest.mark.parametrize("engine", list(Engine))
def test_both_engines_give_the_contracts_types(engine):
    result = engine.run(load_scenario("hague2025"), [{"us_pressure": 0.9, "max_rounds": 8},
                                                     {"us_pressure": 1.0, "max_rounds": 2}], [1, 2])
    schema = result.to_arrow().schema
    docs = COLUMN_DOCS[ResultTable.RUNS]
    for field in schema:
        assert field.type == docs[field.name].type, field.name


def test_missing_ally_positions_are_null_not_nan(sweep):
    allies = ds.dataset(sweep / "allies").to_table()
    assert same_fields(allies.schema, ResultTable.ALLIES.schema)
    positions = allies.column("final_position_pct")
    assert positions.null_count == 36  # Iceland, in every run
    assert not pc.any(pc.is_nan(positions)).as_py()


# --- units and descriptions ------------------------------------------------------------------

def test_every_column_carries_its_unit_and_description(sweep):
    for table in (ResultTable.RUNS, ResultTable.ALLIES):
        schema = pq.read_schema(ResultTable.RUNS.shards(sweep)[0] if table == ResultTable.RUNS
                                else table.shards(sweep)[0])
        for field in schema:
            assert field.metadata and field.metadata[b"unit"] and field.metadata[b"description"], field.name
    runs = pq.read_schema(ResultTable.RUNS.shards(sweep)[0])
    core = runs.field("core_target_pct").metadata
    assert core[b"unit"] == b"% of GDP" and core[b"description"] == b"core defence level agreed; null without a deal"
    assert runs.field("deadline_year").metadata[b"unit"] == b"calendar year"
    pressure = runs.field("us_pressure").metadata[b"description"].decode()
    assert pressure.endswith(parameter_fields()["us_pressure"].metadata["doc"])
    assert runs.field("max_rounds").metadata[b"unit"] == b"rounds"


def documented_tables() -> dict[str, dict[str, tuple[str, str]]]:
    """docs/results.md's tables: section (a table's folder, or 'parameters') -> column -> (type, unit)."""
    tables, section = {}, None
    for line in RESULTS_DOC.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"#+ `(\w+)/`", line)
        if heading:
            section = heading.group(1)
        elif line.startswith("### Parameter columns"):
            section = "parameters"
        row = re.match(r"\| `(\w+)` \| ([^|]+?) / \w+(?:\[\])? \| ([^|]+?) \|", line)
        if row and section:
            tables.setdefault(section, {})[row.group(1)] = (row.group(2), row.group(3))
    return tables


def shown(kind: pa.DataType) -> str:
    return "list<string>" if kind == pa.list_(pa.string()) else str(kind)


def test_the_docs_page_lists_every_column_with_its_type_and_unit():
    documented = documented_tables()
    for table, columns in COLUMN_DOCS.items():
        assert documented[table.value] == {name: (shown(doc.type), doc.unit) for name, doc in columns.items()}, table
    assert documented["parameters"] == {name: (shown(parameter_doc(name).type), parameter_doc(name).unit)
                                        for name in parameter_fields()}


# --- the old layout ------------------------------------------------------------------------

def old_layout(sweep: Path, tmp_path: Path) -> Path:
    """The sweep as the first version laid it out: sweep.json and every shard at the top."""
    old = tmp_path / "old"
    old.mkdir()
    meta = json.loads((sweep / METADATA_FILE).read_text())
    (old / OLD_METADATA_FILE).write_text(json.dumps({**meta, "spec_source": "configs/sweeps/dataset.toml"}))
    for table in (ResultTable.RUNS, ResultTable.ALLIES):
        for path in table.shards(sweep):
            shutil.copy(path, old / path.name)
    return old


def test_a_directory_in_the_old_layout_is_refused_in_one_line(sweep, tmp_path, capsys):
    old = old_layout(sweep, tmp_path)
    before = sorted(p.name for p in old.iterdir())
    for read in (load_results, lambda d: load_results(d, "allies"), read_metadata,
                 lambda d: run_sweep(dataset_spec(), d, executor=IN_PROCESS, resume=True, progress=False)):
        with pytest.raises(OlderLayoutError) as refused:
            read(old)
        message = str(refused.value)
        assert "\n" not in message and message.startswith(f"{old}: written by an older version")
        assert "rerun the sweep into a new directory (alliance-sim sweep configs/sweeps/dataset.toml" in message
    spec = tmp_path / "dataset.toml"
    spec.write_text(DATASET_SPEC, encoding="utf-8")
    capsys.readouterr()
    assert main(["sweep", str(spec), "--out", str(old), "--resume", "--quiet", "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "written by an older version" in err and err.count("\n") == 1
    assert sorted(p.name for p in old.iterdir()) == before  # nothing written, no lock left behind


# --- a stopped sweep says how to finish it --------------------------------------------------------

def stop_after_first_write(monkeypatch) -> None:
    original = ResultsDir.write

    def write(self, shard):
        original(self, shard)
        raise KeyboardInterrupt

    monkeypatch.setattr(ResultsDir, "write", write)


@pytest.mark.parametrize("engine, flag", [("mesa", ["--engine", "mesa"]), ("batch", [])])
def test_ctrl_c_prints_the_whole_command_that_resumes_the_sweep(tmp_path, monkeypatch, capsys, engine, flag):
    """smoke runs on the batch engine: a sweep run with --engine mesa resumes only with it."""
    out = tmp_path / "out dir"  # quoted in the command
    stop_after_first_write(monkeypatch)
    assert main(["sweep", "smoke", "--out", str(out), "--engine", engine, "--workers", "1", "--quiet"]) == 130
    err = capsys.readouterr().err
    command = ["alliance-sim", "sweep", "smoke", "--out", str(out), *flag, "--workers", "1", "--resume", "--quiet"]
    assert f"(1 of 5 batches); finish it with: {shlex.join(command)}\n" in err
    monkeypatch.undo()
    assert main(shlex.split(err.rsplit("finish it with: ", 1)[1])[1:]) == 0
    assert "2 already done, 7 computed" in capsys.readouterr().out
    assert read_metadata(out)["engine"] == engine and len(load_results(out)) == 9


@pytest.mark.slow
def test_a_resume_without_the_sweeps_engine_names_the_flag(tmp_path, capsys):
    out = tmp_path / "out"
    assert run_sweep(dataset_spec().with_engine(Engine.MESA), out, executor=IN_PROCESS, progress=False).runs == 36
    spec = tmp_path / "dataset.toml"
    spec.write_text(DATASET_SPEC, encoding="utf-8")
    capsys.readouterr()
    assert main(["sweep", str(spec), "--out", str(out), "--resume", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"{out}: this sweep was started on the mesa engine, not batch; add --engine mesa" in err
    assert err.count("\n") == 1 and "choose another --out" not in err
    assert main(["sweep", str(spec), "--out", str(out), "--engine", "mesa", "--resume", "--quiet"]) == 0
    assert np.array_equal(load_results(out)["run_id"], np.arange(36))
