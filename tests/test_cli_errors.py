"""The command line under bad input or an environment fault: one clear line and exit status 2,
never a traceback, and nothing computed before is lost, overwritten or left half-written.
A bug is the exception: it keeps its traceback, under a line saying it is one."""

import errno
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT

from sim.cli import main


RUN_FILES = ("outcome.json", "rounds.parquet", "allies_by_round.parquet", "convergence.png")


def one_error_line(capsys) -> str:
    """The single line a user error leaves on stderr."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("alliance-sim") and "Traceback" not in err
    return lines[0]


def leftovers(directory: Path) -> list[str]:
    """Whatever a failed run left behind in (or beside) its output directory."""
    places = [directory, directory.parent]
    return sorted(p.name for place in places if place.is_dir() for p in place.iterdir()
                  if p.name in RUN_FILES or p.name.startswith("."))


SLOW_DISK = """
import sys, time
from pathlib import Path
import pandas as pd
from sim.cli import main
def slowly(write):
    def slow(self, *args, **kwargs):
        time.sleep(0.5)
        return write(self, *args, **kwargs)
    return slow
pd.DataFrame.to_parquet = slowly(pd.DataFrame.to_parquet)
Path.write_text = slowly(Path.write_text)
sys.exit(main(sys.argv[1:]))
"""


def slow_disk_cli(*args: str) -> subprocess.Popen:
    """The command line in a process whose every file takes half a second to write, so two
    runs started together overlap while writing."""
    return subprocess.Popen([sys.executable, "-c", SLOW_DISK, *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


# --- concurrent runs into one directory -------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("attempt", range(3))
def test_two_runs_into_one_directory_give_one_result_and_one_refusal(tmp_path, attempt):
    """Two runs started together must not mix their files: one wins whole, the other refuses."""
    out = tmp_path / "shared"
    runs = {seed: slow_disk_cli("run", "--seed", str(seed), "--json", "--out", str(out)) for seed in (1, 2)}
    finished = {seed: (process.wait(timeout=120), process.communicate()) for seed, process in runs.items()}
    codes = sorted(code for code, _ in finished.values())
    assert codes == [0, 2], finished
    winner = next(seed for seed, (code, _) in finished.items() if code == 0)
    loser_err = next(streams[1] for code, streams in finished.values() if code == 2)
    assert len(loser_err.strip().splitlines()) == 1 and "Traceback" not in loser_err
    outcome = json.loads((out / "outcome.json").read_text())
    assert outcome["seed"] == winner
    printed = json.loads(finished[winner][1][0])
    rounds = pd.read_parquet(out / "rounds.parquet")
    assert len(rounds) == printed["rounds"] + 1 == outcome["rounds"] + 1
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)


def test_run_checks_the_output_directory_before_computing(tmp_path, capsys, monkeypatch):
    """A run that cannot be written must fail at once, not after the model has run."""
    import sim.engines.model

    def must_not_run(*args, **kwargs):
        raise AssertionError("the model ran although --out cannot be written")

    monkeypatch.setattr(sim.engines.model.AllianceModel, "run", must_not_run)
    (tmp_path / "file").write_text("x")
    assert main(["run", "--out", str(tmp_path / "file" / "out")]) == 2
    one_error_line(capsys)


# --- output-directory faults ------------------------------------------------------------------


def test_out_under_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["run", "--out", str(tmp_path / "file" / "out")]) == 2
    line = one_error_line(capsys)
    assert "--out" in line and "not a directory" in line.lower()


def test_out_that_is_a_file_is_one_line_and_the_file_is_kept(tmp_path, capsys):
    target = tmp_path / "results"
    target.write_text("keep me")
    assert main(["run", "--out", str(target)]) == 2
    line = one_error_line(capsys)
    assert "--out" in line and "is a file" in line and "[Errno" not in line
    assert target.read_text() == "keep me"


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS])
def test_out_that_cannot_be_created_is_one_line(tmp_path, capsys, monkeypatch, code):
    """A read-only directory (simulated: the tests may run as root, who ignores chmod)."""
    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code), str(args[0]) if args else "")

    monkeypatch.setattr(os, "mkdir", refuse)
    out = tmp_path / "out"
    assert main(["run", "--out", str(out)]) == 2
    line = one_error_line(capsys)
    assert "--out" in line and os.strerror(code) in line
    assert not out.exists()


def test_disk_full_while_writing_leaves_nothing_partial(tmp_path, capsys, monkeypatch):
    calls = []

    def full(self, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 2:  # the second table: one file is already written by then
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return original(self, path, *args, **kwargs)

    original = pd.DataFrame.to_parquet
    monkeypatch.setattr(pd.DataFrame, "to_parquet", full)
    out = tmp_path / "out"
    assert main(["run", "--json", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["deal"] in (True, False)  # the computed outcome is still shown
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "No space left on device" in lines[0] and "--out" in lines[0]
    assert leftovers(out) == []


@pytest.mark.slow
def test_a_failed_write_never_touches_an_earlier_run(tmp_path, capsys, monkeypatch):
    out = tmp_path / "out"
    assert main(["run", "--out", str(out)]) == 0
    before = {name: (out / name).read_bytes() for name in RUN_FILES}
    capsys.readouterr()
    assert main(["run", "--seed", "4", "--out", str(out)]) == 2
    assert "already holds" in one_error_line(capsys)
    assert {name: (out / name).read_bytes() for name in RUN_FILES} == before


def test_validate_out_under_a_file_is_one_line_before_computing(tmp_path, capsys, monkeypatch):
    import sim.analysis.validation

    def must_not_run(*args, **kwargs):
        raise AssertionError("validated although --out cannot be written")

    monkeypatch.setattr(sim.analysis.validation, "validate", must_not_run)
    (tmp_path / "file").write_text("x")
    assert main(["validate", "--seeds", "1", "--out", str(tmp_path / "file" / "out")]) == 2
    assert "--out" in one_error_line(capsys)


# --- seeds, the viz port, a closed pipe -------------------------------------------------------


def test_negative_seed_is_one_line(capsys):
    assert main(["run", "--seed", "-1"]) == 2
    line = one_error_line(capsys)
    assert "--seed -1" in line and "non-negative integer" in line


@pytest.fixture
def no_exec(monkeypatch):
    """Never let a test become the Solara server."""
    calls = []
    monkeypatch.setattr(os, "execve", lambda *args: calls.append(args))
    return calls


@pytest.mark.parametrize("port", ["-1", "0", "70000"])
def test_viz_port_out_of_range_is_one_line(capsys, no_exec, port):
    assert main(["viz", "--port", port]) == 2
    line = one_error_line(capsys)
    assert f"--port {port}" in line and "1 to 65535" in line
    assert not no_exec


def test_viz_port_in_use_is_one_line(capsys, no_exec):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["viz", "--port", str(port)]) == 2
    line = one_error_line(capsys)
    assert f"--port {port}" in line and "in use" in line
    assert not no_exec


@pytest.mark.slow
def test_json_into_a_closed_pipe_exits_quietly():
    """`alliance-sim run --json | true`: no BrokenPipeError, no traceback, as Unix tools do."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    process = subprocess.Popen([sys.executable, "-m", "sim.cli", "run", "--json"], cwd=ROOT, stdout=write_end,
                               stderr=subprocess.PIPE, text=True)
    os.close(write_end)
    _, err = process.communicate(timeout=120)
    assert err == ""
    assert process.returncode != 0


