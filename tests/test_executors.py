"""Executors: the same dataset in this process, in a process pool and on Dask, with work sent
in batches and only a few batches in flight."""

import concurrent.futures as cf
import socket
import tomllib
from contextlib import contextmanager

import pandas as pd
import pytest

import sim.sweeps.sweep
from sim.sweeps.executors import ExecutorChoice, ExecutorError, ExecutorKind, InProcessExecutor, open_executor
from sim.sweeps.results import load_results
from sim.sweeps.shards import ResultTable
from sim.sweeps.sweep import run_sweep
from sim.sweeps.spec import parse_spec, specs_dir

ENGINES = ["mesa", "batch"]


def smoke(engine: str, **runs):
    raw = tomllib.loads((specs_dir() / "smoke.toml").read_text(encoding="utf-8"))
    raw["runs"].update(engine=engine, **runs)
    return parse_spec(raw, "smoke (test)")


def tables(out):
    """Both tables of a sweep, without the code version (it names the commit, which may move on)."""
    return load_results(out).drop(columns=["code_version"]), load_results(out, ResultTable.ALLIES)


def assert_same_dataset(first, second):
    for a, b in zip(tables(first), tables(second)):
        pd.testing.assert_frame_equal(a, b)


def test_choice_picks_the_executor():
    assert ExecutorChoice(workers=1).kind == ExecutorKind.IN_PROCESS
    assert ExecutorChoice(workers=3).kind == ExecutorKind.PROCESSES
    assert ExecutorChoice(workers=1, scheduler="local").kind == ExecutorKind.DASK
    assert ExecutorChoice().worker_count >= 1
    with pytest.raises(ExecutorError, match="--workers 0 is not allowed; allowed: an integer >= 1"):
        ExecutorChoice(workers=0)


def test_in_process_executor_keeps_results_and_errors_in_futures():
    with InProcessExecutor() as executor:
        assert executor.submit(pow, 2, 10).result() == 1024
        failed = executor.submit(int, "not a number")
        assert isinstance(failed.exception(), ValueError)
        assert list(executor.map(abs, [-1, -2])) == [1, 2]
    with pytest.raises(RuntimeError, match="after shutdown"):
        executor.submit(abs, 1)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_one_and_two_workers_give_the_same_dataset(tmp_path, engine):
    spec = smoke(engine)
    run_sweep(spec, tmp_path / "one", executor=ExecutorChoice(workers=1), progress=False)
    run_sweep(spec, tmp_path / "two", executor=ExecutorChoice(workers=2), progress=False)
    assert_same_dataset(tmp_path / "one", tmp_path / "two")


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_dask_local_cluster_gives_the_same_dataset(tmp_path, engine):
    spec = smoke(engine)
    run_sweep(spec, tmp_path / "here", executor=ExecutorChoice(workers=1), progress=False)
    on_dask = ExecutorChoice(workers=2, scheduler="local", dask_processes=False)
    run_sweep(spec, tmp_path / "dask", executor=on_dask, progress=False)
    assert_same_dataset(tmp_path / "here", tmp_path / "dask")


def test_dask_executor_is_a_futures_executor_on_loopback():
    with open_executor(ExecutorChoice(workers=2, scheduler="local", dask_processes=False)) as (executor, slots):
        assert isinstance(executor, cf.Executor) and slots == 4
        assert executor._client.scheduler.address.startswith("tcp://127.0.0.1:")
        futures = [executor.submit(pow, 3, k) for k in range(4)]
        assert [f.result(timeout=30) for f in futures] == [1, 3, 9, 27]


def test_unreachable_scheduler_is_one_clear_error(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    choice = ExecutorChoice(scheduler=f"tcp://127.0.0.1:{port}", connect_timeout_s=1)
    with pytest.raises(ExecutorError, match=f"--scheduler tcp://127.0.0.1:{port}: cannot connect"):
        run_sweep(smoke("mesa"), tmp_path / "out", executor=choice, progress=False)


class CountingExecutor(InProcessExecutor):
    """Records what was submitted and how many batches were in flight at most."""

    def __init__(self, slots):
        super().__init__()
        self.tasks, self.slots = [], slots

    def submit(self, fn, /, *args, **kwargs):
        self.tasks.append(args[0])
        return super().submit(fn, *args, **kwargs)


def test_work_is_sent_in_batches_with_few_in_flight(tmp_path, monkeypatch):
    spec = smoke("mesa", batch_size=4)  # 9 runs: batches of 4, 4 and 1
    counting = CountingExecutor(slots=2)
    in_flight = []

    @contextmanager
    def fake_open(choice):
        yield counting, counting.slots

    real_wait = cf.wait

    def watching_wait(futures, **kwargs):
        in_flight.append(len(futures))
        return real_wait(futures, **kwargs)

    monkeypatch.setattr(sim.sweeps.sweep, "open_executor", fake_open)
    monkeypatch.setattr(sim.sweeps.sweep.cf, "wait", watching_wait)
    run_sweep(spec, tmp_path / "out", progress=False)
    assert [(t.batch.start, t.batch.stop) for t in counting.tasks] == [(0, 4), (4, 8), (8, 9)]
    assert max(in_flight) <= counting.slots
    assert len(load_results(tmp_path / "out")) == 9
