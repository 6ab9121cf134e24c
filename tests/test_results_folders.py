"""Every documented way of opening a sweep's results directory either works or fails with
the project's own message: each table's folder opens with pandas, pyarrow.dataset and DuckDB
and agrees with `load_results`; the top folder, which holds several tables with different
columns, is refused by pandas and pyarrow naming the README file that says which folder to
read; a table the sweep did not keep is refused by `load_results` naming the spec field that
keeps it; a kept table with no finished batch yet is empty with its columns."""

import json
import shutil
import tomllib
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pytest

from sim.sweeps.executors import ExecutorChoice
from sim.sweeps.results import (METADATA_FILE, NOT_A_TABLE_FILE, NOT_A_TABLE_TEXT, MissingTableError, load_results,
                                read_metadata)
from sim.sweeps.shards import ResultTable, run_schema
from sim.sweeps.spec import parse_spec
from sim.sweeps.sweep import run_sweep

IN_PROCESS = ExecutorChoice(workers=1)
#: Every table at once (Mesa engine: the per-round tables), small: 2 levels x 2 replicates.
ALL_TABLES_SPEC = """
name = "folders"
scenario = "hague2025"
[runs]
replicates = 2
seed = 5
engine = "mesa"
batch_size = 2
per_ally = true
per_round = true
[parameters]
us_pressure = [0.5, 1.0]
max_rounds = 3
"""
RUNS_ONLY_SPEC = """
name = "runs only"
scenario = "hague2025"
[runs]
replicates = 2
seed = 5
engine = "batch"
batch_size = 2
[parameters]
us_pressure = [0.5, 1.0]
max_rounds = 3
"""


def spec(text: str):
    return parse_spec(tomllib.loads(text), "folders (test)")


