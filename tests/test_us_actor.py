"""The United States as an actor (sim/model/us_actor.py): its posture read from dated statements,
and the floor it settles on."""

import datetime as dt

import numpy as np
import pytest

from sim.data.us_posture import load_us_posture
from sim.model import us_actor


def test_the_hague_posture_worked_by_hand():
    # by 23 June 2025 the sitting administration's most explicit statement of the year before
    # is the Oval Office remark of 6 March 2025 (code 3: pressure 1); the latest level named is
    # 5%; the latest day that named a year (15 May 2025) named 2032 and 2035: the sooner
    reading = us_actor.read_posture("2025-06-23")
    assert reading.pressure == pytest.approx(1.0) and reading.pressed_by.date == dt.date(2025, 3, 6)
    assert reading.demand_pct == pytest.approx(5.0)
    assert reading.deadline_year == 2032


def test_the_wales_posture_sees_only_what_was_published_before_the_summit():
    reading = us_actor.read_posture("2014-09-04")
    assert reading.pressure == pytest.approx(1 / 3)  # complaints (code 1), no threat of abandonment
    assert reading.demand_pct == pytest.approx(2.0)
    assert reading.deadline_year is None  # the "within a decade" came at the summit itself
    assert all(event.source_date <= dt.date(2014, 9, 4)
               for event in (reading.pressed_by, reading.asked_by))


def test_a_candidates_threats_are_not_yet_a_posture():
    # June 2024: the Trump campaign's refusal to defend (February 2024, code 3) does not count;
    # the Biden administration's statements of the year before reassure (code 0)
    reading = us_actor.read_posture("2024-06-23")
    assert reading.pressure == 0.0 and reading.demand_pct == pytest.approx(2.0)


def test_nothing_known_reads_as_no_pressure_and_no_demand():
    reading = us_actor.read_posture("2010-01-01", load_us_posture())
    assert reading.pressure == 0.0 and reading.demand_pct is None and reading.deadline_year is None


def test_the_decisive_laggard_is_the_first_the_summit_cannot_carry():
    ceilings = np.array([3.0, 1.0, 2.0, 4.0, 9.0])
    members = np.array([True, True, True, True, False])
    assert us_actor.decisive_ceiling(ceilings, members, 0).item() == pytest.approx(1.0)
    assert us_actor.decisive_ceiling(ceilings, members, 2).item() == pytest.approx(3.0)
    assert us_actor.decisive_ceiling(ceilings, members, 9).item() == pytest.approx(4.0)  # never past the last member
    block = us_actor.decisive_ceiling(np.stack([ceilings, ceilings + 1]), members, np.array([[0], [1]]))
    assert block.tolist() == [[1.0], [3.0]]


def test_the_us_holds_out_for_its_credible_demand_capped_by_what_the_allies_can_follow():
    assert us_actor.settled_headline(1.0, 5.0, 6.0) == pytest.approx(5.0)
    assert us_actor.settled_headline(1.0, 5.0, 4.2) == pytest.approx(4.2)
    assert us_actor.settled_headline(0.4, 5.0, 4.2) == pytest.approx(2.0)


def test_the_models_us_floor_is_settled_from_the_opening():
    from sim.engines.model import AllianceModel
    model = AllianceModel("hague2025", rng=0, us_pressure=0.5)
    us = next(ally for ally in model.allies if ally.facts.is_us)
    assert us.circumstances.reservation_total <= 0.5 * 5.0 + 1e-12
    others = [ally.circumstances.reservation_total for ally in model.allies if not ally.facts.is_us]
    assert all(value == 0.0 for value in others)
