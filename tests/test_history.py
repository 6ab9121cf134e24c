"""The spending record the hindcast is scored against: read with every cell checked."""

import numpy as np
import pytest

from sim.data.loader import DataError
from sim.data.spending_record import RECORD_VINTAGE, load_spending_record

HEADER = "iso3,year,defence_pct_gdp,is_estimate,vintage,source_key,note\n"


def write(tmp_path, rows: str):
    path = tmp_path / "record.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_the_shipped_record_covers_2014_to_2024_for_every_ally_with_forces():
    record = load_spending_record()
    assert record.years == tuple(range(2014, 2025)) and len(record.iso3) == 31 and "ISL" not in record.iso3
    assert not np.isnan(record.pct).any()
    assert record.path(["POL", "ISL"], [2014, 2024])[0].tolist() == pytest.approx([1.8, 4.12], abs=0.4)
    assert np.isnan(record.path(["POL", "ISL"], [2014])[1, 0])


def test_only_the_chosen_vintage_is_read(tmp_path):
    path = write(tmp_path, f"POL,2014,1.9,False,{RECORD_VINTAGE},x,\nPOL,2014,9.0,False,OTHER,x,\n")
    assert load_spending_record(path).pct.tolist() == [[1.9]]


@pytest.mark.parametrize(("rows", "message"), [
    (f"POL,2014,abc,False,{RECORD_VINTAGE},x,\n", "line 2: year '2014' or defence_pct_gdp 'abc' is not a number"),
    (f"POL,2014,1.9,False,{RECORD_VINTAGE},x,\nPOL,2014,2.0,False,{RECORD_VINTAGE},x,\n",
     f"line 3: a second {RECORD_VINTAGE} figure for POL in 2014"),
    (f"POL,2014,-3,False,{RECORD_VINTAGE},x,\n", "line 2: year 2014 or defence_pct_gdp -3.0 is out of range"),
    ("POL,2014,1.9,False,OTHER,x,\n", f"no rows of vintage {RECORD_VINTAGE}"),
])
def test_a_damaged_record_names_the_file_and_the_line(tmp_path, rows, message):
    with pytest.raises(DataError, match=message):
        load_spending_record(write(tmp_path, rows))


def test_a_record_without_its_columns_is_refused(tmp_path):
    path = tmp_path / "record.csv"
    path.write_text("iso3,year\nPOL,2014\n", encoding="utf-8")
    with pytest.raises(DataError, match="missing column 'defence_pct_gdp'"):
        load_spending_record(path)
