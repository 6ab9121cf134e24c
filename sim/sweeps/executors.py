"""Where a sweep's batches run: in this process, in a local process pool, or on Dask.

All three are `concurrent.futures.Executor`s, so the sweep submits batches and collects
futures the same way on a laptop and on a cluster. Dask is optional and imported only when
asked for (`pip install alliance-sim[dask]`).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

#: `--scheduler local` starts a Dask cluster on this machine, listening on loopback only.
LOCAL_SCHEDULER = "local"
LOOPBACK = "127.0.0.1"
DASK_CONNECT_TIMEOUT_S = 20
TASKS_PER_WORKER = 2  # batches in flight per worker: enough to keep it busy, few enough to stay small
#: More worker processes than this per CPU only adds memory and start-up time: the runs are CPU-bound.
MAX_WORKERS_PER_CPU = 4


def max_workers() -> int:
    """The most `--workers` accepted on this machine."""
    return MAX_WORKERS_PER_CPU * (os.cpu_count() or 1)


class ExecutorError(RuntimeError):
    """An executor that cannot be started (Dask missing, scheduler unreachable)."""


class ExecutorKind(StrEnum):
    IN_PROCESS = "in_process"  # one batch after another, here; no pickling, easiest to debug
    PROCESSES = "processes"  # the standard library's process pool on this machine
    DASK = "dask"  # dask.distributed: a local cluster or an existing scheduler


@dataclass(frozen=True)
class ExecutorChoice:
    """How to run batches: `workers` processes here (1 means in this process), or Dask when
    `scheduler` is given ("local" for a cluster on loopback, or a scheduler address)."""

    workers: int | None = None
    scheduler: str | None = None
    dask_processes: bool = True  # a local Dask cluster's workers are processes (False: threads)
    connect_timeout_s: float = DASK_CONNECT_TIMEOUT_S  # how long to try reaching a remote scheduler

    def __post_init__(self):
        if self.workers is not None and self.workers < 1:
            raise ExecutorError(f"--workers {self.workers} is not allowed; allowed: an integer >= 1")
        if self.workers is not None and self.workers > max_workers():
            raise ExecutorError(f"--workers {self.workers} is not allowed; allowed: an integer from 1 to "
                                f"{max_workers()} ({MAX_WORKERS_PER_CPU} per CPU; this machine has "
                                f"{os.cpu_count() or 1})")

    @property
    def kind(self) -> ExecutorKind:
        if self.scheduler:
            return ExecutorKind.DASK
        return ExecutorKind.IN_PROCESS if self.worker_count == 1 else ExecutorKind.PROCESSES

    @property
    def worker_count(self) -> int:
        return self.workers if self.workers is not None else (os.cpu_count() or 1)

    def describe(self) -> str:
        if self.kind == ExecutorKind.DASK:
            where = "a local cluster" if self.scheduler == LOCAL_SCHEDULER else self.scheduler
            return f"Dask ({where})"
        if self.kind == ExecutorKind.IN_PROCESS:
            return "in this process"
        return f"{self.worker_count} worker processes"


class InProcessExecutor(cf.Executor):
    """Runs each call at submission, in this process: the serial reference executor."""

    def __init__(self):
        self._shutdown = False

    def submit(self, fn, /, *args, **kwargs) -> cf.Future:
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")
        future = cf.Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # the future carries it, as a pool's would
            if not isinstance(error, Exception):
                raise
            future.set_exception(error)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._shutdown = True


@contextmanager
def open_executor(choice: ExecutorChoice) -> Iterator[tuple[cf.Executor, int]]:
    """The executor for `choice` and how many batches to keep in flight; closed on exit."""
    if choice.kind == ExecutorKind.IN_PROCESS:
        with InProcessExecutor() as executor:
            yield executor, 1
    elif choice.kind == ExecutorKind.PROCESSES:
        # forkserver: workers start from a clean process, not a fork of one running threads
        context = multiprocessing.get_context("forkserver")
        lifeline, keep_alive = context.Pipe(duplex=False)
        executor = cf.ProcessPoolExecutor(max_workers=choice.worker_count, mp_context=context,
                                          initializer=_exit_with_parent, initargs=(lifeline,))
        try:
            yield executor, choice.worker_count * TASKS_PER_WORKER
        except BaseException:
            keep_alive.close()  # stopped (Ctrl-C, an error): end the workers now, not after their batches
            executor.shutdown(wait=False, cancel_futures=True)
            raise
        else:
            executor.shutdown(wait=True)
        finally:
            keep_alive.close()
            lifeline.close()
    else:
        with _dask_executor(choice) as pair:
            yield pair


def _exit_with_parent(lifeline) -> None:
    """Pool worker start-up: end this worker when the sweep process is gone. A pool's
    workers otherwise outlive a sweep killed with SIGKILL, waiting forever for work; the
    sweep holds the only write end of `lifeline`, so reading it ends when the sweep does."""

    def watch():
        try:
            lifeline.recv()
        except (EOFError, OSError):
            pass
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


@contextmanager
def _dask_executor(choice: ExecutorChoice) -> Iterator[tuple[cf.Executor, int]]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ExecutorError("--scheduler needs Dask; install it with: pip install 'alliance-sim[dask]'") from None
    cluster = None
    try:
        if choice.scheduler == LOCAL_SCHEDULER:
            # TCP on loopback only, as a cluster's scheduler and workers talk, but unreachable from outside
            cluster = LocalCluster(n_workers=choice.worker_count, threads_per_worker=1,
                                   processes=choice.dask_processes, host=LOOPBACK, protocol="tcp",
                                   dashboard_address=None)
            client = Client(cluster)
        else:
            client = Client(choice.scheduler, timeout=choice.connect_timeout_s)
    except (OSError, TimeoutError, ValueError) as error:
        if cluster is not None:
            cluster.close()
        raise ExecutorError(f"--scheduler {choice.scheduler}: cannot connect ({error}); allowed: "
                            f"'{LOCAL_SCHEDULER}' or a reachable scheduler address such as tcp://host:8786") from None
    try:
        threads = sum(client.nthreads().values()) or 1
        yield client.get_executor(pure=False), threads * TASKS_PER_WORKER
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
