"""A sweep's results on disk: one Parquet shard per finished batch, plus the sweep's metadata.

The directory opens as a dataset with the usual tools: each table has its own folder of
shards (`runs/runs-000000.parquet`, `allies/...`, `rounds/...`, `allies_by_round/...`), and
everything else is named so that pyarrow, pandas and DuckDB skip it: the metadata
`_sweep.json`, the lock `.lock`, temporary files `.<name>.tmp` and damaged shards under
`_damaged/`; and one README file at the top, not hidden, so that reading the top folder as one
table fails naming it (`NOT_A_TABLE_FILE`). Columns, types, units and nulls: `docs/results.md`.

    DIR/_sweep.json  DIR/runs/runs-000000.parquet ...  DIR/allies/allies-000000.parquet ...

A shard appears under its final name only once it is complete (written to a temporary file
in the same directory, then renamed), so after a crash at any moment every shard on disk is
either whole or detectably damaged, and resuming recomputes exactly the missing batches.
The extra tables, when asked for (per ally; per round and per round and ally), are written
before their batch's run table: the run shard is the mark that a batch is finished.
The tables themselves are built where their batch ran (`sim/sweeps/shards.py`); this module only
writes, checks and reads them back.

Every shard is written with Parquet page checksums (CRC-32 of each page) and read back with
them verified, so bytes damaged inside a shard are found rather than read as numbers. The
metadata records digests of the inputs the rows depend on beyond the spec (the ally data the
scenario uses), so a resume on other inputs is refused instead of mixing rows.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from sim.analysis.run_report import OutputError
from sim.analysis.run_report import os_reason as _reason
from sim.sweeps.inputs import SweepInputs, ally_data_digest, recorded_inputs, scenario_changes
from sim.sweeps.lock import LOCK_FILE, DirectoryLock, claim_directory, remove_if_empty
from sim.sweeps.shards import (NOT_A_TABLE_FILE, NOT_A_TABLE_TEXT, TABLE_SWITCHES, ResultTable, Shard,
                               extra_tables, run_columns, run_schema)
from sim.sweeps.spec import RunBatch, SweepSpec
from sim.sweeps.versions import code_version, package_versions

METADATA_FILE = "_sweep.json"
#: The metadata file of the first layout (shards next to it, no folder per table).
OLD_METADATA_FILE = "sweep.json"
DAMAGED_DIR = "_damaged"
TEMP_SUFFIX = ".tmp"
#: Parquet options of every shard: a CRC-32 per page, checked whenever a shard is read.
WRITE_OPTIONS = {"write_page_checksum": True}
READ_OPTIONS = {"page_checksum_verification": True}


class SweepWriteError(OutputError):
    """A shard that could not be written (a full disk): the batches saved before it are whole,
    and a resume computes the rest."""

    def __init__(self, message: str, *, saved: int, batches: int):
        super().__init__(message)
        self.saved = saved
        self.batches = batches


class DamagedShardError(ValueError):
    """A shard that cannot be read whole; the message names it and says how to recompute it."""


class MissingTableError(FileNotFoundError):
    """A table the sweep did not keep (`per_ally` or `per_round` was off in its spec)."""


class OlderLayoutError(FileExistsError):
    """A results directory in the layout of an older version (`sweep.json` and the shards at
    the top), which this version neither resumes nor reads; the message says what to do."""

    def __init__(self, directory: Path):
        super().__init__(f"{directory}: written by an older version of alliance-sim ({OLD_METADATA_FILE} and "
                         f"shards at the top, not {METADATA_FILE} and a folder per table); this version cannot "
                         f"resume or read it: rerun the sweep into a new directory{_rerun_hint(directory)}")


def _rerun_hint(directory: Path) -> str:
    """The command that reruns an old directory's sweep, when its metadata names the spec."""
    try:
        source = json.loads((directory / OLD_METADATA_FILE).read_text(encoding="utf-8")).get("spec_source")
    except (OSError, ValueError, AttributeError):
        return ""
    return f" (alliance-sim sweep {source} --out NEW_DIR)" if isinstance(source, str) and source else ""


