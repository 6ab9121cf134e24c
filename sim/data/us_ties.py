"""What each ally stands to lose if the United States turns against it: its goods exports
to the US (% of GDP) and the US personnel based on its soil (`us_ties.csv`, sources in
`us_ties_sources.md`). Every cell is checked on load; a bad one is named by file, line and
column.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from sim.data.loader import DataError

TIES_FILE = "us_ties.csv"
COLUMNS = ("iso3", "goods_exports_to_us_pct_gdp", "goods_exports_to_us_year", "us_troops", "us_troops_date")
RANGES = {"goods_exports_to_us_pct_gdp": (0.0, 100.0), "goods_exports_to_us_year": (1990, 2024),
          "us_troops": (0, 1_000_000)}  # 2024 at the latest: later figures are held out of the project


@dataclass(frozen=True)
class UsTies:
    """One entry per ally, in the order asked for; NaN where the file has no figure (the US)."""

    iso3: tuple[str, ...]
    exports_pct_gdp: np.ndarray
    troops: np.ndarray
    exports_year: np.ndarray  # the calendar year the exports are of (NaN where the file has no figure)


def load_us_ties(iso3: tuple[str, ...], path: Path | None = None) -> UsTies:
    """The ties of the allies `iso3`, in that order; every ally must have a row."""
    path = path or Path(str(resources.files("sim.data").joinpath(TIES_FILE)))
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            header = tuple(reader.fieldnames or ())
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"{path}: cannot be read ({error})") from None
    missing = [column for column in COLUMNS if column not in header]
    if missing:
        raise DataError(f"{path}: missing column {missing[0]!r}; expected {', '.join(COLUMNS)}")
    values: dict[str, tuple[float, float, float]] = {}
    for line, row in enumerate(rows, start=2):
        if row["iso3"] in values:
            raise DataError(f"{path}, line {line}: a second row for {row['iso3']}")
        values[row["iso3"]] = (_cell(path, line, row, "goods_exports_to_us_pct_gdp"), _cell(path, line, row, "us_troops"),
                               _cell(path, line, row, "goods_exports_to_us_year"))
    absent = [code for code in iso3 if code not in values]
    if absent:
        raise DataError(f"{path}: no row for {absent[0]}, an ally in allies.csv; every ally needs one "
                        "(empty cells for no figure)")
    return UsTies(iso3=tuple(iso3), exports_pct_gdp=np.array([values[code][0] for code in iso3]),
                  troops=np.array([values[code][1] for code in iso3]),
                  exports_year=np.array([values[code][2] for code in iso3]))


def _cell(path: Path, line: int, row: dict, column: str) -> float:
    """A number within its range, or NaN for an empty cell."""
    text = (row.get(column) or "").strip()
    if not text:
        return float("nan")
    low, high = RANGES[column]
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{path}, line {line}, column {column}: {text!r} is not a number") from None
    if not low <= value <= high:
        raise DataError(f"{path}, line {line}, column {column}: {value:g} is out of range; allowed {low:g} to {high:g}")
    return value
