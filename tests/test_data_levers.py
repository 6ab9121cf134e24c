"""The sourced inputs of the US-posture and capability-target rules: the shipped files load,
known rows read back as hand-checked, and every kind of damage is refused in one line that
names the file, the line and the column."""

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.data.capabilities import by_area, default_targets_path, load_capability_targets, targets_as_of
from sim.data.loader import DataError
from sim.data.us_posture import default_posture_path, latest_demand, load_us_posture, posture_as_of


def row_on(events, day, speaker_part=""):
    matches = [e for e in events if e.date == dt.date.fromisoformat(day) and speaker_part in e.speaker]
    assert len(matches) == 1, matches
    return matches[0]


def test_posture_file_loads_in_date_order_within_the_allowed_window():
    events = load_us_posture()
    assert len(events) >= 20
    dates = [e.date for e in events]
    assert dates == sorted(dates)
    assert dates[0] == dt.date(2014, 3, 26) and dates[-1] <= dt.date(2025, 6, 24)
    assert all(e.source_date >= e.date for e in events)
    assert {e.threat_of_abandonment for e in events} == {0, 1, 2, 3}


def test_known_posture_rows():
    events = load_us_posture()
    wales = row_on(events, "2014-09-05")
    assert (wales.administration, wales.demand_pct_gdp, wales.demand_deadline, wales.threat_of_abandonment) == \
        ("Obama", 2.0, 2024, 0)
    five = row_on(events, "2025-01-07")
    assert (five.demand_pct_gdp, five.demand_deadline, five.threat_of_abandonment) == (5.0, None, 1)
    rally = row_on(events, "2024-02-10")
    assert rally.threat_of_abandonment == 3 and rally.demand_pct_gdp is None
    assert "whatever the hell" in rally.quote
    floated = [e for e in events if e.date == dt.date(2018, 7, 11)]
    assert sorted(e.demand_pct_gdp for e in floated) == [2.0, 4.0]
    assert [e.demand_deadline for e in floated if e.demand_pct_gdp == 2.0] == [2018]
    hegseth = row_on(events, "2025-02-12", "Hegseth")
    assert (hegseth.demand_pct_gdp, hegseth.threat_of_abandonment) == (5.0, 1)
    kerry = row_on(events, "2014-04-29", "Kerry")
    assert (kerry.administration, kerry.demand_pct_gdp, kerry.demand_deadline, kerry.threat_of_abandonment) == \
        ("Obama", 2.0, None, 1)


def test_posture_as_of_keeps_only_what_was_published_by_then():
    wales = posture_as_of("2014-09-05")
    assert wales and all(e.date <= dt.date(2014, 9, 5) and e.source_date <= dt.date(2014, 9, 5) for e in wales)
    assert posture_as_of(dt.date(2013, 12, 31)) == ()
    eve_of_wales = posture_as_of("2014-09-04")  # the Wales case's information date
    assert [e.date.isoformat() for e in eve_of_wales] == \
        ["2014-03-26", "2014-04-29", "2014-05-02", "2014-06-03", "2014-09-03"]
    assert {e.administration for e in eve_of_wales} == {"Obama"}
    assert max(e.threat_of_abandonment for e in eve_of_wales) == 1
    assert latest_demand(eve_of_wales).demand_pct_gdp == 2.0
    assert all(e.demand_deadline is None for e in eve_of_wales)  # the 2024 deadline came with Wales itself
    assert posture_as_of("2030-01-01") == load_us_posture()
    before_rally = posture_as_of("2024-02-09")
    assert max(e.threat_of_abandonment for e in before_rally) == 2
    assert latest_demand(posture_as_of("2025-01-06")).demand_pct_gdp == 2.0  # Vilnius 2023, the last level named
    assert latest_demand(posture_as_of("2025-01-07")).demand_pct_gdp == 5.0
    assert latest_demand(()) is None
    with pytest.raises(DataError, match="not a date"):
        posture_as_of("June 2025")


def test_known_capability_rows():
    rows = load_capability_targets()
    air = [r for r in by_area(rows, "air_and_missile_defence") if r.unit == "percent_increase"]
    assert [(r.quantity, r.date, r.figure_status) for r in air] == [(400.0, dt.date(2025, 6, 9), "stated")]
    core = [r for r in rows if r.unit == "pct_gdp" and r.relation == "equals"]
    assert [(r.quantity, r.date, r.cost_share_of_core_pct) for r in core] == [(3.5, dt.date(2025, 6, 5), 100.0)]
    shells = by_area(rows, "munitions")
    assert any(r.quantity is None and r.unit == "none" and r.figure_status == "none" for r in shells)
    assert all(r.cost_basis for r in rows if r.cost_usd_bn is not None or r.cost_share_of_core_pct is not None)
    assert all(r.source_date <= dt.date(2025, 6, 5) for r in targets_as_of("2025-06-05"))
    with pytest.raises(DataError, match="unknown capability area"):
        by_area(rows, "space")


def rewrite(tmp_path, source, change, name):
    """Copy a shipped CSV, apply `change` to (header, rows) as lists of cells, return the new path."""
    with source.open(encoding="utf-8", newline="") as handle:
        lines = list(csv.reader(handle))
    header, rows = change(lines[0], lines[1:])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header] + rows)
    path = tmp_path / name
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def set_cell(column, value, row=0):
    def change(header, rows):
        rows[row][header.index(column)] = value
        return header, rows
    return change