def refuse_older_layout(directory: Path) -> None:
    if (directory / OLD_METADATA_FILE).exists() and not (directory / METADATA_FILE).exists():
        raise OlderLayoutError(directory)


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
        self._lock, self._created = claim_directory(self.path)  # a file, read-only: OutputError, one line
        try:
            self.inputs = SweepInputs.of(spec.scenario)
            try:
                self._claim(resume)
            except FileExistsError:  # the refusals: this directory holds something else
                raise
            except OSError as error:
                raise self._fail(f"cannot be written ({_reason(error)}); nothing of this sweep was written") from None
        except BaseException:
            self.close()
            if self._created:
                remove_if_empty(self.path)  # a refused first start leaves no directory behind
            raise

    def _fail(self, why: str) -> OutputError:
        return OutputError(f"--out {self.path}: {why}")

    def close(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> ResultsDir:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _claim(self, resume: bool) -> None:
        refuse_older_layout(self.path)
        meta_path = self.path / METADATA_FILE
        if not meta_path.exists():
            others = [p.name for p in self.path.iterdir()
                      if p.name != LOCK_FILE and not p.name.endswith(TEMP_SUFFIX)]
            if others:
                raise FileExistsError(f"{self.path}: not empty and holds no sweep ({METADATA_FILE} missing; found "
                                      f"{', '.join(sorted(others)[:3])}); choose a new or empty --out directory")
            _atomic_write(meta_path, lambda p: p.write_text(json.dumps(self._metadata(), indent=2), encoding="utf-8"))
            self._mark_not_a_table()
            return
        existing = _read_existing(meta_path)
        digest = existing["spec_hash"]
        if digest != self.spec.digest():
            raise FileExistsError(self._different_sweep(existing))
        has_results = bool(ResultTable.RUNS.shards(self.path))
        if not resume and has_results:
            raise FileExistsError(f"{self.path}: already holds results of this sweep; pass --resume to finish it, "
                                  "or choose another --out directory")
        self._check_inputs(existing, meta_path, has_results)
        self._mark_not_a_table()  # a directory started before the file existed gets it on --resume
        if existing.get("code_version") != self.code_version:
            print(f"warning: {self.path} was started with code version {existing.get('code_version')}; "
                  f"this is {self.code_version} (each row records the version that computed it)", file=sys.stderr)

    def _mark_not_a_table(self) -> None:
        """Write the top folder's `NOT_A_TABLE_FILE`, once (a resume leaves it as it is)."""
        guard = self.path / NOT_A_TABLE_FILE
        if not guard.exists():
            _atomic_write(guard, lambda p: p.write_text(NOT_A_TABLE_TEXT, encoding="utf-8"))

    def _different_sweep(self, existing: dict) -> str:
        """Why the directory's sweep is not this one, in one line: the inputs that changed
        when only the scenario differs (a parameter, an ally fact), else the fields that differ."""
        mine = self.spec.canonical()
        theirs = existing.get("spec") if isinstance(existing.get("spec"), dict) else {}
        differ = sorted(k for k in set(mine) | set(theirs) if mine.get(k) != theirs.get(k))
        changed = scenario_changes(theirs.get("scenario"), mine["scenario"]) if differ == ["scenario"] else []
        if differ == ["engine"] and isinstance(theirs.get("engine"), str):
            return (f"{self.path}: this sweep was started on the {theirs['engine']} engine, not {mine['engine']}; "
                    f"add --engine {theirs['engine']} to the command to resume it (one sweep, one engine)")
        if changed:
            return (f"{self.path}: the inputs changed since this sweep started: {'; '.join(changed)}; rows computed "
                    "on other inputs cannot be mixed; restore them, or choose another --out directory")
        digest = existing["spec_hash"]
        return (f"{self.path}: holds a different sweep ({existing.get('name')!r} from "
                f"{existing.get('spec_source')}, spec hash {digest[:12]}; this spec's is "
                f"{self.spec.digest()[:12]}; they differ in {', '.join(differ) or 'their content'}); "
                "choose another --out directory")

    def _check_inputs(self, existing: dict, meta_path: Path, has_results: bool) -> None:
        """Refuse to add rows computed on other inputs (an edited allies.csv) to the rows on
        disk; with no rows yet, record the inputs of this start instead."""
        recorded = recorded_inputs(existing, meta_path)
        if recorded is None:
            print(f"warning: {meta_path} records no digest of the sweep's inputs (started by an older version); "
                  "cannot check that the ally data is unchanged", file=sys.stderr)
            return
        changes = self.inputs.changes(recorded)
        if not changes:
            return
        if has_results:
            raise FileExistsError(f"{self.path}: the inputs changed since this sweep started: {'; '.join(changes)}; "
                                  "rows computed on other inputs cannot be mixed; restore them, or choose another "
                                  "--out directory")
        _atomic_write(meta_path, lambda p: p.write_text(json.dumps(self._metadata(), indent=2), encoding="utf-8"))

    def _metadata(self) -> dict:
        spec = self.spec
        return {
            "name": spec.name, "description": spec.description, "spec_source": spec.source,
            "spec_text": spec.text, "spec_hash": spec.digest(), "spec": spec.canonical(),
            "root_seed": spec.seed, "runs": spec.runs, "batch_size": spec.batch_size, "batches": spec.batch_count,
            "parameters": list(spec.parameter_names), "engine": spec.engine.value, "per_ally": spec.per_ally,
            "per_round": spec.per_round,
            # each table's folder of shards; columns, units and nulls in docs/results.md
            "tables": {table.value: f"{table.value}/" for table in (ResultTable.RUNS, *extra_tables(spec))},
            "inputs": {"ally_data_sha256": self.inputs.ally_data, "parameters_sha256": self.inputs.parameters},
            "code_version": self.code_version, "package_versions": package_versions(),
            "python": sys.version.split()[0], "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }

    # --- finished batches ---
    def finished_batches(self) -> set[int]:
        """The batches whose shards are whole; damaged shards are reported on stderr, moved
        to `_damaged/` and left out, so their batches are computed again."""
        try:
            return self._finished_batches()
        except OSError as error:  # clearing a leftover or moving a damaged shard aside
            raise self._fail(f"cannot be written ({_reason(error)}); the shards already there are kept") from None

    def _finished_batches(self) -> set[int]:
        for folder in (self.path, *(table.folder(self.path) for table in ResultTable)):
            for leftover in folder.glob(f".*{TEMP_SUFFIX}"):
                leftover.unlink(missing_ok=True)  # a write cut short; its batch was never finished
        batches = {batch.index: batch for batch in self._batches_on_disk()}
        finished = set()
        for index, batch in sorted(batches.items()):
            runs_path = ResultTable.RUNS.shard_path(self.path, index)
            problem = self._check(runs_path, ResultTable.RUNS, batch)
            if problem is not None:
                self._move_aside(runs_path, problem)
                continue
            if all(self._extra_whole(table, batch, runs_path) for table in extra_tables(self.spec)):
                finished.add(index)
        return finished

    def saved_batches(self) -> int:
        """How many batches are finished on disk now (their run shards, each written whole)."""
        return len(ResultTable.RUNS.shards(self.path))

    def _extra_whole(self, table: ResultTable, batch: RunBatch, runs_path: Path) -> bool:
        """Whether a finished batch's extra table is whole. A damaged one is moved aside; a
        missing one unmarks the batch (its run shard moved aside); either way it is recomputed."""
        path = table.shard_path(self.path, batch.index)
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
            yield self.spec.batch(index)

    def _check(self, path: Path, table: ResultTable, batch: RunBatch) -> str | None:
        """None when the shard is whole and holds exactly its batch's runs; else what is wrong."""
        if not path.exists():
            return "missing"
        try:
            data = read_shard(path)
        except DamagedShardError as error:
            return str(error.__cause__ or error)
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
        """Write a finished batch: its extra tables first, then the run table that marks it done.
        A failure (a full disk) leaves no part of the batch marked done, and raises
        SweepWriteError saying how many batches are saved."""
        path = ResultTable.RUNS.shard_path(self.path, shard.batch)
        try:
            for table, data in shard.extras().items():
                path = table.shard_path(self.path, shard.batch)
                _atomic_write(path, lambda p, data=data: _write_shard(data, p))
            path = ResultTable.RUNS.shard_path(self.path, shard.batch)
            _atomic_write(path, lambda p: _write_shard(shard.runs, p))
        except OSError as error:
            saved = self.saved_batches()
            raise SweepWriteError(f"--out {self.path}: cannot write {path.relative_to(self.path)} "
                                  f"({_reason(error)}); {saved} of {self.spec.batch_count} batches are saved, "
                                  "each whole", saved=saved, batches=self.spec.batch_count) from None


def _write_shard(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, **WRITE_OPTIONS)


def read_shard(path: Path, columns=None) -> pa.Table:
    """A shard read whole, every page's checksum verified; DamagedShardError names it if not."""
    try:
        return pq.read_table(path, columns=columns, **READ_OPTIONS)
    except (OSError, pa.ArrowException) as error:
        cause = ValueError(f"unreadable ({str(error).splitlines()[0] if str(error) else type(error).__name__})")
        raise DamagedShardError(f"{path}: damaged shard, {cause}; run the sweep again with --resume to move it "
                                "aside and compute its runs again") from cause


def _read_existing(meta_path: Path) -> dict:
    """The metadata of the sweep already in the directory, with the fields a resume relies on
    checked; anything else is one line naming the file and the field."""
    try:
        existing = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise FileExistsError(f"{meta_path}: cannot be read as sweep metadata ({error}); "
                              "choose another --out directory or move this one away") from None
    if not isinstance(existing, dict):
        raise FileExistsError(f"{meta_path}: cannot be read as sweep metadata (not a JSON object); "
                              "choose another --out directory or move this one away")
    digest = existing.get("spec_hash")
    if not isinstance(digest, str):
        raise FileExistsError(f"{meta_path}: field spec_hash = {digest!r} is not allowed; allowed: the spec's "
                              "SHA-256 as a hex string; choose another --out directory or move this one away")
    return existing


def _atomic_write(path: Path, write) -> None:
    """Write through a temporary file in the same directory, flushed to disk, then rename,
    so the final name only ever holds a whole file."""
    path.parent.mkdir(exist_ok=True)  # a table's folder, made by its first shard
    temporary = path.parent / f".{path.name}.{os.getpid()}.{uuid.uuid4().hex}{TEMP_SUFFIX}"
    try:
        write(Path(temporary))
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


# --- reading results back ----------------------------------------------------------------

def load_results(directory: str | Path, table: ResultTable | str = ResultTable.RUNS, columns=None):
    """A sweep's table as one pandas DataFrame, sorted by run id (then round and ally, as
    written), whatever the number of shards; `table="allies"` for the per-ally table,
    `"rounds"` and `"allies_by_round"` for the per-round ones. Unlike reading the table's
    folder directly (`pd.read_parquet(DIR / "runs")`), every page checksum is verified and an
    extra table keeps only the batches its run shard marks finished. A table the sweep did
    not keep raises MissingTableError naming the spec field that keeps it; a kept table with
    no finished batch yet is an empty frame with the table's columns."""
    directory = Path(directory)
    table = ResultTable(table)
    refuse_older_layout(directory)
    if not (directory / METADATA_FILE).exists():
        raise FileNotFoundError(f"{directory}: no sweep results here ({METADATA_FILE} missing)")
    metadata = read_metadata(directory)
    _refuse_table_not_kept(directory, table, metadata)
    paths = table.shards(directory)
    if table != ResultTable.RUNS:  # only batches marked finished by their run shard
        runs = ResultTable.RUNS.folder(directory)
        paths = [p for p in paths if (runs / p.name.replace(table.value, ResultTable.RUNS.value, 1)).exists()]
    if not paths:
        return _empty_table(table, metadata, columns)
    frame = pa.concat_tables([read_shard(path, columns) for path in paths]).to_pandas()
    if "run_id" in frame:
        frame = frame.sort_values("run_id", kind="stable").reset_index(drop=True)
    return frame


def _refuse_table_not_kept(directory: Path, table: ResultTable, metadata: dict) -> None:
    """MissingTableError when the sweep's metadata says it never writes `table`."""
    if table == ResultTable.RUNS:
        return
    kept = metadata.get("tables")
    if isinstance(kept, dict):
        if table.value in kept:
            return
    elif metadata.get(TABLE_SWITCHES[table]) is True or table.folder(directory).is_dir():
        return  # metadata without the list of tables: trust the switch, or the folder on disk
    switch = TABLE_SWITCHES[table]
    raise MissingTableError(
        f"{directory}: this sweep kept no {table} table ({switch} was off in its spec; it keeps "
        f"{', '.join(sorted(kept)) if isinstance(kept, dict) else 'the runs table'}); add `{switch} = true` "
        f"under [runs] in the spec and run the sweep into a new directory to have it")


def _empty_table(table: ResultTable, metadata: dict, columns):
    """A kept table with no finished batch yet: no rows, but the table's columns and types."""
    if table == ResultTable.RUNS:
        names = metadata.get("parameters")
        try:
            schema = run_schema(list(names) if isinstance(names, list) else [])
        except KeyError:  # a parameter this version no longer has
            schema = run_schema([])
    else:
        schema = table.schema
    if columns is not None:
        schema = pa.schema([schema.field(name) for name in columns if name in schema.names])
    return schema.empty_table().to_pandas()


def read_metadata(directory: str | Path) -> dict:
    """The sweep's metadata (`_sweep.json`): its spec, inputs, versions and layout."""
    refuse_older_layout(Path(directory))
    return json.loads((Path(directory) / METADATA_FILE).read_text(encoding="utf-8"))
