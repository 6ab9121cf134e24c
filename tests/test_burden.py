"""Free riding and the fear of abandonment (sim/model/burden.py), against values worked out by hand."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.model import burden
from sim.model.alliance import allied_efforts
from tests.hand_cases import PARAMS, three_allies


def test_the_us_effort_counts_less_the_harder_it_presses():
    assert burden.us_credibility(0.0, 0.6) == pytest.approx(1.0)
    assert burden.us_credibility(0.5, 0.6) == pytest.approx(0.7)
    assert burden.us_credibility(1.0, 0.6) == pytest.approx(0.4)


def test_protection_is_the_others_effort_with_the_us_share_discounted():
    # 0.8 pp from the other allies, 1.8 pp from the US at credibility 0.5: 0.8 + 0.9
    assert burden.counted_protection(0.8, 1.8, 0.5) == pytest.approx(1.7)


def test_the_front_line_leaves_nothing_to_the_others():
    assert burden.free_riding_share(0.5, 1.0) == 0.0
    assert burden.free_riding_share(0.5, 0.0) == pytest.approx(0.5)
    assert burden.free_riding_share(0.5, 0.4) == pytest.approx(0.3)


def test_each_ally_sees_the_others_effort_and_the_us_its_own_as_nobodys():
    # spending 2, 1, 3 with clout 0.2, 0.3, 0.5 (the US last): weighted 0.4, 0.3, 1.5
    start, clout, is_us = np.array([2.0, 1.0, 3.0]), np.array([0.2, 0.3, 0.5]), np.array([False, False, True])
    allied, us = allied_efforts(start, clout, is_us)
    np.testing.assert_allclose(allied, [0.3, 0.4, 0.0 + 0.7])  # the US's view of the others: 0.4 + 0.3
    np.testing.assert_allclose(us, [1.5, 1.5, 0.0])


def test_an_ally_without_forces_adds_no_effort():
    allied, us = allied_efforts(np.array([np.nan, 2.0, 3.0]), np.array([0.0, 0.4, 0.6]),
                                np.array([False, False, True]))
    np.testing.assert_allclose(allied, [0.8, 0.0, 0.8])
    np.testing.assert_allclose(us, [1.8, 1.8, 0.0])


def test_the_free_ride_falls_as_us_pressure_rises_and_the_us_takes_none():
    alliance, _ = three_allies()
    allied, us = allied_efforts(alliance.start_pct, alliance.clout, alliance.is_us)
    import dataclasses
    alliance = dataclasses.replace(alliance, allied_effort_pct=allied, us_effort_pct=us)
    exposure = np.array([0.0, 0.0, 0.0])
    calm = burden.left_to_others(alliance, PARAMS.replace(us_pressure=0.0, abandonment_weight=0.5, spill_in=0.5),
                                 exposure)
    pressed = burden.left_to_others(alliance, PARAMS.replace(us_pressure=1.0, abandonment_weight=0.5, spill_in=0.5),
                                    exposure)
    # the hawk: others 0.3 (laggard) + US 1.5 -> 0.5 x 1.8 = 0.9 calm; 0.5 x (0.3 + 0.75) = 0.525 pressed
    assert calm[0] == pytest.approx(0.9) and pressed[0] == pytest.approx(0.525)
    assert calm[2] == 0.0 and pressed[2] == 0.0


@given(st.floats(0, 1), st.floats(0, 1), st.floats(0, 1), st.floats(0, 5), st.floats(0, 5))
def test_more_pressure_never_raises_the_free_ride(low, high, weight, allied, us):
    low, high = sorted((low, high))
    at = [burden.counted_protection(allied, us, burden.us_credibility(p, weight)) for p in (low, high)]
    assert at[1] <= at[0] + 1e-12