# --- --set and --workers ----------------------------------------------------------------------


@pytest.mark.parametrize("override, words", [
    ("us_pressure=5", "us_pressure"), ("no_such=1", "unknown parameter"),
    ("mediator_rule=dice", "mediator_rule"), ("us_pressure", "expected NAME=VALUE"),
])
def test_set_errors_name_set_not_the_scenario_file(capsys, override, words):
    assert main(["run", "--set", override]) == 2
    line = one_error_line(capsys)
    assert f"--set {override}" in line and words in line
    assert "hague2025" not in line and ".toml" not in line


def test_absurd_worker_count_is_refused_saying_what_is_allowed(tmp_path, capsys):
    assert main(["sweep", "smoke", "--out", str(tmp_path / "s"), "--workers", "100000", "--quiet"]) == 2
    line = one_error_line(capsys)
    assert "--workers 100000" in line and "allowed: an integer from 1 to" in line
    assert not (tmp_path / "s").exists() or not any((tmp_path / "s").iterdir())


# --- scenario files and allies.csv ------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "\n  \n", "# only a comment\n"])
def test_empty_scenario_file_is_refused(tmp_path, capsys, text):
    path = tmp_path / "empty.toml"
    path.write_text(text)
    assert main(["run", str(path)]) == 2
    line = one_error_line(capsys)
    assert "empty.toml" in line and "sets nothing" in line


