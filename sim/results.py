"""A sweep's results on disk: one Parquet shard per finished batch, plus the sweep's metadata.

A shard appears under its final name only once it is complete (written to a temporary file
in the same directory, then renamed), so after a crash at any moment every shard on disk is
either whole or detectably damaged, and resuming recomputes exactly the missing batches.
The extra tables, when asked for (per ally; per round and per round and ally), are written
before their batch's run table: the run shard is the mark that a batch is finished.
The tables themselves are built where their batch ran (`sim/shards.py`); this module only
writes, checks and reads them back.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.shards import ResultTable, Shard, extra_tables, run_columns
from sim.sweep_spec import RunBatch, SweepSpec

METADATA_FILE = "sweep.json"
LOCK_FILE = ".lock"
DAMAGED_DIR = "damaged"
TEMP_SUFFIX = ".tmp"
VERSIONED_PACKAGES = ("alliance-sim", "mesa", "numpy", "pandas", "pyarrow", "scipy", "dask", "distributed")


# --- the results directory -------------------------------------------------------------

class ResultsDir:
    """A sweep's output directory, held under an exclusive lock while the sweep writes.

    Opening checks it belongs to this sweep (spec hash), refuses to mix sweeps or to start
    over finished results without `resume`, and finds the batches already finished.
    """

    def __init__(self, path: Path, spec: SweepSpec, *, resume: bool, code_version: str):
        self.path = Path(path)
        self.spec = spec
        self.code_version = code_version
        self.path.mkdir(parents=True, exist_ok=True)
        self._lock = _acquire_lock(self.path)
        try:
            self._claim(resume)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> ResultsDir:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _claim(self, resume: bool) -> None:
        meta_path = self.path / METADATA_FILE
        if not meta_path.exists():
            others = [p.name for p in self.path.iterdir()
                      if p.name != LOCK_FILE and not p.name.endswith(TEMP_SUFFIX)]
            if others:
                raise FileExistsError(f"{self.path}: not empty and holds no sweep ({METADATA_FILE} missing; found "
                                      f"{', '.join(sorted(others)[:3])}); choose a new or empty --out directory")
            _atomic_write(meta_path, lambda p: p.write_text(json.dumps(self._metadata(), indent=2), encoding="utf-8"))
            return
        try:
            existing = json.loads(meta_path.read_text(encoding="utf-8"))
            digest = existing["spec_hash"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise FileExistsError(f"{meta_path}: cannot be read as sweep metadata ({error}); "
                                  "choose another --out directory or move this one away") from None
        if digest != self.spec.digest():
            mine = self.spec.canonical()
            theirs = existing.get("spec") if isinstance(existing.get("spec"), dict) else {}
            differ = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
            raise FileExistsError(f"{self.path}: holds a different sweep ({existing.get('name')!r} from "
                                  f"{existing.get('spec_source')}, spec hash {digest[:12]}; this spec's is "
                                  f"{self.spec.digest()[:12]}; they differ in {', '.join(differ) or 'their content'}); "
                                  "choose another --out directory")
        if not resume and ResultTable.RUNS.shards(self.path):
            raise FileExistsError(f"{self.path}: already holds results of this sweep; pass --resume to finish it, "
                                  "or choose another --out directory")
        if existing.get("code_version") != self.code_version:
            print(f"warning: {self.path} was started with code version {existing.get('code_version')}; "
                  f"this is {self.code_version} (each row records the version that computed it)", file=sys.stderr)

    def _metadata(self) -> dict:
        spec = self.spec
        return {
            "name": spec.name, "description": spec.description, "spec_source": spec.source,
            "spec_text": spec.text, "spec_hash": spec.digest(), "spec": spec.canonical(),
            "root_seed": spec.seed, "runs": spec.runs, "batch_size": spec.batch_size, "batches": spec.batch_count,
            "parameters": list(spec.parameter_names), "engine": spec.engine.value, "per_ally": spec.per_ally,
            "per_round": spec.per_round,
            "code_version": self.code_version, "package_versions": package_versions(),
            "python": sys.version.split()[0], "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }

    # --- finished batches ---
    def finished_batches(self) -> set[int]:
        """The batches whose shards are whole; damaged shards are reported on stderr, moved
        to `damaged/` and left out, so their batches are computed again."""
        for leftover in self.path.glob(f".*{TEMP_SUFFIX}"):
            leftover.unlink(missing_ok=True)  # a write cut short; its batch was never finished
        batches = {batch.index: batch for batch in self._batches_on_disk()}
        finished = set()
        for index, batch in sorted(batches.items()):
            runs_path = self.path / ResultTable.RUNS.shard_name(index)
            problem = self._check(runs_path, ResultTable.RUNS, batch)
            if problem is not None:
                self._move_aside(runs_path, problem)
                continue
            if all(self._extra_whole(table, batch, runs_path) for table in extra_tables(self.spec)):
                finished.add(index)
        return finished

    def _extra_whole(self, table: ResultTable, batch: RunBatch, runs_path: Path) -> bool:
        """Whether a finished batch's extra table is whole. A damaged one is moved aside; a
        missing one unmarks the batch (its run shard moved aside); either way it is recomputed."""
        path = self.path / table.shard_name(batch.index)
        problem = self._check(path, table, batch)
        if problem is None:
            return True
        if path.exists():
            self._move_aside(path, problem)
        elif runs_path.exists():
            self._move_aside(runs_path, f"its {table} table ({path.name}) is missing")
        return False

    def _batches_on_disk(self) -> Iterator[RunBatch]:
        count = self.spec.batch_count
        for path in ResultTable.RUNS.shards(self.path):
            try:
                index = int(path.stem.split("-", 1)[1])
            except ValueError:
                continue
            if index >= count:
                self._move_aside(path, f"batch {index} is beyond this sweep's {count} batches")
                continue
            start = index * self.spec.batch_size
            yield RunBatch(index, start, min(start + self.spec.batch_size, self.spec.runs))

    def _check(self, path: Path, table: ResultTable, batch: RunBatch) -> str | None:
        """None when the shard is whole and holds exactly its batch's runs; else what is wrong."""
        if not path.exists():
            return "missing"
        try:
            data = pq.read_table(path)
        except (OSError, pa.ArrowException) as error:
            return f"unreadable ({str(error).splitlines()[0]})"
        if table == ResultTable.RUNS:
            if tuple(data.column_names) != run_columns(self.spec):
                return "its columns are not this sweep's"
            ids = data.column("run_id").to_numpy()
            if not np.array_equal(ids, np.arange(batch.start, batch.stop)):
                return f"its run ids are not batch {batch.index}'s ({batch.start}..{batch.stop - 1})"
            return None
        if data.column_names != table.schema.names:
            return f"its columns are not a {table} table"
        if not np.array_equal(np.unique(data.column("run_id").to_numpy()), np.arange(batch.start, batch.stop)):
            return f"its run ids are not batch {batch.index}'s ({batch.start}..{batch.stop - 1})"
        return None

    def _move_aside(self, path: Path, problem: str) -> None:
        aside = self.path / DAMAGED_DIR
        aside.mkdir(exist_ok=True)
        target = aside / f"{path.name}.{time.strftime('%Y%m%dT%H%M%S')}"
        suffix = 0
        while target.exists():
            suffix += 1
            target = aside / f"{path.name}.{time.strftime('%Y%m%dT%H%M%S')}.{suffix}"
        os.replace(path, target)
        print(f"warning: damaged shard {path}: {problem}; moved to {target} and its runs will be computed again",
              file=sys.stderr)

    # --- writing ---
    def write(self, shard: Shard) -> None:
        """Write a finished batch: its extra tables first, then the run table that marks it done."""
        for table, data in shard.extras().items():
            _atomic_write(self.path / table.shard_name(shard.batch), lambda p, data=data: pq.write_table(data, p))
        _atomic_write(self.path / ResultTable.RUNS.shard_name(shard.batch), lambda p: pq.write_table(shard.runs, p))


