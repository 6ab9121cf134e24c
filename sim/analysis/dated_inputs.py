"""Every input a case reads, with the day it was published: so that "a case sees only what was
published by its information date" is checked, not assumed, and the exceptions are named.

The inputs: each ally's GDP, debt and deficit (`Scenario.fiscal_inputs`), its spending in the
data year (NATO's series, `sim/data/spending_record.py`), its goods exports to the US and the US
personnel on its soil (`sim/data/us_ties.csv`), and the dated statements the case's
information reads (the US's posture, the threat's horizon). Where the day of publication is not
known (the US ties: early 2025), the input carries the first day it could have been published,
the day after the period it describes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from sim.data.spending_record import RECORD_VINTAGE
from sim.data.fiscal_inputs import ALLIES_RELEASES
from sim.data.us_ties import load_us_ties
from sim.model.scenario import Scenario


@dataclass(frozen=True)
class DatedInput:
    """One input of a case: what it is, for which ally (None for the alliance's), its source,
    and when it was published (or, where that day is not known, the first day it could have been)."""

    variable: str
    iso3: str | None
    source: str
    published: dt.date | None
    not_before: dt.date | None = None

    def later_than(self, day: dt.date) -> bool:
        """Published after `day`, or, where the day is not known, describing a period that ends after it."""
        known = self.published if self.published is not None else self.not_before
        return known is not None and known > day


def case_inputs(scenario: Scenario) -> tuple[DatedInput, ...]:
    """Every input of a case with an information date, in a stable order; () for a scenario without one."""
    if scenario.information is None:
        return ()
    facts = scenario.allies()
    fiscal = tuple(DatedInput(item.variable, item.iso3, item.source, item.published)
                   for item in scenario.fiscal_inputs().inputs if item.published is not None)
    spending = tuple(DatedInput(f"spending_pct_{scenario.params.data_year}", code, RECORD_VINTAGE,
                                ALLIES_RELEASES[RECORD_VINTAGE])
                     for code, value in zip(facts.iso3, facts.spending_pct(scenario.params.data_year))
                     if not np.isnan(value))
    us_ties = load_us_ties(tuple(facts.iso3))
    ties = tuple(DatedInput(variable, code, "us_ties.csv", None, not_before=dt.date(int(year) + 1, 1, 1))
                 for code, year in zip(facts.iso3, us_ties.exports_year) if not np.isnan(year)
                 for variable in ("goods_exports_to_us_pct_gdp", "us_troops"))
    reading = scenario.information.posture
    statements = {event for event in (reading.pressed_by, reading.asked_by, reading.deadline_by) if event is not None}
    posture = tuple(DatedInput("us_posture", None, f"{event.speaker}, {event.event}", event.source_date)
                    for event in sorted(statements, key=lambda event: (event.date, event.speaker)))
    horizon = scenario.information.horizon
    threat = () if horizon is None else (DatedInput("threat_horizon", None, horizon.speaker, horizon.date),)
    return fiscal + spending + ties + posture + threat


def later_inputs(scenario: Scenario) -> tuple[DatedInput, ...]:
    """The inputs published after the case's information date: the known exceptions."""
    day = scenario.information.date if scenario.information is not None else None
    return tuple(item for item in case_inputs(scenario) if day is not None and item.later_than(day))
