"""Sweeps under faults: a resume on changed inputs is refused naming what changed, huge designs
start at once with flat memory, damaged bytes inside a shard are caught and recomputed, bad
metadata is named in one line, and the lock file is never left behind."""

import fcntl
import json
import os
import shutil
import time
import tomllib
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from sim.cli import main
from sim.data import loader
from sim.sweeps.executors import ExecutorChoice
from sim.sweeps.results import (
    DAMAGED_DIR,
    LOCK_FILE,
    METADATA_FILE,
    DamagedShardError,
    DirectoryLock,
    ResultsDir,
    load_results,
    read_metadata,
    read_shard,
)
from sim.sweeps.spec import load_spec, parse_spec, specs_dir
from sim.sweeps.sweep import SweepInterrupted, run_sweep


IN_PROCESS = ExecutorChoice(workers=1)


def smoke(**runs):
    raw = tomllib.loads((specs_dir() / "smoke.toml").read_text(encoding="utf-8"))
    raw["runs"].update(engine="batch", **runs)
    return parse_spec(raw, "smoke (test)")


def cli_sweep(spec: str | Path, out: Path, *extra: str) -> list[str]:
    return ["sweep", str(spec), "--out", str(out), "--workers", "1", "--quiet", *extra]


# --- a resume on changed inputs ---------------------------------------------------------------


def edited_allies(tmp_path: Path, iso3: str, column: str, value: str) -> Path:
    """A copy of allies.csv with one ally's fact changed (as a user editing the data would)."""
    lines = loader.default_allies_path().read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    edited = []
    for line in lines:
        cells = line.rstrip("\n").split(",")
        if cells[0] == iso3:
            cells[header.index(column)] = value
        edited.append(",".join(cells) + "\n")
    path = tmp_path / "allies.csv"
    path.write_text("".join(edited), encoding="utf-8")
    return path


def test_resume_refuses_rows_computed_on_other_ally_data(tmp_path, monkeypatch, capsys):
    """The issue's case: US GDP edited in allies.csv between a sweep and its resume."""
    out = tmp_path / "out"
    assert main(cli_sweep("smoke", out, "--engine", "batch")) == 0
    assert set(read_metadata(out)["inputs"]) == {"ally_data_sha256", "parameters_sha256"}
    (out / "runs" / "runs-000004.parquet").unlink()  # a batch still to compute
    edited = edited_allies(tmp_path, "USA", "gdp_2024_usd_bn", "9000.0")
    monkeypatch.setattr(loader, "default_allies_path", lambda: edited)
    capsys.readouterr()
    assert main(cli_sweep("smoke", out, "--engine", "batch", "--resume")) == 2
    err = capsys.readouterr().err
    assert "the inputs changed since this sweep started: the ally data" in err and err.count("\n") == 1
    assert not (out / "runs" / "runs-000004.parquet").exists()  # nothing computed on the new data
    monkeypatch.undo()
    assert main(cli_sweep("smoke", out, "--engine", "batch", "--resume")) == 0  # data restored: resumes


SCENARIO = """
name = "editable"
[parameters]
threat_level = {threat}
[allies.USA]
gdp_usd_bn = {gdp}
"""


SPEC_ON_SCENARIO = """
name = "on_a_file"
scenario = "scenario.toml"
[runs]
replicates = 2
seed = 3
batch_size = 2
[parameters]
us_pressure = [0.4, 0.8]
max_rounds = 4
"""


@pytest.mark.parametrize("edit, named", [
    ({"threat": 0.6}, "the scenario's parameter threat_level (0.5 then, 0.6 now)"),
    ({"gdp": 9000.0}, "the scenario's ally override USA"),
])
def test_resume_names_the_scenario_input_that_changed(tmp_path, capsys, edit, named):
    scenario, spec_path, out = tmp_path / "scenario.toml", tmp_path / "spec.toml", tmp_path / "out"
    spec_path.write_text(SPEC_ON_SCENARIO, encoding="utf-8")
    scenario.write_text(SCENARIO.format(threat=0.5, gdp=29000.0), encoding="utf-8")
    assert main(cli_sweep(spec_path, out)) == 0
    scenario.write_text(SCENARIO.format(**{"threat": 0.5, "gdp": 29000.0, **edit}), encoding="utf-8")
    capsys.readouterr()
    assert main(cli_sweep(spec_path, out, "--resume")) == 2
    err = capsys.readouterr().err
    assert "the inputs changed since this sweep started" in err and named in err and err.count("\n") == 1


# --- huge sweeps start at once, memory flat ---------------------------------------------------


HUGE_GRID = """
name = "huge"
[runs]
replicates = {replicates}
seed = 1
batch_size = 4
[parameters]
us_pressure = {{ low = 0.0, high = 1.0, steps = 1000 }}
max_rounds = 3
"""


def stop_after_writes(monkeypatch, writes: int) -> None:
    """Ctrl-C once `writes` more shards are written."""
    original, count = ResultsDir.write, [0]

    def write(self, shard):
        original(self, shard)
        count[0] += 1
        if count[0] >= writes:
            raise KeyboardInterrupt

    monkeypatch.setattr(ResultsDir, "write", write)


