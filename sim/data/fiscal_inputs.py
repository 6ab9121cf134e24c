"""Which GDP, debt and deficit a case is given, and when each was published.

A case with an information date takes each ally's figure from `fiscal_vintages.csv` as
published by that day (`latest_published_by`). Where the table holds no such figure, the
ally keeps its `allies.csv` value, whose release may be later than the case's day: that is
never silent, since every input is listed with its source and publication date
(`CaseFiscalInputs.inputs`, `later_than_information_date`) and the known exceptions are
named in `sim/data/README.md` and checked by the tests.

GDP is taken from the dated table only if every ally has a figure there: clout is a share of
the alliance's GDP, and shares computed across two releases would mix exchange-rate
assumptions (JUDGEMENT, `fiscal_vintages_sources.md`). Debt and deficit are ratios of each
ally's own GDP and are taken ally by ally.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.data import sourced_table as table
from sim.data.fiscal_vintages import FiscalFigure, latest_published_by, load_fiscal_vintages
from sim.data.loader import AllyFacts, DataError, default_allies_path

#: the releases `allies.csv` cites (`gdp_2024_source`, `gov_debt_source`; the deficit column has
#: one source, named in `sim/data/README.md`) and the day each was published
ALLIES_RELEASES = {
    "IMF_WEO_OCT2025_DM": dt.date(2025, 10, 14),
    "NATO_JUN2024": dt.date(2024, 6, 17),
    "EUROSTAT_EDP_APR2025": dt.date(2025, 4, 22),
}
ALLIES_DEFICIT_SOURCE = "EUROSTAT_EDP_APR2025"
ALLIES_YEAR = 2024  # the reference year of every fiscal column of allies.csv
#: the AllyFacts field each variable sets, and the allies.csv column naming its source
FIELDS = {
    "gdp_usd_bn": ("gdp_usd_bn", "gdp_2024_source"),
    "gov_debt_pct_gdp": ("debt_pct_gdp", "gov_debt_source"),
    "deficit_pct_gdp": ("deficit_pct_gdp", None),
}


@dataclass(frozen=True)
class FiscalInput:
    """One ally's figure as a case uses it. `published` is None where there is no figure (an
    empty deficit, which the model counts as the 3% reference value)."""

    iso3: str
    variable: str
    year: int
    value: float | None
    source: str
    published: dt.date | None
    from_dated_table: bool  # False: the allies.csv value, kept because the table has none by the day


@dataclass(frozen=True)
class CaseFiscalInputs:
    """Every fiscal input of a case, with its date."""

    information_date: dt.date
    year: int  # the reference year asked of the dated table
    inputs: tuple[FiscalInput, ...]

    def later_than_information_date(self) -> tuple[FiscalInput, ...]:
        """The inputs published after the case's information date (the known exceptions)."""
        return tuple(item for item in self.inputs
                     if item.published is not None and item.published > self.information_date)

    def applied_to(self, facts: AllyFacts) -> AllyFacts:
        """The facts with GDP, debt and deficit replaced by these inputs (NaN for no figure)."""
        changes = {}
        for variable, (field, _) in FIELDS.items():
            values = {item.iso3: item.value for item in self.inputs if item.variable == variable}
            changes[field] = np.array([math.nan if values[code] is None else values[code] for code in facts.iso3])
        return dataclasses.replace(facts, **changes)


def case_fiscal_inputs(facts: AllyFacts, information_date: dt.date | str, year: int,
                       figures: tuple[FiscalFigure, ...] | None = None,
                       allies_path: Path | None = None) -> CaseFiscalInputs:
    """The fiscal inputs of a case seeing what was published by `information_date`, for
    reference `year`; `facts` are the allies' facts as read from `allies_path`."""
    day = table.as_date(information_date)
    figures = figures if figures is not None else load_fiscal_vintages(allies=facts.iso3)
    dated = latest_published_by(figures, day, year)
    fallback = _allies_releases(allies_path or default_allies_path(), facts.iso3)
    gdp_complete = all((code, "gdp_usd_bn") in dated for code in facts.iso3)
    inputs = []
    for variable, (field, _) in FIELDS.items():
        for row, code in enumerate(facts.iso3):
            figure = dated.get((code, variable))
            if figure is not None and (variable != "gdp_usd_bn" or gdp_complete):
                inputs.append(FiscalInput(code, variable, figure.year, figure.value, figure.source, figure.published,
                                          from_dated_table=True))
                continue
            value = float(getattr(facts, field)[row])
            source = fallback[(code, variable)]
            inputs.append(FiscalInput(code, variable, ALLIES_YEAR, None if math.isnan(value) else value,
                                      source if not math.isnan(value) else "none",
                                      ALLIES_RELEASES[source] if not math.isnan(value) else None,
                                      from_dated_table=False))
    return CaseFiscalInputs(information_date=day, year=year, inputs=tuple(inputs))


def _allies_releases(path: Path, codes: tuple[str, ...]) -> dict[tuple[str, str], str]:
    """The release each allies.csv fiscal cell comes from, as a key of ALLIES_RELEASES."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = {row["iso3"]: (line, row) for line, row in enumerate(csv.DictReader(handle), start=2)}
    releases = {}
    for code in codes:
        line, row = rows[code]
        for variable, (_, column) in FIELDS.items():
            cell = row.get(column, "") if column else ALLIES_DEFICIT_SOURCE
            source = (cell or "").split(" ")[0]
            if source not in ALLIES_RELEASES:
                raise DataError(f"{path}: line {line} ({code}), column {column}: {cell!r} is not a release with a "
                                f"known publication date; known: {', '.join(ALLIES_RELEASES)}")
            releases[(code, variable)] = source
    return releases
