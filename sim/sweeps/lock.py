"""One sweep at a time per results directory: an exclusive lock on its `.lock` file."""

from __future__ import annotations

import dataclasses
import fcntl
import os
from pathlib import Path

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
