"""A --scheduler address is checked before a sweep starts: a malformed one, a closed port and a
server speaking another protocol (an SSH banner, plain HTTP) each end the command in seconds with
one line and exit status 2, never a hang or a traceback; a real Dask scheduler still runs the
sweep, with the rows the process pool gives. Every server here is on loopback, started and
stopped by the test itself."""

import http.server
import os
import socket
import subprocess
import sys
import threading
import time
import tomllib
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from sim.sweeps.executors import (
    PROBE_TIMEOUT_S,
    ExecutorChoice,
    ExecutorError,
    open_executor,
    parse_scheduler_address,
    probe_scheduler,
)
from sim.sweeps.results import load_results
from sim.sweeps.shards import ResultTable
from sim.sweeps.spec import parse_spec, specs_dir
from sim.sweeps.sweep import run_sweep

ROOT = Path(__file__).resolve().parents[1]
SSH_BANNER = b"SSH-2.0-OpenSSH_9.2\r\n"
CLI_TIMEOUT_S = 30  # the subprocess is killed after this: a hang fails the test, never the suite
FAIL_WITHIN_S = 15  # what a wrong address may take through the CLI, Python's start-up included


@contextmanager
def ssh_banner_server():
    """A server that greets every connection with an SSH banner and keeps it open, as sshd does."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted, stop = [], threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            conn.sendall(SSH_BANNER)
            accepted.append(conn)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        server.close()
        thread.join(5)
        for conn in accepted:
            conn.close()


@contextmanager
def http_server():
    """A plain HTTP server: it waits for a request and sends nothing first."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"tcp://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextmanager
def closed_port():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    yield f"tcp://127.0.0.1:{port}"


@contextmanager
def malformed():
    yield "http://127.0.0.1:8786"


BAD_ADDRESSES = {
    "ssh banner": (ssh_banner_server, "not a Dask scheduler (it sent b'SSH-2.0-OpenSSH_9.2\\r\\n'"),
    "plain http": (http_server, "not a Dask scheduler (connected, but no Dask handshake"),
    "closed port": (closed_port, "cannot connect ("),
    "malformed": (malformed, "is not allowed (scheme http://); allowed: 'local', or a Dask scheduler address"),
}


def cli_sweep(address: str, out: Path) -> tuple[subprocess.CompletedProcess, float]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sim.cli", "sweep", "smoke", "--out", str(out), "--quiet",
                           "--scheduler", address], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=CLI_TIMEOUT_S)
    return done, time.perf_counter() - started


@pytest.mark.parametrize("case", list(BAD_ADDRESSES))
def test_a_wrong_address_is_one_line_and_status_2_in_seconds(tmp_path, case):
    server, expected = BAD_ADDRESSES[case]
    out = tmp_path / "out"
    with server() as address:
        done, seconds = cli_sweep(address, out)
    assert done.returncode == 2, done.stderr
    assert seconds < FAIL_WITHIN_S, f"{case}: took {seconds:.1f} s"
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert f"--scheduler {address}" in done.stderr and expected in done.stderr, done.stderr
    assert not (out / ".lock").exists()


@pytest.mark.parametrize("case", ["ssh banner", "plain http", "closed port"])
def test_an_unreachable_scheduler_leaves_nothing_in_out(tmp_path, case):
    server, _ = BAD_ADDRESSES[case]
    out = tmp_path / "out"
    with server() as address:
        done, _ = cli_sweep(address, out)
    assert done.returncode == 2
    assert not out.exists() or not any(out.iterdir()), sorted(p.name for p in out.iterdir())


def test_a_malformed_address_leaves_nothing_in_out(tmp_path):
    """Refused when the choice is made, before the sweep looks at --out."""
    out = tmp_path / "out"
    done, _ = cli_sweep("tcp://127.0.0.1", out)
    assert done.returncode == 2 and "is not allowed (no port)" in done.stderr
    assert not out.exists()


