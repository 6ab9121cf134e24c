"""Results on disk: a sweep killed at any moment and resumed gives exactly the dataset of an
uninterrupted one; damaged shards are found, kept aside and recomputed; sweeps never mix."""

import os
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import ROOT

from sim.sweeps.executors import ExecutorChoice
from sim.sweeps.results import DAMAGED_DIR, ResultsDir, load_results, read_metadata
from sim.sweeps.shards import ResultTable
from sim.sweeps.sweep import run_sweep
from sim.sweeps.spec import parse_spec, specs_dir

ENGINES = ["mesa", "batch"]
IN_PROCESS = ExecutorChoice(workers=1)


def smoke_raw(engine: str, **runs) -> dict:
    raw = tomllib.loads((specs_dir() / "smoke.toml").read_text(encoding="utf-8"))
    raw["runs"].update(engine=engine, **runs)
    return raw


def smoke(engine: str, **runs):
    return parse_spec(smoke_raw(engine, **runs), "smoke (test)")


def tables(out):
    """Both tables of a sweep, without the code version (it names the commit, which may move on)."""
    return load_results(out).drop(columns=["code_version"]), load_results(out, ResultTable.ALLIES)


def assert_same_dataset(first, second):
    for a, b in zip(tables(first), tables(second)):
        pd.testing.assert_frame_equal(a, b)


# --- killed and resumed ---------------------------------------------------------------------

KILL_SPEC = """
name = "kill"
scenario = "hague2025"
[runs]
replicates = 16
seed = 99
batch_size = 2
per_ally = true
engine = "{engine}"
[parameters]
us_pressure = [0.3, 0.9]
max_rounds = 6
"""


def sweep_command(spec_path: Path, out: Path, *extra: str, workers: int = 1) -> list[str]:
    return [sys.executable, "-m", "sim.cli", "sweep", str(spec_path), "--out", str(out), "--workers", str(workers),
            "--quiet", *extra]


