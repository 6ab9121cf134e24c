"""The allies' facts: the shipped file loads, and every kind of damage is named precisely."""

import csv
import io
import math

import numpy as np
import pytest

from sim.data.loader import DataError, default_allies_path, load_allies


def test_shipped_file_has_the_32_allies():
    facts = load_allies()
    assert facts.count == 32
    assert len(set(facts.iso3)) == 32
    assert {"USA", "ISL", "ESP", "POL", "LTU", "FIN", "SWE"} <= set(facts.iso3)
    assert int(facts.eu_member.sum()) == 23


def test_iceland_has_no_spending_but_everyone_else_does():
    facts = load_allies()
    iceland = facts.index("ISL")
    assert math.isnan(facts.spending_2024_pct[iceland]) and math.isnan(facts.spending_2014_pct[iceland])
    assert not facts.has_forces[iceland]
    others = np.delete(facts.spending_2024_pct, iceland)
    assert not np.isnan(others).any()


def test_known_facts():
    facts = load_allies()
    assert facts.spending_2024_pct[facts.index("POL")] == pytest.approx(4.1202)
    assert facts.borders_russia[facts.index("LTU")] and not facts.borders_russia[facts.index("ESP")]
    # In 2014, 3 allies spent at least 2% of GDP (NATO June 2024 release)
    assert int(np.nansum(facts.spending_2014_pct >= 2.0)) == 3


def rewrite(tmp_path, change):
    """Copy the shipped CSV, apply `change` to its rows, return the new path."""
    with default_allies_path().open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = list(reader.fieldnames), list(reader)
    fields, rows = change(fields, rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path / "allies.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def set_cell(code, column, value):
    def change(fields, rows):
        for row in rows:
            if row["iso3"] == code:
                row[column] = value
        return fields, rows
    return change


@pytest.mark.parametrize("change, expected", [
    (lambda f, r: (f, r[:-1]), "expected 32 allies, found 31 rows"),
    (lambda f, r: ([c for c in f if c != "gov_debt_pct_gdp_2024"], r), "missing column(s) gov_debt_pct_gdp_2024"),
    (set_cell("ESP", "gov_debt_pct_gdp_2024", "lots"), "(ESP), column gov_debt_pct_gdp_2024: 'lots' is not a number"),
    (set_cell("ESP", "defence_pct_gdp_2024_est", "42"), "(ESP), column defence_pct_gdp_2024_est: 42 is out of range; allowed 0 to 15"),
    (set_cell("ESP", "defence_pct_gdp_2024_est", ""), "(ESP), column defence_pct_gdp_2024_est: empty, but only allies without armed forces (ISL)"),
    (set_cell("ESP", "gdp_2024_usd_bn", ""), "(ESP), column gdp_2024_usd_bn: empty"),
    (set_cell("ESP", "eu_member", "maybe"), "(ESP), column eu_member: 'maybe' is not a boolean"),
    (set_cell("ESP", "iso3", "POL"), "ally listed twice: POL"),
    (set_cell("ESP", "iso3", "Spain"), "column iso3: 'Spain' is not an ISO 3166 alpha-3 code"),
    (set_cell("ESP", "iso3", "ÉSP"), "column iso3: 'ÉSP' is not an ISO 3166 alpha-3 code"),
    (set_cell("ESP", "accession_year", "1982.5"),
     "(ESP), column accession_year: '1982.5' is not a whole year; allowed a whole number from 1949 to 2030"),
])
def test_bad_file_is_refused_with_a_precise_message(tmp_path, change, expected):
    path = rewrite(tmp_path, change)
    with pytest.raises(DataError) as error:
        load_allies(path)
    assert str(path) in str(error.value)
    assert expected in str(error.value)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        load_allies(tmp_path / "nope.csv")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(DataError, match="not a readable CSV file|missing column"):
        load_allies(binary)


def test_overrides_change_only_the_named_ally():
    facts = load_allies()
    changed = facts.with_overrides({"ESP": {"debt_pct_gdp": 60.0}})
    spain = facts.index("ESP")
    assert changed.debt_pct_gdp[spain] == 60.0
    assert facts.debt_pct_gdp[spain] == pytest.approx(101.6)  # original untouched
    assert np.array_equal(np.delete(changed.debt_pct_gdp, spain), np.delete(facts.debt_pct_gdp, spain))


def test_duplicated_ally_names_its_line(tmp_path):
    lines = default_allies_path().read_text(encoding="utf-8").splitlines()
    lines[5] = lines[3]  # line 6 of the file repeats line 4's ally
    path = tmp_path / "allies.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = lines[3].split(",")[0]
    with pytest.raises(DataError, match=f"line 6, column iso3: ally listed twice: {code} \\(first at line 4\\)"):
        load_allies(path)



def test_a_column_named_twice_in_the_header_is_refused_naming_it(tmp_path):
    """csv.DictReader would silently keep the last of two same-named columns."""
    lines = default_allies_path().read_text(encoding="utf-8").splitlines()
    lines = [line + "," + line.split(",")[3] if index else line + ",gdp_2024_usd_bn" for index, line in enumerate(lines)]
    path = tmp_path / "allies.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert lines[0].split(",")[3] == "gdp_2024_usd_bn"
    with pytest.raises(DataError) as error:
        load_allies(path)
    assert str(error.value) == (f"{path}: column gdp_2024_usd_bn appears 2 times in the header; "
                                "each column must appear once")


def test_a_byte_order_mark_is_read_past(tmp_path):
    """Spreadsheet programs save UTF-8 CSV with a byte-order mark: the same facts."""
    path = tmp_path / "allies.csv"
    path.write_bytes(b"\xef\xbb\xbf" + default_allies_path().read_bytes())
    assert load_allies(path).iso3 == load_allies().iso3
    np.testing.assert_array_equal(load_allies(path).gdp_usd_bn, load_allies().gdp_usd_bn)


def test_whole_years_are_read_as_integers(tmp_path):
    path = rewrite(tmp_path, set_cell("ESP", "accession_year", "1982.0"))
    facts = load_allies(path)
    assert facts.accession_year[facts.index("ESP")] == 1982 and facts.accession_year.dtype.kind == "i"


def test_the_record_fills_the_years_the_file_has_no_column_for_and_no_others():
    from sim.data.spending_record import load_spending_record, with_record_years

    facts, record = load_allies(), load_spending_record()
    filled = with_record_years(facts, record)
    assert sorted(filled.spending_by_year) == list(range(2015, 2024))  # the file carries 2014 and 2024
    poland = facts.index("POL")
    assert filled.spending_pct(2019)[poland] == record.path(["POL"], [2019])[0, 0]
    assert filled.spending_pct(2024)[poland] == facts.spending_2024_pct[poland]
    with pytest.raises(DataError, match=r"no spending for data year 2013; available: 2014, 2015, .*2024"):
        filled.spending_pct(2013)