@pytest.mark.parametrize("address, why", [
    ("127.0.0.1:8786", "no scheme"),
    ("ws://127.0.0.1:8786", "scheme ws://"),
    ("inproc://127.0.0.1/1", "scheme inproc://"),
    ("tcp://127.0.0.1", "no port"),
    ("tcp://:8786", "no host"),
    ("tcp://127.0.0.1:0", "the port is not a number from 1 to 65535"),
    ("tcp://127.0.0.1:65536", "the port is not a number from 1 to 65535"),
    ("tcp://127.0.0.1:port", "the port is not a number from 1 to 65535"),
    ("tcp://127.0.0.1:8786/status", "an address is only a host and a port"),
    ("tcp://user@127.0.0.1:8786", "an address is only a host and a port"),
    ("tcp://sched uler:8786", "an address has no spaces or control characters"),
    ("tcp://127.0.0.1:8786\n", "an address has no spaces or control characters"),
    ("", "empty"),
])
def test_a_malformed_address_is_refused_when_chosen(address, why):
    with pytest.raises(ExecutorError, match="allowed: 'local', or a Dask scheduler address") as refused:
        ExecutorChoice(scheduler=address)
    message = str(refused.value)
    assert f"is not allowed ({why})" in message and "\n" not in message


@pytest.mark.parametrize("address, parsed", [
    ("tcp://127.0.0.1:8786", ("tcp", "127.0.0.1", 8786)),
    ("tls://scheduler.example.org:8786", ("tls", "scheduler.example.org", 8786)),
    ("tcp://[::1]:1", ("tcp", "::1", 1)),
    ("tcp://host:65535", ("tcp", "host", 65535)),
])
def test_well_formed_addresses_are_accepted_without_connecting(address, parsed):
    ExecutorChoice(scheduler=address)  # no connection is made when choosing
    found = parse_scheduler_address(address)
    assert (found.scheme, found.host, found.port) == parsed


@pytest.mark.parametrize("case", ["ssh banner", "plain http", "closed port"])
def test_open_executor_refuses_a_wrong_address_within_the_probe_time(case):
    server, expected = BAD_ADDRESSES[case]
    with server() as address:
        started = time.perf_counter()
        with pytest.raises(ExecutorError, match="^--scheduler ") as refused:
            with open_executor(ExecutorChoice(scheduler=address)):
                pytest.fail("opened an executor on a server that is not a Dask scheduler")
        seconds = time.perf_counter() - started
    assert expected in str(refused.value) and "\n" not in str(refused.value)
    assert seconds < PROBE_TIMEOUT_S + 3


def test_a_server_that_closes_at_once_is_refused():
    server = socket.create_server(("127.0.0.1", 0))

    def serve():
        conn, _ = server.accept()
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with pytest.raises(ExecutorError, match="not a Dask scheduler .it closed the connection without sending"):
            probe_scheduler(f"tcp://127.0.0.1:{server.getsockname()[1]}", timeout_s=2)
    finally:
        server.close()
        thread.join(5)


def test_tls_without_tls_settings_is_one_clear_error():
    with pytest.raises(ExecutorError, match="tls:// needs Dask's TLS settings"):
        probe_scheduler("tls://127.0.0.1:8786", timeout_s=1)


# --- a real scheduler ----------------------------------------------------------------------------


def smoke(engine: str = "batch"):
    raw = tomllib.loads((specs_dir() / "smoke.toml").read_text(encoding="utf-8"))
    raw["runs"].update(engine=engine)
    return parse_spec(raw, "smoke (test)")


def tables(out):
    """Both tables of a sweep, without the code version (it names the commit, which may move on)."""
    return load_results(out).drop(columns=["code_version"]), load_results(out, ResultTable.ALLIES)


@pytest.fixture
def dask_scheduler():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, host="127.0.0.1",
                                  protocol="tcp", dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_a_real_scheduler_passes_the_probe(dask_scheduler):
    assert dask_scheduler.startswith("tcp://127.0.0.1:")
    started = time.perf_counter()
    probe_scheduler(dask_scheduler, timeout_s=5)
    assert time.perf_counter() - started < 2


def test_a_real_scheduler_runs_the_sweep_as_the_process_pool_does(tmp_path, dask_scheduler):
    spec = smoke()
    run_sweep(spec, tmp_path / "pool", executor=ExecutorChoice(workers=2), progress=False)
    run_sweep(spec, tmp_path / "dask", executor=ExecutorChoice(scheduler=dask_scheduler), progress=False)
    for a, b in zip(tables(tmp_path / "pool"), tables(tmp_path / "dask")):
        pd.testing.assert_frame_equal(a, b)
