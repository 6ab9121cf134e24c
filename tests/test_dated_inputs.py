"""Every input of each case with the day it was published (sim/analysis/dated_inputs.py): the
statements a case reads are never later than its information date, and the data that are later
are exactly the known exceptions (docs/ODD.md, 6; sim/data/README.md, "Vintage")."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from sim.analysis.dated_inputs import DatedInput, case_inputs, later_inputs
from sim.model.scenario import load_scenario

ALLIES_WITH_FORCES = 31
TIES = {"goods_exports_to_us_pct_gdp": ALLIES_WITH_FORCES, "us_troops": ALLIES_WITH_FORCES}  # 2024 figures
#: the inputs each case reads from a release later than its information date, counted by variable;
#: the debt and deficit counts are allies.csv's figures less those of the case's own April
#: notification that were found (sim/data/fiscal_vintages_sources.md): debt 32 - 11, 32 - 8, 32 - 12,
#: 32 - 11; deficit (15 in allies.csv) 15 - 8, 15 - 4, 15 - 5, 15 - 15
KNOWN_LATER = {
    "wales2014": {"gdp_usd_bn": 32, "gov_debt_pct_gdp": 21, "deficit_pct_gdp": 7, "spending_pct_2014": 31, **TIES},
    "vilnius2023": {"gdp_usd_bn": 32, "gov_debt_pct_gdp": 24, "deficit_pct_gdp": 11, "spending_pct_2023": 31, **TIES},
    "washington2024": {"gdp_usd_bn": 31, "gov_debt_pct_gdp": 20, "deficit_pct_gdp": 10, **TIES},
    "hague2025": {"gdp_usd_bn": 31, "gov_debt_pct_gdp": 21},
}


@pytest.mark.parametrize("case", sorted(KNOWN_LATER))
def test_every_input_is_dated_and_the_later_ones_are_the_known_exceptions(case):
    scenario = load_scenario(case)
    inputs = case_inputs(scenario)
    listing = "\n".join(f"{i.variable:<28} {i.iso3 or '-':<4} {i.source:<30.30} {i.published or i.not_before}"
                        for i in inputs)
    print(listing)
    assert all(item.published is not None or item.not_before is not None for item in inputs), listing
    assert {item.variable for item in inputs} >= {"gdp_usd_bn", "gov_debt_pct_gdp", "us_posture",
                                                   f"spending_pct_{scenario.params.data_year}", *TIES}
    assert dict(Counter(item.variable for item in later_inputs(scenario))) == KNOWN_LATER[case], listing


@pytest.mark.parametrize("case", sorted(KNOWN_LATER))
def test_the_statements_a_case_reads_predate_its_information_date(case):
    scenario = load_scenario(case)
    statements = [item for item in case_inputs(scenario) if item.variable in ("us_posture", "threat_horizon")]
    assert statements and all(item.published <= scenario.information.date for item in statements)


def test_an_input_of_unknown_day_is_later_when_its_period_ends_after_the_day():
    """2024 trade, published some day in 2025: later than 8 July 2024, not than 23 June 2025 (its
    first possible day, 1 January 2025, is before)."""
    ties = DatedInput("us_troops", "POL", "us_ties.csv", None, not_before=dt.date(2025, 1, 1))
    assert ties.later_than(dt.date(2024, 7, 8)) and not ties.later_than(dt.date(2025, 6, 23))
    assert not DatedInput("x", None, "s", None).later_than(dt.date(2000, 1, 1))  # no date at all: never claimed later
