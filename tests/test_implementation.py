"""After the summit: the yearly rules of implementation against values worked out by hand."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.model import implementation
from sim.model.down_payment import down_payment


def test_yearly_step_by_hand():
    # planned (3 - 2) / 5 = 0.2, slowed by 1 - 0.4 x 0.5 = 0.8 -> 0.16
    assert implementation.yearly_step(2.0, 3.0, 5, 0.3, 0.5, 0.4) == pytest.approx(2.16)
    assert implementation.yearly_step(2.0, 3.0, 5, 0.1, 0.5, 0.4) == pytest.approx(2.1)  # capped by the ramp
    assert implementation.yearly_step(3.5, 3.0, 5, 0.3, 0.5, 0.4) == pytest.approx(3.5)  # above target: hold


def test_an_ally_keeps_the_pledge_only_where_it_would_spend_that_much_on_its_own():
    assert implementation.keeps_pledge(2.4, 2.0, True) and implementation.keeps_pledge(2.0, 2.0, True)
    assert not implementation.keeps_pledge(1.5, 2.0, True)
    assert implementation.keeps_pledge(1.5, 2.0, False)  # every signature kept
    assert implementation.keeps_pledge(np.array([1.5, 2.5]), 2.0, True).tolist() == [False, True]
    assert implementation.keeps_pledge(np.array([[1.5], [1.5]]), 2.0, np.array([[True], [False]])).tolist() == [[False], [True]]


def test_the_down_payment_by_hand():
    """Spending 1.3, pledged floor 2.0: gap 0.7. Pressed share 0.8, fiscal 0.5, drag 0.4:
    1 - 0.4 x 0.5 = 0.8 of the pressed share holds, 1.3 + 0.8 x 0.8 x 0.7 = 1.748."""
    assert down_payment(1.3, 2.0, 0.8, 0.5, 0.4) == pytest.approx(1.748)
    assert down_payment(1.3, 2.0, 0.0, 0.5, 0.4) == pytest.approx(1.3)  # not pressed: no decision beyond the budget
    assert down_payment(2.4, 2.0, 1.0, 0.0, 0.4) == pytest.approx(2.4)  # above the floor: nothing to pay down
    assert down_payment(1.3, 0.0, 1.0, 0.0, 0.4) == pytest.approx(1.3)  # no floor due
    assert down_payment(1.3, 2.0, 1.0, 0.0, 0.4) == pytest.approx(2.0)  # fully pressed, no fiscal pressure: the floor


@given(spending=st.floats(0.0, 5.0), due=st.floats(0.0, 5.0), share=st.floats(0.0, 1.0),
       fiscal=st.floats(0.0, 1.0), drag=st.floats(0.0, 2.0), more=st.floats(0.0, 1.0))
def test_the_down_payment_moves_toward_the_floor_due_and_never_past_it(spending, due, share, fiscal, drag, more):
    decided = down_payment(spending, due, share, fiscal, drag)
    assert spending <= decided <= max(spending, due) + 1e-12
    assert down_payment(spending, due, min(share + more, 1.0), fiscal, drag) >= decided - 1e-12  # pressed harder


def test_punctuated_adjustment_by_hand():
    """Spending 1.0, ideal 2.0: gap 1.0. Incremental at 0.1: 1.1. With a friction of 0.4 pp and a
    punctuation rate of 0.5, the part beyond it (0.6) closes by half more: 1.0 + 0.1 + 0.3 = 1.4.
    A gap within the friction (0.3) moves incrementally only: 1.7 + 0.03."""
    assert implementation.adjust_toward_ideal(1.0, 2.0, 0.1) == pytest.approx(1.1)
    assert implementation.adjust_toward_ideal(1.0, 2.0, 0.1, 0.5, 0.4) == pytest.approx(1.4)
    assert implementation.adjust_toward_ideal(1.7, 2.0, 0.1, 0.5, 0.4) == pytest.approx(1.73)
    assert implementation.adjust_toward_ideal(2.5, 2.0, 0.1, 0.5, 0.0) == pytest.approx(2.5)  # above: no cut
    assert implementation.adjust_toward_ideal(1.0, 2.0, 0.8, 0.9, 0.0) == pytest.approx(2.0)  # never past the ideal


@given(spending=st.floats(0.0, 6.0), ideal=st.floats(0.0, 6.0), rate=st.floats(0.0, 1.0),
       punctuation=st.floats(0.0, 1.0), friction=st.floats(0.0, 5.0), less=st.floats(0.0, 5.0))
def test_punctuated_adjustment_moves_toward_the_ideal_and_more_with_less_friction(spending, ideal, rate, punctuation,
                                                                                friction, less):
    moved = implementation.adjust_toward_ideal(spending, ideal, rate, punctuation, friction)
    assert spending <= moved <= max(spending, ideal) + 1e-12
    assert moved >= implementation.adjust_toward_ideal(spending, ideal, rate) - 1e-12  # never slower than incremental
    assert implementation.adjust_toward_ideal(spending, ideal, rate, punctuation, max(friction - less, 0.0)) >= moved - 1e-12


def test_an_event_weighs_on_the_budgets_after_its_year():
    """The invasion of February 2022 came after the 2022 budgets were passed: they answer the
    talks' threat (0.5); the budgets of 2023 on answer the event's (0.8). No event (year 0): the
    talks' threat throughout."""
    years = np.array([2021, 2022, 2023, 2030])
    assert implementation.threat_level_in_year(years, 0.5, 2022, 0.8).tolist() == [0.5, 0.5, 0.8, 0.8]
    assert implementation.threat_level_in_year(years, 0.5, 0, 0.8).tolist() == [0.5] * 4
