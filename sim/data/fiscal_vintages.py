"""The allies' fiscal figures with their vintage (`fiscal_vintages.csv`, sources in
`fiscal_vintages_sources.md`): GDP, gross debt and deficit, one row per ally, variable,
reference year and publication.

A figure is revised from one release to the next, so a case that may see only what was
published by its information date needs the release, not just the year. Every cell is checked
on load and a bad one is named by file, line and column. `latest_published_by` gives a case
only what had been published by its day; `figure_published_on` refuses, in one line, a release
dated after it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sim.data import sourced_table as table
from sim.data.loader import DataError, load_allies

VINTAGES_FILE = "fiscal_vintages.csv"
COLUMNS = ("iso3", "variable", "year", "value", "unit", "source", "published", "url", "notes")


@dataclass(frozen=True)
class Variable:
    """A fiscal variable, its unit and the range a value must fall in."""

    name: str
    unit: str
    low: float
    high: float


#: the project's conventions: GDP in current USD bn; debt and deficit in % of GDP, the deficit
#: positive (a surplus is negative)
VARIABLES = {variable.name: variable for variable in (
    Variable("gdp_usd_bn", "usd_bn", 0.1, 100_000.0),
    Variable("gov_debt_pct_gdp", "pct_gdp", 0.0, 400.0),
    Variable("deficit_pct_gdp", "pct_gdp", -30.0, 30.0),
)}
YEAR_RANGE = (2000, 2024)  # reference years: nothing after 2024 enters the project


@dataclass(frozen=True)
class FiscalFigure:
    """One published figure; `value` is None where the source's figure is not in the table
    (the row records that the release was read and why the cell is empty)."""

    iso3: str
    variable: str
    year: int
    value: float | None
    unit: str
    source: str
    published: dt.date
    url: str
    notes: str


class PublishedAfterInformationDate(DataError):
    """A figure asked for by a case that could not have seen it."""


def default_vintages_path() -> Path:
    return Path(str(resources.files("sim.data").joinpath(VINTAGES_FILE)))


def load_fiscal_vintages(path: Path | None = None, allies: tuple[str, ...] | None = None) -> tuple[FiscalFigure, ...]:
    """Every row of the file, in publication order; raise DataError on the first bad cell.

    `allies` are the codes an `iso3` cell may hold (default: those of `allies.csv`).
    """
    path = Path(path) if path is not None else default_vintages_path()
    known = frozenset(allies if allies is not None else load_allies().iso3)
    rows = table.read_rows(path, COLUMNS)
    figures = table.in_date_order(path, rows, tuple(_figure(path, line, row, known) for line, row in rows),
                                  column="published")
    first_line: dict[tuple, int] = {}
    for (line, _), figure in zip(rows, figures):
        key = (figure.iso3, figure.variable, figure.year, figure.published)
        if key in first_line:
            raise DataError(f"{table.where(path, line, 'published')}: {figure.variable} of {figure.iso3} for "
                            f"{figure.year} published {figure.published} is listed twice (first at line "
                            f"{first_line[key]}); one release gives one figure")
        first_line[key] = line
    return figures


def latest_published_by(figures: tuple[FiscalFigure, ...], day: dt.date | str,
                        year: int) -> dict[tuple[str, str], FiscalFigure]:
    """For each (ally, variable), the latest figure for reference `year` published on or before
    `day` (a case's information date). A release published later is never among them.

    An empty row never hides an earlier figure: it records a release whose figure the table
    lacks, not a withdrawal.
    """
    latest: dict[tuple[str, str], FiscalFigure] = {}
    for figure in table.published_by(figures, day, column="published"):
        if figure.year != year or figure.value is None:
            continue
        key = (figure.iso3, figure.variable)
        if key not in latest or figure.published >= latest[key].published:
            latest[key] = figure
    return latest


def figure_published_on(figures: tuple[FiscalFigure, ...], iso3: str, variable: str, year: int,
                        published: dt.date | str, information_date: dt.date | str) -> FiscalFigure:
    """The figure of one release, for a case whose information date is `information_date`;
    refused in one line if the release came out after it, or if the table has no such row."""
    published, information_date = table.as_date(published), table.as_date(information_date)
    if published > information_date:
        raise PublishedAfterInformationDate(
            f"{variable} of {iso3} for {year} published {published} is after the case's information date "
            f"{information_date}; a case sees only what was published by then")
    for figure in figures:
        if (figure.iso3, figure.variable, figure.year, figure.published) == (iso3, variable, year, published):
            return figure
    raise DataError(f"{VINTAGES_FILE}: no {variable} of {iso3} for {year} published {published}")


def _figure(path: Path, line: int, row: dict[str, str], known: frozenset[str]) -> FiscalFigure:
    iso3 = row["iso3"]
    if iso3 not in known:
        raise DataError(f"{table.where(path, line, 'iso3')}: {iso3!r} is not an ally of allies.csv")
    variable = VARIABLES.get(row["variable"])
    if variable is None:
        raise DataError(f"{table.where(path, line, 'variable')}: {row['variable']!r} is not allowed; expected one "
                        f"of {', '.join(VARIABLES)}")
    unit = row["unit"]
    if unit != variable.unit:
        raise DataError(f"{table.where(path, line, 'unit')}: {unit!r} is not the unit of {variable.name}; "
                        f"expected {variable.unit}")
    return FiscalFigure(
        iso3=iso3,
        variable=variable.name,
        year=table.number(path, line, row, "year", *YEAR_RANGE, required=True, integer=True),
        value=table.number(path, line, row, "value", variable.low, variable.high),
        unit=unit,
        source=table.text(path, line, row, "source"),
        published=table.date(path, line, row, "published"),
        url=table.url(path, line, row, "url"),
        notes=table.text(path, line, row, "notes", required=False),
    )
