"""The fiscal figures' vintages: a case sees only what was published by its information date,
every input is listed with its date, and the known exceptions are exactly the documented ones."""

import datetime as dt

import pytest

from sim.data.fiscal_inputs import ALLIES_RELEASES
from sim.data.fiscal_vintages import (COLUMNS, PublishedAfterInformationDate, default_vintages_path,
                                      figure_published_on, latest_published_by, load_fiscal_vintages)
from sim.data.loader import DataError, load_allies
from sim.model.alliance import Alliance
from sim.model.scenario import load_scenario

HAGUE_DAY = dt.date(2025, 6, 23)
ALLIES = load_allies()
EU = {code for code, member in zip(ALLIES.iso3, ALLIES.eu_member) if member}
#: the allies with a figure found in each case's notification (fiscal_vintages_sources.md): Eurostat's
#: first notification of the information date's year, for the year before it
EUROSTAT_DEBT_FOUND = {"GRC", "ITA", "FRA", "BEL", "ESP", "EST", "BGR", "LUX", "DNK", "SWE", "LTU"}  # April 2025, 2024
FOUND = {
    "hague2025": {"gov_debt_pct_gdp": EUROSTAT_DEBT_FOUND,
                  "deficit_pct_gdp": {"BEL", "CZE", "DEU", "DNK", "EST", "FRA", "GRC", "HRV", "ITA", "LUX", "NLD",
                                      "POL", "PRT", "ROU", "SVK"}},
    "washington2024": {"gov_debt_pct_gdp": {"EST", "BGR", "LUX", "DNK", "SWE", "LTU", "GRC", "ITA", "FRA", "ESP",
                                            "BEL", "PRT"},  # April 2024, 2023
                       "deficit_pct_gdp": {"DNK", "PRT", "ITA", "HUN", "ROU", "SVK"}},
    "vilnius2023": {"gov_debt_pct_gdp": {"EST", "BGR", "LUX", "GRC", "ITA", "PRT", "ESP", "ROU"},  # April 2023, 2022
                    "deficit_pct_gdp": {"ITA", "ROU", "HUN", "DNK", "NLD"}},
    "wales2014": {"gov_debt_pct_gdp": {"EST", "BGR", "LUX", "LVA", "ROU", "LTU", "SWE", "GRC", "ITA", "PRT",
                                       "BEL"},  # April 2014, 2013
                  "deficit_pct_gdp": {"LUX", "EST", "DNK", "LVA", "SWE", "SVN", "GRC", "ESP", "GBR", "HRV", "PRT",
                                      "FRA", "POL"}},
}
WITH_DEFICIT = {code for code, value in zip(ALLIES.iso3, ALLIES.deficit_pct_gdp) if value == value}
ALL_GDP_BUT_BULGARIA = {("gdp_usd_bn", code) for code in ALLIES.iso3 if code != "BGR"}  # NATO's of 17 June 2024
ALL_GDP = {("gdp_usd_bn", code) for code in ALLIES.iso3}


def later_releases(found: dict[str, set[str]]) -> set[tuple[str, str]]:
    """The debt and deficit a case takes from allies.csv (published 2025) for want of a figure of its
    own notification: every debt, and every deficit allies.csv has, but those found."""
    return ({("gov_debt_pct_gdp", code) for code in ALLIES.iso3 if code not in found["gov_debt_pct_gdp"]}
            | {("deficit_pct_gdp", code) for code in WITH_DEFICIT - found["deficit_pct_gdp"]})


#: the inputs each case takes from a release later than its information date, as named in
#: sim/data/README.md ("Vintage"): (variable, allies)
KNOWN_LATER_RELEASES = {
    "hague2025": ALL_GDP_BUT_BULGARIA | later_releases(FOUND["hague2025"]),
    "washington2024": ALL_GDP_BUT_BULGARIA | later_releases(FOUND["washington2024"]),
    "vilnius2023": ALL_GDP | later_releases(FOUND["vilnius2023"]),
    "wales2014": ALL_GDP | later_releases(FOUND["wales2014"]),
}