@pytest.mark.parametrize("replicates", [10**7, 10**9])  # a 10^10-run grid and the allowed maximum, 10^12
def test_a_huge_grid_writes_its_first_shard_at_once_and_resumes_from_disk(tmp_path, monkeypatch, replicates):
    spec_path, out = tmp_path / "huge.toml", tmp_path / "out"
    spec_path.write_text(HUGE_GRID.format(replicates=replicates), encoding="utf-8")
    spec = load_spec(spec_path)
    assert spec.runs == 1000 * replicates and spec.design.point(999) == {"us_pressure": 1.0, "max_rounds": 3}
    stop_after_writes(monkeypatch, 1)
    started = time.monotonic()
    with pytest.raises(SweepInterrupted) as stopped:
        run_sweep(spec, out, executor=IN_PROCESS, progress=False)
    assert stopped.value.saved == 1 and "(1 of " in stopped.value.describe(out)
    with pytest.raises(SweepInterrupted) as stopped:  # the resume finds batch 0 on disk, computes batch 1
        run_sweep(spec, out, executor=IN_PROCESS, resume=True, progress=False)
    assert time.monotonic() - started < 10
    assert stopped.value.saved == 2 and load_results(out)["run_id"].tolist() == list(range(8))


def test_ctrl_c_before_any_batch_says_nothing_was_saved(tmp_path, monkeypatch, capsys):
    def interrupted(task):
        raise KeyboardInterrupt

    monkeypatch.setattr("sim.sweeps.sweep.run_task", interrupted)
    assert main(cli_sweep("smoke", tmp_path / "out", "--engine", "batch")) == 130
    err = capsys.readouterr().err
    assert "nothing was saved" in err and "finished batches are saved" not in err


# --- damaged bytes inside a shard -------------------------------------------------------------


def damage(path: Path, offset: int, count: int = 64, seed: int = 0) -> None:
    """Overwrite `count` bytes at `offset` with random ones (the issue's `dd ... conv=notrunc`)."""
    data = bytearray(path.read_bytes())
    data[offset:offset + count] = np.random.default_rng(seed).bytes(count)
    path.write_bytes(bytes(data))


def data_offsets(path: Path, every: int = 200) -> list[int]:
    """Offsets inside the shard's column data (after the magic, before the footer)."""
    footer = pq.read_metadata(path).serialized_size + 8
    return list(range(4, path.stat().st_size - footer - 64, every))


def test_random_bytes_inside_a_shard_are_caught_moved_aside_and_recomputed(tmp_path, capsys):
    spec = smoke()
    reference, out = tmp_path / "reference", tmp_path / "out"
    run_sweep(spec, reference, executor=IN_PROCESS, progress=False)
    shutil.copytree(reference, out)
    shard = out / "runs" / "runs-000002.parquet"
    assert pq.read_metadata(shard).row_group(0).column(0).statistics is not None
    damage(shard, shard.stat().st_size // 3)
    with pytest.raises(DamagedShardError) as refused:
        load_results(out)
    assert str(shard) in str(refused.value) and "\n" not in str(refused.value)
    capsys.readouterr()
    report = run_sweep(spec, out, executor=IN_PROCESS, resume=True, progress=False)
    assert f"damaged shard {shard}: unreadable" in capsys.readouterr().err and report.computed == 2
    assert [p.name.split(".parquet")[0] for p in (out / DAMAGED_DIR).iterdir()] == ["runs-000002"]
    assert load_results(out).drop(columns="code_version").equals(load_results(reference).drop(columns="code_version"))


def test_every_damaged_stretch_of_column_data_is_caught(tmp_path):
    run_sweep(smoke(), tmp_path / "out", executor=IN_PROCESS, progress=False)
    pristine = (tmp_path / "out" / "runs" / "runs-000000.parquet").read_bytes()
    shard = tmp_path / "probe.parquet"
    for offset in data_offsets(tmp_path / "out" / "runs" / "runs-000000.parquet"):
        shard.write_bytes(pristine)
        damage(shard, offset, seed=offset)
        with pytest.raises(DamagedShardError):
            read_shard(shard)


# --- metadata fields and the lock file --------------------------------------------------------


def test_a_spec_hash_that_is_not_a_string_is_one_line_naming_the_field(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(cli_sweep("smoke", out, "--engine", "batch")) == 0
    meta = json.loads((out / METADATA_FILE).read_text())
    (out / METADATA_FILE).write_text(json.dumps({**meta, "spec_hash": 12345}))
    capsys.readouterr()
    assert main(cli_sweep("smoke", out, "--engine", "batch", "--resume")) == 2
    err = capsys.readouterr().err
    assert f"{METADATA_FILE}: field spec_hash = 12345 is not allowed" in err and err.count("\n") == 1


def test_no_lock_file_is_left_behind_by_a_refused_or_finished_sweep(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty and holds no sweep"):
        run_sweep(smoke(), tmp_path, executor=IN_PROCESS, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    run_sweep(smoke(), tmp_path / "out", executor=IN_PROCESS, progress=False)
    assert not (tmp_path / "out" / LOCK_FILE).exists()


def test_the_lock_still_excludes_a_second_sweep_and_survives_its_removal(tmp_path):
    first = DirectoryLock.acquire(tmp_path)
    with pytest.raises(FileExistsError, match="another sweep is writing here"):
        DirectoryLock.acquire(tmp_path)
    late = open(tmp_path / LOCK_FILE)  # a sweep that opened the file just before the first ended
    first.release()
    assert not (tmp_path / LOCK_FILE).exists()
    second = DirectoryLock.acquire(tmp_path)  # takes a new file, not the removed one the late sweep holds
    fcntl.flock(late, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the removed file: locking it excludes no one
    with pytest.raises(FileExistsError, match="another sweep is writing here"):
        DirectoryLock.acquire(tmp_path)
    late.close()
    second.release()
    assert os.listdir(tmp_path) == []


def test_a_lock_file_left_by_an_older_version_is_left_alone(tmp_path):
    (tmp_path / LOCK_FILE).write_text("")
    DirectoryLock.acquire(tmp_path).release()
    assert (tmp_path / LOCK_FILE).exists()
