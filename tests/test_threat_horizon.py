"""The dated threat horizons (`sim/data/threat_horizon.csv`): the shipped file loads, known rows
read back as hand-checked, `horizon_as_of` only filters, and every kind of bad cell is refused in
one line that names the file, the line and the column."""

import csv
import datetime as dt
import io

import pytest

from sim.data.loader import DataError
from sim.data.threat_horizon import (COLUMNS, SCOPES, default_horizon_path, horizon_as_of, latest_horizon_years,
                                     load_threat_horizon)


def row_on(rows, day, speaker_part="", scope=None):
    matches = [r for r in rows if r.date == dt.date.fromisoformat(day) and speaker_part in r.speaker
               and (scope is None or r.scope == scope)]
    assert len(matches) == 1, matches
    return matches[0]


# --- the shipped file ------------------------------------------------------------------------------

def test_shipped_file_loads_in_date_order_within_the_window():
    rows = load_threat_horizon()
    assert len(rows) == 14
    dates = [r.date for r in rows]
    assert dates == sorted(dates)
    assert dates[0] == dt.date(2023, 2, 8) and dates[-1] <= dt.date(2025, 6, 23)
    assert all(r.source_date >= r.date and r.source_date <= dt.date(2025, 6, 23) for r in rows)
    assert {r.scope for r in rows} == set(SCOPES)
    assert all(r.horizon_years > 0 and (r.horizon_years_high is None or r.horizon_years_high > r.horizon_years)
               for r in rows)
    assert all(r.quote and r.source_url.startswith(("https://", "http://")) for r in rows)
    # the sources file's finding: no horizon was stated before the full-scale invasion
    assert all(r.date >= dt.date(2022, 2, 24) for r in rows)


def test_known_rows():
    rows = load_threat_horizon()
    chatham = row_on(rows, "2025-06-09", "Rutte")
    assert (chatham.country, chatham.horizon_years, chatham.horizon_years_high, chatham.counted_from) == \
        ("NATO", 5.0, None, "statement")
    carnegie = row_on(rows, "2024-12-12", "Rutte")
    assert (carnegie.horizon_years, carnegie.horizon_years_high) == (4.0, 5.0)
    pistorius = row_on(rows, "2024-01-19", "Pistorius")
    assert (pistorius.country, pistorius.horizon_years, pistorius.horizon_years_high) == ("DEU", 5.0, 8.0)
    by_year = row_on(rows, "2024-06-12", "Pistorius")
    assert (by_year.horizon_year, by_year.horizon_years) == (2029, 5.0)
    breuer = row_on(rows, "2025-06-01", "Breuer")
    assert (breuer.horizon_year, breuer.horizon_years) == (2029, 4.0)
    regional = row_on(rows, "2025-02-11", scope="attack_on_nato")
    large = row_on(rows, "2025-02-11", scope="large_scale_war")
    assert (regional.horizon_years, large.horizon_years) == (2.0, 5.0)
    assert regional.counted_from == large.counted_from == "end_of_fighting_in_ukraine"


# --- as of a case's information date ---------------------------------------------------------------

def test_horizon_as_of_only_filters():
    rows = load_threat_horizon()
    assert horizon_as_of(dt.date(2014, 1, 1)) == ()
    assert horizon_as_of("2014-09-04") == ()                 # the Wales case sees no horizon
    assert horizon_as_of("2023-02-07") == ()                 # the day before the first row
    assert horizon_as_of("2025-06-23") == rows               # the eve of the Hague summit sees them all
    assert horizon_as_of("2030-01-01") == rows
    end_2024 = horizon_as_of("2024-12-31")
    assert end_2024 and all(r.source_date <= dt.date(2024, 12, 31) for r in end_2024)
    assert len(end_2024) == 8
    with pytest.raises(DataError, match="not a date"):
        horizon_as_of("June 2025")


def test_latest_horizon_years():
    assert latest_horizon_years(()) is None
    assert latest_horizon_years(horizon_as_of("2014-09-04")) is None
    assert latest_horizon_years(horizon_as_of("2024-12-31")) == 4.0           # Rutte, 12 Dec 2024: four to five
    assert latest_horizon_years(horizon_as_of("2025-02-11")) == 2.0           # Denmark: the shortest scenario that day
    assert latest_horizon_years(horizon_as_of("2025-02-11"), "large_scale_war") == 5.0
    assert latest_horizon_years(horizon_as_of("2025-06-23")) == 5.0           # Rutte at Chatham House
    assert latest_horizon_years(horizon_as_of("2024-06-30"), "forces_reconstituted") == 3.0
    assert latest_horizon_years(horizon_as_of("2023-12-31"), "large_scale_war") is None
    with pytest.raises(DataError, match="unknown scope"):
        latest_horizon_years(load_threat_horizon(), "invasion")


# --- bad files, written small with tmp_path --------------------------------------------------------

GOOD = {
    "date": "2024-06-12", "speaker": "A minister", "organisation": "A ministry", "country": "DEU",
    "scope": "attack_on_nato", "horizon_years": "5", "horizon_years_high": "", "horizon_year": "2029",
    "counted_from": "statement", "horizon_event": "an attack on a NATO state", "quote": "By 2029.",
    "source_title": "A report", "source_publisher": "A newspaper", "source_date": "2024-06-14",
    "source_url": "https://example.org/report", "notes": "",
}
LATER = dict(GOOD, date="2025-06-09", horizon_years="5", horizon_year="", source_date="2025-06-09")