def write_table(tmp_path, rows):
    path = tmp_path / "fiscal_vintages.csv"
    path.write_text(",".join(COLUMNS) + "\n" + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def row(iso3="FRA", variable="deficit_pct_gdp", year="2024", value="5.8", unit="pct_gdp",
        source="EUROSTAT_EDP_APR2025", published="2025-04-22", url="https://example.org/release", notes=""):
    return ",".join((iso3, variable, year, value, unit, source, published, url, notes))


def test_the_shipped_table_loads_and_predates_the_hague_summit():
    figures = load_fiscal_vintages()
    assert figures
    assert all(figure.published <= HAGUE_DAY for figure in figures)
    eurostat = {(f.iso3, f.variable) for f in figures if f.source == "EUROSTAT_EDP_APR2025"}
    # the April 2025 notification covers every EU ally: each has a row (empty where not found)
    assert {(code, "deficit_pct_gdp") for code in EU} <= eurostat
    assert {(code, "gov_debt_pct_gdp") for code in EU} <= eurostat


@pytest.mark.parametrize("bad, column", [
    (row(iso3="XXX"), "iso3"),
    (row(variable="gdp"), "variable"),
    (row(year="2024.5"), "year"),
    (row(year="2031"), "year"),
    (row(value="abc"), "value"),
    (row(value="nan"), "value"),
    (row(value="-1"), "value"),  # the sentinel spelling of "no figure": refused
    (row(value="-1.0"), None),  # a surplus of 1% of GDP (Luxembourg's, 2024) is written with its decimal
    (row(value="99"), "value"),
    (row(unit="usd_bn"), "unit"),
    (row(published="2025-13-01"), "published"),
    (row(published="2025-10-14"), "published"),  # after the Hague summit: out of range
    (row(url="not a link"), "url"),
])
def test_bad_cells_are_refused_naming_the_line_and_column(tmp_path, bad, column):
    path = write_table(tmp_path, [row(iso3="DEU"), bad])
    if column is None:
        load_fiscal_vintages(path)
        return
    with pytest.raises(DataError) as caught:
        load_fiscal_vintages(path)
    message = str(caught.value)
    assert f"{path}, line 3, column {column}" in message and "\n" not in message


def test_rows_out_of_date_order_and_repeated_releases_are_refused(tmp_path):
    with pytest.raises(DataError, match="line 3, column published: .* earlier than the row above"):
        load_fiscal_vintages(write_table(tmp_path, [row(published="2025-04-22"), row(published="2024-04-16")]))
    with pytest.raises(DataError, match="line 3, column published: .* listed twice"):
        load_fiscal_vintages(write_table(tmp_path, [row(), row(value="5.9")]))


def test_latest_published_by_picks_the_vintage_known_on_each_day(tmp_path):
    figures = load_fiscal_vintages(write_table(tmp_path, [
        row(value="5.5", published="2024-10-22"),
        row(value="5.8", published="2025-04-22"),
        row(iso3="DEU", value="2.8", published="2025-04-22"),
    ]))
    assert latest_published_by(figures, "2024-09-01", 2024) == {}
    between = latest_published_by(figures, "2025-01-15", 2024)
    assert between[("FRA", "deficit_pct_gdp")].value == 5.5 and ("DEU", "deficit_pct_gdp") not in between
    after = latest_published_by(figures, "2025-06-23", 2024)
    assert after[("FRA", "deficit_pct_gdp")].value == 5.8 and after[("DEU", "deficit_pct_gdp")].value == 2.8
    assert latest_published_by(figures, "2025-06-23", 2023) == {}  # another reference year


def test_an_empty_row_never_hides_an_earlier_figure(tmp_path):
    figures = load_fiscal_vintages(write_table(tmp_path, [row(value="5.5", published="2024-10-22"),
                                                          row(value="", published="2025-04-22")]))
    assert latest_published_by(figures, "2025-06-23", 2024)[("FRA", "deficit_pct_gdp")].value == 5.5


def test_a_release_after_the_information_date_is_refused_in_one_line(tmp_path):
    figures = load_fiscal_vintages(write_table(tmp_path, [row(value="5.5", published="2024-10-22"),
                                                          row(value="5.8", published="2025-04-22")]))
    assert figure_published_on(figures, "FRA", "deficit_pct_gdp", 2024, "2024-10-22", "2025-01-15").value == 5.5
    with pytest.raises(PublishedAfterInformationDate) as caught:
        figure_published_on(figures, "FRA", "deficit_pct_gdp", 2024, "2025-04-22", "2025-01-15")
    message = str(caught.value)
    assert "\n" not in message
    assert "deficit_pct_gdp of FRA for 2024" in message and "2025-04-22" in message and "2025-01-15" in message


def listing(case):
    """Every fiscal input of a case with its date, the later releases marked."""
    inputs = load_scenario(case).fiscal_inputs()
    lines = [f"{case}: information date {inputs.information_date}, reference year {inputs.year}"]
    for item in inputs.inputs:
        late = item.published is not None and item.published > inputs.information_date
        lines.append(f"  {item.iso3} {item.variable:<17} {item.year} {item.value!s:>8} {item.source:<21} "
                     f"{item.published or 'no figure'}{'  LATER THAN THE INFORMATION DATE' if late else ''}")
    return inputs, "\n".join(lines)


@pytest.mark.parametrize("case", sorted(KNOWN_LATER_RELEASES))
def test_every_input_is_listed_with_its_date_and_the_later_ones_are_the_known_exceptions(case):
    inputs, text = listing(case)
    print(text)
    assert len(inputs.inputs) == 3 * ALLIES.count
    for item in inputs.inputs:
        assert (item.published is None) == (item.value is None), text
        assert item.source == "none" or item.from_dated_table or item.source in ALLIES_RELEASES, text
    later = {(item.variable, item.iso3) for item in inputs.later_than_information_date()}
    assert later == KNOWN_LATER_RELEASES[case], text


def test_every_hague_input_from_the_dated_table_predates_the_information_date():
    inputs = load_scenario("hague2025").fiscal_inputs()
    dated = [item for item in inputs.inputs if item.from_dated_table]
    assert dated and all(item.published <= HAGUE_DAY for item in dated)
    assert {item.iso3 for item in dated if item.variable == "deficit_pct_gdp"} == WITH_DEFICIT


def test_the_hague_alliance_takes_the_april_2025_eurostat_figures():
    scenario = load_scenario("hague2025")
    alliance = Alliance.of(scenario.allies(), scenario.params.data_year, scenario.params.summit_year)
    debt = dict(zip(alliance.iso3, alliance.debt_pct_gdp))
    deficit = dict(zip(alliance.iso3, alliance.deficit_pct_gdp))
    assert debt["GRC"] == 153.6 and debt["ESP"] == 101.8 and debt["DNK"] == 31.1 and debt["SWE"] == 33.5
    assert deficit["FRA"] == 5.8 and deficit["ROU"] == 9.3 and deficit["DNK"] == -4.5
    # no complete April 2025 GDP was found: GDP stays on allies.csv for every ally (a known exception)
    assert list(alliance.gdp_usd_bn) == list(ALLIES.gdp_usd_bn)


def test_a_scenario_without_an_information_date_keeps_allies_csv(tmp_path):
    path = tmp_path / "undated.toml"
    path.write_text('name = "undated"\n', encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.fiscal_inputs() is None
    assert list(scenario.allies().debt_pct_gdp) == list(ALLIES.debt_pct_gdp)


def test_the_shipped_table_is_where_the_loader_looks():
    assert default_vintages_path().name == "fiscal_vintages.csv" and default_vintages_path().exists()


#: each case's information date and the notification it reads: Eurostat's first of that year
NOTIFICATIONS = {"wales2014": ("EUROSTAT_EDP_APR2014", dt.date(2014, 4, 23), 2013),
                 "vilnius2023": ("EUROSTAT_EDP_APR2023", dt.date(2023, 4, 21), 2022),
                 "washington2024": ("EUROSTAT_EDP_APR2024", dt.date(2024, 4, 22), 2023),
                 "hague2025": ("EUROSTAT_EDP_APR2025", dt.date(2025, 4, 22), 2024)}


def test_every_notification_covers_the_eu_allies_of_its_time():
    """Each first notification covers every member state, so each EU ally has a debt row and a
    deficit row (empty where not found); in April 2014 the United Kingdom was one of them."""
    figures = load_fiscal_vintages()
    for source, published, year in NOTIFICATIONS.values():
        rows = [f for f in figures if f.source == source]
        assert rows and {(f.published, f.year) for f in rows} == {(published, year)}, source
        members = EU | {"GBR"} if year == 2013 else EU
        for variable in ("deficit_pct_gdp", "gov_debt_pct_gdp"):
            assert {f.iso3 for f in rows if f.variable == variable} == members, (source, variable)


@pytest.mark.parametrize("case", sorted(NOTIFICATIONS))
def test_the_figures_found_are_exactly_those_the_case_takes(case):
    """The table's non-empty cells of a case's notification are the FOUND sets the exceptions above
    subtract: the exceptions shrink by what was found, no more."""
    source, _, year = NOTIFICATIONS[case]
    figures = [f for f in load_fiscal_vintages() if f.source == source and f.value is not None]
    for variable in ("deficit_pct_gdp", "gov_debt_pct_gdp"):
        assert {f.iso3 for f in figures if f.variable == variable} == FOUND[case][variable], variable
    inputs = load_scenario(case).fiscal_inputs()
    assert inputs.year == year
    dated = {(item.variable, item.iso3): item for item in inputs.inputs if item.from_dated_table}
    assert {key for key in dated} == {(variable, code) for variable, codes in FOUND[case].items() for code in codes}
    assert all(item.source == source and item.year == year for item in dated.values())


@pytest.mark.parametrize("case, debt, deficit", [
    # the figures as read (fiscal_vintages_sources.md); the deficit stored positive, a surplus negative
    ("wales2014", {"GRC": 175.1, "EST": 10.0, "BEL": 101.5}, {"SVN": 14.7, "GBR": 5.8, "LUX": -0.1}),
    ("vilnius2023", {"GRC": 171.3, "ITA": 144.4, "ROU": 47.3}, {"ITA": 8.0, "DNK": -3.3, "NLD": 0.0}),
    ("washington2024", {"GRC": 161.9, "PRT": 99.1, "SWE": 31.2}, {"ITA": 7.4, "HUN": 6.7, "PRT": -1.2}),
])
def test_a_historical_alliance_takes_the_notification_of_its_time(case, debt, deficit):
    scenario = load_scenario(case)
    alliance = Alliance.of(scenario.allies(), scenario.params.data_year, scenario.params.summit_year)
    debts, deficits = dict(zip(alliance.iso3, alliance.debt_pct_gdp)), dict(zip(alliance.iso3, alliance.deficit_pct_gdp))
    assert {code: debts[code] for code in debt} == debt
    assert {code: deficits[code] for code in deficit} == deficit
    # an ally the notification's reports do not name keeps allies.csv's (later) figure
    assert debts["USA"] == dict(zip(ALLIES.iso3, ALLIES.debt_pct_gdp))["USA"]