def _acquire_lock(directory: Path):
    handle = open(directory / LOCK_FILE, "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise FileExistsError(f"{directory}: another sweep is writing here right now; wait for it to finish "
                              "or choose another --out directory") from None
    return handle


def _atomic_write(path: Path, write) -> None:
    """Write through a temporary file in the same directory, flushed to disk, then rename,
    so the final name only ever holds a whole file."""
    temporary = path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}{TEMP_SUFFIX}"
    try:
        write(Path(temporary))
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


# --- versions ----------------------------------------------------------------------------

def code_version() -> str:
    """The package version, with `git describe` when the code is a git checkout."""
    import sim

    root = Path(sim.__file__).resolve().parent.parent
    try:
        described = subprocess.run(["git", "describe", "--always", "--dirty", "--tags"], cwd=root,
                                   capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return sim.__version__
    tag = described.stdout.strip()
    return f"{sim.__version__}+{tag}" if described.returncode == 0 and tag else sim.__version__


def package_versions() -> dict[str, str]:
    versions = {}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


# --- reading results back ----------------------------------------------------------------

def load_results(directory: str | Path, table: ResultTable | str = ResultTable.RUNS, columns=None):
    """A sweep's table as one pandas DataFrame, sorted by run id (then round and ally, as
    written), whatever the number of shards; `table="allies"` for the per-ally table,
    `"rounds"` and `"allies_by_round"` for the per-round ones."""
    import pandas as pd

    directory = Path(directory)
    table = ResultTable(table)
    if not (directory / METADATA_FILE).exists():
        raise FileNotFoundError(f"{directory}: no sweep results here ({METADATA_FILE} missing)")
    paths = table.shards(directory)
    if table != ResultTable.RUNS:  # only batches marked finished by their run shard
        paths = [p for p in paths if (directory / p.name.replace(table.value, ResultTable.RUNS.value, 1)).exists()]
    if not paths:
        return pd.DataFrame(columns=columns)
    frame = pa.concat_tables([pq.read_table(path, columns=columns) for path in paths]).to_pandas()
    if "run_id" in frame:
        frame = frame.sort_values("run_id", kind="stable").reset_index(drop=True)
    return frame


def read_metadata(directory: str | Path) -> dict:
    return json.loads((Path(directory) / METADATA_FILE).read_text(encoding="utf-8"))
