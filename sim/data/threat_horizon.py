"""When Russia could be able to attack NATO, as public officials said it before the Hague summit
(`threat_horizon.csv`, sources and coding rules in `threat_horizon_sources.md`).

One row per dated statement of a horizon: how many years from the statement (or from the end of
the fighting in Ukraine) until Russia could attack allied territory, wage a large-scale war in
Europe, or have rebuilt its forces on NATO's borders. A range is kept as its low end and its
high end; a calendar year, where one was named, is kept too. Every cell is checked on load; a
bad one is named by file, line and column. `horizon_as_of(day)` keeps only what had been
published by a case's information date, so a case never sees a statement made after it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sim.data import sourced_table as table
from sim.data.loader import DataError

HORIZON_FILE = "threat_horizon.csv"
COLUMNS = ("date", "speaker", "organisation", "country", "scope", "horizon_years", "horizon_years_high",
           "horizon_year", "counted_from", "horizon_event", "quote", "source_title", "source_publisher",
           "source_date", "source_url", "notes")
#: attack_on_nato: an attack on allied territory of any size, or a war against one or more allies;
#: large_scale_war: a large-scale war in Europe or against the alliance as a whole;
#: forces_reconstituted: Russia's forces rebuilt so that it could threaten allies, no attack named
SCOPES = ("attack_on_nato", "large_scale_war", "forces_reconstituted")
#: statement: the horizon runs from the day of the statement; end_of_fighting_in_ukraine: from a
#: ceasefire or the end of the war in Ukraine, a day no one could name
COUNTED_FROM = ("statement", "end_of_fighting_in_ukraine")
#: the speaker's state (ISO 3166 alpha-3), or an institution that is not a state
INSTITUTIONS = ("NATO", "EU")
HORIZON_RANGE = (0.0, 30.0)     # years
YEAR_RANGE = (2014, 2060)       # calendar year
_ISO3 = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class HorizonStatement:
    """One dated horizon; None where the statement gave no range or named no year."""

    date: dt.date
    speaker: str
    organisation: str
    country: str
    scope: str
    horizon_years: float
    horizon_years_high: float | None
    horizon_year: int | None
    counted_from: str
    horizon_event: str
    quote: str
    source_title: str
    source_publisher: str
    source_date: dt.date
    source_url: str
    notes: str


def default_horizon_path() -> Path:
    return Path(str(resources.files("sim.data").joinpath(HORIZON_FILE)))


def load_threat_horizon(path: Path | None = None) -> tuple[HorizonStatement, ...]:
    """Every row of the file, in date order; raise DataError on the first bad cell."""
    path = Path(path) if path is not None else default_horizon_path()
    rows = table.read_rows(path, COLUMNS)
    return table.in_date_order(path, rows, tuple(_statement(path, line, row) for line, row in rows))


def horizon_as_of(day: dt.date | str, path: Path | None = None) -> tuple[HorizonStatement, ...]:
    """The statements published on or before `day` (a case's information date), in date order.

    Filters only: a date before the first row gives an empty tuple, a date after the last
    gives every row.
    """
    return table.published_by(load_threat_horizon(path), day)


def latest_horizon(rows: tuple[HorizonStatement, ...], scope: str | None = None) -> HorizonStatement | None:
    """The most recent statement (of `scope`, when one is given); when several share the latest
    date (one assessment with several scenarios), the one with the shortest horizon. None if
    there is none."""
    if scope is not None and scope not in SCOPES:
        raise DataError(f"unknown scope {scope!r}; expected one of {', '.join(SCOPES)}")
    kept = [row for row in rows if scope is None or row.scope == scope]
    if not kept:
        return None
    latest = max(row.date for row in kept)
    return min((row for row in kept if row.date == latest), key=lambda row: row.horizon_years)


def latest_horizon_years(rows: tuple[HorizonStatement, ...], scope: str | None = None) -> float | None:
    """The most recent stated horizon in years (the low end of a range; `latest_horizon`), or
    None if there is none."""
    chosen = latest_horizon(rows, scope)
    return None if chosen is None else chosen.horizon_years


def _statement(path: Path, line: int, row: dict[str, str]) -> HorizonStatement:
    date = table.date(path, line, row, "date")
    source_date = table.date(path, line, row, "source_date")
    if source_date < date:
        raise DataError(f"{path}, line {line}, column source_date: {source_date} is before the statement "
                        f"({date}); a source cannot report a statement before it was made")
    country = row["country"]
    if country not in INSTITUTIONS and not _ISO3.fullmatch(country):
        raise DataError(f"{table.where(path, line, 'country')}: {country!r} is neither an ISO 3166 alpha-3 "
                        f"code nor one of {', '.join(INSTITUTIONS)}")
    years = table.number(path, line, row, "horizon_years", *HORIZON_RANGE, required=True)
    if years == 0:
        raise DataError(f"{table.where(path, line, 'horizon_years')}: 0 is not a horizon; a statement with "
                        "no horizon has no row")
    high = table.number(path, line, row, "horizon_years_high", *HORIZON_RANGE)
    if high is not None and high <= years:
        raise DataError(f"{table.where(path, line, 'horizon_years_high')}: {high:g} is not above horizon_years "
                        f"({years:g}); leave it empty when no range was stated")
    counted_from = table.choice(path, line, row, "counted_from", COUNTED_FROM)
    year = table.number(path, line, row, "horizon_year", *YEAR_RANGE, integer=True)
    if year is not None:
        if counted_from != "statement":
            raise DataError(f"{table.where(path, line, 'horizon_year')}: a calendar year with counted_from "
                            f"{counted_from!r}; a year can only be counted from the statement")
        expected = high if high is not None else years
        if year - date.year != expected:
            raise DataError(f"{table.where(path, line, 'horizon_year')}: {year} is {year - date.year} years after "
                            f"the statement ({date.year}), but the horizon says {expected:g}")
    return HorizonStatement(
        date=date,
        speaker=table.text(path, line, row, "speaker"),
        organisation=table.text(path, line, row, "organisation"),
        country=country,
        scope=table.choice(path, line, row, "scope", SCOPES),
        horizon_years=years,
        horizon_years_high=high,
        horizon_year=year,
        counted_from=counted_from,
        horizon_event=table.text(path, line, row, "horizon_event"),
        quote=table.text(path, line, row, "quote"),
        source_title=table.text(path, line, row, "source_title"),
        source_publisher=table.text(path, line, row, "source_publisher"),
        source_date=source_date,
        source_url=table.url(path, line, row, "source_url"),
        notes=table.text(path, line, row, "notes", required=False),
    )
