"""The US administrations' public posture on allied defence spending, 2014 to June 2025
(`us_posture.csv`, sources and coding rules in `us_posture_sources.md`).

One row per dated statement: the level of GDP asked (if one was named), the year it was asked
for (if one was named) and how far the statement made US protection conditional on paying
(`threat_of_abandonment`, 0..3). Every cell is checked on load; a bad one is named by file,
line and column. `posture_as_of(day)` keeps only what had been published by a case's
information date, so a case never sees a statement made after it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from sim.data import sourced_table as table
from sim.data.loader import DataError

POSTURE_FILE = "us_posture.csv"
COLUMNS = ("date", "administration", "speaker", "event", "demand_pct_gdp", "demand_deadline",
           "threat_of_abandonment", "quote", "source_title", "source_publisher", "source_date",
           "source_url", "notes")
ADMINISTRATIONS = ("Obama", "Trump campaign", "Trump", "Biden", "Trump transition")
THREAT_LEVELS = {0: "reassurance", 1: "public complaint", 2: "conditional commitment", 3: "refusal to defend non-payers"}
DEMAND_RANGE = (0.0, 10.0)      # % of GDP
DEADLINE_RANGE = (2014, 2040)   # calendar year


@dataclass(frozen=True)
class PostureEvent:
    """One dated statement; None where the statement named no level or no year."""

    date: dt.date
    administration: str
    speaker: str
    event: str
    demand_pct_gdp: float | None
    demand_deadline: int | None
    threat_of_abandonment: int
    quote: str
    source_title: str
    source_publisher: str
    source_date: dt.date
    source_url: str
    notes: str


def default_posture_path() -> Path:
    return Path(str(resources.files("sim.data").joinpath(POSTURE_FILE)))


def load_us_posture(path: Path | None = None) -> tuple[PostureEvent, ...]:
    """Every row of the file, in date order; raise DataError on the first bad cell."""
    path = Path(path) if path is not None else default_posture_path()
    rows = table.read_rows(path, COLUMNS)
    return table.in_date_order(path, rows, tuple(_event(path, line, row) for line, row in rows))


def posture_as_of(day: dt.date | str, path: Path | None = None) -> tuple[PostureEvent, ...]:
    """The statements published on or before `day` (a case's information date), in date order.

    Filters only: a date before the first row gives an empty tuple, a date after the last
    gives every row.
    """
    return table.published_by(load_us_posture(path), day)


def latest_demand(events: tuple[PostureEvent, ...]) -> PostureEvent | None:
    """The most recent statement that named a level of GDP, or None if none did."""
    named = [event for event in events if event.demand_pct_gdp is not None]
    return named[-1] if named else None


def _event(path: Path, line: int, row: dict[str, str]) -> PostureEvent:
    date = table.date(path, line, row, "date")
    source_date = table.date(path, line, row, "source_date")
    if source_date < date:
        raise DataError(f"{path}, line {line}, column source_date: {source_date} is before the event "
                        f"({date}); a source cannot report a statement before it was made")
    deadline = table.number(path, line, row, "demand_deadline", *DEADLINE_RANGE, integer=True)
    if deadline is not None and deadline < date.year:
        raise DataError(f"{path}, line {line}, column demand_deadline: {deadline} is before the year of "
                        f"the statement ({date.year})")
    return PostureEvent(
        date=date,
        administration=table.choice(path, line, row, "administration", ADMINISTRATIONS),
        speaker=table.text(path, line, row, "speaker"),
        event=table.text(path, line, row, "event"),
        demand_pct_gdp=table.number(path, line, row, "demand_pct_gdp", *DEMAND_RANGE),
        demand_deadline=deadline,
        threat_of_abandonment=table.number(path, line, row, "threat_of_abandonment", 0, max(THREAT_LEVELS),
                                           required=True, integer=True),
        quote=table.text(path, line, row, "quote", required=False),
        source_title=table.text(path, line, row, "source_title"),
        source_publisher=table.text(path, line, row, "source_publisher"),
        source_date=source_date,
        source_url=table.url(path, line, row, "source_url"),
        notes=table.text(path, line, row, "notes", required=False),
    )
