"""A sweep's results on disk: one Parquet shard per finished batch, plus the sweep's metadata.

A shard appears under its final name only once it is complete (written to a temporary file
in the same directory, then renamed), so after a crash at any moment every shard on disk is
either whole or detectably damaged, and resuming recomputes exactly the missing batches.
The extra tables, when asked for (per ally; per round and per round and ally), are written
before their batch's run table: the run shard is the mark that a batch is finished.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import metadata
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.outcome import ALLY_FIELDS, ALLY_ROUND_FIELDS, ROUND_FIELDS, RUN_FIELDS
from sim.parameters import parameter_fields
from sim.sweep_spec import RunBatch, SweepSpec

METADATA_FILE = "sweep.json"
LOCK_FILE = ".lock"
DAMAGED_DIR = "damaged"
TEMP_SUFFIX = ".tmp"
RUN_KEYS = ("run_id", "seed", "point", "replicate")
VERSIONED_PACKAGES = ("alliance-sim", "mesa", "numpy", "pandas", "pyarrow", "scipy", "dask", "distributed")


class ResultTable(StrEnum):
    """The tables a sweep writes: one row per run; and on request one per run and ally
    (`per_ally`), one per run and round and one per run, round and ally (`per_round`)."""

    RUNS = "runs"
    ALLIES = "allies"
    ROUNDS = "rounds"
    ALLIES_BY_ROUND = "allies_by_round"

    def shard_name(self, batch: int) -> str:
        return f"{self.value}-{batch:06d}.parquet"

    def shards(self, directory: Path) -> list[Path]:
        return sorted(directory.glob(f"{self.value}-[0-9]*.parquet"))

    @property
    def schema(self) -> pa.Schema:
        """An extra table's columns and their fixed types, so every shard of a sweep has one
        schema (the run table's columns depend on the spec: see `run_columns`)."""
        fields = {ResultTable.ALLIES: ("iso3", *ALLY_FIELDS), ResultTable.ROUNDS: ROUND_FIELDS,
                  ResultTable.ALLIES_BY_ROUND: ALLY_ROUND_FIELDS}.get(self)
        if fields is None:
            raise ValueError(f"the {self} table's columns depend on the spec; see run_columns")
        kinds = {"round": pa.int64(), "iso3": pa.string(), "accepted": pa.bool_(), "flexibility": pa.bool_()}
        return pa.schema([("run_id", pa.int64()), *((name, kinds.get(name, pa.float64())) for name in fields)])


def extra_tables(spec: SweepSpec) -> tuple[ResultTable, ...]:
    """The tables a batch of this sweep writes besides its run table."""
    return (*((ResultTable.ALLIES,) if spec.per_ally else ()),
            *((ResultTable.ROUNDS, ResultTable.ALLIES_BY_ROUND) if spec.per_round else ()))


@dataclass(frozen=True)
class Shard:
    """One finished batch's tables, built where the batch ran and written by the sweep."""

    batch: int
    runs: pa.Table
    allies: pa.Table | None = None
    rounds: pa.Table | None = None
    allies_by_round: pa.Table | None = None

    def extras(self) -> dict[ResultTable, pa.Table]:
        """The extra tables this batch has, in the order they are written (all before `runs`)."""
        tables = {ResultTable.ALLIES: self.allies, ResultTable.ROUNDS: self.rounds,
                  ResultTable.ALLIES_BY_ROUND: self.allies_by_round}
        return {table: data for table, data in tables.items() if data is not None}


# --- building a shard from an engine's columns ------------------------------------------

def run_columns(spec: SweepSpec) -> tuple[str, ...]:
    """The run table's columns, in order."""
    return (*RUN_KEYS, *spec.parameter_names, "code_version", *RUN_FIELDS)


def build_shard(batch: RunBatch, spec_names: Sequence[str], points: Sequence[int], replicates: Sequence[int],
                seeds: Sequence[int], overrides: Sequence[Mapping[str, object]], result, code_version: str) -> Shard:
    """A batch's run table (and the per-ally and per-round tables when the engine's
    `BatchResult` has those columns), with fixed column types so every shard of a sweep has the
    same schema."""
    if len(result) != len(batch):
        raise ValueError(f"batch {batch.index}: the engine returned {len(result)} runs for {len(batch)}")
    columns = {
        "run_id": pa.array(np.arange(batch.start, batch.stop, dtype=np.int64)),
        "seed": pa.array(np.asarray(seeds, dtype=np.int64)),
        "point": pa.array(np.asarray(points, dtype=np.int64)),
        "replicate": pa.array(np.asarray(replicates, dtype=np.int64)),
    }
    for name in spec_names:
        columns[name] = pa.array([_plain(row[name]) for row in overrides], type=parameter_type(name))
    columns["code_version"] = pa.array([code_version] * len(batch), type=pa.string())
    outcomes = result.to_arrow()
    for name in RUN_FIELDS:
        columns[name] = outcomes.column(name)
    runs = pa.table(columns)
    allies = None
    if result.allies is not None:
        allies_count = len(result.iso3)
        allies = pa.table({
            "run_id": pa.array(np.repeat(np.arange(batch.start, batch.stop, dtype=np.int64), allies_count)),
            "iso3": pa.array(list(result.iso3) * len(batch), type=pa.string()),
            "final_position_pct": pa.array(np.asarray(result.allies.final_position_pct, dtype=float).ravel()),
            "accepted": pa.array(np.asarray(result.allies.accepted, dtype=bool).ravel()),
            "flexibility": pa.array(np.asarray(result.allies.flexibility, dtype=bool).ravel()),
        })
    if result.per_round is None:
        return Shard(batch.index, runs, allies)
    return Shard(batch.index, runs, allies,
                 rounds=_round_table(batch, result.per_round.rounds, ResultTable.ROUNDS),
                 allies_by_round=_round_table(batch, result.per_round.allies, ResultTable.ALLIES_BY_ROUND))


def _round_table(batch: RunBatch, columns: Mapping[str, np.ndarray], table: ResultTable) -> pa.Table:
    """An engine's round-by-round columns as a shard table: its run index within the batch
    becomes the run id, and every column takes the table's fixed type."""
    run = np.asarray(columns["run"], dtype=np.int64)
    if not np.array_equal(np.unique(run), np.arange(len(batch))):  # as a resume will check the shard
        raise ValueError(f"batch {batch.index}: the engine's {table} rows are not one or more per run of the batch")
    schema = table.schema
    data = [pa.array(run + batch.start, type=pa.int64())]
    for field in list(schema)[1:]:
        data.append(pa.array(np.asarray(columns[field.name]).tolist(), type=field.type))
    return pa.Table.from_arrays(data, schema=schema)


def parameter_type(name: str) -> pa.DataType:
    kind = parameter_fields()[name].type
    return {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}.get(kind, pa.string())


def _plain(value):
    return value.value if isinstance(value, StrEnum) else value


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