@pytest.fixture(scope="module")
def every_table(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("folders") / "all"
    run_sweep(spec(ALL_TABLES_SPEC), out, executor=IN_PROCESS, progress=False)
    return out


@pytest.fixture(scope="module")
def runs_only(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("folders") / "runs-only"
    run_sweep(spec(RUNS_ONLY_SPEC), out, executor=IN_PROCESS, progress=False)
    return out


def duckdb_table(folder: Path) -> pa.Table:
    got = duckdb.sql(f"SELECT * FROM read_parquet('{folder}/*.parquet')").arrow()
    return got.read_all() if isinstance(got, pa.RecordBatchReader) else got


def ordered(frame: pd.DataFrame, table: ResultTable) -> pd.DataFrame:
    keys = [k for k in ("run_id", "round", "iso3") if k in frame]
    return frame.sort_values(keys, kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("table", list(ResultTable))
def test_each_tables_folder_opens_with_pandas_pyarrow_and_duckdb_as_load_results_reads_it(every_table, table):
    expected = ordered(load_results(every_table, table), table)
    assert len(expected) > 0
    folder = every_table / table.value
    pd.testing.assert_frame_equal(ordered(pd.read_parquet(folder), table), expected)
    pd.testing.assert_frame_equal(ordered(ds.dataset(folder).to_table().to_pandas(), table), expected)
    by_duckdb = ordered(duckdb_table(folder).to_pandas(), table)
    assert list(by_duckdb.columns) == list(expected.columns) and len(by_duckdb) == len(expected)
    assert by_duckdb["run_id"].tolist() == expected["run_id"].tolist()


def test_a_join_of_two_folders_in_duckdb_works(every_table):
    rows = duckdb.sql(f"""SELECT r.us_pressure, a.iso3, avg(a.accepted::INT)
        FROM read_parquet('{every_table / 'runs'}/*.parquet') r
        JOIN read_parquet('{every_table / 'allies'}/*.parquet') a USING (run_id) GROUP BY ALL""").fetchall()
    assert len(rows) == 2 * 32


def refused_naming_the_readme(read, directory: Path) -> str:
    with pytest.raises(pa.ArrowInvalid) as refused:
        read(directory)
    message = str(refused.value)
    assert NOT_A_TABLE_FILE in message, message
    return message


TOP_LEVEL_READERS = {"pandas": pd.read_parquet, "pyarrow": lambda d: ds.dataset(d).to_table()}


@pytest.mark.parametrize("reader", TOP_LEVEL_READERS)
def test_the_top_folder_is_refused_naming_the_file_that_says_which_folder_to_read(every_table, runs_only, reader):
    for directory in (every_table, runs_only):  # consistently, even where one table would read
        refused_naming_the_readme(TOP_LEVEL_READERS[reader], directory)
    assert "runs_allies_rounds_or_allies_by_round" in NOT_A_TABLE_FILE
    text = (every_table / NOT_A_TABLE_FILE).read_text(encoding="utf-8")
    assert text == NOT_A_TABLE_TEXT
    assert all(f"{table.value}/" in text for table in ResultTable) and "load_results" in text


def test_duckdb_on_the_top_folder_finds_no_shard(every_table):
    with pytest.raises(duckdb.IOException, match="No files found"):
        duckdb.sql(f"SELECT * FROM read_parquet('{every_table}/*.parquet')").fetchall()


def test_the_readme_sorts_first_and_is_not_hidden_from_the_readers(every_table):
    names = sorted(p.name for p in every_table.iterdir())
    assert names[0] == NOT_A_TABLE_FILE and not NOT_A_TABLE_FILE.startswith(("_", "."))
    assert names == sorted([NOT_A_TABLE_FILE, METADATA_FILE, *(t.value for t in ResultTable)])


def test_a_directory_written_before_the_readme_is_read_and_gets_it_on_resume(every_table, tmp_path):
    older = tmp_path / "older"
    shutil.copytree(every_table, older)
    (older / NOT_A_TABLE_FILE).unlink()
    for table in ResultTable:
        pd.testing.assert_frame_equal(load_results(older, table), load_results(every_table, table))
    before = {p.name: p.stat().st_mtime_ns for p in (older / "runs").iterdir()}
    run_sweep(spec(ALL_TABLES_SPEC), older, executor=IN_PROCESS, resume=True, progress=False)
    assert (older / NOT_A_TABLE_FILE).read_text(encoding="utf-8") == NOT_A_TABLE_TEXT
    assert {p.name: p.stat().st_mtime_ns for p in (older / "runs").iterdir()} == before  # nothing recomputed
    refused_naming_the_readme(pd.read_parquet, older)


@pytest.mark.parametrize("table, switch", [("allies", "per_ally"), ("rounds", "per_round"),
                                           ("allies_by_round", "per_round")])
def test_a_table_the_sweep_did_not_keep_is_refused_naming_the_spec_field(runs_only, table, switch):
    with pytest.raises(MissingTableError) as refused:
        load_results(runs_only, table)
    message = str(refused.value)
    assert message.startswith(f"{runs_only}: this sweep kept no {table} table")
    assert f"`{switch} = true`" in message and "\n" not in message
    assert isinstance(refused.value, FileNotFoundError)


def test_metadata_without_the_list_of_tables_falls_back_on_the_switch(runs_only, every_table, tmp_path):
    for source, kept in ((runs_only, False), (every_table, True)):
        copy = tmp_path / source.name
        shutil.copytree(source, copy)
        meta = json.loads((copy / METADATA_FILE).read_text())
        del meta["tables"]
        (copy / METADATA_FILE).write_text(json.dumps(meta))
        if kept:
            assert len(load_results(copy, "allies")) == len(load_results(source, "allies"))
        else:
            with pytest.raises(MissingTableError, match="per_ally = true"):
                load_results(copy, "allies")


def test_a_kept_table_with_no_finished_batch_is_empty_with_its_columns(every_table, tmp_path):
    started = tmp_path / "started"
    shutil.copytree(every_table, started)
    for table in ResultTable:
        shutil.rmtree(started / table.value)
    for table in ResultTable:
        empty = load_results(started, table)
        expected = (run_schema(read_metadata(started)["parameters"]) if table == ResultTable.RUNS
                    else table.schema).names
        assert empty.shape == (0, len(expected)) and list(empty.columns) == expected, table
    assert list(load_results(started, "allies", columns=["run_id", "iso3"]).columns) == ["run_id", "iso3"]
