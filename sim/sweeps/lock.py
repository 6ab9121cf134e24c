"""One sweep at a time per results directory: an exclusive lock on its `.lock` file; and the
directory made and claimed, or refused in one line when it cannot be a results directory."""

from __future__ import annotations

import dataclasses
import fcntl
import os
from pathlib import Path

from sim.analysis.run_report import OutputError, os_reason

LOCK_FILE = ".lock"


@dataclasses.dataclass
class DirectoryLock:
    """An exclusive flock on `.lock` in a results directory, held while a sweep writes there.

    The sweep that created the file removes it when it ends or refuses, while still holding
    the lock. Another sweep may have opened the file just before; so after locking, each
    checks that the name still leads to the file it locked, and starts again if not: two
    sweeps can never hold locks on files both named `.lock`.
    """

    path: Path
    handle: object
    created: bool

    @classmethod
    def acquire(cls, directory: Path) -> DirectoryLock:
        path = directory / LOCK_FILE
        while True:
            handle, created = open_lock_file(path)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.close()
                raise FileExistsError(f"{directory}: another sweep is writing here right now; wait for it to finish "
                                      "or choose another --out directory") from None
            if same_file(handle, path):
                return cls(path, handle, created)
            handle.close()  # its creator removed it between our open and our lock: take the new one

    def release(self) -> None:
        if self.created:
            self.path.unlink(missing_ok=True)  # still locked: no one else can be holding this name
        self.handle.close()


def open_lock_file(path: Path):
    """The lock file, opened for writing; and whether this call created it."""
    try:
        return open(path, "x"), True
    except FileExistsError:
        return open(path, "a+"), False


def same_file(handle, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(handle.fileno()), os.stat(path))
    except FileNotFoundError:
        return False


def claim_directory(path: Path) -> tuple[DirectoryLock, bool]:
    """The results directory made if need be (with its parents) and locked; and whether this
    call made it. What cannot be a results directory (a file, a device, a path through a file,
    a read-only place) is OutputError in one line saying what --out must be; another sweep
    writing there is FileExistsError."""
    created = make_directory(path)
    try:
        return DirectoryLock.acquire(path), created
    except OSError as error:
        if created:
            remove_if_empty(path)
        if isinstance(error, FileExistsError):
            raise
        raise OutputError(f"--out {path}: cannot be written ({os_reason(error)}); a sweep writes its lock, "
                          "metadata and shards there; choose a directory you can write") from None


def make_directory(path: Path) -> bool:
    """Create the results directory (and its parents) if need be; whether this call created it."""
    if path.is_dir():
        return False
    if path.exists() or path.is_symlink():
        raise OutputError(f"--out {path}: is not a directory (a file or a device); --out must be a directory: "
                          "a new or empty one, or a sweep's own to resume")
    blocking = next((parent for parent in path.parents if parent.exists() and not parent.is_dir()), None)
    if blocking is not None:
        raise OutputError(f"--out {path}: {blocking} is a file, not a directory; --out must be a directory: "
                          "choose a path under a directory")
    try:
        path.mkdir(parents=True)
    except FileExistsError:  # made by someone else just now
        if not path.is_dir():
            raise OutputError(f"--out {path}: is not a directory; --out must be a directory") from None
        return False
    except OSError as error:
        raise OutputError(f"--out {path}: cannot create the directory ({os_reason(error)})") from None
    return True


def remove_if_empty(path: Path) -> None:
    try:
        path.rmdir()
    except OSError:
        pass
