"""The benchmarks run as their README says (`python -m benchmarks.<name>`), small: nothing is
asserted about their timings, only that they still run against the code as it is (a benchmark
that no longer imports is found here, not when someone needs its figures), that the throughput
benchmark still checks the batch engine against the plain loop, and that it reports every
protocol against the mediator. Each runs in its own process: the timing benchmarks pin
themselves to one core and set BLAS to one thread, which must not leak into the test session."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from sim.model.parameters import NegotiationProtocol

REPOSITORY = Path(__file__).resolve().parent.parent


def run_benchmark(name: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", *args], cwd=REPOSITORY, check=False,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_throughput_checks_the_engines_agree_and_reports_each_protocol_against_the_mediator():
    output = run_benchmark("throughput", "--pressures", "2", "--seeds", "2", "--batch-runs", "200",
                           "--single-runs", "2", "--repeat", "1")
    assert "run_batch gives the plain loop's outcomes on the shared sweep: yes" in output
    for protocol in NegotiationProtocol:
        assert re.search(rf"^{protocol.value}\s+200\s", output, flags=re.MULTILINE), output
    assert re.search(r"^slowest: \w+, [0-9.]+x the mediator's time per run", output, flags=re.MULTILINE), output
    assert "numba" not in output and "(numpy)" not in output  # the compiled loops are gone


def test_profile_batch_times_a_sweep():
    output = run_benchmark("profile_batch", "--runs", "50", "--no-profile")
    assert re.match(r"varied: 50 runs in [0-9.]+ s", output), output


def test_memory_measures_each_size_in_its_own_process():
    output = run_benchmark("memory", "--sizes", "100", "--processes", "2")
    rows = [line.split() for line in output.splitlines() if re.match(r"^\s+100\s", line)]
    assert [row[1] for row in rows] == ["1", "2"], output