def rename(old, new):
    return lambda header, rows: ([new if h == old else h for h in header], rows)


@pytest.mark.parametrize("change, expected", [
    (set_cell("date", "2014-13-01"), "line 2, column date: '2014-13-01' is not a date"),
    (set_cell("date", "2025-06-25", row=26), "line 28, column date: 2025-06-25 is out of range"),
    (set_cell("demand_pct_gdp", "-1"), "line 2, column demand_pct_gdp: '-1' used for no figure; leave the cell empty"),
    (set_cell("demand_pct_gdp", "12"), "line 2, column demand_pct_gdp: 12 is out of range; allowed 0 to 10"),
    (set_cell("demand_pct_gdp", "five"), "line 2, column demand_pct_gdp: 'five' is not a number"),
    (set_cell("threat_of_abandonment", "4"), "line 2, column threat_of_abandonment: 4 is out of range; allowed 0 to 3"),
    (set_cell("threat_of_abandonment", ""), "line 2, column threat_of_abandonment: empty"),
    (set_cell("threat_of_abandonment", "1.5"), "column threat_of_abandonment: 1.5 is not a whole number"),
    (set_cell("demand_deadline", "2010"), "line 2, column demand_deadline: 2010 is out of range"),
    (set_cell("administration", "Clinton"), "line 2, column administration: 'Clinton' is not allowed"),
    (set_cell("source_date", "2014-03-25"), "line 2, column source_date: 2014-03-25 is before the event"),
    (set_cell("source_url", "www.nato.int"), "line 2, column source_url: 'www.nato.int' is not a web address"),
    (lambda h, r: set_cell("source_date", "2024-01-01", row=1)(*set_cell("date", "2024-01-01", row=1)(h, r)),
     "line 4, column date: 2014-05-02 is earlier than the row above"),
    (rename("notes", "event"), "line 1: column 'event' appears twice"),
    (rename("notes", "comment"), "line 1: unknown column 'comment'"),
    (lambda h, r: (h[:-1], [row[:-1] for row in r]), "line 1: missing column 'notes'"),
    (lambda h, r: (h, [r[0][:-1]] + r[1:]), "line 2: 12 cells, but the header has 13"),
])
def test_bad_posture_file_is_refused_in_one_line(tmp_path, change, expected):
    path = rewrite(tmp_path, default_posture_path(), change, "us_posture.csv")
    with pytest.raises(DataError) as error:
        load_us_posture(path)
    message = str(error.value)
    assert str(path) in message and expected in message and "\n" not in message


@pytest.mark.parametrize("change, expected", [
    (set_cell("area", "space"), "line 2, column area: 'space' is not allowed"),
    (set_cell("quantity", ""), "line 2, column unit: 'percent_increase' with no quantity"),
    (set_cell("figure_status", "none"), "line 2, column figure_status: 'none' with a quantity"),
    (set_cell("quantity_high", "100"), "line 2, column quantity_high: 100 needs a quantity no larger than it"),
    (set_cell("cost_usd_bn", "3"), "line 2, column cost_basis: empty, but a cost is given"),
    (set_cell("cost_share_of_core_pct", "120"), "line 2, column cost_share_of_core_pct: 120 is out of range"),
    (set_cell("quantity", "NA"), "line 2, column quantity: 'NA' used for no figure"),
    (set_cell("source_date", "2025-07-01"), "line 2, column source_date: 2025-07-01 is out of range"),
    (rename("cost_basis", "cost_usd_bn"), "line 1: column 'cost_usd_bn' appears twice"),
])
def test_bad_capability_file_is_refused_in_one_line(tmp_path, change, expected):
    path = rewrite(tmp_path, default_targets_path(), change, "capability_targets.csv")
    with pytest.raises(DataError) as error:
        load_capability_targets(path)
    message = str(error.value)
    assert str(path) in message and expected in message and "\n" not in message


def test_missing_or_empty_file_is_refused(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        load_us_posture(tmp_path / "absent.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(DataError, match="empty file"):
        load_capability_targets(empty)


# --- any damage to the dated series is loaded or refused in one line ---------------------------------

@st.composite
def damaged_series(draw, source: Path) -> str:
    """A copy of `source` with a few cells replaced by anything, a column dropped or a row repeated."""
    rows = list(csv.DictReader(io.StringIO(source.read_text(encoding="utf-8"))))
    columns = list(rows[0])
    for change in draw(st.lists(st.sampled_from(["cell", "cell", "cell", "drop", "repeat"]), min_size=1, max_size=3)):
        if change == "cell":
            rows[draw(st.integers(0, len(rows) - 1))][draw(st.sampled_from(columns))] = draw(st.one_of(
                st.text(max_size=12), st.sampled_from(["", "-1", "NA", "2025-13-01", "1e400", "nan", "3.5", "2099"])))
        elif change == "drop" and len(columns) > 1:
            columns.remove(draw(st.sampled_from(columns)))
        else:
            rows.append(dict(rows[draw(st.integers(0, len(rows) - 1))]))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_damaged_posture_or_capability_file_loads_or_is_refused_in_one_line(tmp_path_factory, data):
    for source, load in ((default_posture_path(), load_us_posture), (default_targets_path(), load_capability_targets)):
        path = tmp_path_factory.mktemp("series") / source.name
        path.write_text(data.draw(damaged_series(source)), encoding="utf-8")
        try:
            load(path)
        except DataError as error:
            message = str(error)
            assert "\n" not in message and message.startswith(str(path)), message
