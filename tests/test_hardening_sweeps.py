"""Issue 13: sweeps that mixed inputs, stalled on huge designs, trusted damaged bytes or left
their lock behind. Each test reproduces one failure first, then checks the fix."""

import fcntl
import hashlib
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
from sim.sweeps.sampling import MAX_GRID_STEPS, MAX_SAMPLED_VALUES
from sim.sweeps.sweep import SweepInterrupted, run_sweep
from sim.sweeps.spec import SweepSpecError, load_spec, parse_spec, specs_dir

IN_PROCESS = ExecutorChoice(workers=1)


def smoke(**runs):
    raw = tomllib.loads((specs_dir() / "smoke.toml").read_text(encoding="utf-8"))
    raw["runs"].update(engine="batch", **runs)
    return parse_spec(raw, "smoke (test)")


def cli_sweep(spec: str | Path, out: Path, *extra: str) -> list[str]:
    return ["sweep", str(spec), "--out", str(out), "--workers", "1", "--quiet", *extra]


# --- 1. a resume on changed inputs ------------------------------------------------------------

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


# --- 2. huge sweeps start at once, memory flat ------------------------------------------------

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


@pytest.mark.parametrize("method, samples", [("latin_hypercube", 10**8), ("sobol", 2**23)])
def test_a_sampled_design_too_large_for_memory_is_refused_before_drawing(method, samples):
    """The issue's case: a Latin hypercube of 10^8 samples reached 11.4 GB while drawing."""
    raw = {"sampler": {"method": method, "samples": samples},
           "parameters": {"us_pressure": {"low": 0.0, "high": 1.0}}}
    started = time.monotonic()
    with pytest.raises(SweepSpecError) as refused:
        parse_spec(raw, "big.toml")
    message = str(refused.value)
    assert time.monotonic() - started < 1 and "\n" not in message
    assert f"sampler.samples = {samples} is too many to hold in memory" in message
    assert f"allowed: at most {MAX_SAMPLED_VALUES} values" in message


def test_a_grid_axis_too_long_to_keep_is_refused():
    raw = {"parameters": {"us_pressure": {"low": 0.0, "high": 1.0, "steps": 10**12}}}
    with pytest.raises(SweepSpecError, match=rf"steps = {10**12} is not allowed; allowed: .* <= {MAX_GRID_STEPS}"):
        parse_spec(raw, "long.toml")


#: Built-in specs before the lazy designs (HEAD 675ef6e): runs, first and last design point,
#: first and last run seed, and the sampled table's digest. They must never move: a change
#: here changes every existing sweep's rows. (The spec hashes also cover the scenario's
#: parameters, which move with the model; these do not.)
BUILTIN_DESIGNS = {
    'smoke': (9, {'us_pressure': 0.2, 'max_rounds': 6}, {'us_pressure': 1.0, 'max_rounds': 6}, 6716045083268726496, 1690407961062022205, None),
    'us_pressure': (840, {'us_pressure': 0.0}, {'us_pressure': 1.0}, 7321742964704065497, 6230276067264430832, None),
    'threat_shocks': (990, {'threat_shock': -0.5, 'threat_shock_round': 2}, {'threat_shock': 0.5, 'threat_shock_round': 10}, 4563621435906591598, 1259589235184663981, None),
    'fiscal_rules': (420, {'eu_escape_clause': False, 'escape_room_pct': 0.0}, {'eu_escape_clause': True, 'escape_room_pct': 3.0}, 5034311676600317577, 2922854948633217747, None),
    'mediator_rules': (360, {'mediator_rule': 'compromise', 'us_pressure': 0.4}, {'mediator_rule': 'nash', 'us_pressure': 1.0}, 6093118484019055769, 7105030921803578999, None),
    'sensitivity': (1024, {'shared_threat': 0.6875050190836192, 'abandonment_weight': 0.14418435841798782, 'peer_weight': 0.3513206890784204, 'need_scale_pct': 4.7374584171921015, 'fiscal_drag': 0.4372720833867788, 'concession_rate': 0.4306496491655707, 'leverage': 1.4155626241117716, 'expansion_rate_pct': 0.015755631504580377}, {'shared_threat': 0.6895387477241457, 'abandonment_weight': 0.21592186391353607, 'peer_weight': 0.04042323445901275, 'need_scale_pct': 5.686672953888774, 'fiscal_drag': 0.24296640008687975, 'concession_rate': 0.6797890204936266, 'leverage': 0.31953427381813526, 'expansion_rate_pct': 0.020561919528990984}, 6303505170278911127, 1585768159703638873, 'a671406444febc41e535f4ff7fc473f3be693dbc1023225fa2e6dd0fb232ebe8'),
    'million': (1000000, {'us_pressure': 0.9588805066793544}, {'us_pressure': 0.6079474629876254}, 3095235501369198119, 2150141238773604413, '5b96d452252f1cd5e2c4d61b5373c811b52a0882e9596d7250af4e94375121b6'),
}


@pytest.mark.parametrize("name", sorted(BUILTIN_DESIGNS))
def test_builtin_specs_keep_their_design_points_and_seeds(name):
    runs, first, last, first_seed, last_seed, table = BUILTIN_DESIGNS[name]
    spec = load_spec(name)
    plain = lambda point: {k: getattr(v, "value", v) for k, v in point.items()}
    assert spec.runs == runs and plain(spec.design.point(0)) == first
    assert plain(spec.design.point(len(spec.design) - 1)) == last
    assert (spec.seed_of(0), spec.seed_of(runs - 1)) == (first_seed, last_seed)
    assert spec.canonical()["design"].get("table_sha256") == table


def reference_table_digest(spec) -> str:
    """The design digest as computed before (one JSON text of the whole table)."""
    points = [[getattr(v, "value", v) for v in spec.design.point(i).values()] for i in range(len(spec.design))]
    return hashlib.sha256(json.dumps(points, separators=(",", ":")).encode()).hexdigest()


@pytest.mark.parametrize("name", ["sensitivity", "million", "hague_variants"])
def test_design_fingerprints_are_the_whole_table_digest(name):
    spec = load_spec(name)
    assert spec.design.table_sha256 == reference_table_digest(spec)


def test_grid_points_by_mixed_radix_match_numpy_order():
    spec = load_spec("mediator_rules")
    shape = tuple(len(values) for values in spec.design.grid)
    for index in range(len(spec.design)):
        position = np.unravel_index(index, shape)
        expected = {n: v[int(i)] for n, v, i in zip(spec.design.names, spec.design.grid, position)}
        assert spec.design.point(index) == expected


# --- 3. damaged bytes inside a shard --------------------------------------------------------

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


# --- 4. metadata fields and the lock file ---------------------------------------------------

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
