"""The outcome schema: every field a run reports, declared once.

`RunOutcomes` is the declaration: one dataclass field per run-level outcome, each with its
kind (bool, int, float or a list of ISO3 codes), unit, nullability and a one-line meaning
(`outcome`). Everything else is derived from it by iterating `RUN_OUTCOMES`: the run-level
field list (`sim.engines.outcome.RUN_FIELDS`), the batch engine's column arrays and dtypes,
`BatchResult` (which is a `RunOutcomes` plus the runs' identity), `rows()`, `to_arrow()`,
`to_pandas()`, the API's casts (`sim.api`), the shards' Parquet field metadata
(`sim.sweeps.shards.COLUMN_DOCS`) and the table in docs/results.md (tests/test_outcome_schema.py).
The per-ally fields a sweep keeps are declared the same way, on `sim.engines.outcome.AllyColumns`.

Why a dataclass with field metadata rather than a list of names: the same pattern as the
parameter table (`sim.model.parameters.Parameters`), and it keeps attribute access typed
(`result.deal` is an `np.ndarray` to a reader and a type checker alike) while the fields stay
declared once. A new outcome is one field here and one line in the function that fills it
(`sim.engines.outcome.run_outcomes`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np

NO_UNIT = "none"  # identifiers, flags, codes and text
ISO3_UNIT = "ISO 3166-1 alpha-3"
_SCHEMA_KEY = "outcome"  # the dataclass field metadata key holding an `OutcomeField`


class Kind(Enum):
    """What a field holds. In memory a nullable int is float (NaN where missing), as numpy has
    no null; a list of ISO3 codes is a boolean mask (runs x allies) in the order of the allies."""

    BOOL = "bool"
    INT = "int"
    FLOAT = "float"
    CODES = "list of ISO3 codes"


@dataclass(frozen=True)
class OutcomeField:
    """One outcome field: its name, kind, unit, nullability and meaning, and how its column is
    laid out in memory, in plain Python, in Arrow and in the API. `count_of` names the list a
    count is the length of: the count is derived from that list, never filled on its own."""

    name: str
    kind: Kind
    unit: str
    description: str
    nullable: bool = False
    count_of: str | None = None

    @property
    def filled(self) -> bool:
        """Whether an engine fills this column (a count is computed from its list)."""
        return self.count_of is None

    @property
    def per_ally(self) -> bool:
        """Whether the column has an allies axis in memory (runs x allies)."""
        return self.kind is Kind.CODES

    @property
    def dtype(self) -> np.dtype:
        """The in-memory numpy type: NaN marks what is missing, so a nullable int is float."""
        if self.kind is Kind.INT:
            return np.dtype(np.float64 if self.nullable else np.int64)
        return np.dtype(bool if self.kind in (Kind.BOOL, Kind.CODES) else np.float64)

    @property
    def scalar_type(self) -> type | None:
        """What `sim.api` gives this outcome as (bool, int or float with NaN where missing), or
        None for a list of codes, which the API gives only as its count."""
        if self.kind is Kind.CODES:
            return None
        if self.kind is Kind.BOOL:
            return bool
        return int if self.kind is Kind.INT and not self.nullable else float

    @property
    def arrow_type(self):
        """The Arrow (Parquet) type: nullable ints are int64 with nulls, lists are list<string>."""
        import pyarrow as pa

        return {Kind.BOOL: pa.bool_(), Kind.INT: pa.int64(), Kind.FLOAT: pa.float64(),
                Kind.CODES: pa.list_(pa.string())}[self.kind]

    def plain(self, column: np.ndarray, iso3: Sequence[str]) -> list:
        """The column as plain Python values, None where missing."""
        if self.kind is Kind.CODES:
            return iso3_codes(column, iso3)
        if self.kind is Kind.INT and self.nullable:
            return [None if math.isnan(value) else int(value) for value in column]
        if self.kind is Kind.FLOAT:
            return [None if math.isnan(value) else value for value in column.tolist()]
        return column.tolist()

    def arrow(self, column: np.ndarray, iso3: Sequence[str]):
        """The column as an Arrow array: null where missing, never NaN."""
        import pyarrow as pa

        kind = self.arrow_type
        if self.kind is Kind.CODES:
            return pa.array(iso3_codes(column, iso3), type=kind)
        if self.kind is Kind.FLOAT or self.nullable:
            values = np.asarray(column, dtype=float)
            missing = np.isnan(values)
            return pa.array(np.where(missing, 0, values).astype(kind.to_pandas_dtype()), type=kind, mask=missing)
        return pa.array(np.asarray(column, dtype=kind.to_pandas_dtype()), type=kind)


def iso3_codes(mask: np.ndarray, iso3: Sequence[str]) -> list[list[str]]:
    """Each run's ISO3 codes where `mask` (runs x allies) is set."""
    names = np.array(iso3, dtype=object)
    return [names[row].tolist() for row in mask]


