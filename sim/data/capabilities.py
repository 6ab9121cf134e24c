"""What was said in public, before the Hague summit, about NATO's capability targets and what
they cost (`capability_targets.csv`, sources in `capability_targets_sources.md`).

One row per dated statement about a capability area: the quantity stated (if any), its unit,
whether the figure was stated by the source, only reported by others, or absent (then a model
must assume it), and any cost attached to it with its basis. Every cell is checked on load;
a bad one is named by file, line and column.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sim.data import sourced_table as table
from sim.data.loader import DataError

TARGETS_FILE = "capability_targets.csv"
COLUMNS = ("area", "statement", "quantity", "quantity_high", "unit", "relation", "date", "speaker",
           "source_title", "source_publisher", "source_date", "source_url", "cost_share_of_core_pct",
           "cost_usd_bn", "cost_basis", "figure_status", "notes")
AREAS = ("air_and_missile_defence", "long_range_fires", "land_forces", "munitions", "enablers",
         "air_combat", "all_targets", "adversary_benchmark")
UNITS = ("percent_increase", "pct_gdp", "count", "count_per_year", "ratio", "usd_bn", "usd_bn_per_unit",
         "usd_per_unit", "eur_bn_per_year", "none")
RELATIONS = ("equals", "about", "at_least", "more_than", "insufficient", "none")
#: stated = the source itself gives the number; reported = a number attributed to the speaker
#: by others; none = no number was given, so a model must assume one
FIGURE_STATUS = ("stated", "reported", "none")
QUANTITY_RANGE = (0.0, 1e7)
COST_SHARE_RANGE = (0.0, 100.0)
COST_USD_BN_RANGE = (0.0, 100_000.0)


@dataclass(frozen=True)
class CapabilityStatement:
    """One dated statement; None where the source gave no figure."""

    area: str
    statement: str
    quantity: float | None
    quantity_high: float | None
    unit: str
    relation: str
    date: dt.date
    speaker: str
    source_title: str
    source_publisher: str
    source_date: dt.date
    source_url: str
    cost_share_of_core_pct: float | None
    cost_usd_bn: float | None
    cost_basis: str
    figure_status: str
    notes: str


def default_targets_path() -> Path:
    return Path(str(resources.files("sim.data").joinpath(TARGETS_FILE)))


def load_capability_targets(path: Path | None = None) -> tuple[CapabilityStatement, ...]:
    """Every row of the file, in file order; raise DataError on the first bad cell."""
    path = Path(path) if path is not None else default_targets_path()
    return tuple(_statement(path, line, row) for line, row in table.read_rows(path, COLUMNS))


def targets_as_of(day: dt.date | str, path: Path | None = None) -> tuple[CapabilityStatement, ...]:
    """The statements published on or before `day`, in file order (filters, never refuses)."""
    return table.published_by(load_capability_targets(path), day)


def by_area(statements: tuple[CapabilityStatement, ...], area: str) -> tuple[CapabilityStatement, ...]:
    if area not in AREAS:
        raise DataError(f"unknown capability area {area!r}; expected one of {', '.join(AREAS)}")
    return tuple(row for row in statements if row.area == area)


def _statement(path: Path, line: int, row: dict[str, str]) -> CapabilityStatement:
    date = table.date(path, line, row, "date")
    source_date = table.date(path, line, row, "source_date")
    if source_date < date:
        raise DataError(f"{path}, line {line}, column source_date: {source_date} is before the statement "
                        f"({date}); a source cannot report a statement before it was made")
    unit = table.choice(path, line, row, "unit", UNITS)
    quantity = table.number(path, line, row, "quantity", *QUANTITY_RANGE)
    high = table.number(path, line, row, "quantity_high", *QUANTITY_RANGE)
    status = table.choice(path, line, row, "figure_status", FIGURE_STATUS)
    if (quantity is None) != (unit == "none"):
        raise DataError(f"{path}, line {line}, column unit: {unit!r} with "
                        f"{'no quantity' if quantity is None else 'a quantity'}; use unit 'none' exactly when "
                        "the quantity is empty")
    if (quantity is None) != (status == "none"):
        raise DataError(f"{path}, line {line}, column figure_status: {status!r} with "
                        f"{'no quantity' if quantity is None else 'a quantity'}; use 'none' exactly when the "
                        "quantity is empty")
    if high is not None and (quantity is None or high < quantity):
        raise DataError(f"{path}, line {line}, column quantity_high: {high:g} needs a quantity no larger than it")
    share = table.number(path, line, row, "cost_share_of_core_pct", *COST_SHARE_RANGE)
    cost = table.number(path, line, row, "cost_usd_bn", *COST_USD_BN_RANGE)
    basis = table.text(path, line, row, "cost_basis", required=False)
    if (share is not None or cost is not None) and not basis:
        raise DataError(f"{path}, line {line}, column cost_basis: empty, but a cost is given; say what it rests on")
    return CapabilityStatement(
        area=table.choice(path, line, row, "area", AREAS),
        statement=table.text(path, line, row, "statement"),
        quantity=quantity,
        quantity_high=high,
        unit=unit,
        relation=table.choice(path, line, row, "relation", RELATIONS),
        date=date,
        speaker=table.text(path, line, row, "speaker"),
        source_title=table.text(path, line, row, "source_title"),
        source_publisher=table.text(path, line, row, "source_publisher"),
        source_date=source_date,
        source_url=table.url(path, line, row, "source_url"),
        cost_share_of_core_pct=share,
        cost_usd_bn=cost,
        cost_basis=basis,
        figure_status=status,
        notes=table.text(path, line, row, "notes", required=False),
    )
