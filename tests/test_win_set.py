"""What an ally wants and can ratify: the win-set rules against values worked out by hand."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.model import win_set


def test_ideal_level_closes_part_of_the_shortfall_and_never_cuts():
    # need 5 x 0.8 = 4; shortfall 2; kept 1 - 0.5 x 0.5 = 0.75 -> 2 + 1.5
    assert win_set.ideal_level(2.0, 0.8, 0.5, 5.0, 0.5) == pytest.approx(3.5)
    assert win_set.ideal_level(4.0, 0.5, 0.0, 5.0, 0.5) == pytest.approx(4.0)


def test_what_an_ally_leaves_to_the_others_comes_off_its_need():
    # need 4, 1 pp left to the others: shortfall 4 - 1 - 2 = 1; kept 0.75 -> 2 + 0.75
    assert win_set.ideal_level(2.0, 0.8, 0.5, 5.0, 0.5, 1.0) == pytest.approx(2.75)
    # leaving more than the shortfall: no cut, the ideal is today's spending
    assert win_set.ideal_level(2.0, 0.8, 0.5, 5.0, 0.5, 3.0) == pytest.approx(2.0)


def test_win_set_ceiling_and_needed_deadline_are_inverse():
    assert win_set.base_ramp(0.5, 0.4, 0.2, 0.1) == pytest.approx(0.17)
    assert win_set.win_set_ceiling(1.5, 0.2, 2035, 2025) == pytest.approx(3.5)
    assert win_set.needed_deadline(3.5, 1.5, 0.2, 2025) == pytest.approx(2035)
    assert win_set.needed_deadline(1.0, 1.5, 0.2, 2025) == pytest.approx(2025)  # already there


def test_the_deadline_asked_is_the_time_needed_pulled_toward_the_threats_horizon_by_urgency():
    # feasible 2038, horizon 2030: a relaxed ally asks 2038, a fully urgent one 2030, half-way 2034
    assert win_set.preferred_deadline(0.0, 2038.0, 2030.0, 2029, 2050) == pytest.approx(2038.0)
    assert win_set.preferred_deadline(1.0, 2038.0, 2030.0, 2029, 2050) == pytest.approx(2030.0)
    assert win_set.preferred_deadline(0.5, 2038.0, 2030.0, 2029, 2050) == pytest.approx(2034.0)
    # an ally that can be there before the horizon asks for its own year, however urgent
    assert win_set.preferred_deadline(1.0, 2028.5, 2030.0, 2026, 2050) == pytest.approx(2028.5)
    # the window only bounds the ask
    assert win_set.preferred_deadline(0.0, 2060.0, 2030.0, 2029, 2050) == 2050
    assert win_set.preferred_deadline(1.0, 2038.0, 2030.0, 2032, 2050) == 2032


def test_us_floor_and_the_related_top_up():
    assert win_set.us_reservation_total(0.9, 5.0, True) == pytest.approx(4.5)
    assert win_set.us_reservation_total(0.9, 5.0, False) == 0.0
    assert win_set.core_floor(4.5, 1.5, True) == pytest.approx(3.0)
    assert win_set.core_floor(4.5, 1.5, False) == pytest.approx(4.5)
    assert win_set.related_component(3.5, 5.0, 1.5, True) == pytest.approx(1.5)
    assert win_set.related_component(4.0, 5.0, 1.5, True) == pytest.approx(1.0)
    assert win_set.related_component(5.5, 5.0, 1.5, True) == 0.0
    assert win_set.related_component(3.5, 5.0, 1.5, False) == 0.0
    assert win_set.related_component(3.5, 4.0, 1.5, True) == pytest.approx(0.5)  # only up to the floor


def test_new_money_counts_a_share_of_the_related_spending():
    assert win_set.new_money(3.5, 1.5, 0.0) == pytest.approx(3.5)  # all of it counted from what is spent
    assert win_set.new_money(3.5, 1.5, 0.4) == pytest.approx(4.1)
    assert win_set.new_money(3.5, 1.5, 1.0) == pytest.approx(5.0)


def test_the_headline_floor_is_the_highest_members_floor():
    floors = np.array([[0.0, 0.0, 4.5], [0.0, 0.0, 3.0]])
    circumstances = type("C", (), {"reservation_total": floors})
    assert win_set.headline_floor(circumstances, np.array([True, True, True])).tolist() == [[4.5], [3.0]]
    assert win_set.headline_floor(circumstances, np.array([True, True, False])).tolist() == [[0.0], [0.0]]


@pytest.mark.parametrize("ceiling, reservation, bears_cost, expected", [
    (3.2, 4.5, True, True),
    (2.9, 4.5, True, False),   # core above what parliament ratifies
    (3.2, 5.0, True, False),   # headline below the floor
    (2.0, 9.0, False, True),   # no armed forces, no cost
])
def test_accepts(ceiling, reservation, bears_cost, expected):
    assert bool(win_set.accepts(3.0, 1.5, 2035, ceiling, reservation, bears_cost, 0.0)) is expected


def test_the_related_spending_that_is_new_money_must_fit_too():
    # core 3.0 + 0.4 x 1.5 = 3.6 of new money: a ceiling of 3.5 refuses it, 3.6 takes it
    assert not win_set.accepts(3.0, 1.5, 2035, 3.5, 0.0, True, 0.4)
    assert win_set.accepts(3.0, 1.5, 2035, 3.6, 0.0, True, 0.4)


@given(st.integers(1, 5), st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_the_ideal_broadcasts_over_runs_and_allies(runs, allies, seed):
    rng = np.random.default_rng(seed)
    threat, fiscal, start = rng.uniform(size=(runs, allies)), rng.uniform(size=(runs, allies)), rng.uniform(0, 4, (runs, allies))
    need = rng.uniform(2, 6, size=(runs, 1))
    batch = win_set.ideal_level(start, threat, fiscal, need, 0.5)
    for r in range(runs):
        for a in range(allies):
            assert batch[r, a] == pytest.approx(float(win_set.ideal_level(start[r, a], threat[r, a], fiscal[r, a], need[r, 0], 0.5)))


@pytest.mark.parametrize("ceiling, expected", [
    (3.5, 3.5 - 0.4 * 1.5),            # headline 5, cap 1.5: below 3.5 + 0.6 = 4.1 the related is at its cap
    (4.1, 3.5),                        # the end of that piece: core 3.5, related 1.5
    (4.4, (4.4 - 0.4 * 5.0) / 0.6),    # between: core + 0.4 x (5 - core) = 4.4 -> core 4.0
    (5.0, 5.0),                        # at the headline: no related spending left
    (6.0, 6.0),                        # past it: the core alone
])
def test_the_most_core_a_budget_holds_is_the_inverse_of_what_a_package_asks(ceiling, expected):
    core = win_set.most_core_within(ceiling, 5.0, 1.5, True, 0.4)
    assert core == pytest.approx(expected)
    assert win_set.package_money(core, 5.0, 1.5, True, 0.4) == pytest.approx(ceiling)


@given(st.floats(0.0, 9.0), st.floats(0.0, 8.0), st.floats(0.0, 3.0), st.floats(0.0, 0.99))
def test_most_core_within_inverts_package_money(ceiling, headline, cap, share):
    core = float(win_set.most_core_within(ceiling, headline, cap, True, share))
    if core > 0.0:  # a ceiling below what a package of core 0 asks has no core within it
        assert float(win_set.package_money(core, headline, cap, True, share)) == pytest.approx(ceiling, abs=1e-9)
