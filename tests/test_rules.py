"""The rules against values worked out by hand, and their invariants."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.model import rules


def test_haversine_quarter_of_the_equator():
    assert rules.haversine_km(0.0, 0.0, 0.0, 90.0) == pytest.approx(math.pi / 2 * 6371.0088)
    assert rules.haversine_km(52.2, 21.0, 52.2, 21.0) == pytest.approx(0.0)


def test_exposure_full_on_border_and_decays_by_e_over_the_decay_distance():
    assert rules.exposure(5000.0, True, 800.0, 1000.0) == 1.0
    assert rules.exposure(800.0, False, 800.0, 1000.0) == 1.0
    assert rules.exposure(1800.0, False, 800.0, 1000.0) == pytest.approx(math.exp(-1))


def test_threat_perception_shares_and_clips():
    # 0.8 x (0.5 + 0.5 x 0.5) + 0.1 = 0.7
    assert rules.threat_perception(0.8, 0.5, 0.5, 0.1) == pytest.approx(0.7)
    assert rules.threat_perception(1.0, 1.0, 0.5, 0.3) == 1.0


def test_abandonment_fear_spares_the_us():
    assert rules.abandonment_fear(0.5, 0.8, 0.2, False) == pytest.approx(0.08)
    assert rules.abandonment_fear(0.5, 0.8, 0.2, True) == 0.0


@pytest.mark.parametrize("debt, deficit, room, expected", [
    (120.0, 6.0, 0.0, 1.0),     # twice both reference values
    (60.0, 3.0, 0.0, 0.5),      # exactly at both
    (60.0, math.nan, 0.0, 0.5),  # missing deficit counts as the 3% reference
    (60.0, 4.5, 1.5, 0.5),      # the escape clause removes 1.5 pp of deficit
    (0.0, -2.0, 0.0, 0.0),      # a surplus adds no pressure
    (300.0, 20.0, 0.0, 1.0),    # capped
])
def test_fiscal_pressure(debt, deficit, room, expected):
    assert rules.fiscal_pressure(debt, deficit, room) == pytest.approx(expected)


def test_ideal_level_closes_part_of_the_shortfall_and_never_cuts():
    # need 5 x 0.8 = 4; shortfall 2; kept 1 - 0.5 x 0.5 = 0.75 -> 2 + 1.5
    assert rules.ideal_level(2.0, 0.8, 0.5, 5.0, 0.5) == pytest.approx(3.5)
    assert rules.ideal_level(4.0, 0.5, 0.0, 5.0, 0.5) == pytest.approx(4.0)


def test_win_set_ceiling_and_needed_deadline_are_inverse():
    assert rules.ratifiable_ramp(0.5, 0.4, 0.2, 0.1) == pytest.approx(0.17)
    assert rules.win_set_ceiling(1.5, 0.2, 2035, 2025) == pytest.approx(3.5)
    assert rules.needed_deadline(3.5, 1.5, 0.2, 2025) == pytest.approx(2035)
    assert rules.needed_deadline(1.0, 1.5, 0.2, 2025) == pytest.approx(2025)  # already there


def test_preferred_deadline_runs_from_latest_to_earliest_with_urgency():
    assert rules.preferred_deadline(1.0, 2030, 2040) == 2030
    assert rules.preferred_deadline(0.0, 2030, 2040) == 2040
    assert rules.preferred_deadline(0.5, 2030, 2040) == 2035


def test_us_floor_and_the_related_top_up():
    assert rules.us_reservation_total(0.9, 5.0, True) == pytest.approx(4.5)
    assert rules.us_reservation_total(0.9, 5.0, False) == 0.0
    assert rules.core_floor(4.5, 1.5, True) == pytest.approx(3.0)
    assert rules.core_floor(4.5, 1.5, False) == pytest.approx(4.5)
    assert rules.related_component(3.5, 5.0, 1.5, True) == pytest.approx(1.5)
    assert rules.related_component(4.0, 5.0, 1.5, True) == pytest.approx(1.0)
    assert rules.related_component(5.5, 5.0, 1.5, True) == 0.0
    assert rules.related_component(3.5, 5.0, 1.5, False) == 0.0


@pytest.mark.parametrize("ceiling, reservation, bears_cost, expected", [
    (3.2, 4.5, True, True),
    (2.9, 4.5, True, False),   # core above what parliament ratifies
    (3.2, 5.0, True, False),   # headline below the floor
    (2.0, 9.0, False, True),   # no armed forces, no cost
])
def test_accepts(ceiling, reservation, bears_cost, expected):
    assert bool(rules.accepts(3.0, 1.5, 2035, ceiling, reservation, bears_cost)) is expected


def test_mediator_rules_by_hand():
    values, weights = np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0, 2.0])
    assert rules.weighted_mean(values, weights) == pytest.approx(2.25)
    assert rules.weighted_median(values, weights) == 2.0
    assert rules.weighted_median(values, np.array([1.0, 1.0, 3.0])) == 3.0
    # zero weight: ignored even when the value is missing
    assert rules.weighted_mean(np.array([1.0, np.nan]), np.array([1.0, 0.0])) == 1.0
    assert rules.weighted_median(np.array([np.nan, 2.0]), np.array([0.0, 1.0])) == 2.0


def test_nash_bargaining_by_hand():
    # Positions 1 and 3, each one's disagreement point the other's position: the gains are
    # (3 - x) and (x - 1); equal weights -> x = 2; weights 3:1 -> 3/(3-x) = 1/(x-1) -> x = 1.5.
    positions, disagreement = np.array([1.0, 3.0]), np.array([3.0, 1.0])
    assert rules.nash_bargaining(positions, np.array([1.0, 1.0]), disagreement) == pytest.approx(2.0)
    assert rules.nash_bargaining(positions, np.array([3.0, 1.0]), disagreement) == pytest.approx(1.5)


def test_moves_by_hand():
    assert rules.concede(1.0, 3.0, 0.25) == pytest.approx(1.5)
    assert rules.concession_share(0.4, 0.75) == pytest.approx(0.1)
    assert rules.holdout_pressure(0.9, 0.5, 0.2) == pytest.approx(1.0)
    assert rules.expand_ramp(0.1, True, 0.01, 1.5) == pytest.approx(0.115)
    assert rules.expand_ramp(0.1, False, 0.01, 1.5) == pytest.approx(0.1)
    # 0.001 pp per % of GDP exported, at pressure 0.5, on 18% of GDP: 0.009; nothing without a figure
    assert rules.bilateral_pressure(0.5, np.array([18.0, np.nan]), 0.001) == pytest.approx([0.009, 0.0])
    assert rules.mediator_weights(0.5, 0.8, 2, 0.5) == pytest.approx(0.8)


def test_flexibility_only_for_few_holdouts_with_the_us_on_board():
    holdouts = np.array([True, False, True])
    assert rules.flexibility_allowed(holdouts, True, True, 2)
    assert not rules.flexibility_allowed(holdouts, True, True, 1)
    assert not rules.flexibility_allowed(holdouts, False, True, 2)
    assert not rules.flexibility_allowed(holdouts, True, False, 2)


def test_yearly_step_by_hand():
    # planned (3 - 2) / 5 = 0.2, slowed by 1 - 0.4 x 0.5 = 0.8 -> 0.16
    assert rules.yearly_step(2.0, 3.0, 5, 0.3, 0.5, 0.4) == pytest.approx(2.16)
    assert rules.yearly_step(2.0, 3.0, 5, 0.1, 0.5, 0.4) == pytest.approx(2.1)  # capped by the ramp
    assert rules.yearly_step(3.5, 3.0, 5, 0.3, 0.5, 0.4) == pytest.approx(3.5)  # above target: hold


def test_an_ally_keeps_the_pledge_only_where_it_would_spend_that_much_on_its_own():
    assert rules.keeps_pledge(2.4, 2.0, True) and rules.keeps_pledge(2.0, 2.0, True)
    assert not rules.keeps_pledge(1.5, 2.0, True)
    assert rules.keeps_pledge(1.5, 2.0, False)  # every signature kept
    assert rules.keeps_pledge(np.array([1.5, 2.5]), 2.0, True).tolist() == [False, True]
    assert rules.keeps_pledge(np.array([[1.5], [1.5]]), 2.0, np.array([[True], [False]])).tolist() == [[False], [True]]


def test_peer_weights_rows_sum_to_one_and_favour_neighbours():
    lat, lon = np.array([52.0, 54.7, 40.4]), np.array([21.0, 25.3, -3.7])  # Warsaw, Vilnius, Madrid
    weights = rules.peer_weights(lat, lon, 1000.0)
    assert np.allclose(weights.sum(axis=1), 1.0)
    assert np.all(np.diag(weights) == 0.0)
    assert weights[0, 1] > weights[0, 2]


def test_peer_influence_mixes_with_neighbours():
    weights = np.array([[0.0, 1.0], [1.0, 0.0]])
    mixed = rules.peer_influence(np.array([0.2, 0.8]), np.array([0.2, 0.8]), weights, 0.25)
    assert mixed == pytest.approx([0.2 * 0.75 + 0.8 * 0.25, 0.8 * 0.75 + 0.2 * 0.25])


# --- broadcasting and invariants ---

unit = st.floats(0.0, 1.0)
levels = arrays(np.float64, st.integers(2, 12), elements=st.floats(0.0, 10.0))


@given(st.integers(1, 5), st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_rules_broadcast_over_runs_and_allies(runs, allies, seed):
    rng = np.random.default_rng(seed)
    threat, fiscal, start = rng.uniform(size=(runs, allies)), rng.uniform(size=(runs, allies)), rng.uniform(0, 4, (runs, allies))
    need = rng.uniform(2, 6, size=(runs, 1))
    batch = rules.ideal_level(start, threat, fiscal, need, 0.5)
    for r in range(runs):
        for a in range(allies):
            assert batch[r, a] == pytest.approx(float(rules.ideal_level(start[r, a], threat[r, a], fiscal[r, a], need[r, 0], 0.5)))
    positions, weights = rng.uniform(0, 5, (runs, allies)), rng.uniform(0.1, 1, (runs, allies))
    for rule in (rules.weighted_mean, rules.weighted_median):
        many = rule(positions, weights)
        assert many.shape == (runs,)
        assert many == pytest.approx([float(rule(positions[r], weights[r])) for r in range(runs)])


@given(unit, unit, unit, st.floats(0.0, 1.0))
def test_threat_perception_stays_in_unit_interval(level, exposure_, shared, fear):
    assert 0.0 <= rules.threat_perception(level, exposure_, shared, fear) <= 1.0


@given(st.floats(0, 400), st.one_of(st.just(math.nan), st.floats(-30, 30)), st.floats(0, 5))
def test_fiscal_pressure_stays_in_unit_interval(debt, deficit, room):
    assert 0.0 <= rules.fiscal_pressure(debt, deficit, room) <= 1.0


@settings(max_examples=60)
@given(levels, st.data())
def test_mediator_rules_stay_within_the_positions(values, data):
    weights = data.draw(arrays(np.float64, values.shape, elements=st.floats(0.01, 10.0)))
    disagreement = data.draw(arrays(np.float64, values.shape, elements=st.floats(0.0, 10.0)))
    for draft in (rules.weighted_mean(values, weights), rules.weighted_median(values, weights),
                  rules.nash_bargaining(values, weights, disagreement)):
        assert values.min() - 1e-9 <= draft <= values.max() + 1e-9


# --- bilateral challenges (the challenge protocol) -------------------------------------------------
#
# Three allies on one issue: positions 2, 3 and 5, weights 1, 1 and 2. Each ally's weighted distance
# from the others: D_0 = 1 x 1 + 2 x 3 = 7, D_1 = 1 x 1 + 2 x 2 = 5, D_2 = 1 x 3 + 1 x 2 = 5.

POSITIONS, WEIGHTS = np.array([2.0, 3.0, 5.0]), np.array([1.0, 1.0, 2.0])


def test_the_chance_to_prevail_is_the_share_of_the_weighted_support():
    distance = rules.weighted_distance(POSITIONS, WEIGHTS)
    np.testing.assert_allclose(distance, [7.0, 5.0, 5.0])
    # ally 0 against ally 2: D_2 / (D_0 + D_2) = 5 / 12, ally 2 against ally 0: 7 / 12
    assert rules.prevail_probability(distance[0], distance[2]) == pytest.approx(5 / 12)
    assert rules.prevail_probability(distance[2], distance[0]) == pytest.approx(7 / 12)
    # Bueno de Mesquita's count for the same contest: votes w_k (|x_k - x_2| - |x_k - x_0|) =
    # 3, 1, -6: 4 of 10 for ally 0. The same side is favoured; the split lies nearer 1/2.
    assert 0.4 < 5 / 12 < 0.5
    assert rules.prevail_probability(0.0, 0.0) == 0.5  # everyone at one position
    # over pairs, a pair with no support is 1/2 beside pairs with support
    shares = rules.prevail_probability(np.array([[0.0, 5.0]]), np.array([[0.0], [7.0]]))
    np.testing.assert_allclose(shares, [[0.5, 0.0], [1.0, 7 / 12]])
    # an ally of no weight counts for nothing, wherever it stands (NaN: no armed forces)
    np.testing.assert_allclose(rules.weighted_distance(np.append(POSITIONS, np.nan), np.append(WEIGHTS, 0.0))[:3],
                               distance)


def test_the_expected_utility_of_a_challenge_by_hand():
    # ally 0 (at 2) challenges ally 2 (at 5, salience 0.9): d = 3, P = 5/12. The forecast (the
    # weighted median) is 3, so ally 0 is 1 from it; with 4 on the table the forecast is nearer
    # it (T = 1). EU = 0.9 x (5/12 x 3 - 7/12 x 3) + 0.1 x 3 - 0.5 x (1 + 3) / 2 = -1.15
    forecast = rules.weighted_median(POSITIONS, WEIGHTS)
    assert forecast == 3.0
    drift = rules.status_quo_drift(POSITIONS, forecast, 4.0)
    np.testing.assert_array_equal(drift, [1.0, 1.0, 0.0])  # ally 1 sits at the forecast, 1 from 4
    assert rules.challenge_utility(5 / 12, 3.0, 0.9, 1.0, drift[0]) == pytest.approx(-1.15)
    # ally 2's view of the same contest (ally 0's salience 0.6; 2 from the forecast, which
    # moves away from it, T = 0): 0.6 x (7/12 x 3 - 5/12 x 3) + 0.4 x 3 + 0.5 x (2 + 3) / 2 = 2.75
    assert rules.challenge_utility(7 / 12, 3.0, 0.6, 2.0, drift[2]) == pytest.approx(2.75)
    # nothing on the table yet: no drift (T = 1/2), EU = d (1 - 2 s_j (1 - P))
    assert rules.status_quo_drift(2.0, 3.0, np.nan) == 0.5
    assert rules.challenge_utility(7 / 12, 1.0, 0.6, 1.0, 0.5) == pytest.approx(1 - 2 * 0.6 * 5 / 12)


def test_the_outcome_classes_and_the_offers():
    Answer = rules.Answer
    # (EU_ij, EU_ji) -> class: ally 2's challenge to ally 0 above (2.75, -1.15) compels
    pairs = np.array([[2.75, -1.15], [0.2, -0.5], [0.3, 0.1], [-1.15, 2.75], [0.0, -1.0]])
    answers = rules.challenge_answer(pairs[:, 0], pairs[:, 1])
    assert answers.tolist() == [Answer.SUPPORT, Answer.COUNTER, Answer.COUNTER, Answer.REJECT, Answer.REJECT]
    # target at 2, challenger at 5, P = 7/12: supports 5 (a step of 3), counters 2 + 7/12 x 3 =
    # 3.75 (a step of 1.75), or stays
    steps = rules.offered_step(2.0, 5.0, 7 / 12, np.array(answers[:3].tolist() + [Answer.REJECT]))
    np.testing.assert_allclose(steps, [3.0, 1.75, 1.75, 0.0])
    # how far: 3 (supports), 1.75 (counters: 7/12 of 3), never (rejects)
    np.testing.assert_allclose(rules.offered_move(3.0, 7 / 12, answers[:4] > 0, answers[:4] == Answer.SUPPORT),
                               [3.0, 1.75, 1.75, np.inf])
    # it takes the offer it must accept that moves it least, never a rejected one; none: it stays
    # (at 2: challengers 3 up, supporting; 3.0 up, countering 7/12 of the way; 0.5 up, rejecting)
    assert rules.least_move(2.0, np.array([3.0, 3.0, 0.5]), np.array([3.0, 1.75, np.inf])) == 3.75
    assert rules.least_move(2.0, np.array([3.0, -1.0]), np.array([np.inf, np.inf])) == 2.0
    # (runs, targets, challengers): the first takes the move of 1 toward the challenger below
    # over the move of 3 toward the one above; the second the move of 0.5 toward the one above
    # (the one below makes no offer)
    block = rules.least_move(np.array([[2.0, 4.0]]), np.array([[[3.0, -1.0], [-1.0, 0.5]]]),
                             np.array([[[3.0, 1.0], [np.inf, 0.5]]]))
    np.testing.assert_allclose(block, [[1.0, 4.5]])


def test_the_median_voter_is_the_ally_at_the_weighted_median():
    values = np.array([[5.0, 2.0, 3.0], [1.0, 1.0, 4.0]])
    weights = np.array([[2.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
    index = rules.weighted_median_index(values, weights)
    assert index.tolist() == [2, 0]  # 3 (cumulative 1, 2 of 4); 1 (the zero weight never counts)
    np.testing.assert_allclose(np.take_along_axis(values, index[:, None], -1)[:, 0],
                               rules.weighted_median(values, weights))


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 6).flatmap(lambda n: st.tuples(
    arrays(float, n, elements=st.floats(0.0, 10.0)), arrays(float, n, elements=st.floats(0.01, 1.0)))))
def test_the_chances_of_two_rivals_add_to_one(alliance):
    positions, weights = alliance
    distance = rules.weighted_distance(positions, weights)
    prevail = rules.prevail_probability(distance[None, :], distance[:, None])  # [j, i]: i over j
    assert ((prevail >= 0.0) & (prevail <= 1.0)).all()
    np.testing.assert_allclose(prevail + prevail.T, 1.0)
    # the favourite is Bueno de Mesquita's: P_ij > 1/2 exactly where the net vote favours i
    net = np.sum(weights * (np.abs(positions[None, None, :] - positions[:, None, None])
                            - np.abs(positions[None, None, :] - positions[None, :, None])), axis=-1)
    clear = np.abs(net) > 1e-9
    assert ((prevail[clear] > 0.5) == (net[clear] > 0)).all()


def test_nash_bargaining_by_hand_with_three_allies():
    # Positions 0, 1, 2, each one's gain over no deal 2 - |x - p| (reach 2), weights 2:1:1.
    # Left of 1 the objective 2 log(2 - x) + log(1 + x) + log(x) is stationary where
    # 2 + x - 4x^2 = 0, x = (1 + sqrt(33)) / 8 = 0.843; the grid (step 0.01) holds it to a step.
    positions = np.array([0.0, 1.0, 2.0])
    disagreement = positions + np.array([2.0, 2.0, -2.0])
    solution = rules.nash_bargaining(positions, np.array([2.0, 1.0, 1.0]), disagreement)
    assert solution == pytest.approx((1 + math.sqrt(33)) / 8, abs=0.01)
    # equal weights: symmetric, so the middle
    assert rules.nash_bargaining(positions, np.ones(3), disagreement) == pytest.approx(1.0)

