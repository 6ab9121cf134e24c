"""Where a sweep's batches run: in this process, in a local process pool, or on Dask.

All three are `concurrent.futures.Executor`s, so the sweep submits batches and collects
futures the same way on a laptop and on a cluster. Dask is optional and imported only when
asked for (`pip install alliance-sim[dask]`).

A scheduler address is checked before any work starts: its form when the choice is made
(tcp:// or tls://, a host, a port), and that a Dask scheduler answers there with a raw probe
bounded in time (`ExecutorChoice.check`). Dask's own client reads a peer's first frame with
no time limit and trusts its length, so without the probe a server speaking another protocol
makes it wait forever (an HTTP server) or allocate exabytes (an SSH banner).
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

#: `--scheduler local` starts a Dask cluster on this machine, listening on loopback only.
LOCAL_SCHEDULER = "local"
LOOPBACK = "127.0.0.1"
DASK_CONNECT_TIMEOUT_S = 20
#: The schemes of a scheduler address accepted by --scheduler (Dask's TCP comm, plain or TLS).
SCHEDULER_SCHEMES = ("tcp", "tls")
#: The most time the probe of a scheduler address takes (name look-up, connection, handshake).
PROBE_TIMEOUT_S = 3.0
#: A Dask scheduler's first frame (its handshake) is a few dozen bytes; a longer one is not Dask.
MAX_HANDSHAKE_BYTES = 64 * 1024
_FRAME_LENGTH = struct.Struct("<Q")  # Dask's TCP comm: each message starts with its length, 8 bytes
ALLOWED_SCHEDULERS = (f"'{LOCAL_SCHEDULER}', or a Dask scheduler address tcp://HOST:PORT or tls://HOST:PORT "
                      "(port 1 to 65535), such as tcp://scheduler:8786")
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
        if self.scheduler is not None and self.scheduler != LOCAL_SCHEDULER:
            parse_scheduler_address(self.scheduler)

    def check(self) -> None:
        """Raise `ExecutorError` unless a Dask scheduler answers at `scheduler` (nothing to
        check for a pool or a local cluster); takes at most about `PROBE_TIMEOUT_S`. Call it
        before writing anything, so a wrong address leaves nothing behind."""
        if self.kind == ExecutorKind.DASK and self.scheduler != LOCAL_SCHEDULER:
            probe_scheduler(self.scheduler, min(self.connect_timeout_s, PROBE_TIMEOUT_S))

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


@dataclass(frozen=True)
class SchedulerAddress:
    scheme: str
    host: str
    port: int


def _shown(address: str) -> str:
    """An address as typed, or quoted when it holds what would break the one-line message."""
    text = str(address)
    return text if text and text.isprintable() and not any(c.isspace() for c in text) else repr(text)


def parse_scheduler_address(address: str) -> SchedulerAddress:
    """`address` as scheme, host and port, or `ExecutorError` naming what is wrong and what is allowed."""

    def refuse(why: str):
        return ExecutorError(f"--scheduler {_shown(address)} is not allowed ({why}); allowed: {ALLOWED_SCHEDULERS}")

    if not isinstance(address, str) or not address:
        raise refuse("empty")
    if not address.isprintable() or any(c.isspace() for c in address):
        raise refuse("an address has no spaces or control characters")
    if "://" not in address:
        raise refuse("no scheme")
    parts = urlsplit(address)
    if parts.scheme not in SCHEDULER_SCHEMES:
        raise refuse(f"scheme {parts.scheme}://")
    if parts.path or parts.query or parts.fragment or "@" in parts.netloc or "?" in address or "#" in address:
        raise refuse("an address is only a host and a port")
    try:
        port = parts.port
    except ValueError:
        raise refuse("the port is not a number from 1 to 65535") from None
    if not parts.hostname:
        raise refuse("no host")
    if port is None:
        raise refuse("no port")
    if not 1 <= port <= 65535:
        raise refuse("the port is not a number from 1 to 65535")
    return SchedulerAddress(parts.scheme, parts.hostname, port)


def probe_scheduler(address: str, timeout_s: float = PROBE_TIMEOUT_S) -> None:
    """Raise `ExecutorError` unless a Dask scheduler answers at `address` within about `timeout_s`.

    A Dask scheduler sends its handshake as soon as a connection is accepted: an 8-byte
    length, then that many bytes of frames. The probe reads it with a deadline and checks it
    the way Dask would, refusing what is silent (an HTTP server), too long or not Dask's
    framing (an SSH banner read as a length is exabytes) before Dask's client, which reads
    without a time limit and allocates whatever length it is sent, ever sees it.
    """
    parsed = parse_scheduler_address(address)
    outcome: list[ExecutorError | None] = []

    def run():
        try:
            _probe(address, parsed, timeout_s)
            outcome.append(None)
        except ExecutorError as error:
            outcome.append(error)
        except Exception as error:  # whatever went wrong, one line naming the address
            outcome.append(_not_dask(address, " ".join(f"{type(error).__name__}: {error}".split())))

    # in a thread, so that a name look-up (which takes no timeout) cannot hold the sweep either
    prober = threading.Thread(target=run, name="probe-scheduler", daemon=True)
    prober.start()
    prober.join(timeout_s * 2 + 1)  # each step below has its own deadline; this bounds the look-up too
    if not outcome:
        raise _unreachable(address, f"no answer within {timeout_s * 2 + 1:g} s")
    if outcome[0] is not None:
        raise outcome[0]


def _unreachable(address: str, why: str) -> ExecutorError:
    return ExecutorError(f"--scheduler {address}: cannot connect ({why}); no Dask scheduler is reachable there; "
                         f"allowed: {ALLOWED_SCHEDULERS}")


def _not_dask(address: str, why: str) -> ExecutorError:
    return ExecutorError(f"--scheduler {address}: not a Dask scheduler ({why}); allowed: {ALLOWED_SCHEDULERS}")


def _probe(address: str, parsed: SchedulerAddress, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    context = _tls_context(address) if parsed.scheme == "tls" else None
    try:
        raw = socket.create_connection((parsed.host, parsed.port), timeout=timeout_s)
    except OSError as error:  # refused, no route, name unknown, timed out
        raise _unreachable(address, " ".join(str(error).split()) or type(error).__name__) from None
    with raw:
        try:
            sock = context.wrap_socket(raw, server_hostname=parsed.host) if context is not None else raw
        except (OSError, ssl.SSLError) as error:
            raise _not_dask(address, f"no TLS handshake: {' '.join(str(error).split())}") from None
        with sock:
            header = _read_exactly(address, sock, _FRAME_LENGTH.size, deadline, timeout_s)
            (length,) = _FRAME_LENGTH.unpack(header)
            if not _FRAME_LENGTH.size <= length <= MAX_HANDSHAKE_BYTES:
                first = header + _read_some(sock, deadline)
                raise _not_dask(address, f"it sent {first[:40]!r}, not a Dask handshake")
            _check_handshake(address, _read_exactly(address, sock, length, deadline, timeout_s, header))


def _tls_context(address: str) -> ssl.SSLContext:
    """The client TLS context Dask itself would use (from its configuration, distributed.comm.tls)."""
    try:
        from distributed.security import Security
    except ImportError:
        raise ExecutorError("--scheduler needs Dask; install it with: pip install 'alliance-sim[dask]'") from None
    context = Security().get_connection_args("client").get("ssl_context")
    if context is None:
        raise ExecutorError(f"--scheduler {address}: tls:// needs Dask's TLS settings (distributed.comm.tls: ca-file, "
                            "client.cert, client.key) in the Dask configuration; or use a tcp:// address")
    return context


def _read_some(sock, deadline: float) -> bytes:
    """What else the peer sent already, for the message (at most a moment's wait)."""
    try:
        sock.settimeout(max(0.01, min(0.2, deadline - time.monotonic())))
        return sock.recv(32)
    except OSError:
        return b""


def _read_exactly(address: str, sock, n: int, deadline: float, timeout_s: float, before: bytes = b"") -> bytes:
    """`n` bytes from `sock` by `deadline`, or `ExecutorError` saying what the peer did instead."""
    data = bytearray()
    while len(data) < n:
        got = bytes(before + data)
        left = deadline - time.monotonic()
        if left <= 0:
            why = f"it sent {got[:40]!r} and then nothing" if got else "it sent nothing"
            raise _not_dask(address, f"connected, but no Dask handshake within {timeout_s:g} s: {why}")
        sock.settimeout(left)
        try:
            chunk = sock.recv(min(n - len(data), 65536))
        except TimeoutError:
            continue  # the deadline, checked above, words the message
        except OSError as error:
            raise _not_dask(address, f"the connection failed during the handshake: {' '.join(str(error).split())}"
                            ) from None
        if not chunk:
            raise _not_dask(address, f"it closed the connection after sending {got[:40]!r}" if got else
                            "it closed the connection without sending anything")
        data += chunk
    return bytes(data)


def _check_handshake(address: str, body: bytes) -> None:
    """`body` (after its length) decodes as Dask's frames holding a handshake: a mapping of
    settings such as the compression and pickle protocol."""
    try:
        from distributed.protocol.core import loads
        from distributed.protocol.utils import unpack_frames
        count = _FRAME_LENGTH.unpack_from(body)[0]
        if not 1 <= count <= 64 or len(body) < _FRAME_LENGTH.size * (count + 1):
            raise ValueError(f"{count} frames")
        message = loads(unpack_frames(body))
    except ImportError:
        raise ExecutorError("--scheduler needs Dask; install it with: pip install 'alliance-sim[dask]'") from None
    except Exception:
        raise _not_dask(address, f"it sent {body[:40]!r}, not a Dask handshake") from None
    if not isinstance(message, dict) or "compression" not in message:
        raise _not_dask(address, f"its first message is not a Dask handshake ({str(message)[:60]!r})")


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
    choice.check()  # a wrong address fails here, in seconds, before Dask's client reads from it
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
    except Exception as error:  # timeouts, refusals, a peer that closed or sent garbage: all one line
        if cluster is not None:
            cluster.close()
        why = " ".join(str(error).split()) or type(error).__name__
        if choice.scheduler == LOCAL_SCHEDULER:
            raise ExecutorError(f"--scheduler {LOCAL_SCHEDULER}: cannot start a Dask cluster here ({why})") from None
        raise _unreachable(choice.scheduler, why) from None
    try:
        threads = sum(client.nthreads().values()) or 1
        yield client.get_executor(pure=False), threads * TASKS_PER_WORKER
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
