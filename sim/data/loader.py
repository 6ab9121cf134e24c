"""Load and check the allies' facts.

A bad file is refused with one message naming the file, the row and the column, because a
silently misread cell would quietly change every result downstream.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

EXPECTED_ALLIES = 32
NO_FORCES = frozenset({"ISL"})  # Iceland has no armed forces and reports no spending


class DataError(ValueError):
    """A data file that cannot be used as it is."""


@dataclass(frozen=True)
class Column:
    """A numeric column of allies.csv and the range its values must fall in."""

    name: str
    low: float
    high: float
    may_be_empty: bool = False
    whole: bool = False  # a year: a whole number, never truncated


NUMERIC_COLUMNS = (
    Column("accession_year", 1949, 2030, whole=True),
    Column("gdp_2024_usd_bn", 0.1, 100_000),
    Column("defence_pct_gdp_2014", 0.0, 15.0, may_be_empty=True),
    Column("defence_pct_gdp_2024_est", 0.0, 15.0, may_be_empty=True),
    Column("gov_debt_pct_gdp_2024", 0.0, 400.0),
    Column("deficit_pct_gdp_2024", -30.0, 30.0, may_be_empty=True),
    Column("capital_lat", -90.0, 90.0),
    Column("capital_lon", -180.0, 180.0),
    Column("capital_distance_to_moscow_km", 0.0, 20_000.0),
)
BOOLEAN_COLUMNS = ("eu_member", "land_border_with_russia_or_belarus")
REQUIRED_COLUMNS = ("iso3", "name") + tuple(c.name for c in NUMERIC_COLUMNS) + BOOLEAN_COLUMNS

#: Facts a scenario may override per ally, mapped to the CSV column they come from.
OVERRIDABLE_FACTS = {
    "gdp_usd_bn": "gdp_2024_usd_bn",
    "spending_2014_pct": "defence_pct_gdp_2014",
    "spending_2024_pct": "defence_pct_gdp_2024_est",
    "debt_pct_gdp": "gov_debt_pct_gdp_2024",
    "deficit_pct_gdp": "deficit_pct_gdp_2024",
    "distance_to_moscow_km": "capital_distance_to_moscow_km",
    "borders_russia": "land_border_with_russia_or_belarus",
    "eu_member": "eu_member",
    "accession_year": "accession_year",
}


@dataclass(frozen=True)
class AllyFacts:
    """The fixed facts of every ally, one array entry per ally, in file order.

    Spending is NaN for Iceland (no armed forces); the deficit is NaN where the source
    publishes none.
    """

    iso3: tuple[str, ...]
    name: tuple[str, ...]
    accession_year: np.ndarray
    gdp_usd_bn: np.ndarray
    spending_2014_pct: np.ndarray
    spending_2024_pct: np.ndarray
    debt_pct_gdp: np.ndarray
    deficit_pct_gdp: np.ndarray
    eu_member: np.ndarray
    borders_russia: np.ndarray
    capital_lat: np.ndarray
    capital_lon: np.ndarray
    distance_to_moscow_km: np.ndarray
    # whether it had asked for the EU's national escape clause for defence: not in allies.csv (it
    # is a fact of a year's talks), set by a scenario's `[escape_clause]`
    escape_clause: np.ndarray
    # spending in the years between 2014 and 2024, from the record series (`spending_record`) or
    # from a chain of summits, where the years before a summit were modelled (`with_spending`)
    spending_by_year: Mapping[int, np.ndarray] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.iso3)

    @property
    def has_forces(self) -> np.ndarray:
        return np.array([code not in NO_FORCES for code in self.iso3])

    def index(self, iso3: str) -> int:
        return self.iso3.index(iso3)

    @property
    def file_spending(self) -> dict[int, np.ndarray]:
        """The spending of the two years `allies.csv` has a column for."""
        return {2014: self.spending_2014_pct, 2024: self.spending_2024_pct}

    def spending_pct(self, year: int) -> np.ndarray:
        """Spending in the scenario's data year."""
        spending = {**self.file_spending, **self.spending_by_year}
        if year not in spending:
            raise DataError(f"no spending for data year {year}; available: {', '.join(map(str, sorted(spending)))}")
        return spending[year]

    def with_spending(self, year: int, pct: np.ndarray) -> AllyFacts:
        """A copy whose spending in `year` is `pct` (one value per ally, NaN without forces)."""
        pct = np.asarray(pct, dtype=float)
        if pct.shape != (self.count,):
            raise DataError(f"spending for {year}: {pct.shape[0] if pct.ndim == 1 else pct.shape} values "
                            f"for {self.count} allies")
        return dataclasses.replace(self, spending_by_year={**self.spending_by_year, year: pct})

    def with_overrides(self, overrides: dict[str, dict[str, float | bool]]) -> AllyFacts:
        """A copy with some allies' facts replaced (a scenario's `[allies.XXX]` tables)."""
        changes: dict[str, np.ndarray] = {}
        for code, facts in overrides.items():
            row = self.index(code)
            for fact, value in facts.items():
                array = changes.get(fact)
                if array is None:
                    array = getattr(self, fact).copy()
                    changes[fact] = array
                array[row] = value
        return dataclasses.replace(self, **changes)