def test_huge_scenario_file_is_refused_before_reading(tmp_path, capsys, monkeypatch):
    path = tmp_path / "huge.toml"
    with path.open("wb") as handle:
        handle.truncate(2 * 1024 * 1024)

    def must_not_read(*args, **kwargs):
        raise AssertionError("the whole file was read")

    monkeypatch.setattr(Path, "read_text", must_not_read)
    monkeypatch.setattr(Path, "read_bytes", must_not_read)
    assert main(["run", str(path)]) == 2
    line = one_error_line(capsys)
    assert "huge.toml" in line and "1 MB" in line


def test_allies_csv_replaced_by_a_directory_is_one_line(tmp_path, capsys, monkeypatch):
    import sim.data.loader

    directory = tmp_path / "allies.csv"
    directory.mkdir()
    monkeypatch.setattr(sim.data.loader, "default_allies_path", lambda: directory)
    assert main(["run"]) == 2
    assert "allies.csv" in one_error_line(capsys)


# --- what is not the user's fault -------------------------------------------------------------


def test_a_mistyped_option_is_one_line(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["run", "--seed", "x"])
    assert stop.value.code == 2
    assert "--seed" in one_error_line(capsys)


def test_an_internal_error_says_it_is_a_bug(capsys, monkeypatch):
    """A bug keeps its traceback (it is needed to fix it) under a line saying it is one."""
    import sim.engines.model

    def broken(self):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(sim.engines.model.AllianceModel, "run", broken)
    with pytest.raises(ZeroDivisionError):
        main(["run"])
    assert "this is a bug" in capsys.readouterr().err


# --- numbers of thousands of digits, seeds beyond the engines' range -----------------------------


HUGE = "1" * 5000  # past Python's 4300-digit limit on converting text to int

PLEDGE = """name = "big"
[[pledges]]
name = "x"
kind = "floor"
level_pct = 2.0
from_year = {year}
made_year = 2023
source = "s"
"""


def huge_number_commands(tmp_path: Path) -> dict[str, list[str]]:
    scenario, pledge, spec = tmp_path / "scenario.toml", tmp_path / "pledge.toml", tmp_path / "spec.toml"
    scenario.write_text(f'name = "big"\n[parameters]\nmax_rounds = {HUGE}\n')
    pledge.write_text(PLEDGE.format(year=HUGE))
    spec.write_text(f'name = "big"\n[runs]\nreplicates = {HUGE}\n[parameters]\nus_pressure = 0.5\n')
    return {"set": ["run", "--set", f"max_rounds={HUGE}"], "scenario": ["run", str(scenario)],
            "pledge": ["run", str(pledge)], "spec": ["sweep", str(spec), "--out", str(tmp_path / "out")],
            "viz": ["viz", "--scenario", str(scenario)], "seed": ["run", "--seed", HUGE]}


@pytest.mark.parametrize("where", ["set", "scenario", "pledge", "spec", "viz", "seed"])
def test_a_number_of_thousands_of_digits_is_one_short_line(tmp_path, capsys, no_exec, where):
    """tomllib and int() refuse past 4300 digits with a ValueError; it must be a user error,
    and the line must not echo the 5000 digits."""
    command = huge_number_commands(tmp_path)[where]
    if where == "seed":  # argparse's own refusal
        with pytest.raises(SystemExit) as stop:
            main(command)
        assert stop.value.code == 2
    else:
        assert main(command) == 2
    line = capsys.readouterr().err.strip()
    assert "\n" not in line and "Traceback" not in line and line.startswith("alliance-sim")
    assert "5000 digits" in line and len(line) < 400
    assert not no_exec and not (tmp_path / "out").exists()


def test_a_seed_beyond_the_engines_range_is_one_line(capsys):
    assert main(["run", "--seed", str(10**400), "--json"]) == 2
    line = one_error_line(capsys)
    assert "--seed" in line and "2**64 - 1" in line and "(401 digits)" in line


