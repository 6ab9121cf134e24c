"""A finished batch's tables, built from an engine's result where the batch ran.

Every column has a fixed type (the extra tables' schemas are fixed, the run table's follow
the spec), so every shard of a sweep has one schema whichever engine or worker computed it.
Kept apart from the results directory (`sim/results.py`), which only writes, checks and reads
these tables back: building them needs nothing of the disk, and runs on the workers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import pyarrow as pa

from sim.outcome import ALLY_FIELDS, ALLY_ROUND_FIELDS, ROUND_FIELDS, RUN_FIELDS
from sim.parameters import parameter_fields
from sim.sweep_spec import RunBatch, SweepSpec

RUN_KEYS = ("run_id", "seed", "point", "replicate")


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
