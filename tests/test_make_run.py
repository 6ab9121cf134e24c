"""`make run`: the run writes into the results folder itself, so the paths it prints are the
final ones (no staging folder named on the way); a new run replaces the last one's results, and
a failed run leaves them where they were. `alliance-sim` is a stub here that keeps the real
command's contract: it refuses a folder that already holds results."""

import os
import subprocess

import pytest
from conftest import ROOT

STUB = """#!/bin/sh
# alliance-sim run --out DIR, as the real command behaves for the Makefile
out="$3"
[ -e "$out/outcome.json" ] && { echo "--out $out: already holds results" >&2; exit 2; }
[ -n "$FAIL" ] && { echo "run failed" >&2; exit 2; }
mkdir -p "$out" && echo "$RUN_ID" > "$out/outcome.json"
echo "wrote $out/outcome.json"
"""


@pytest.fixture
def venv(tmp_path):
    """A stand-in for .venv whose bin/alliance-sim is the stub."""
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    command = tmp_path / "venv" / "bin" / "alliance-sim"
    command.write_text(STUB)
    command.chmod(0o755)
    return tmp_path / "venv"


def make_run(venv, out, run_id, fail=False):
    environment = {**os.environ, "RUN_ID": run_id, **({"FAIL": "1"} if fail else {})}
    return subprocess.run(["make", "--no-print-directory", "-s", "-o", "setup", "run", f"VENV={venv}", f"OUT={out}"],
                          cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60, check=False)


def test_make_run_prints_the_final_folder_and_replaces_the_last_results(venv, tmp_path):
    out = tmp_path / "results" / "default"
    for run_id in ("first", "second"):
        done = make_run(venv, out, run_id)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == f"wrote {out}/outcome.json"
        assert (out / "outcome.json").read_text().strip() == run_id
        assert sorted(path.name for path in out.parent.iterdir()) == ["default"]  # nothing left beside it


def test_a_failed_run_leaves_the_last_results_in_place(venv, tmp_path):
    out = tmp_path / "results" / "default"
    assert make_run(venv, out, "kept").returncode == 0
    done = make_run(venv, out, "lost", fail=True)
    assert done.returncode != 0 and "run failed" in done.stderr
    assert (out / "outcome.json").read_text().strip() == "kept"
    assert sorted(path.name for path in out.parent.iterdir()) == ["default"]
