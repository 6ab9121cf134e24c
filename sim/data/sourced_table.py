"""Read a sourced table (one dated, cited statement per row) and check every cell.

Shared by `us_posture.py` and `capabilities.py`. A bad cell is refused with one line naming
the file, the line and the column. Empty cells mean "no figure": never -1, never "NA".
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

from sim.data.loader import DataError

#: the first and last day a statement may carry: Wales (Sept 2014) is the first case, and
#: nothing from the Hague summit (24-25 June 2025) or after it may enter the project
EARLIEST = dt.date(2014, 1, 1)
LATEST = dt.date(2025, 6, 24)
NULL_SPELLINGS = frozenset({"-1", "na", "n/a", "nan", "none", "null"})


def read_rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """The rows of `path` with their line numbers, once the header is exactly `columns`."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            lines = list(csv.reader(handle))
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except OSError as error:
        raise DataError(f"{path}: cannot be read ({error.strerror or error})") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"{path}: not a readable CSV file ({error})") from None
    if not lines:
        raise DataError(f"{path}: empty file; expected the header {','.join(columns)}")
    header = [name.strip() for name in lines[0]]
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise DataError(f"{path}: line 1: column {name!r} appears twice")
        seen.add(name)
    unknown = [name for name in header if name not in columns]
    if unknown:
        raise DataError(f"{path}: line 1: unknown column {unknown[0]!r}; expected {', '.join(columns)}")
    missing = [name for name in columns if name not in seen]
    if missing:
        raise DataError(f"{path}: line 1: missing column {missing[0]!r}; expected {', '.join(columns)}")
    rows = []
    for line, cells in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            raise DataError(f"{path}, line {line}: {len(cells)} cells, but the header has {len(header)}")
        rows.append((line, dict(zip(header, (cell.strip() for cell in cells)))))
    if not rows:
        raise DataError(f"{path}: no rows under the header")
    return rows


def where(path: Path, line: int, column: str) -> str:
    return f"{path}, line {line}, column {column}"


def text(path: Path, line: int, row: dict[str, str], column: str, *, required: bool = True) -> str:
    value = row[column]
    if required and not value:
        raise DataError(f"{where(path, line, column)}: empty; a text is required")
    return value


def choice(path: Path, line: int, row: dict[str, str], column: str, allowed: tuple[str, ...]) -> str:
    value = row[column]
    if value not in allowed:
        raise DataError(f"{where(path, line, column)}: {value!r} is not allowed; expected one of {', '.join(allowed)}")
    return value


def url(path: Path, line: int, row: dict[str, str], column: str) -> str:
    value = text(path, line, row, column)
    if not value.startswith(("https://", "http://")) or " " in value:
        raise DataError(f"{where(path, line, column)}: {value!r} is not a web address (http:// or https://)")
    return value


def date(path: Path, line: int, row: dict[str, str], column: str) -> dt.date:
    value = row[column]
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise DataError(f"{where(path, line, column)}: {value!r} is not a date (YYYY-MM-DD)") from None
    if not EARLIEST <= day <= LATEST:
        raise DataError(f"{where(path, line, column)}: {day} is out of range; allowed {EARLIEST} to {LATEST}")
    return day


def number(path: Path, line: int, row: dict[str, str], column: str, low: float, high: float,
           *, required: bool = False, integer: bool = False) -> float | int | None:
    """A number within [low, high]; None for an empty cell (when allowed)."""
    value = row[column]
    if not value:
        if required:
            raise DataError(f"{where(path, line, column)}: empty; a number from {low:g} to {high:g} is required")
        return None
    if value.lower() in NULL_SPELLINGS:
        raise DataError(f"{where(path, line, column)}: {value!r} used for no figure; leave the cell empty instead")
    try:
        parsed = float(value)
    except ValueError:
        raise DataError(f"{where(path, line, column)}: {value!r} is not a number") from None
    if not math.isfinite(parsed) or not low <= parsed <= high:
        raise DataError(f"{where(path, line, column)}: {value} is out of range; allowed {low:g} to {high:g}")
    if integer:
        if parsed != int(parsed):
            raise DataError(f"{where(path, line, column)}: {value} is not a whole number")
        return int(parsed)
    return parsed


def as_date(day: dt.date | str) -> dt.date:
    """A date given as a `datetime.date` or an ISO string."""
    if isinstance(day, dt.datetime):
        return day.date()
    if isinstance(day, dt.date):
        return day
    try:
        return dt.date.fromisoformat(str(day))
    except ValueError:
        raise DataError(f"{day!r} is not a date (YYYY-MM-DD)") from None


def in_date_order(path: Path, rows: list[tuple[int, dict[str, str]]], records: tuple, column: str = "date") -> tuple:
    """The records read from `rows`, refused unless each is dated no earlier than the one above
    (a dated table is read "as of" a day, so its order is part of its meaning)."""
    for (line, _), previous, record in zip(rows[1:], records, records[1:]):
        if getattr(record, column) < getattr(previous, column):
            raise DataError(f"{path}, line {line}, column {column}: {getattr(record, column)} is earlier than the "
                            f"row above ({getattr(previous, column)}); rows must be in date order")
    return records


def published_by(records: tuple, day: dt.date | str, column: str = "source_date") -> tuple:
    """The records whose source was published (`column`) on or before `day` (a case's information
    date), in their order. Filters only: a day before the first gives (), after the last every record."""
    cutoff = as_date(day)
    return tuple(record for record in records if getattr(record, column) <= cutoff)