def outcome(kind: Kind, unit: str, description: str, *, nullable: bool = False, count_of: str | None = None) -> Any:
    """Declare a dataclass field as an outcome field (its name comes from the field)."""
    spec = OutcomeField("", kind, unit, description, nullable, count_of)
    if count_of is not None:  # derived from its list: may be left out when building
        return dataclasses.field(default=None, metadata={_SCHEMA_KEY: spec})
    return dataclasses.field(metadata={_SCHEMA_KEY: spec})


def outcome_fields(cls) -> tuple[OutcomeField, ...]:
    """The outcome fields a dataclass declares with `outcome`, in declaration order."""
    return tuple(dataclasses.replace(f.metadata[_SCHEMA_KEY], name=f.name)
                 for f in dataclasses.fields(cls) if _SCHEMA_KEY in f.metadata)


@dataclass(frozen=True, kw_only=True)
class RunOutcomes:
    """The run-level outcomes of one or more runs: one array per field, one row per run (lists
    of codes as masks, runs x allies). Missing is NaN in memory: a run without a deal has no
    levels, no deadline and no implementation. The counts are derived from their lists."""

    deal: np.ndarray = outcome(Kind.BOOL, NO_UNIT, "whether the summit agreed a package (unanimous or with "
                               "side letters)")
    core_target_pct: np.ndarray = outcome(Kind.FLOAT, "% of GDP", "core defence level agreed; null without a deal",
                                          nullable=True)
    related_target_pct: np.ndarray = outcome(Kind.FLOAT, "% of GDP", "defence-related level agreed on top of the "
                                             "core; null without a deal or when the package has no split",
                                             nullable=True)
    deadline_year: np.ndarray = outcome(Kind.INT, "calendar year", "year by which the levels are to be reached; "
                                        "null without a deal", nullable=True)
    rounds: np.ndarray = outcome(Kind.INT, "rounds", "negotiation rounds played until the talks concluded")
    holdouts: np.ndarray = outcome(Kind.CODES, ISO3_UNIT, "allies rejecting the final draft (with a deal, those "
                                   "carried by side letters); empty list when none")
    flexibility: np.ndarray = outcome(Kind.CODES, ISO3_UNIT, "holdouts carried with side letters (flexibility) at "
                                      "the summit; empty list when none")
    n_holdouts: np.ndarray = outcome(Kind.INT, "allies", "number of holdouts (length of holdouts)",
                                     count_of="holdouts")
    n_flexibility: np.ndarray = outcome(Kind.INT, "allies", "number of allies with side letters (length of "
                                        "flexibility)", count_of="flexibility")
    baseline_weighted_mean: np.ndarray = outcome(Kind.FLOAT, "% of GDP", "one-shot baseline: mean of the opening "
                                                 "positions, weighted by clout x salience")
    baseline_weighted_median: np.ndarray = outcome(Kind.FLOAT, "% of GDP", "one-shot baseline: median of the "
                                                   "opening positions, weighted by clout x salience")
    baseline_nash: np.ndarray = outcome(Kind.FLOAT, "% of GDP", "one-shot baseline: the Nash bargaining solution "
                                        "over the opening positions")
    us_share_before: np.ndarray = outcome(Kind.FLOAT, "share (0-1)", "US share of the allies' defence spending in "
                                          "the data year")
    us_share_after: np.ndarray = outcome(Kind.FLOAT, "share (0-1)", "US share of the allies' defence spending at "
                                         "the end of the projection; null without a deal", nullable=True)
    allies_on_track: np.ndarray = outcome(Kind.INT, "allies", "allies reaching the core level by the deadline, "
                                          "with no side letter; null without a deal", nullable=True)
    extra_spending_usd_bn: np.ndarray = outcome(Kind.FLOAT, "USD bn per year", "extra yearly defence spending at "
                                                "the end of the projection over the data year, at data-year GDP; "
                                                "null without a deal", nullable=True)

    def __post_init__(self):
        for spec in RUN_OUTCOMES:
            if spec.count_of is None:
                continue
            count = np.sum(getattr(self, spec.count_of), axis=-1)
            given = getattr(self, spec.name)
            if given is not None and not np.array_equal(given, count):
                raise ValueError(f"{spec.name} is the length of {spec.count_of}; given {given!r}, not {count!r}")
            object.__setattr__(self, spec.name, count)


#: The run-level outcome fields, in their order on disk and in every table.
RUN_OUTCOMES: tuple[OutcomeField, ...] = outcome_fields(RunOutcomes)
