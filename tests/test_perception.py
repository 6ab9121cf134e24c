"""What an ally reads from its situation: the perception rules against values worked out by hand,
and their invariants."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.model import perception

unit = st.floats(0.0, 1.0)


def test_haversine_quarter_of_the_equator():
    assert perception.haversine_km(0.0, 0.0, 0.0, 90.0) == pytest.approx(math.pi / 2 * 6371.0088)
    assert perception.haversine_km(52.2, 21.0, 52.2, 21.0) == pytest.approx(0.0)


def test_exposure_full_on_border_and_decays_by_e_over_the_decay_distance():
    assert perception.exposure(5000.0, True, 800.0, 1000.0) == 1.0
    assert perception.exposure(800.0, False, 800.0, 1000.0) == 1.0
    assert perception.exposure(1800.0, False, 800.0, 1000.0) == pytest.approx(math.exp(-1))


def test_threat_perception_shares_and_clips():
    # 0.8 x (0.5 + 0.5 x 0.5) = 0.6
    assert perception.threat_perception(0.8, 0.5, 0.5) == pytest.approx(0.6)
    assert perception.threat_perception(1.0, 1.0, 0.5) == 1.0


@pytest.mark.parametrize("debt, deficit, room, expected", [
    (120.0, 6.0, 0.0, 1.0),     # twice both reference values
    (60.0, 3.0, 0.0, 0.5),      # exactly at both
    (60.0, math.nan, 0.0, 0.5),  # missing deficit counts as the 3% reference
    (60.0, 4.5, 1.5, 0.5),      # the escape clause removes 1.5 pp of deficit
    (0.0, -2.0, 0.0, 0.0),      # a surplus adds no pressure
    (300.0, 20.0, 0.0, 1.0),    # capped
])
def test_fiscal_pressure(debt, deficit, room, expected):
    assert perception.fiscal_pressure(debt, deficit, room) == pytest.approx(expected)


def test_peer_weights_rows_sum_to_one_and_favour_neighbours():
    lat, lon = np.array([52.0, 54.7, 40.4]), np.array([21.0, 25.3, -3.7])  # Warsaw, Vilnius, Madrid
    weights = perception.peer_weights(lat, lon, 1000.0)
    assert np.allclose(weights.sum(axis=1), 1.0)
    assert np.all(np.diag(weights) == 0.0)
    assert weights[0, 1] > weights[0, 2]


def test_peer_influence_mixes_with_neighbours():
    weights = np.array([[0.0, 1.0], [1.0, 0.0]])
    mixed = perception.peer_influence(np.array([0.2, 0.8]), np.array([0.2, 0.8]), weights, 0.25)
    assert mixed == pytest.approx([0.2 * 0.75 + 0.8 * 0.25, 0.8 * 0.75 + 0.2 * 0.25])


@given(unit, unit, unit)
def test_threat_perception_stays_in_unit_interval(level, exposure_, shared):
    assert 0.0 <= perception.threat_perception(level, exposure_, shared) <= 1.0


@given(st.floats(0, 400), st.one_of(st.just(math.nan), st.floats(-30, 30)), st.floats(0, 5))
def test_fiscal_pressure_stays_in_unit_interval(debt, deficit, room):
    assert 0.0 <= perception.fiscal_pressure(debt, deficit, room) <= 1.0
