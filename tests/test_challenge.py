"""The challenge protocol's formulas (Bueno de Mesquita's expected utility model) against values
worked out by hand, and their invariants."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.protocols import challenge, mediator


# Three allies on one issue: positions 2, 3 and 5, weights 1, 1 and 2. Each ally's weighted distance
# from the others: D_0 = 1 x 1 + 2 x 3 = 7, D_1 = 1 x 1 + 2 x 2 = 5, D_2 = 1 x 3 + 1 x 2 = 5.
POSITIONS, WEIGHTS = np.array([2.0, 3.0, 5.0]), np.array([1.0, 1.0, 2.0])


def test_the_chance_to_prevail_is_the_share_of_the_weighted_support():
    distance = challenge.weighted_distance(POSITIONS, WEIGHTS)
    np.testing.assert_allclose(distance, [7.0, 5.0, 5.0])
    # ally 0 against ally 2: D_2 / (D_0 + D_2) = 5 / 12, ally 2 against ally 0: 7 / 12
    assert challenge.prevail_probability(distance[0], distance[2]) == pytest.approx(5 / 12)
    assert challenge.prevail_probability(distance[2], distance[0]) == pytest.approx(7 / 12)
    # Bueno de Mesquita's count for the same contest: votes w_k (|x_k - x_2| - |x_k - x_0|) =
    # 3, 1, -6: 4 of 10 for ally 0. The same side is favoured; the split lies nearer 1/2.
    assert 0.4 < 5 / 12 < 0.5
    assert challenge.prevail_probability(0.0, 0.0) == 0.5  # everyone at one position
    # over pairs, a pair with no support is 1/2 beside pairs with support
    shares = challenge.prevail_probability(np.array([[0.0, 5.0]]), np.array([[0.0], [7.0]]))
    np.testing.assert_allclose(shares, [[0.5, 0.0], [1.0, 7 / 12]])
    # an ally of no weight counts for nothing, wherever it stands (NaN: no armed forces)
    np.testing.assert_allclose(challenge.weighted_distance(np.append(POSITIONS, np.nan), np.append(WEIGHTS, 0.0))[:3],
                               distance)


def test_the_expected_utility_of_a_challenge_by_hand():
    # ally 0 (at 2) challenges ally 2 (at 5, salience 0.9): d = 3, P = 5/12. The forecast (the
    # weighted median) is 3, so ally 0 is 1 from it; with 4 on the table the forecast is nearer
    # it (T = 1). EU = 0.9 x (5/12 x 3 - 7/12 x 3) + 0.1 x 3 - 0.5 x (1 + 3) / 2 = -1.15
    forecast = mediator.weighted_median(POSITIONS, WEIGHTS)
    assert forecast == 3.0
    drift = challenge.status_quo_drift(POSITIONS, forecast, 4.0)
    np.testing.assert_array_equal(drift, [1.0, 1.0, 0.0])  # ally 1 sits at the forecast, 1 from 4
    assert challenge.challenge_utility(5 / 12, 3.0, 0.9, 1.0, drift[0]) == pytest.approx(-1.15)
    # ally 2's view of the same contest (ally 0's salience 0.6; 2 from the forecast, which
    # moves away from it, T = 0): 0.6 x (7/12 x 3 - 5/12 x 3) + 0.4 x 3 + 0.5 x (2 + 3) / 2 = 2.75
    assert challenge.challenge_utility(7 / 12, 3.0, 0.6, 2.0, drift[2]) == pytest.approx(2.75)
    # nothing on the table yet: no drift (T = 1/2), EU = d (1 - 2 s_j (1 - P))
    assert challenge.status_quo_drift(2.0, 3.0, np.nan) == 0.5
    assert challenge.challenge_utility(7 / 12, 1.0, 0.6, 1.0, 0.5) == pytest.approx(1 - 2 * 0.6 * 5 / 12)


def test_the_outcome_classes_and_the_offers():
    Answer = challenge.Answer
    # (EU_ij, EU_ji) -> class: ally 2's challenge to ally 0 above (2.75, -1.15) compels
    pairs = np.array([[2.75, -1.15], [0.2, -0.5], [0.3, 0.1], [-1.15, 2.75], [0.0, -1.0]])
    answers = challenge.challenge_answer(pairs[:, 0], pairs[:, 1])
    assert answers.tolist() == [Answer.SUPPORT, Answer.COUNTER, Answer.COUNTER, Answer.REJECT, Answer.REJECT]
    # target at 2, challenger at 5, P = 7/12: supports 5 (a step of 3), counters 2 + 7/12 x 3 =
    # 3.75 (a step of 1.75), or stays
    steps = challenge.offered_step(2.0, 5.0, 7 / 12, np.array(answers[:3].tolist() + [Answer.REJECT]))
    np.testing.assert_allclose(steps, [3.0, 1.75, 1.75, 0.0])
    # how far: 3 (supports), 1.75 (counters: 7/12 of 3), never (rejects)
    np.testing.assert_allclose(challenge.offered_move(3.0, 7 / 12, answers[:4] > 0, answers[:4] == Answer.SUPPORT),
                               [3.0, 1.75, 1.75, np.inf])
    # it takes the offer it must accept that moves it least, never a rejected one; none: it stays
    # (at 2: challengers 3 up, supporting; 3.0 up, countering 7/12 of the way; 0.5 up, rejecting)
    assert challenge.least_move(2.0, np.array([3.0, 3.0, 0.5]), np.array([3.0, 1.75, np.inf])) == 3.75
    assert challenge.least_move(2.0, np.array([3.0, -1.0]), np.array([np.inf, np.inf])) == 2.0
    # (runs, targets, challengers): the first takes the move of 1 toward the challenger below
    # over the move of 3 toward the one above; the second the move of 0.5 toward the one above
    # (the one below makes no offer)
    block = challenge.least_move(np.array([[2.0, 4.0]]), np.array([[[3.0, -1.0], [-1.0, 0.5]]]),
                             np.array([[[3.0, 1.0], [np.inf, 0.5]]]))
    np.testing.assert_allclose(block, [[1.0, 4.5]])


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 6).flatmap(lambda n: st.tuples(
    arrays(float, n, elements=st.floats(0.0, 10.0)), arrays(float, n, elements=st.floats(0.01, 1.0)))))
def test_the_chances_of_two_rivals_add_to_one(alliance):
    positions, weights = alliance
    distance = challenge.weighted_distance(positions, weights)
    prevail = challenge.prevail_probability(distance[None, :], distance[:, None])  # [j, i]: i over j
    assert ((prevail >= 0.0) & (prevail <= 1.0)).all()
    np.testing.assert_allclose(prevail + prevail.T, 1.0)
    # the favourite is Bueno de Mesquita's: P_ij > 1/2 exactly where the net vote favours i
    net = np.sum(weights * (np.abs(positions[None, None, :] - positions[:, None, None])
                            - np.abs(positions[None, None, :] - positions[None, :, None])), axis=-1)
    clear = np.abs(net) > 1e-9
    assert ((prevail[clear] > 0.5) == (net[clear] > 0)).all()
