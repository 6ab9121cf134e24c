"""experiments/observation_error.py: the revision error of NATO's figures, measured from two
releases of the same ally-years, and drawn onto the predictive paths."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments import observation_error

HEADER = "iso3,year,defence_pct_gdp,is_estimate,vintage,source_key,note\n"


def write_record(tmp_path, rows) -> object:
    path = tmp_path / "record.csv"
    path.write_text(HEADER + "".join(f"{iso3},{year},{value},True,{vintage},{vintage},\n"
                                     for iso3, year, value, vintage in rows), encoding="utf-8")
    return path


def test_revisions_by_hand_and_a_year_after_2024_is_never_read(tmp_path):
    """AAA 2024: 2.0 then 2.0 x e^0.1; BBB 2024: 1.0 then 1.0 x e^-0.1; CCC has no later figure.
    Log revisions 0.1 and -0.1: root mean square 0.1. A 2025 pair with a revision of e^1.5 is held
    out; were it read, the root mean square would be sqrt((0.01 + 0.01 + 2.25) / 3) = 0.87."""
    early, late = observation_error.NATO_VINTAGES[0], observation_error.NATO_VINTAGES[-1]
    path = write_record(tmp_path, [("AAA", 2024, 2.0, early), ("BBB", 2024, 1.0, early), ("CCC", 2024, 1.5, early),
                                   ("AAA", 2025, 2.0, early),
                                   ("AAA", 2024, 2.0 * math.exp(0.1), late), ("BBB", 2024, math.exp(-0.1), late),
                                   ("AAA", 2025, 2.0 * math.exp(1.5), late)])
    revisions = observation_error.revision_pairs(path=path)
    assert revisions.iso3 == ("AAA", "BBB") and revisions.years == (2024, 2024)
    assert revisions.relative == pytest.approx([0.1, -0.1])
    assert observation_error.measured(revisions).relative_sd == pytest.approx(0.1)


def test_no_shared_ally_year_is_one_clear_message(tmp_path):
    early, late = observation_error.NATO_VINTAGES[0], observation_error.NATO_VINTAGES[-1]
    path = write_record(tmp_path, [("AAA", 2023, 2.0, early), ("AAA", 2024, 2.0, late)])
    with pytest.raises(ValueError, match="no ally-year up to 2024"):
        observation_error.revision_pairs(path=path)


def test_the_project_record_gives_the_documented_error():
    """31 allies have a June 2024 estimate and an April 2025 figure for 2024 (Iceland has
    none); the documented error is their root mean square log revision, 0.050."""
    error = observation_error.measured()
    assert error.pairs == 31
    assert error.relative_sd == pytest.approx(0.0502, abs=5e-5)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(0.0, 0.3))
def test_observing_keeps_missing_values_and_the_seed_fixes_the_draw(seed, sd):
    values = np.array([[1.0, np.nan], [2.5, 3.0]])
    error = observation_error.ObservationError(relative_sd=sd, pairs=1, source="test")
    once = error.observe(values, np.random.default_rng(seed))
    again = error.observe(values, np.random.default_rng(seed))
    assert np.array_equal(once, again, equal_nan=True)
    assert np.isnan(once[0, 1]) and np.all(once[~np.isnan(values)] > 0)


def test_observed_values_spread_by_the_stated_relative_sd():
    """log(observed / true) is N(0, 0.05^2): over 20,000 draws its sd is 0.05 within 3%."""
    error = observation_error.ObservationError(relative_sd=0.05, pairs=1, source="test")
    observed = error.observe(np.full(20_000, 2.0), np.random.default_rng(0))
    assert np.log(observed / 2.0).std() == pytest.approx(0.05, rel=0.03)