def default_allies_path() -> Path:
    return Path(str(resources.files("sim.data").joinpath("allies.csv")))


def load_allies(path: Path | None = None) -> AllyFacts:
    """Read allies.csv, checking its shape and every value; raise DataError on the first fault."""
    path = Path(path) if path is not None else default_allies_path()
    try:
        # utf-8-sig: a byte-order mark (as spreadsheet programs write) is read past, not taken
        # as part of the first column's name
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            repeated = sorted({name for name in header if header.count(name) > 1}, key=header.index)
            if repeated:
                raise DataError(f"{path}: column {repeated[0]} appears {header.count(repeated[0])} times in the "
                                f"header; each column must appear once")
            missing = [c for c in REQUIRED_COLUMNS if c not in header]
            if missing:
                raise DataError(f"{path}: missing column(s) {', '.join(missing)}")
            rows = list(reader)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except OSError as error:  # a directory, no permission, an I/O error
        raise DataError(f"{path}: cannot be read ({error.strerror or error})") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"{path}: not a readable CSV file ({error})") from None

    if len(rows) != EXPECTED_ALLIES:
        raise DataError(f"{path}: expected {EXPECTED_ALLIES} allies, found {len(rows)} rows")
    codes = [row["iso3"] for row in rows]
    for line, code in enumerate(codes, start=2):
        if not (isinstance(code, str) and len(code) == 3 and all("A" <= letter <= "Z" for letter in code)):
            raise DataError(f"{path}: line {line}, column iso3: {code!r} is not an ISO 3166 alpha-3 code")
    first_line: dict[str, int] = {}
    for line, code in enumerate(codes, start=2):
        if code in first_line:
            raise DataError(f"{path}: line {line}, column iso3: ally listed twice: {code} (first at line "
                            f"{first_line[code]}); each ally must appear once")
        first_line[code] = line

    numeric = {c.name: np.array([_number(path, line, row, c) for line, row in enumerate(rows, start=2)])
               for c in NUMERIC_COLUMNS}
    boolean = {name: np.array([_boolean(path, line, row, name) for line, row in enumerate(rows, start=2)])
               for name in BOOLEAN_COLUMNS}
    for column in ("defence_pct_gdp_2014", "defence_pct_gdp_2024_est"):
        for line, (code, value) in enumerate(zip(codes, numeric[column]), start=2):
            if math.isnan(value) and code not in NO_FORCES:
                raise DataError(f"{path}: line {line} ({code}), column {column}: empty, but only "
                                f"allies without armed forces ({', '.join(sorted(NO_FORCES))}) may leave it empty")

    return AllyFacts(
        iso3=tuple(codes),
        name=tuple(row["name"] for row in rows),
        accession_year=numeric["accession_year"].astype(int),
        gdp_usd_bn=numeric["gdp_2024_usd_bn"],
        spending_2014_pct=numeric["defence_pct_gdp_2014"],
        spending_2024_pct=numeric["defence_pct_gdp_2024_est"],
        debt_pct_gdp=numeric["gov_debt_pct_gdp_2024"],
        deficit_pct_gdp=numeric["deficit_pct_gdp_2024"],
        eu_member=boolean["eu_member"],
        borders_russia=boolean["land_border_with_russia_or_belarus"],
        capital_lat=numeric["capital_lat"],
        capital_lon=numeric["capital_lon"],
        distance_to_moscow_km=numeric["capital_distance_to_moscow_km"],
        escape_clause=np.zeros(len(codes), dtype=bool),
    )


def _number(path: Path, line: int, row: dict, column: Column) -> float:
    text = (row.get(column.name) or "").strip()
    where = f"{path}: line {line} ({row.get('iso3')}), column {column.name}"
    if not text:
        if column.may_be_empty:
            return math.nan
        raise DataError(f"{where}: empty; a number from {column.low:g} to {column.high:g} is required")
    try:
        value = float(text)
    except ValueError:
        raise DataError(f"{where}: {text!r} is not a number") from None
    if not (column.low <= value <= column.high):
        raise DataError(f"{where}: {value:g} is out of range; allowed {column.low:g} to {column.high:g}")
    if column.whole and value != int(value):
        raise DataError(f"{where}: {text!r} is not a whole year; allowed a whole number from {column.low:g} "
                        f"to {column.high:g}")
    return value


def _boolean(path: Path, line: int, row: dict, column: str) -> bool:
    text = (row.get(column) or "").strip()
    if text in ("True", "true"):
        return True
    if text in ("False", "false"):
        return False
    raise DataError(f"{path}: line {line} ({row.get('iso3')}), column {column}: "
                    f"{text!r} is not a boolean; allowed True or False")
