"""A finished batch's tables, built from an engine's result where the batch ran.

Every column has a fixed type (the extra tables' schemas are fixed, the run table's follow
the spec), so every shard of a sweep has one schema whichever engine or worker computed it.
Every column also carries its unit and a one-line description as Parquet field metadata
(`unit`, `description`; the table of them is `COLUMN_DOCS`, documented in `docs/results.md`),
so a shard explains itself to whoever opens it. Missing is null, never NaN or a sentinel.
Kept apart from the results directory (`sim/sweeps/results.py`), which only writes, checks and reads
these tables back: building them needs nothing of the disk, and runs on the workers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import pyarrow as pa

from sim.engines.outcome import ALLY_FIELDS, ALLY_OUTCOMES, ALLY_ROUND_FIELDS, ROUND_FIELDS, RUN_FIELDS
from sim.engines.schema import ISO3_UNIT, NO_UNIT, RUN_OUTCOMES, OutcomeField
from sim.model.parameters import parameter_fields
from sim.sweeps.spec import RunBatch, SweepSpec

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

    def folder(self, results: Path) -> Path:
        """The table's own sub-directory of a results directory: a dataset on its own, read
        whole by `pd.read_parquet`, `pyarrow.dataset` or DuckDB's `read_parquet('.../*.parquet')`."""
        return Path(results) / self.value

    def shard_path(self, results: Path, batch: int) -> Path:
        return self.folder(results) / self.shard_name(batch)

    def shards(self, results: Path) -> list[Path]:
        """The table's shards in a results directory, in batch order."""
        return sorted(self.folder(results).glob(f"{self.value}-[0-9]*.parquet"))

    @property
    def schema(self) -> pa.Schema:
        """An extra table's columns, their fixed types, units and descriptions, so every shard
        of a sweep has one schema (the run table's columns depend on the spec: see `run_schema`)."""
        fields = {ResultTable.ALLIES: ("iso3", *ALLY_FIELDS), ResultTable.ROUNDS: ROUND_FIELDS,
                  ResultTable.ALLIES_BY_ROUND: ALLY_ROUND_FIELDS}.get(self)
        if fields is None:
            raise ValueError(f"the {self} table's columns depend on the spec; see run_schema")
        return pa.schema([COLUMN_DOCS[self][name].field(name) for name in ("run_id", *fields)])


#: A plain-text file at the top of every results directory, named so that the readers that
#: take a folder as one dataset (`pd.read_parquet(DIR)`, `pyarrow.dataset.dataset(DIR)`) stop
#: at it first and name it in their error: the top folder holds several tables, not one. Not
#: hidden (a leading `_` or `.` would make the readers skip it) and starting with a capital,
#: so it sorts before every table's folder and is the file they try first.
NOT_A_TABLE_FILE = "README-this_folder_holds_several_tables-read_one_folder_runs_allies_rounds_or_allies_by_round.txt"
NOT_A_TABLE_TEXT = """\
This is the results directory of an alliance-sim sweep. It holds several tables, one folder
each, with different columns; read one folder at a time, not this folder as a whole:

    runs/             one row per run (always)
    allies/           one row per run and ally (per_ally = true)
    rounds/           one row per run and round (per_round = true)
    allies_by_round/  one row per run, round and ally (per_round = true)

    pd.read_parquet("DIR/runs")
    pyarrow.dataset.dataset("DIR/runs")
    duckdb.sql("SELECT * FROM read_parquet('DIR/runs/*.parquet')")
    sim.sweeps.results.load_results("DIR", "runs")   # or "allies", "rounds", "allies_by_round"

_sweep.json holds the sweep's spec, seeds, inputs and versions. The columns, their units and
what null means are described in docs/results.md of alliance-sim. This file is named so that
reading this folder as one table stops here, with its name in the error.
"""

#: The spec field (under `[runs]`) that makes a sweep keep each extra table.
TABLE_SWITCHES = {ResultTable.ALLIES: "per_ally", ResultTable.ROUNDS: "per_round",
                  ResultTable.ALLIES_BY_ROUND: "per_round"}


# --- what every column holds --------------------------------------------------------------

@dataclass(frozen=True)
class ColumnDoc:
    """A column's type, unit and one-line description (with what null means, when it can be)."""

    type: pa.DataType
    unit: str
    description: str

    @classmethod
    def of(cls, spec: OutcomeField) -> ColumnDoc:
        """An outcome field's column, as the outcome schema declares it."""
        return cls(spec.arrow_type, spec.unit, spec.description)

    def field(self, name: str) -> pa.Field:
        return pa.field(name, self.type, metadata={"unit": self.unit, "description": self.description})


_LIST = pa.list_(pa.string())
_RUN_ID = ColumnDoc(pa.int64(), NO_UNIT, "the run's index in the sweep (0 .. runs - 1); the key joining every table")
_ROUND = ColumnDoc(pa.int64(), "round", "negotiation round; 0 is the opening positions before any draft")
_ISO3 = ColumnDoc(pa.string(), ISO3_UNIT, "the ally")

#: Each table's fixed columns (the run table's parameter columns come from the spec: see
#: `parameter_doc`); the outcomes' come from the outcome schema (`sim.engines.schema`). The
#: tables in docs/results.md are these, rendered by `markdown_table`
#: (tests/test_outcome_schema.py keeps the page in step).
COLUMN_DOCS: dict[ResultTable, dict[str, ColumnDoc]] = {
    ResultTable.RUNS: {
        "run_id": _RUN_ID,
        "seed": ColumnDoc(pa.int64(), NO_UNIT, "the run's random seed, spawned from the spec's root seed"),
        "point": ColumnDoc(pa.int64(), NO_UNIT, "the design point (run_id // replicates)"),
        "replicate": ColumnDoc(pa.int64(), NO_UNIT, "the replicate within its design point (0 .. replicates - 1)"),
        "code_version": ColumnDoc(pa.string(), NO_UNIT, "version (and git describe) of the code that computed it"),
        **{spec.name: ColumnDoc.of(spec) for spec in RUN_OUTCOMES},
    },
    ResultTable.ALLIES: {
        "run_id": _RUN_ID,
        "iso3": _ISO3,
        **{spec.name: ColumnDoc.of(spec) for spec in ALLY_OUTCOMES},
    },
    ResultTable.ROUNDS: {
        "run_id": _RUN_ID,
        "round": _ROUND,
        "draft_core_pct": ColumnDoc(pa.float64(), "% of GDP", "core level of the round's draft; null in round 0"),
        "draft_related_pct": ColumnDoc(pa.float64(), "% of GDP", "defence-related level of the round's draft "
                                       "(0 without a split); null in round 0"),
        "draft_deadline": ColumnDoc(pa.float64(), "calendar year", "deadline of the round's draft; null in round 0"),
        "position_spread_pct": ColumnDoc(pa.float64(), "pp of GDP", "standard deviation of the positions of the "
                                         "allies at the table"),
        "share_accepting": ColumnDoc(pa.float64(), "share (0-1)", "share of the voting allies accepting the draft; "
                                     "null in round 0"),
    },
    ResultTable.ALLIES_BY_ROUND: {
        "run_id": _RUN_ID,
        "round": _ROUND,
        "iso3": _ISO3,
        "position_pct": ColumnDoc(pa.float64(), "% of GDP", "the level the ally argues for; null for an ally without "
                                  "armed forces (Iceland)"),
        "deadline_position": ColumnDoc(pa.float64(), "calendar year (fractional)", "the deadline the ally argues for"),
        "accepted": ColumnDoc(pa.bool_(), NO_UNIT,
                              "whether the ally accepts the round's draft (in round 0, before any draft: false)"),
        "threat": ColumnDoc(pa.float64(), "index (0-1)", "the ally's threat perception"),
        "fiscal_pressure": ColumnDoc(pa.float64(), "index (0-1)", "the ally's fiscal pressure (debt and deficit "
                                     "against the Maastricht reference values)"),
    },
}

#: Units of the parameters, where the name's suffix does not say it (see `parameter_doc`).
PARAMETER_UNITS = {
    "summit_year": "calendar year", "data_year": "calendar year", "threat_event_year": "calendar year (0: none)",
    "threat_shock_round": "round", "max_rounds": "rounds", "max_flexibility_holdouts": "allies",
    "ramp_base_pct": "pp of GDP per year", "ramp_threat_pct": "pp of GDP per year",
    "expansion_rate_pct": "pp of GDP per year per round", "noise_sd_pct": "pp of GDP",
    "belief_error_pct": "pp of GDP",
    "bilateral_pressure_pct": "pp of GDP per year per round per % of GDP exported to the US",
}


def parameter_doc(name: str) -> ColumnDoc:
    """A model parameter's column: its type, its unit and its description from the parameter
    table (`sim.model.parameters`)."""
    field = parameter_fields()[name]
    unit = PARAMETER_UNITS.get(name)
    if unit is None:
        unit = ("% of GDP" if name.endswith("_pct") else "km" if name.endswith("_km")
                else "years" if name.endswith("_years") else "dimensionless" if field.type in ("float", "int")
                else NO_UNIT)
    return ColumnDoc(parameter_type(name), unit, f"model parameter: {field.metadata['doc']}")


def run_schema(spec_names: Sequence[str]) -> pa.Schema:
    """The run table's columns for a sweep varying `spec_names`, in order, with their types,
    units and descriptions."""
    docs = COLUMN_DOCS[ResultTable.RUNS]
    return pa.schema([*(docs[name].field(name) for name in RUN_KEYS),
                      *(parameter_doc(name).field(name) for name in spec_names),
                      *(docs[name].field(name) for name in ("code_version", *RUN_FIELDS))])


#: How DuckDB names each Arrow type the tables use, for the docs' "type (Arrow / DuckDB)" column.
DUCKDB_TYPES = {"int64": "BIGINT", "double": "DOUBLE", "bool": "BOOLEAN", "string": "VARCHAR",
                "list<string>": "VARCHAR[]"}


def markdown_table(columns: Mapping[str, ColumnDoc]) -> str:
    """Columns as docs/results.md tabulates them: name, type (Arrow / DuckDB), unit, description."""
    def shown(kind: pa.DataType) -> str:
        return "list<string>" if kind == pa.list_(pa.string()) else str(kind)

    lines = ["| column | type (Arrow / DuckDB) | unit | description |", "|---|---|---|---|"]
    lines += [f"| `{name}` | {shown(doc.type)} / {DUCKDB_TYPES[shown(doc.type)]} | {doc.unit} | {doc.description} |"
              for name, doc in columns.items()]
    return "\n".join(lines)


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
    return tuple(run_schema(spec.parameter_names).names)


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
    schema = run_schema(spec_names)
    for name in RUN_FIELDS:
        columns[name] = outcomes.column(name)
        if columns[name].type != schema.field(name).type:  # the data contract: refuse, never cast
            raise TypeError(f"batch {batch.index}: the engine's {name} column is {columns[name].type}; the run "
                            f"table's is {schema.field(name).type}")
    runs = pa.Table.from_arrays([columns[name] for name in schema.names], schema=schema)
    allies = None
    if result.allies is not None:
        allies_count = len(result.iso3)
        allies = pa.Table.from_arrays([
            pa.array(np.repeat(np.arange(batch.start, batch.stop, dtype=np.int64), allies_count)),
            pa.array(list(result.iso3) * len(batch), type=pa.string()),
            *(pa.array(np.asarray(getattr(result.allies, spec.name), dtype=spec.dtype).ravel(), type=spec.arrow_type,
                       from_pandas=True) for spec in ALLY_OUTCOMES),  # NaN: null
        ], schema=ResultTable.ALLIES.schema)
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
    for field in list(schema)[1:]:  # NaN (no draft yet, no armed forces) becomes null
        data.append(pa.array(np.asarray(columns[field.name]).tolist(), type=field.type, from_pandas=True))
    return pa.Table.from_arrays(data, schema=schema)


def parameter_type(name: str) -> pa.DataType:
    kind = parameter_fields()[name].type
    return {"int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}.get(kind, pa.string())


def _plain(value):
    return value.value if isinstance(value, StrEnum) else value
