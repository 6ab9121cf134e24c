"""The challenge protocol's risk attitudes (Bueno de Mesquita 1994, as laid out by Scholz, Calbert
& Smith 2011, "Unravelling Bueno de Mesquita's group decision model", Journal of Theoretical
Politics 23(4)) against a case worked out by hand, and their invariants."""

import dataclasses
from fractions import Fraction

import numpy as np
import pytest
from hand_cases import PARAMS, stances_at, three_allies
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.engines.batch import run_batch
from sim.protocols import challenge, challenge_risk, mediator


def hawk_laggard_us():
    """test_protocols' three allies before their first round of challenges: the hawk at 4.0
    (salience 1), the laggard at 1.5 (salience 0.5), the US at 5.0 (salience 0.75), all asking
    for 2035, nothing on the table."""
    alliance, circumstances = three_allies()
    stances = dataclasses.replace(stances_at([4.0, 1.5, 5.0], ramps=[0.5, 0.1, 0.3]),
                                  deadline_position=np.full(3, 2035.0), deadline_preference=np.full(3, 2035.0))
    return alliance, circumstances, stances


def test_security_levels_risk_exponents_and_a_challenge_by_hand():
    """No published table of security levels and risk exponents was found to reproduce (Bueno de
    Mesquita 1994 and Scholz et al. 2011 report forecasts, not these intermediate numbers), so
    this case is derived by hand. Formulas: Scholz et al. (2011) section 5 (security level, R_i,
    r_i) and their utilities U_s, U_f, U_b, U_w, U_sq (section 3), after Bueno de Mesquita (1994).

    Hawk H at 4.0, laggard L at 1.5, US U at 5.0; saliences 1, 0.5, 0.75; weights (clout x
    salience) 0.2, 0.15, 0.375; P_ij, i's share of the votes w_k (|x_k - x_j| - |x_k - x_i|)
    (as in test_protocols): P_HL = 1.4375 / 1.8125 = 23/29, P_UL = 1.6125 / 2.1375 = 43/57,
    P_UH = 0.375 / 0.725 = 15/29, and P_ji = 1 - P_ij. Nothing on the table: T = 1/2, and risk
    neutral EU_ij = d (1 - 2 s_j (1 - P_ij)) (`challenge_utility`).

    Security level S_i = sum over j != i of EU_ji (risk neutral, r = 1):
      S_H = EU_LH + EU_UH = 2.5 (1 - 2 x 1 x 23/29) + 1 (1 - 2 x 1 x 14/29) = -85/58 + 1/29 = -83/58 = -1.4310
      S_L = EU_HL + EU_UL = 2.5 (1 - 2 x 0.5 x 6/29) + 3.5 (1 - 2 x 0.5 x 14/57) = 115/58 + 301/114
          = 7642/1653 = 4.6231
      S_U = EU_HU + EU_LU = 1 (1 - 2 x 0.75 x 15/29) + 3.5 (1 - 2 x 0.75 x 43/57) = 13/58 - 35/76
          = -521/2204 = -0.2364
    R_i = (2 S_i - max - min) / (max - min), max = S_L, min = S_H:
      R_L = 1, R_H = -1, R_U = (2 S_U - S_L - S_H) / (S_L - S_H) = -12116/20015 = -0.6053
    r_i = (1 - R_i/3) / (1 + R_i/3):
      r_L = (2/3)/(4/3) = 1/2 (the most exposed: risk acceptant), r_H = (4/3)/(2/3) = 2 (the most
      secure: risk averse), r_U = 72161/47929 = 1.5056.

    One comparison, the hawk and the US, with utilities on positions rescaled to 0..1 over the
    range 5.0 - 1.5 = 3.5: d = 1/3.5 = 2/7. The forecast mu, the weighted median, is the US's 5.0
    (weights 0.15 at 1.5, 0.2 at 4.0: 0.35 < half of 0.725), so |x_H - mu| = 2/7, |x_U - mu| = 0.
    Q = 1/2, T = 1/2.
      The hawk (r = 2) challenging the US (s_U = 0.75, P_HU = 14/29):
        U_s = 2 - 4 (1/2 - 1/7)^2 = 73/49, U_f = 2 - 4 (1/2 + 1/7)^2 = 17/49,
        U_b = 2 - 4 (1/2 - (2/7 + 2/7)/4)^2 = 73/49, U_w = 17/49, U_sq = 2 - 4 (1/2)^2 = 1;
        EU_HU = 0.75 (14/29 x 73/49 + 15/29 x 17/49) + 0.25 x 73/49 - 1/2 x 1 - 1/4 (73/49 + 17/49)
              = 3831/5684 - 115/196 = 124/1421 = 0.0873 > 0 (risk neutral: 13/58 x 2/3.5 = 0.1281).
      The US (r = 1.5056) challenging the hawk (s_H = 1, P_UH = 15/29):
        U_s = 2 - 4 (5/14)^r = 1.1512, U_f = 2 - 4 (9/14)^r = -0.0567,
        U_b = 2 - 4 (1/2 - (0 + 2/7)/4)^r = 2 - 4 (6/14)^r = 0.8830, U_w = 2 - 4 (8/14)^r = 0.2776,
        U_sq = 2 - 4 (1/2)^r = 0.5912;
        EU_UH = 15/29 x 1.1512 + 14/29 x (-0.0567) - 1/2 x 0.5912 - 1/4 (0.8830 + 0.2776) = -0.0177.
    Risk neutral both were > 0 (1/29 and 13/58): a conflict, each countering part of the way. With
    the estimated attitudes the US, risk averse, no longer gains by challenging the hawk, and
    EU_HU > 0 >= EU_UH with EU_HU > |EU_UH|: the hawk compels the US, which supports 4.0.
    """
    alliance, circumstances, stances = hawk_laggard_us()
    level = challenge.challenges(alliance, PARAMS, stances, None).level

    s_h = Fraction(-85, 58) + Fraction(1, 29)
    s_l = Fraction(115, 58) + Fraction(301, 114)
    s_u = Fraction(13, 58) - Fraction(35, 76)
    security = challenge.security_levels(dataclasses.replace(level, risk=None))
    np.testing.assert_allclose(security, [float(s_h), float(s_l), float(s_u)])
    exposure_us = (2 * s_u - s_l - s_h) / (s_l - s_h)
    assert (s_h, s_l, s_u) == (Fraction(-83, 58), Fraction(7642, 1653), Fraction(-521, 2204))
    assert exposure_us == Fraction(-12116, 20015)
    assert (1 - exposure_us / 3) / (1 + exposure_us / 3) == Fraction(72161, 47929)
    np.testing.assert_allclose(level.risk, [2.0, 0.5, 72161 / 47929])
    np.testing.assert_allclose(level.span, 3.5)
    assert mediator.weighted_median(stances.position, np.array([0.2, 0.15, 0.375])) == 5.0

    np.testing.assert_allclose(level.prevail, [[0.5, 6 / 29, 15 / 29], [23 / 29, 0.5, 43 / 57],
                                               [14 / 29, 14 / 57, 0.5]])  # [target, challenger]
    hawk_on_us = challenge_risk.risk_challenge_utility(14 / 29, 2 / 7, 0.75, 2 / 7, 0.5, 2.0)
    assert hawk_on_us == pytest.approx(124 / 1421)
    us_on_hawk = challenge_risk.risk_challenge_utility(15 / 29, 2 / 7, 1.0, 0.0, 0.5, 72161 / 47929)
    assert us_on_hawk == pytest.approx(-0.0177, abs=5e-5)

    Answer = challenge.Answer
    # rows: the target; columns: the challenger (hawk, laggard, US)
    made = challenge.offers(level, level)
    assert made.answer[2, 0] == Answer.SUPPORT and made.answer[0, 2] == Answer.REJECT
    linear = challenge.challenges(alliance, PARAMS.replace(challenge_risk_attitudes=False), stances, None).level
    assert linear.risk is None
    risk_neutral = challenge.offers(linear, linear)
    assert risk_neutral.answer[2, 0] == Answer.COUNTER and risk_neutral.answer[0, 2] == Answer.COUNTER