def write(tmp_path, rows, header=COLUMNS, name="threat_horizon.csv"):
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row[column] for column in header] if isinstance(row, dict) else row)
    path = tmp_path / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def refused(path):
    with pytest.raises(DataError) as error:
        load_threat_horizon(path)
    message = str(error.value)
    assert message.startswith(str(path)) and "\n" not in message, message
    return message


def test_a_small_good_file_loads(tmp_path):
    rows = load_threat_horizon(write(tmp_path, [GOOD, LATER]))
    assert [r.horizon_years for r in rows] == [5.0, 5.0] and rows[0].horizon_year == 2029
    assert rows[1].horizon_year is None and rows[1].horizon_years_high is None


@pytest.mark.parametrize("column, value, expected", [
    ("date", "12/06/2024", "line 2, column date: '12/06/2024' is not a date"),
    ("date", "2013-12-31", "line 2, column date: 2013-12-31 is out of range"),
    ("source_date", "2025-06-25", "line 2, column source_date: 2025-06-25 is out of range"),
    ("source_date", "2024-06-11", "line 2, column source_date: 2024-06-11 is before the statement"),
    ("speaker", "", "line 2, column speaker: empty"),
    ("organisation", "", "line 2, column organisation: empty"),
    ("country", "Germany", "line 2, column country: 'Germany' is neither an ISO 3166 alpha-3 code"),
    ("country", "", "line 2, column country: '' is neither"),
    ("scope", "invasion", "line 2, column scope: 'invasion' is not allowed"),
    ("horizon_years", "", "line 2, column horizon_years: empty; a number from 0 to 30 is required"),
    ("horizon_years", "-1", "line 2, column horizon_years: '-1' used for no figure"),
    ("horizon_years", "NA", "line 2, column horizon_years: 'NA' used for no figure"),
    ("horizon_years", "five", "line 2, column horizon_years: 'five' is not a number"),
    ("horizon_years", "45", "line 2, column horizon_years: 45 is out of range; allowed 0 to 30"),
    ("horizon_years", "0", "line 2, column horizon_years: 0 is not a horizon"),
    ("horizon_years_high", "4", "line 2, column horizon_years_high: 4 is not above horizon_years (5)"),
    ("horizon_years_high", "none", "line 2, column horizon_years_high: 'none' used for no figure"),
    ("horizon_year", "2029.5", "line 2, column horizon_year: 2029.5 is not a whole number"),
    ("horizon_year", "2010", "line 2, column horizon_year: 2010 is out of range"),
    ("horizon_year", "2030",
     "line 2, column horizon_year: 2030 is 6 years after the statement (2024), but the horizon says 5"),
    ("counted_from", "ceasefire", "line 2, column counted_from: 'ceasefire' is not allowed"),
    ("counted_from", "end_of_fighting_in_ukraine", "line 2, column horizon_year: a calendar year with counted_from"),
    ("horizon_event", "", "line 2, column horizon_event: empty"),
    ("quote", "", "line 2, column quote: empty"),
    ("source_title", "", "line 2, column source_title: empty"),
    ("source_publisher", "", "line 2, column source_publisher: empty"),
    ("source_url", "www.nato.int", "line 2, column source_url: 'www.nato.int' is not a web address"),
])
def test_each_kind_of_bad_cell_is_refused_naming_file_line_and_column(tmp_path, column, value, expected):
    message = refused(write(tmp_path, [dict(GOOD, **{column: value}), LATER]))
    assert expected in message, message


def test_a_bad_cell_on_a_later_line_is_named_by_that_line(tmp_path):
    message = refused(write(tmp_path, [GOOD, dict(LATER, horizon_years="-1")]))
    assert "line 3, column horizon_years: '-1' used for no figure" in message


def test_rows_out_of_date_order_are_refused(tmp_path):
    message = refused(write(tmp_path, [LATER, GOOD]))
    assert "line 3, column date: 2024-06-12 is earlier than the row above (2025-06-09)" in message


def test_a_range_with_a_year_checks_the_year_against_the_high_end(tmp_path):
    ranged = dict(GOOD, date="2025-05-12", source_date="2025-05-12", horizon_years="3", horizon_years_high="5",
                  horizon_year="2030")
    assert load_threat_horizon(write(tmp_path, [ranged]))[0].horizon_years_high == 5.0
    message = refused(write(tmp_path, [dict(ranged, horizon_years_high="6")], name="bad.csv"))
    assert "line 2, column horizon_year: 2030 is 5 years after the statement (2025), but the horizon says 6" in message


@pytest.mark.parametrize("header, expected", [
    (COLUMNS[:-1] + ("date",), "line 1: column 'date' appears twice"),
    (COLUMNS[:-1] + ("comment",), "line 1: unknown column 'comment'"),
    (COLUMNS[:-1], "line 1: missing column 'notes'"),
])
def test_a_bad_header_is_refused(tmp_path, header, expected):
    rows = [[GOOD.get(column, "") for column in header]]
    assert expected in refused(write(tmp_path, rows, header=header))


def test_a_row_with_too_few_cells_is_refused(tmp_path):
    message = refused(write(tmp_path, [GOOD, [LATER[column] for column in COLUMNS[:-1]]]))
    assert "line 3: 15 cells, but the header has 16" in message


def test_missing_empty_or_headless_file_is_refused(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        load_threat_horizon(tmp_path / "absent.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="empty file"):
        load_threat_horizon(empty)
    with pytest.raises(DataError, match="no rows under the header"):
        load_threat_horizon(write(tmp_path, [], name="header_only.csv"))


def test_the_shipped_file_is_the_package_default():
    assert default_horizon_path().name == "threat_horizon.csv" and default_horizon_path().is_file()
