"""Sweeps under faults: a resume on changed inputs is refused naming what changed, huge designs
start at once with flat memory, damaged bytes inside a shard are caught and recomputed, bad
metadata is named in one line, and the lock file is never left behind."""

import errno
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from conftest import ROOT

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
from sim.sweeps.shards import ResultTable
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


# --- a full disk, a read-only directory, an --out that is no directory ---------------------------


def same_results(out: Path, reference: Path) -> bool:
    return load_results(out).drop(columns="code_version").equals(
        load_results(reference).drop(columns="code_version")) and load_results(out, "allies").drop(
        columns=[]).equals(load_results(reference, "allies"))


def test_disk_full_during_a_sweep_is_one_line_and_the_resume_is_identical(tmp_path, monkeypatch, capsys):
    """ENOSPC from pyarrow while writing the third batch: the two before stay, nothing is half
    written, the line says how to finish, and the resume gives the uninterrupted dataset."""
    import sim.sweeps.results

    reference, out = tmp_path / "reference", tmp_path / "out"
    assert main(cli_sweep("smoke", reference, "--engine", "batch")) == 0
    original, calls = sim.sweeps.results._write_shard, []

    def full(table, path):
        calls.append(path)
        if len(calls) >= 5:  # batches 0 and 1 (allies then runs) are written, then the disk is full
            with open(path, "wb") as partial:
                partial.write(b"PAR1 half a shard")
            raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No space left on device")
        return original(table, path)

    monkeypatch.setattr(sim.sweeps.results, "_write_shard", full)
    capsys.readouterr()
    assert main(cli_sweep("smoke", out, "--engine", "batch")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "No space left on device" in err and "2 of 5 batches are saved" in err
    assert f"finish it with: alliance-sim sweep smoke --out {out} --workers 1 --resume --quiet" in err
    assert not list(out.glob("**/.*.tmp")) and len(ResultTable.RUNS.shards(out)) == 2
    monkeypatch.undo()  # space freed
    assert main(cli_sweep("smoke", out, "--engine", "batch", "--resume")) == 0
    assert same_results(out, reference)


@pytest.fixture
def as_root_with_mounts(tmp_path):
    """Mount points for the tests that need a real file system fault (a full tmpfs, a
    read-only mount); skipped where mounting is not allowed (not root, no CAP_SYS_ADMIN)."""
    mounted = []

    def mount(*args: str) -> None:
        result = subprocess.run(["mount", *args], capture_output=True, text=True)
        if result.returncode != 0:
            pytest.skip(f"cannot mount here: {result.stderr.strip()}")
        mounted.append(args[-1])

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", point], check=False)


def cli_process(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.slow
def test_a_real_full_disk_during_a_sweep_then_the_resume(tmp_path, as_root_with_mounts):
    disk, reference = tmp_path / "disk", tmp_path / "reference"
    disk.mkdir()
    as_root_with_mounts("-t", "tmpfs", "-o", "size=600k", "tmpfs", str(disk))
    filler = disk / "filler"
    room = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    filler.write_bytes(bytes(room - 45_000))  # room for the metadata and two or three batches (~16 kB each)
    out = disk / "out"
    failed = cli_process(*cli_sweep("smoke", out, "--engine", "batch"))
    assert failed.returncode == 2 and failed.stderr.count("\n") == 1, failed.stderr
    assert "No space left on device" in failed.stderr and "--resume" in failed.stderr
    assert not list(out.glob("**/.*.tmp"))
    saved = len(ResultTable.RUNS.shards(out))
    assert 0 < saved < 5
    filler.unlink()
    finished = cli_process(*cli_sweep("smoke", out, "--engine", "batch", "--resume"))
    assert finished.returncode == 0, finished.stderr
    assert f"{saved * 2} already done" in finished.stdout
    assert main(cli_sweep("smoke", reference, "--engine", "batch")) == 0
    assert same_results(out, reference)


@pytest.mark.slow
def test_a_real_read_only_directory_is_one_line(tmp_path, as_root_with_mounts):
    place = tmp_path / "place"
    place.mkdir()
    assert main(cli_sweep("smoke", place / "done", "--engine", "batch")) == 0
    before = {p: p.read_bytes() for p in (place / "done").rglob("*") if p.is_file()}
    as_root_with_mounts("--bind", str(place), str(place))
    as_root_with_mounts("-o", "remount,ro,bind", str(place))
    for args, words in [(("--resume",), "Read-only file system"), ((), "Read-only file system")]:
        target = place / "done" if args else place / "new"
        result = cli_process(*cli_sweep("smoke", target, "--engine", "batch", *args))
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert f"--out {target}" in result.stderr and words in result.stderr
    assert {p: p.read_bytes() for p in (place / "done").rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES])
def test_a_read_only_directory_is_one_line(tmp_path, monkeypatch, capsys, code):
    """The same without root: the OS refusing the lock file, and the new directory."""
    import sim.sweeps.lock

    out = tmp_path / "out"
    assert main(cli_sweep("smoke", out, "--engine", "batch")) == 0

    def refuse(path, *args, **kwargs):
        raise OSError(code, os.strerror(code), str(path))

    monkeypatch.setattr(sim.sweeps.lock, "open_lock_file", refuse)
    capsys.readouterr()
    assert main(cli_sweep("smoke", out, "--engine", "batch", "--resume")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"--out {out}: cannot be written ({os.strerror(code)}" in err
    monkeypatch.setattr(os, "mkdir", refuse)
    assert main(cli_sweep("smoke", tmp_path / "new" / "sub", "--engine", "batch")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot create the directory" in err and os.strerror(code) in err
    assert len(ResultTable.RUNS.shards(out)) == 5


def test_out_under_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "afile").write_text("keep")
    assert main(cli_sweep("smoke", tmp_path / "afile" / "sub")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{tmp_path / 'afile'} is a file, not a directory" in err
    assert (tmp_path / "afile").read_text() == "keep"


@pytest.mark.parametrize("target", ["/dev/null", "file"])
def test_out_that_is_no_directory_says_it_must_be_one(tmp_path, capsys, target):
    path = Path(target) if target.startswith("/") else tmp_path / target
    if not path.exists():
        path.write_text("keep")
    assert main(cli_sweep("smoke", path)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "[Errno" not in err and "--out must be a directory" in err
    assert path.is_char_device() or path.read_text() == "keep"


def test_a_refused_first_start_leaves_no_directory(tmp_path, monkeypatch, capsys):
    import sim.sweeps.results

    def full(path, write):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(sim.sweeps.results, "_atomic_write", full)
    assert main(cli_sweep("smoke", tmp_path / "new")) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


# --- stderr that cannot be written, SIGTERM ------------------------------------------------------


@pytest.mark.slow
def test_a_sweep_with_stderr_on_a_full_disk_runs_to_the_end(tmp_path):
    """The progress bar failing must not stop the computation (it exited 1 before its first shard)."""
    out, reference = tmp_path / "out", tmp_path / "reference"
    with open("/dev/full", "w") as full:
        result = subprocess.run([sys.executable, "-m", "sim.cli", "sweep", "smoke", "--out", str(out),
                                 "--engine", "batch", "--workers", "2"], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=full, text=True, timeout=300)
    assert result.returncode == 0 and "9 computed" in result.stdout
    assert main(cli_sweep("smoke", reference, "--engine", "batch")) == 0
    assert same_results(out, reference)


SLOW_SPEC = """
name = "slow"
[runs]
replicates = 200
seed = 99
batch_size = 2
engine = "mesa"
[parameters]
us_pressure = [0.3, 0.9]
max_rounds = 6
"""


@pytest.mark.slow
def test_sigterm_stops_a_sweep_as_ctrl_c_does_with_the_resume_command(tmp_path):
    spec_path, out = tmp_path / "slow.toml", tmp_path / "out"
    spec_path.write_text(SLOW_SPEC)
    process = subprocess.Popen([sys.executable, "-m", "sim.cli", *cli_sweep(spec_path, out)[:-3], "--workers", "2",
                                "--quiet"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               start_new_session=True)
    deadline = time.monotonic() + 60
    while not ResultTable.RUNS.shards(out) and time.monotonic() < deadline:
        time.sleep(0.01)
    process.terminate()  # what `kill PID`, a batch scheduler or systemd does
    stopped = time.monotonic()
    _, err = process.communicate(timeout=30)
    err = err.decode()
    assert process.returncode == 143 and time.monotonic() - stopped < 10, err
    assert "interrupted; finished batches are saved" in err and "Traceback" not in err
    assert f"finish it with: alliance-sim sweep {spec_path} --out {out} --workers 2 --resume --quiet" in err
    assert "leaked" not in err, err
    saved = len(ResultTable.RUNS.shards(out))
    assert 0 < saved < 200 and not (out / LOCK_FILE).exists()
