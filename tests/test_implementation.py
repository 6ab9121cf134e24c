"""After the summit: the yearly rules of implementation against values worked out by hand."""

import numpy as np
import pytest

from sim.model import implementation


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
