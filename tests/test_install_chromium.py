"""scripts/install-chromium, which `make test` and CI share: it installs Debian's Chromium
when it is missing and it can (as root), says in one line when it cannot, and `make test`
skips the browser tests only then (never with CI=true)."""

import os
import subprocess

import pytest
from conftest import ROOT


INSTALL = ROOT / "scripts" / "install-chromium"


MISSING = "/nonexistent/alliance-sim/chromium"


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
    return subprocess.run(args, check=False, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)


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
    assert "scripts/install-chromium" in (ROOT / ".ci" / "run").read_text()
    assert "scripts/install-chromium" in (ROOT / "Makefile").read_text()
    assert "apt-get" not in (ROOT / ".ci" / "run").read_text()
