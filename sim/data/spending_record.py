"""The spending record: each ally's defence spending (% of GDP) per year, 2014-2024, as one
vintage of NATO's (or SIPRI's) series has it (`defence_spending_2014_2024.csv`, sources in
`README.md`). The model starts a case from it in a year between 2014 and 2024, and the
validation checks the projected paths against it.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from sim.data.loader import AllyFacts, DataError

RECORD_FILE = "defence_spending_2014_2024.csv"
RECORD_VINTAGE = "NATO_JUN2024"  # NATO's June 2024 release: the record known before the Hague summit
RECORD_COLUMNS = ("iso3", "year", "defence_pct_gdp", "vintage")


@dataclass(frozen=True)
class SpendingRecord:
    """Each ally's defence spending (% of GDP) per year, as one vintage of the record has it."""

    iso3: tuple[str, ...]
    years: tuple[int, ...]
    pct: np.ndarray  # allies x years, NaN where the record has no figure (Iceland)

    def path(self, iso3: Sequence[str], years: Sequence[int]) -> np.ndarray:
        """The record for these allies (rows) and years (columns), NaN where it has none."""
        rows = {code: index for index, code in enumerate(self.iso3)}
        columns = {year: index for index, year in enumerate(self.years)}
        out = np.full((len(iso3), len(years)), np.nan)
        for i, code in enumerate(iso3):
            for j, year in enumerate(years):
                if code in rows and year in columns:
                    out[i, j] = self.pct[rows[code], columns[year]]
        return out


def load_spending_record(path: Path | None = None, vintage: str = RECORD_VINTAGE) -> SpendingRecord:
    """The spending series of one vintage, each cell checked; a damaged file is refused with
    one message naming the file, the line and the column."""
    path = path or Path(str(resources.files("sim.data").joinpath(RECORD_FILE)))
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
            header = rows[0].keys() if rows else ()
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"{path}: cannot be read ({error})") from None
    missing = [column for column in RECORD_COLUMNS if column not in header]
    if missing:
        raise DataError(f"{path}: missing column {missing[0]!r}; expected columns include {', '.join(RECORD_COLUMNS)}")
    values: dict[tuple[str, int], float] = {}
    for line, row in enumerate(rows, start=2):
        if row["vintage"] != vintage:
            continue
        where = f"{path}, line {line}"
        try:
            year = int(row["year"])
            level = float(row["defence_pct_gdp"]) if row["defence_pct_gdp"] not in ("", None) else float("nan")
        except (TypeError, ValueError):
            raise DataError(f"{where}: year {row['year']!r} or defence_pct_gdp {row['defence_pct_gdp']!r} "
                            "is not a number") from None
        if not 1949 <= year <= 2100 or not (np.isnan(level) or 0.0 <= level <= 15.0):
            raise DataError(f"{where}: year {year} or defence_pct_gdp {level} is out of range "
                            "(years 1949-2100, levels 0-15% of GDP)")
        if (row["iso3"], year) in values:
            raise DataError(f"{where}: a second {vintage} figure for {row['iso3']} in {year}")
        values[(row["iso3"], year)] = level
    if not values:
        raise DataError(f"{path}: no rows of vintage {vintage}")
    codes = tuple(dict.fromkeys(code for code, _ in values))
    years = tuple(range(min(y for _, y in values), max(y for _, y in values) + 1))
    pct = np.array([[values.get((code, year), np.nan) for year in years] for code in codes])
    return SpendingRecord(iso3=codes, years=years, pct=pct)


def with_record_years(facts: AllyFacts, record: SpendingRecord | None = None) -> AllyFacts:
    """The allies' facts with the record's spending of every year `allies.csv` has no column for
    (it has 2014 and 2024), so that a case may start from any year of the series: Vilnius 2023
    from 2023's. NaN for an ally the record lacks (Iceland)."""
    record = record if record is not None else load_spending_record()
    between = [year for year in record.years if year not in facts.file_spending]
    paths = record.path(facts.iso3, between)
    for column, year in enumerate(between):
        facts = facts.with_spending(year, paths[:, column])
    return facts