def as_from_a_terminal() -> None:
    """A command started from a terminal takes Ctrl-C; one started by a script's background job
    inherits SIGINT ignored (POSIX), and so would the sweep under test, whatever runs the suite."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True,  # its own process group: we can find its workers
                            preexec_fn=as_from_a_terminal)


def group_alive(group: int) -> list[int]:
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == group and fields[0] != "Z":
                alive.append(int(entry.name))
    return alive


def kill_when(process: subprocess.Popen, out: Path, shards: int, timeout_s: float = 60) -> bool:
    """SIGKILL the sweep once `shards` run shards exist; False if it finished first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if len(ResultTable.RUNS.shards(out)) >= shards:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.002)
    process.kill()
    raise AssertionError("the sweep wrote no shard in time")


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_killed_sweeps_resume_to_exactly_the_uninterrupted_dataset(tmp_path, engine):
    spec_path = tmp_path / "kill.toml"
    spec_path.write_text(KILL_SPEC.format(engine=engine), encoding="utf-8")
    out = tmp_path / "killed"
    kills = 0
    for attempt, shards in enumerate((1, 6)):  # killed after its first shard, then later once resumed
        process = start(sweep_command(spec_path, out, *(["--resume"] if attempt else []), workers=2 - attempt))
        if kill_when(process, out, shards):
            kills += 1
            assert process.returncode == -signal.SIGKILL
            deadline = time.monotonic() + 15  # its pool workers follow it
            while group_alive(process.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not group_alive(process.pid), "pool workers outlived the killed sweep"
    assert kills >= 1, "the sweep finished before it could be killed"
    done = len(ResultTable.RUNS.shards(out))
    assert 0 < done < 16

    finish = subprocess.run(sweep_command(spec_path, out, "--resume"), cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert finish.returncode == 0, finish.stderr
    assert f"{done * 2} already done" in finish.stdout

    reference = tmp_path / "reference"
    run_sweep(parse_spec(tomllib.loads(spec_path.read_text()), "kill"), reference, executor=IN_PROCESS,
              progress=False)
    assert_same_dataset(out, reference)
    runs = load_results(out)
    assert runs["run_id"].is_unique and len(runs) == 32
    assert not list(out.glob("**/.*.tmp")) and not (out / DAMAGED_DIR).exists()


@pytest.mark.slow
def test_ctrl_c_stops_the_workers_at_once_and_keeps_finished_batches(tmp_path):
    spec_path = tmp_path / "kill.toml"
    spec_path.write_text(KILL_SPEC.format(engine="mesa").replace("replicates = 16", "replicates = 200"))
    out = tmp_path / "out"
    process = start(sweep_command(spec_path, out, workers=2))
    deadline = time.monotonic() + 60
    while not ResultTable.RUNS.shards(out) and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    stopped = time.monotonic()
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130 and time.monotonic() - stopped < 5
    assert b"interrupted; finished batches are saved" in err and b"Traceback" not in err
    assert 0 < len(ResultTable.RUNS.shards(out)) < 200


# --- damaged shards ---------------------------------------------------------------------------

@pytest.mark.parametrize("engine", ENGINES)
def test_damaged_shards_are_reported_kept_aside_and_recomputed(tmp_path, capsys, engine):
    spec = smoke(engine)  # 5 batches
    reference, out = tmp_path / "reference", tmp_path / "out"
    run_sweep(spec, reference, executor=IN_PROCESS, progress=False)
    shutil.copytree(reference, out)

    truncated = out / "runs" / "runs-000001.parquet"
    truncated.write_bytes(truncated.read_bytes()[:500])
    # whole, but another batch's runs
    shutil.copy(out / "runs" / "runs-000000.parquet", out / "runs" / "runs-000002.parquet")
    (out / "allies" / "allies-000003.parquet").write_bytes(b"not parquet")
    (out / "runs" / "runs-000004.parquet").unlink()  # a batch the sweep never finished
    (out / "runs" / ".runs-000004.parquet.123.abc.tmp").write_bytes(b"half a write")

    capsys.readouterr()
    report = run_sweep(spec, out, executor=IN_PROCESS, resume=True, progress=False)
    err = capsys.readouterr().err
    assert report.already_done == 2 and report.computed == 7  # only batch 0 survives whole
    for name, why in (("runs/runs-000001.parquet", "unreadable"),
                      ("runs/runs-000002.parquet", "its run ids are not batch 2"),
                      ("allies/allies-000003.parquet", "unreadable")):
        assert f"damaged shard {out / name}: {why}" in err
    aside = sorted(p.name.split(".parquet")[0] for p in (out / DAMAGED_DIR).iterdir())
    assert aside == ["allies-000003", "runs-000001", "runs-000002"]
    assert not list(out.glob("**/.*.tmp"))
    assert_same_dataset(out, reference)


def test_a_shard_from_another_sweep_is_caught_by_its_columns(tmp_path, capsys):
    spec = smoke("mesa")
    run_sweep(spec, tmp_path / "out", executor=IN_PROCESS, progress=False)
    shard = tmp_path / "out" / "runs" / "runs-000000.parquet"
    pq.write_table(pq.read_table(shard).drop_columns(["max_rounds"]), shard)
    run_sweep(spec, tmp_path / "out", executor=IN_PROCESS, resume=True, progress=False)
    assert "columns are not this sweep's" in capsys.readouterr().err
    assert len(load_results(tmp_path / "out")) == 9


# --- refusing to mix or overwrite -------------------------------------------------------------

def test_refuses_to_start_over_finished_results_without_resume(tmp_path, capsys):
    from sim.cli import main

    out = tmp_path / "out"
    args = ["sweep", "smoke", "--out", str(out), "--engine", "mesa", "--workers", "1", "--quiet"]
    assert main(args) == 0
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "already holds results of this sweep; pass --resume" in err and err.count("\n") == 1
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == before
    assert main([*args, "--resume"]) == 0
    assert "9 already done, 0 computed" in capsys.readouterr().out


def test_refuses_a_directory_holding_a_different_sweep(tmp_path, capsys):
    from sim.cli import main

    out = tmp_path / "out"
    assert main(["sweep", "smoke", "--out", str(out), "--engine", "mesa", "--workers", "1", "--quiet"]) == 0
    other = tmp_path / "other.toml"
    other.write_text((specs_dir() / "smoke.toml").read_text().replace("replicates = 3", "replicates = 4"))
    capsys.readouterr()
    for extra in ([], ["--resume"]):
        assert main(["sweep", str(other), "--out", str(out), "--engine", "mesa", "--quiet", *extra]) == 2
        err = capsys.readouterr().err
        assert "holds a different sweep" in err and "differ in" in err and "replicates" in err
    for engine in ([], ["--engine", "batch"]):  # the spec's own engine, by default or named: not this sweep's
        assert main(["sweep", "smoke", "--out", str(out), *engine, "--resume", "--quiet"]) == 2
        err = capsys.readouterr().err
        assert "started on the mesa engine, not batch; add --engine mesa to the command to resume it" in err
        assert "another --out" not in err and err.count("\n") == 1
    assert len(load_results(out)) == 9


def test_refuses_a_directory_that_is_not_a_sweep(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty and holds no sweep"):
        run_sweep(smoke("mesa"), tmp_path, executor=IN_PROCESS, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".lock") == ["notes.txt"]


def test_refuses_a_directory_another_sweep_is_writing(tmp_path):
    spec = smoke("mesa")
    with ResultsDir(tmp_path / "out", spec, resume=False, code_version="test"):
        with pytest.raises(FileExistsError, match="another sweep is writing here"):
            run_sweep(spec, tmp_path / "out", executor=IN_PROCESS, resume=True, progress=False)


def test_a_sweep_that_never_finished_a_batch_can_start_again(tmp_path):
    spec = smoke("mesa")
    ResultsDir(tmp_path / "out", spec, resume=False, code_version="test").close()  # metadata, no shards
    report = run_sweep(spec, tmp_path / "out", executor=IN_PROCESS, progress=False)
    assert report.computed == 9


# --- reading back -------------------------------------------------------------------------------

def test_load_results_reads_every_shard_in_run_order(tmp_path):
    spec = smoke("mesa")
    run_sweep(spec, tmp_path / "out", executor=IN_PROCESS, progress=False)
    (tmp_path / "out" / "runs" / "runs-000004.parquet").unlink()  # an unfinished batch: its allies left out too
    runs = load_results(tmp_path / "out")
    allies = load_results(tmp_path / "out", "allies")
    assert runs["run_id"].tolist() == list(range(8))
    assert sorted(set(allies["run_id"])) == list(range(8)) and len(allies) == 8 * 32
    assert load_results(tmp_path / "out", columns=["run_id", "deal"]).shape == (8, 2)
    assert read_metadata(tmp_path / "out")["batches"] == 5
    with pytest.raises(FileNotFoundError, match="no sweep results here"):
        load_results(tmp_path)


def test_shards_are_written_whole_with_normal_permissions(tmp_path):
    run_sweep(smoke("mesa"), tmp_path / "out", executor=IN_PROCESS, progress=False)
    shard = tmp_path / "out" / "runs" / "runs-000000.parquet"
    assert pq.read_metadata(shard).num_rows == 2
    probe = tmp_path / "probe"
    probe.write_bytes(b"")
    assert shard.stat().st_mode & 0o777 == probe.stat().st_mode & 0o777  # as any new file, not 0600