def test_every_engine_reads_the_same_risk_exponents():
    """A Mesa agent answers from its own row against the round's challenges; the batch engine
    answers every ally of a block of runs at once: the same positions either way."""
    alliance, circumstances, stances = hawk_laggard_us()
    challenges = challenge.challenges(alliance, PARAMS, stances, None)
    answered = challenge.answer_challenges(alliance, PARAMS, circumstances, stances, challenges)
    for ally in range(3):
        row = challenge.offers(challenges.level.take(ally), challenges.level)
        np.testing.assert_array_equal(row.answer, challenge.offers(challenges.level, challenges.level).answer[ally])
    block = dataclasses.replace(stances, **{name: np.stack([value, value]) for name, value in vars(stances).items()})
    twice = challenge.challenges(alliance, PARAMS, block, None)
    np.testing.assert_array_equal(twice.level.risk, [challenges.level.risk] * 2)
    circumstances_twice = dataclasses.replace(circumstances, **{name: np.stack([value, value])
                                                                for name, value in vars(circumstances).items()})
    answered_twice = challenge.answer_challenges(alliance, PARAMS, circumstances_twice, block, twice)
    np.testing.assert_allclose(answered_twice.position, [answered.position] * 2)


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 6).flatmap(lambda n: st.tuples(
    arrays(float, n, elements=st.integers(0, 1000).map(lambda hundredths: hundredths / 100)),
    arrays(float, n, elements=st.floats(0.1, 1.0)),
    arrays(float, n, elements=st.floats(0.5, 1.0)))), st.one_of(st.none(), st.floats(0.0, 10.0)))
