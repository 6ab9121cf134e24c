"""Issue 12, the small things: Chromium for `make test`, words and figures a newcomer tripped on,
where the experiments write, what their summaries claim, and noise in the Sobol' section."""

import importlib
import os
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.engines.model import AllianceModel
from sim.analysis.run_report import plural, summary_text

REPO = Path(__file__).resolve().parent.parent
EXPERIMENTS = REPO / "experiments"
INSTALL = REPO / "scripts" / "install-chromium"
MISSING = "/nonexistent/alliance-sim/chromium"


# --- 1. Chromium for `make test` ------------------------------------------------------------------

@pytest.fixture
def stubs(tmp_path):
    """A PATH directory whose `id`, `sudo` and `apt-get` stand in for the real ones: `id -u`
    answers $FAKE_UID, sudo refuses, apt-get logs its arguments and "installs" Chromium at
    $ALLIANCE_SIM_CHROMIUM; `py` stands in for the virtualenv's python and prints the skip flag."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    scripts = {
        "id": '[ "$1" = -u ] && echo "$FAKE_UID" || exec /usr/bin/id "$@"',
        "sudo": "exit 1",
        "apt-get": 'echo "apt-get $*" >> "$APT_LOG"\n'
                   'case "$*" in *install*) printf "#!/bin/sh\\n" > "$ALLIANCE_SIM_CHROMIUM"; '
                   'chmod +x "$ALLIANCE_SIM_CHROMIUM";; esac',
        "py": 'echo "skip=[$ALLIANCE_SIM_SKIP_BROWSER] $*"',
    }
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    return bin_dir


def run(args, stubs, tmp_path, uid, chromium=MISSING, **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("CI", "ALLIANCE_SIM_SKIP_BROWSER")}
    environment.update(PATH=f"{stubs}:{os.environ['PATH']}", FAKE_UID=str(uid), ALLIANCE_SIM_CHROMIUM=chromium,
                       APT_LOG=str(tmp_path / "apt.log"), **env)
    return subprocess.run(args, check=False, cwd=REPO, env=environment, capture_output=True, text=True, timeout=60)


def test_install_chromium_does_nothing_when_it_is_there(stubs, tmp_path):
    present = tmp_path / "chromium"
    present.write_text("#!/bin/sh\n")
    present.chmod(0o755)
    done = run([str(INSTALL)], stubs, tmp_path, uid=1000, chromium=str(present))
    assert done.returncode == 0 and done.stderr == "" and not (tmp_path / "apt.log").exists()


def test_install_chromium_as_root_runs_apt_get(stubs, tmp_path):
    target = tmp_path / "installed" / "chromium"
    target.parent.mkdir()
    dry = run([str(INSTALL), "--dry-run"], stubs, tmp_path, uid=0, chromium=str(target))
    assert dry.returncode == 0 and "apt-get update -qq" in dry.stdout
    assert "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium" in dry.stdout
    assert not (tmp_path / "apt.log").exists() and not target.exists()  # a dry run installs nothing
    done = run([str(INSTALL)], stubs, tmp_path, uid=0, chromium=str(target))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "apt.log").read_text().splitlines() == ["apt-get update -qq",
                                                               "apt-get install -y -qq chromium"]


@pytest.mark.parametrize("ci, says", [(None, "skipping the browser tests"), ("true", "CI=true, so the browser tests run")])
def test_without_root_or_sudo_it_says_so_in_one_line(stubs, tmp_path, ci, says):
    done = run([str(INSTALL)], stubs, tmp_path, uid=1000, **({"CI": ci} if ci else {}))
    assert done.returncode == 3
    assert len(done.stderr.splitlines()) == 1 and "not root, no password-less sudo" in done.stderr and says in done.stderr
    assert not (tmp_path / "apt.log").exists()


@pytest.mark.parametrize("uid, ci, skip", [(1000, None, "1"), (1000, "true", ""), (0, None, "")])
def test_make_test_skips_the_browser_tests_only_where_chromium_cannot_be_installed(stubs, tmp_path, uid, ci, skip):
    target = tmp_path / "chromium"
    done = run(["make", "--no-print-directory", "-o", "setup", "-o", "assets", "test", f"PY={stubs / 'py'}"],
               stubs, tmp_path, uid=uid, chromium=str(target), **({"CI": ci} if ci else {}))
    assert done.returncode == 0, done.stderr
    assert f"skip=[{skip}] -m pytest" in done.stdout
    assert target.exists() == (uid == 0)  # as root it was "installed"


def test_ci_run_and_make_share_the_script():
    assert "scripts/install-chromium" in (REPO / ".ci" / "run").read_text()
    assert "scripts/install-chromium" in (REPO / "Makefile").read_text()
    assert "apt-get" not in (REPO / ".ci" / "run").read_text()


# --- 2. words and figures ------------------------------------------------------------------------

def test_one_round_is_singular():
    assert plural(1, "round") == "1 round" and plural(12, "round") == "12 rounds"
    text = summary_text(AllianceModel("hague2025", rng=0, max_rounds=1).run())
    assert "after 1 round;" in text or "after 1 round:" in text
    assert "1 rounds" not in text


def test_convergence_figure_gives_each_side_letter_its_own_colour(tmp_path, monkeypatch):
    import matplotlib.axes

    from sim.analysis import run_report as report

    from sim.engines.batch import run_batch

    searched = run_batch("hague2025", [{}] * 200, list(range(200)))
    seed = int(np.flatnonzero(searched.flexibility.sum(axis=1) >= 3)[0])  # a run with three side letters
    outcome = AllianceModel("hague2025", rng=seed).run()
    assert len(outcome.flexibility) >= 3
    colours = {}
    plot = matplotlib.axes.Axes.plot

    def spy(self, *args, **kwargs):
        label = kwargs.get("label") or ""
        if label.endswith("(flexibility)"):
            colours[label.split()[0]] = kwargs["color"]
        return plot(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "plot", spy)
    from sim.cli import main

    out = tmp_path / "run"
    assert main(["run", "--seed", str(seed), "--out", str(out)]) == 0
    assert set(colours) == set(outcome.flexibility) and len(set(colours.values())) == len(colours)
    assert report.FLEXIBILITY_COLOURS  # the palette the figure draws from


def test_hindcast_labels_do_not_overlap(tmp_path, monkeypatch):
    from sim.analysis import validation_report
    from sim.analysis.validation import validate

    placed = {}
    original = validation_report.label_points

    def spy(ax, points):
        original(ax, points)
        renderer = ax.figure.canvas.get_renderer()
        placed["boxes"] = [text.get_window_extent(renderer) for text in ax.texts]
        placed["codes"] = [text.get_text() for text in ax.texts]
        placed["points"] = points

    monkeypatch.setattr(validation_report, "label_points", spy)
    validation_report.hindcast_figure(validate(range(2)), tmp_path / "hindcast.png")
    boxes = placed["boxes"]
    assert 0 < len(boxes) < 32  # only the misses are named
    assert all(abs(p - a) > validation_report.LABEL_MISS_PP for _, a, p in placed["points"])
    overlaps = [(placed["codes"][i], placed["codes"][j]) for i in range(len(boxes)) for j in range(i)
                if boxes[i].overlaps(boxes[j])]
    assert not overlaps


def test_the_pledge_chart_says_iceland_is_left_out():
    from sim.viz.pledge import pledge_chart

    title = pledge_chart(AllianceModel("hague2025", rng=0).run()).to_dict()["title"]
    assert "Iceland" in title["subtitle"] and "no armed forces" in title["subtitle"]


def test_the_trajectories_panel_of_iceland_says_why_it_is_empty(tmp_path, monkeypatch):
    import matplotlib.figure

    from sim.analysis import validation_report
    from sim.analysis.validation import validate

    texts = []
    savefig = matplotlib.figure.Figure.savefig

    def spy(self, *args, **kwargs):
        texts.extend((ax.get_title(), t.get_text()) for ax in self.axes for t in ax.texts)
        return savefig(self, *args, **kwargs)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", spy)
    validation_report.trajectories_figure(validate(range(1)), tmp_path / "paths.png")
    assert ("ISL", "no armed forces") in texts


# --- 3 and 4. where experiments write, and what their summaries claim ---------------------------------

@pytest.fixture
def experiment(monkeypatch):
    monkeypatch.syspath_prepend(str(EXPERIMENTS))
    return importlib.import_module("experiment")


def test_experiments_write_apart_from_the_sweep_examples(experiment, monkeypatch):
    for name in ("us_pressure", "threat_shocks", "fiscal_rules", "mediator_rules"):
        script = importlib.import_module(name)
        assert script.EXPERIMENT.options([]).out == Path("results/experiments") / name
        assert script.EXPERIMENT.options(["--quick"]).out == Path("results/experiments") / f"{name}_quick"
        assert f"results/experiments/{name}/" in script.__doc__
    compliance = importlib.import_module("compliance")
    assert compliance.options([]).out == Path("results/experiments/compliance")


def test_same_runs_finds_levels_clipped_to_one(experiment):
    shocks = [-0.5, -0.25, 0.0, 0.1, 0.2, 0.3, 0.5]
    levels = list(np.clip(0.8 + np.array(shocks), 0, 1))
    assert experiment.same_runs(shocks, levels) == [[0.2, 0.3, 0.5]]
    assert experiment.same_runs([0.0, 0.5, 1.0], [0.0, 0.5, 1.0]) == []


def test_flat_end_finds_where_the_outcomes_stop_changing(experiment):
    table = pd.DataFrame({"x": [0.0, 0.5, 1.0, 1.5], "deal_probability": [0.2, 0.9, 0.9, 0.9],
                          "core_target_pct": [np.nan, 3.1, 3.1, 3.1]})
    assert experiment.flat_end(table, "x", ["deal_probability", "core_target_pct"]) == (0.5, 1.5)
    moving = table.assign(core_target_pct=[np.nan, 3.1, 3.2, 3.3])
    assert experiment.flat_end(moving, "x", ["deal_probability", "core_target_pct"]) is None


def test_threat_shocks_report_the_largest_distinct_escalation(experiment):
    threat_shocks = importlib.import_module("threat_shocks")
    calm, worst, sentence = threat_shocks.distinct_ends([-0.5, -0.25, 0.0, 0.25, 0.5], 0.8)
    assert (calm, worst) == (-0.5, 0.25)
    assert "+0.25 to +0.50" in sentence and "1.00" in sentence and "saturates" in sentence
    calm, worst, sentence = threat_shocks.distinct_ends([-0.1, 0.0, 0.1], 0.5)
    assert (calm, worst) == (-0.1, 0.1) and "does not saturate" in sentence


def test_the_threat_shocks_summary_says_where_it_saturates_and_explains_reversals(tmp_path, experiment):
    threat_shocks = importlib.import_module("threat_shocks")
    out = tmp_path / "threat_shocks"
    assert threat_shocks.main(["--quick", "--out", str(out), "--workers", "1", "--quiet"]) == 0
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "saturates" in summary and "escalation of +0.50" not in summary
    table = pd.read_parquet(out / "threat_shocks_summary.parquet")
    jagged = any(threat_shocks.reversals(group.set_index("threat_shock"))
                 for _, group in table.groupby("threat_shock_round"))
    assert ("Limitation:" in summary) == jagged


# --- 5. Sobol' indices that are noise ---------------------------------------------------------------

def test_sobol_line_marks_what_the_dummy_cannot_tell_apart():
    from sim.analysis.validation_report import sobol_line

    rows = pd.DataFrame({"parameter": ["us_pressure", "threat_level", "dummy", "need_scale_pct"],
                         "ST": [0.6, 0.12, 0.08, 0.05], "ST_conf": [0.05, 0.03, 0.03, 0.02]})
    line = sobol_line(rows)
    assert line.startswith("us_pressure 0.60, threat_level 0.12, need_scale_pct 0.05 (noise); ")
    assert "dummy 0.08 +- 0.03" in line and "noise up to 0.11" in line and "1 of 3 parameters" in line