def test_the_largest_seed_still_runs(capsys):
    assert main(["run", "--seed", str(2**64 - 1), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["seed"] == 2**64 - 1


def test_outcome_json_keeps_integers_of_any_size():
    from sim.engines.outcome import without_nan

    assert without_nan({"seed": 10**400, "x": [float("nan"), 1.5, float("inf")]}) == {"seed": 10**400,
                                                                                        "x": [None, 1.5, None]}


def test_simulate_many_refuses_an_impossible_number_of_runs_up_front():
    from sim.api import simulate_many
    from sim.model.parameters import ParameterError

    with pytest.raises(ParameterError, match=r"seeds = 1000000000000 .*at most 100,000,000"):
        simulate_many(pd.DataFrame({"us_pressure": [0.5]}), 10**12)
    with pytest.raises(ParameterError, match=r"seeds: 200,000 seeds with 1000 design rows"):
        simulate_many(pd.DataFrame({"us_pressure": [0.5] * 1000}), range(200_000))


# --- escape codes in names ---------------------------------------------------------------------


def test_escape_codes_in_a_scenario_name_never_reach_the_terminal(tmp_path, capsys):
    path = tmp_path / "evil.toml"
    path.write_text('name = "evil\\u001b[2J\\u0007"\n[parameters]\nmax_rounds = 3\n')
    assert main(["run", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "Scenario: evil\\x1b[2J\\x07" in out


def test_escape_codes_in_an_ally_key_never_reach_the_terminal(tmp_path, capsys):
    path = tmp_path / "evil.toml"
    path.write_text('name = "evil"\n[allies."\\u001b[2J"]\ngdp_usd_bn = 1.0\n')
    assert main(["run", str(path)]) == 2
    line = one_error_line(capsys)
    assert "\x1b" not in line and "\\x1b[2J" in line


def test_escape_codes_in_an_out_path_are_shown_escaped(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    assert main(["run", "--out", str(tmp_path / "f" / "\x1b[2Jout")]) == 2
    line = one_error_line(capsys)
    assert "\x1b" not in line and "\\x1b[2Jout" in line


# --- stdout full or closed: the files are written all the same ---------------------------------


def cli(*args: str, stdout=None, stderr=subprocess.PIPE, shell_redirect: str = "") -> subprocess.CompletedProcess:
    """The command line in a subprocess; `shell_redirect` (such as `>&-`) applied by a shell."""
    command = [sys.executable, "-m", "sim.cli", *args]
    if shell_redirect:
        command = ["sh", "-c", f'exec "$0" "$@" {shell_redirect}', *command]
    return subprocess.run(command, cwd=ROOT, stdout=stdout, stderr=stderr, text=True, timeout=300)


def full_stdout_line(result: subprocess.CompletedProcess, reason: str) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr, result.stderr
    assert lines[-1].startswith("alliance-sim: error: cannot write to standard output") and reason in lines[-1]
    return lines[-1]


@pytest.mark.slow
@pytest.mark.parametrize("args, files", [
    (["run", "--json"], RUN_FILES), (["run"], RUN_FILES), (["validate", "--seeds", "1"], ("validation.md",)),
    (["sweep", "smoke", "--workers", "1", "--quiet"], ("_sweep.json", "runs")),
])
def test_stdout_on_a_full_disk_is_one_line_and_the_files_are_written(tmp_path, args, files):
    out = tmp_path / "out"
    with open("/dev/full", "w") as full:
        result = cli(*args, "--out", str(out), stdout=full)
    line = full_stdout_line(result, "No space left on device")
    assert f"the results written in {out} are whole" in line
    assert all((out / name).exists() for name in files)
    if args[0] == "run":
        assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)


@pytest.mark.slow
def test_stdout_on_a_full_disk_without_out_is_one_line():
    with open("/dev/full", "w") as full:
        result = cli("run", "--json", stdout=full)
    full_stdout_line(result, "No space left on device")


@pytest.mark.slow
@pytest.mark.parametrize("with_out", [False, True])
def test_stdout_closed_is_one_line_not_an_attribute_error(tmp_path, with_out):
    out = tmp_path / "out"
    result = cli("run", "--json", *(["--out", str(out)] if with_out else []), shell_redirect=">&-")
    full_stdout_line(result, "standard output is closed")
    if with_out:
        assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)


def test_a_reader_gone_away_still_gets_the_files_written(tmp_path, capsys, monkeypatch):
    """`run --json --out D | head -c0`: quietly 141, as before, and D is written whole."""
    class Gone:
        def write(self, text):
            raise BrokenPipeError(errno.EPIPE, "Broken pipe")

        def flush(self):
            pass

    monkeypatch.setattr(sys, "stdout", Gone())
    out = tmp_path / "out"
    assert main(["run", "--json", "--out", str(out)]) == 141
    assert sorted(p.name for p in out.iterdir()) == sorted(RUN_FILES)
