"""The challenge protocol's formulas (Bueno de Mesquita's expected utility model) against values
worked out by hand, and their invariants."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.protocols import challenge, mediator


# Three allies on one issue: positions 2, 3 and 5, weights 1, 1 and 2.
POSITIONS, WEIGHTS = np.array([2.0, 3.0, 5.0]), np.array([1.0, 1.0, 2.0])


def test_the_chance_to_prevail_is_the_share_of_the_votes():
    """Bueno de Mesquita (1994): ally k votes w_k (|x_k - x_j| - |x_k - x_i|) for challenger i
    against target j, and P_ij is i's share of the votes cast (their absolute values).

    0 (at 2) against 2 (at 5): ally 0 casts 1 x (3 - 0) = 3 for 0, ally 1 1 x (2 - 1) = 1 for 0,
    ally 2 2 x (0 - 3) = -6: 4 of 10, P_02 = 0.4, P_20 = 0.6.
    0 against 1 (at 3): 1 x (1 - 0) = 1, 1 x (0 - 1) = -1, 2 x (2 - 3) = -2: 1 of 4, P_01 = 0.25.
    1 against 2: 1 x (3 - 1) = 2, 1 x (2 - 0) = 2, 2 x (0 - 2) = -4: 4 of 8, P_12 = 0.5 (a tie
    that the split of support D_2 / (D_1 + D_2) = 5 / 10 also gives, where for 0 against 2 it
    gave 5/12, nearer 1/2)."""
    shares = challenge.vote_share(POSITIONS, WEIGHTS)  # [challenger i, target j]
    np.testing.assert_allclose(shares, [[0.5, 0.25, 0.4], [0.75, 0.5, 0.5], [0.6, 0.5, 0.5]])
    # everyone at one position: nobody's vote differs
    np.testing.assert_array_equal(challenge.vote_share(np.full(3, 2.0), WEIGHTS), 0.5)
    # an ally of no weight casts no vote, wherever it stands (NaN: no armed forces)
    with_absent = challenge.vote_share(np.append(POSITIONS, np.nan), np.append(WEIGHTS, 0.0))
    np.testing.assert_allclose(with_absent[:3, :3], shares)
    assert np.isfinite(with_absent).all()
    # a third ally who stands with one side only: 0 against 1 with ally 2 weightless, 1 vote each way
    assert challenge.vote_share(POSITIONS, np.array([1.0, 1.0, 0.0]))[0, 1] == 0.5
    # over runs: each run's own table
    runs = challenge.vote_share(np.stack([POSITIONS, POSITIONS[::-1]]), np.stack([WEIGHTS, WEIGHTS[::-1]]))
    np.testing.assert_allclose(runs[1], shares[::-1, ::-1])


def test_the_expected_utility_of_a_challenge_by_hand():
    # ally 0 (at 2) challenges ally 2 (at 5, salience 0.9): d = 3, P = 0.4 (above). The forecast
    # (the weighted median) is 3, so ally 0 is 1 from it; with 4 on the table the forecast is
    # nearer it (T = 1). EU = 0.9 x (0.4 x 3 - 0.6 x 3) + 0.1 x 3 - 0.5 x (1 + 3) / 2 = -1.24
    forecast = mediator.weighted_median(POSITIONS, WEIGHTS)
    assert forecast == 3.0
    drift = challenge.status_quo_drift(POSITIONS, forecast, 4.0)
    np.testing.assert_array_equal(drift, [1.0, 1.0, 0.0])  # ally 1 sits at the forecast, 1 from 4
    assert challenge.challenge_utility(0.4, 3.0, 0.9, 1.0, drift[0]) == pytest.approx(-1.24)
    # ally 2's view of the same contest (ally 0's salience 0.6; 2 from the forecast, which
    # moves away from it, T = 0): 0.6 x (0.6 x 3 - 0.4 x 3) + 0.4 x 3 + 0.5 x (2 + 3) / 2 = 2.81
    assert challenge.challenge_utility(0.6, 3.0, 0.6, 2.0, drift[2]) == pytest.approx(2.81)
    # nothing on the table yet: no drift (T = 1/2), EU = d (1 - 2 s_j (1 - P))
    assert challenge.status_quo_drift(2.0, 3.0, np.nan) == 0.5
    assert challenge.challenge_utility(0.6, 1.0, 0.6, 1.0, 0.5) == pytest.approx(1 - 2 * 0.6 * 0.4)


def test_the_outcome_classes_and_the_offers():
    Answer = challenge.Answer
    # (EU_ij, EU_ji) -> class: ally 2's challenge to ally 0 above (2.81, -1.24) compels
    pairs = np.array([[2.81, -1.24], [0.2, -0.5], [0.3, 0.1], [-1.15, 2.75], [0.0, -1.0]])
    answers = challenge.challenge_answer(pairs[:, 0], pairs[:, 1])
    assert answers.tolist() == [Answer.SUPPORT, Answer.COUNTER, Answer.COUNTER, Answer.REJECT, Answer.REJECT]
    # target at 2, challenger at 5, P = 0.6: supports 5 (a step of 3), counters 2 + 0.6 x 3 =
    # 3.8 (a step of 1.8), or stays
    steps = challenge.offered_step(2.0, 5.0, 0.6, np.array(answers[:3].tolist() + [Answer.REJECT]))
    np.testing.assert_allclose(steps, [3.0, 1.8, 1.8, 0.0])
    # how far: 3 (supports), 1.8 (counters: 0.6 of 3), never (rejects)
    np.testing.assert_allclose(challenge.offered_move(3.0, 0.6, answers[:4] > 0, answers[:4] == Answer.SUPPORT),
                               [3.0, 1.8, 1.8, np.inf])
    # it takes the offer it must accept that moves it least, never a rejected one; none: it stays
    # (at 2: challengers 3 up, supporting; 3.0 up, countering 0.6 of the way; 0.5 up, rejecting)
    assert challenge.least_move(2.0, np.array([3.0, 3.0, 0.5]), np.array([3.0, 1.8, np.inf])) == pytest.approx(3.8)
    assert challenge.least_move(2.0, np.array([3.0, -1.0]), np.array([np.inf, np.inf])) == 2.0
    # (runs, targets, challengers): the first takes the move of 1 toward the challenger below
    # over the move of 3 toward the one above; the second the move of 0.5 toward the one above
    # (the one below makes no offer)
    block = challenge.least_move(np.array([[2.0, 4.0]]), np.array([[[3.0, -1.0], [-1.0, 0.5]]]),
                             np.array([[[3.0, 1.0], [np.inf, 0.5]]]))
    np.testing.assert_allclose(block, [[1.0, 4.5]])


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 3).flatmap(lambda runs: st.integers(2, 7).flatmap(lambda n: st.tuples(
    arrays(float, (runs, n), elements=st.floats(0.0, 10.0)),
    arrays(float, (runs, n), elements=st.one_of(st.just(0.0), st.floats(0.01, 1.0)))))))
def test_the_chances_of_two_rivals_add_to_one_and_favour_the_net_vote(table):
    """Whatever the table: P_ij + P_ji = 1 exactly, every P_ij in 0..1, and i is the favourite
    (P_ij > 1/2) exactly where the allies' net vote w_k (|x_k - x_j| - |x_k - x_i|), summed
    over k by brute force here, favours i; 1/2 where no vote differs."""
    positions, weights = table
    shares = challenge.vote_share(positions, weights)
    assert ((shares >= 0.0) & (shares <= 1.0)).all()
    np.testing.assert_array_equal(shares + np.swapaxes(shares, -1, -2), 1.0)
    votes = weights[:, None, None, :] * (np.abs(positions[:, None, None, :] - positions[:, None, :, None])
                                         - np.abs(positions[:, None, None, :] - positions[:, :, None, None]))
    net, cast = votes.sum(axis=-1), np.abs(votes).sum(axis=-1)  # [run, i, j]
    clear = np.abs(net) > 1e-9 * np.maximum(cast, 1.0)
    assert ((shares[clear] > 0.5) == (net[clear] > 0)).all()
    counted = cast > 1e-9
    for_i = np.maximum(votes, 0.0).sum(axis=-1)
    np.testing.assert_allclose(shares[counted], (for_i / np.where(counted, cast, 1.0))[counted], atol=1e-9)
    assert (shares[cast == 0.0] == 0.5).all()