def test_risk_neutral_is_the_linear_rule_rescaled(alliance, on_table):
    """At r = 1 the bent utilities are the linear ones times 2 / (the issue's range): the same
    signs and ratios, so the same challenges and answers; every exponent lies in 1/2..2."""
    positions, weights, salience = alliance
    parties = challenge.contenders(positions, weights, salience, True, np.nan if on_table is None else on_table, True)
    assert ((parties.risk >= 0.5 - 1e-12) & (parties.risk <= 2.0 + 1e-12)).all()
    apart = np.abs(positions[None, :] - positions[:, None])
    prevail = parties.prevail  # [j, i]: i's chance over j
    linear = challenge.challenge_utility(prevail, apart, salience[:, None], parties.to_forecast[None, :],
                                         parties.drift[None, :])
    span = parties.span[0]
    bent = challenge_risk.risk_challenge_utility(prevail, apart / span, salience[:, None],
                                                 parties.to_forecast[None, :] / span, parties.drift[None, :], 1.0)
    np.testing.assert_allclose(bent, 2 * linear / span, atol=1e-9)


def test_equally_secure_or_absent_allies_are_risk_neutral():
    np.testing.assert_array_equal(challenge_risk.risk_exponent(np.array([0.3, 0.3, 0.3]), True), 1.0)
    # the extremes among allies at the table: 2 (most secure) and 1/2 (most exposed); between,
    # R = (2 x 0 - 3 + 1) / 4 = -1/2, r = (1 + 1/6) / (1 - 1/6) = 1.4; away from the table: 1
    exponents = challenge_risk.risk_exponent(np.array([-1.0, 0.0, 3.0, 99.0]), np.array([True, True, True, False]))
    np.testing.assert_allclose(exponents, [2.0, 1.4, 0.5, 1.0])
    together_or_alone = challenge_risk.issue_span(np.array([[2.0, 2.0], [1.0, np.nan]]), np.array([True, True]))
    np.testing.assert_array_equal(together_or_alone, [[1.0], [1.0]])


def test_a_batch_mixing_the_flag_runs_each_run_as_it_would_run_alone():
    """The flag may differ from run to run in one batch (a sweep over every parameter): each run
    ends as it does in a batch of its own."""
    runs = [{"protocol": "challenge", "challenge_risk_attitudes": flag} for flag in (True, False)]
    mixed = run_batch("hague2025", runs, [3, 3])
    for index, overrides in enumerate(runs):
        alone = run_batch("hague2025", [overrides], [3])
        assert mixed.deal[index] == alone.deal[0] and mixed.rounds[index] == alone.rounds[0]
        np.testing.assert_allclose(mixed.core_target_pct[index], alone.core_target_pct[0], rtol=0, atol=1e-12)
