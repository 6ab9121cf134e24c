"""The protocols' steps on hand-worked cases: the mediator's draft, the proposer's recognition and
proposal, and a round of bilateral challenges, for one ally, an alliance and a block of runs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hand_cases import ALLY, PARAMS, stances_at, three_allies
from sim.model import state
from sim.model.state import Circumstances, Package
from sim.protocols import challenge, mediator, agenda_setter


# --- the mediator protocol --------------------------------------------------------------------------

def test_a_draft_keeps_the_allies_axis_so_it_broadcasts_against_them():
    rule = PARAMS.mediator_rule
    stances = state.Stance(threat=np.full((2, 3), 0.5), ideal=np.ones((2, 3)),
                           position=np.array([[1.0, 2.0, 3.0], [2.0, 2.0, 2.0]]),
                           deadline_preference=np.full((2, 3), 2035.0), deadline_position=np.full((2, 3), 2035.0),
                           ramp_widening=np.zeros((2, 3)), rejections=np.zeros((2, 3), dtype=np.int64),
                           accepted=np.zeros((2, 3), dtype=bool))
    three = dataclasses.replace(ALLY, start_pct=np.full(3, 2.0), is_us=np.zeros(3, bool), clout=np.full(3, 1 / 3))
    circumstances = Circumstances(**{name: np.zeros((2, 3)) for name in ("exposure", "fiscal", "reservation_total",
                                                                          "floor", "us_headline", "free_riding",
                                                                          "no_deal_cost", "noise")})
    draft = mediator.draft_package(rule, three, PARAMS.replace(secretary_general_weight=0.0), circumstances, stances)
    assert draft.core_pct.shape == (2, 1) and draft.deadline_year.shape == (2, 1)
    np.testing.assert_allclose(draft.core_pct[:, 0], [2.0, 2.0])  # equal weights: the plain mean
    assert (draft.deadline_year == 2035).all()
    # the Secretary General keeps a quarter of the targets' cost (at threat 0.5, no shortfall: 2%)
    # in a later draft, and all of it in the first: 2 + 0.25 x (2 - 2) and 2 from the mean of 3
    params = PARAMS.replace(secretary_general_weight=0.25, threat_level=0.8, capability_base_pct=2.0,
                            capability_shortfall=0.0)
    cost = 2.0 * 1.3  # 2.6% at threat 0.8
    kept = mediator.draft_package(rule, three, params, circumstances, stances)
    np.testing.assert_allclose(kept.core_pct[:, 0], [2.0 + 0.25 * (cost - 2.0)] * 2)
    first = mediator.draft_package(rule, three, params, circumstances, stances, first=True)
    np.testing.assert_allclose(first.core_pct[:, 0], [cost, cost])
    # its first date: a quarter of the way from the allies' 2035 to the threat's horizon, 2025 + 5:
    # 2035 + 0.25 x (2030 - 2035) = 2033.75, rounded to 2034; later drafts keep the allies' 2035
    assert (first.deadline_year == 2034).all() and (kept.deadline_year == 2035).all()


def test_the_first_drafts_deadline_is_the_secretary_generals_bid_toward_the_threats_horizon():
    """Allies asking 2034, the horizon 2030 (2025 + 5), the Secretary General keeping 0.479 of his
    own text: 2034 + 0.479 x (2030 - 2034) = 2032.08, so 2032 (the Hague's record). With no horizon
    stated (40 years: none), the allies' 2034; with a weight of 1, his 2030."""
    params = PARAMS.replace(summit_year=2025, threat_horizon_years=5.0, secretary_general_weight=0.479)
    assert mediator.first_deadline(params, np.array([[2034]])).tolist() == [[2032]]
    assert mediator.first_deadline(params.replace(threat_horizon_years=40.0), np.array([[2034]])).tolist() == [[2034]]
    assert mediator.first_deadline(params.replace(secretary_general_weight=1.0), np.array([[2034]])).tolist() == [[2030]]


# --- the agenda_setter protocol -------------------------------------------------------------------------

def test_recognition_follows_clout():
    alliance, _ = three_allies()
    # cumulative clout 0.2, 0.5, 1.0: draws below 0.2 pick the first ally, below 0.5 the second
    picks = [int(np.argmax(agenda_setter.recognised(alliance, draw))) for draw in (0.0, 0.19, 0.2, 0.49, 0.5, 0.99)]
    assert picks == [0, 0, 1, 1, 2, 2]
    block = agenda_setter.recognised(alliance, np.array([0.1, 0.7]))  # one draw per run: (runs, allies)
    assert block.tolist() == [[True, False, False], [False, False, True]]


def test_the_proposer_keeps_the_level_and_pays_in_time_as_far_as_it_will_wait():
    alliance, circumstances = three_allies()
    stances = dataclasses.replace(stances_at([4.0, 1.5, 5.0], ramps=[0.3, 0.2, 0.3]),
                                  deadline_position=np.array([2040.0, 2040.0, 2035.0]))
    hawk = np.array([True, False, False])
    package = agenda_setter.propose_package(alliance, PARAMS, circumstances, stances, hawk)
    # the hawk's 4.0%: the laggard needs (4.0 - 1.0) / 0.2 = 15 years -> 2040, as long as the hawk waits
    assert float(package.core_pct.item()) == pytest.approx(4.0) and int(package.deadline_year.item()) == 2040
    laggard = np.array([False, True, False])
    package = agenda_setter.propose_package(alliance, PARAMS, circumstances, stances, laggard)
    # the laggard's 1.5% is below the US floor of 3.0: 3.0%, which the laggard ratifies in 10 years
    assert float(package.core_pct.item()) == pytest.approx(3.0) and int(package.deadline_year.item()) == 2035
    us = np.array([False, False, True])
    package = agenda_setter.propose_package(alliance, PARAMS, circumstances, stances, us)
    # the US's 5.0% would take the laggard 20 years; the US waits until 2035: the most the laggard
    # ratifies by then is 1.0 + 0.2 x 10 = 3.0
    assert float(package.core_pct.item()) == pytest.approx(3.0) and int(package.deadline_year.item()) == 2035


# --- the challenge protocol ------------------------------------------------------------------------

RISK_NEUTRAL = PARAMS.replace(challenge_risk_attitudes=False)  # the trace below: linear loss (risk attitudes: test_challenge_risk.py)


def challenge_round(alliance, circumstances, stances, params=RISK_NEUTRAL):
    """One round's challenges and answers, and the package tabled after them."""
    challenges = challenge.challenges(alliance, params, stances, None)
    answered = challenge.answer_challenges(alliance, params, circumstances, stances, challenges)
    return challenges, answered, challenge.forecast_package(alliance, params, circumstances, answered)


def test_one_round_of_challenges_follows_the_hand_derived_trace():
    """The hawk at 4.0 (threat 1: salience 1, ramp 0.5), the laggard at 1.5 (threat 0: salience
    0.5, ramp 0.1), the US at 5.0 (its urgency is US pressure 0.5: salience 0.75; ramp 0.3), all
    asking for 2035, nothing on the table yet (no drift, T = 1/2, so EU_ij = d (1 - 2 s_j (1 - P_ij))).

    Weights clout x salience: 0.2, 0.15, 0.375. P_ij, i's share of the votes w_k (|x_k - x_j| -
    |x_k - x_i|) (Bueno de Mesquita 1994): the hawk against the laggard, 0.2 x 2.5 = 0.5 and
    0.375 x 2.5 = 0.9375 for the hawk, 0.15 x 2.5 = 0.375 for the laggard, P_HL = 1.4375 / 1.8125
    = 23/29; the US against the laggard, 0.2 x 1.5 = 0.3 and 0.375 x 3.5 = 1.3125 against 0.15 x
    3.5 = 0.525, P_UL = 1.6125 / 2.1375 = 43/57; the US against the hawk, 0.375 x 1 against
    0.2 x 1 and 0.15 x 1, P_UH = 0.375 / 0.725 = 15/29.

    - the hawk challenges the laggard: EU = 2.5 (1 - 2 x 0.5 x 6/29) = 2.5 x 23/29 > 0; the
      laggard's view: 2.5 (1 - 2 x 1 x 23/29) = -2.5 x 17/29, smaller: compelled, it supports 4.0;
    - the US challenges the laggard: EU = 3.5 (1 - 2 x 0.5 x 14/57) = 3.5 x 43/57; the laggard's
      view: 3.5 (1 - 2 x 0.75 x 43/57) = -3.5 x 7.5/57: compelled, it supports 5.0;
    - the US and the hawk challenge each other: EU_UH = 1 - 2 x 1 x 14/29 = 1/29 and EU_HU =
      1 - 2 x 0.75 x 15/29 = 6.5/29, both > 0: a conflict, each counters part of the way: the
      hawk 4 + 15/29, the US 5 - 14/29 (= 4 + 15/29 too);
    - the laggard challenges nobody: against the hawk 2.5 (1 - 2 x 23/29) < 0, against the US
      3.5 (1 - 2 x 0.75 x 43/57) < 0.

    The laggard takes the offer that moves it least, 4.0, but ratifies at most 1.0 + 0.1 x 10
    = 2.0 by 2035: 2.0. The hawk and the US end at 4 + 15/29 = 4.517 (within 7.0 and 6.0). The
    deadlines all agree: nobody challenges. The weighted median of 2.0 (0.15), 4.517 (0.2),
    4.517 (0.375) is 4.517, the US's position: the package, by 2035.
    """
    alliance, circumstances = three_allies()
    stances = dataclasses.replace(stances_at([4.0, 1.5, 5.0], ramps=[0.5, 0.1, 0.3]),
                                  deadline_position=np.full(3, 2035.0), deadline_preference=np.full(3, 2035.0))
    challenges, answered, package = challenge_round(alliance, circumstances, stances)
    S, C, R = (int(a) for a in (challenge.Answer.SUPPORT, challenge.Answer.COUNTER, challenge.Answer.REJECT))
    # rows: the target; columns: the challenger (hawk, laggard, US)
    level = challenge.offers(challenges.level, challenges.level)
    assert level.answer.tolist() == [[R, R, C], [S, R, S], [C, R, R]]
    np.testing.assert_allclose(stances.position[:, None] + level.step, [[4.0, 4.0, 4 + 15 / 29], [4.0, 1.5, 5.0],
                                                                        [5 - 14 / 29, 5.0, 5.0]])
    np.testing.assert_allclose(challenges.level.prevail, [[0.5, 6 / 29, 15 / 29], [23 / 29, 0.5, 43 / 57],
                                                          [14 / 29, 14 / 57, 0.5]])  # [target, challenger]
    assert (challenge.offers(challenges.deadline, challenges.deadline).answer == R).all()
    # one target's row, as a Mesa agent reads it, is its row of the table
    laggard = challenge.offers(challenges.level.take(1), challenges.level)
    assert laggard.answer.tolist() == [S, R, S]
    np.testing.assert_allclose(answered.position, [4 + 15 / 29, 2.0, 4 + 15 / 29])
    np.testing.assert_allclose(answered.deadline_position, 2035.0)
    assert float(package.core_pct.item()) == pytest.approx(4 + 15 / 29)
    # related spending fills only up to the US's floor on the headline, 4.5: the core is past it
    assert float(package.related_pct.item()) == 0.0
    assert int(package.deadline_year.item()) == 2035
    assert challenge.median_voter(alliance, PARAMS, answered).tolist() == [False, False, True]
    # as a Mesa agent answers: its own row of the offers, its own stance
    for ally in range(3):
        row = dataclasses.replace(ALLY, **{name: getattr(alliance, name)[ally] for name in ("start_pct", "is_us",
                                                                                            "clout")})
        own = challenge.answer_challenges(row, RISK_NEUTRAL, circumstances.take(ally), stances.take(ally), challenges,
                                          seat=ally)
        assert float(own.position) == pytest.approx(answered.position[ally])
    # as the batch engine lays them out: two runs (runs, allies)
    block = state.Stance(**{name: np.stack([value, value]) for name, value in vars(stances).items()})
    block_circumstances = Circumstances(**{name: np.stack([value, value])
                                           for name, value in vars(circumstances).items()})
    _, answered_block, package_block = challenge_round(alliance, block_circumstances, block)
    np.testing.assert_allclose(answered_block.position, [answered.position] * 2)
    assert package_block.core_pct.shape == (2, 1)
    np.testing.assert_allclose(package_block.core_pct, 4 + 15 / 29)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0.0, 10.0), min_size=3, max_size=3), st.lists(st.floats(2030.0, 2040.0), min_size=3,
                                                                        max_size=3),
       st.lists(st.floats(0.1, 0.5), min_size=3, max_size=3), st.one_of(st.none(), st.floats(0.0, 10.0)))
def test_an_answer_never_leaves_the_win_set(levels, deadlines, ramps, on_table):
    """Whatever it is offered, an ally ends no higher than it can ratify by the deadline it
    ends asking for, no lower than its floor unless the floor is out of its reach, and asks
    for a deadline in the window."""
    alliance, circumstances = three_allies()
    stances = dataclasses.replace(stances_at(levels, ramps), deadline_position=np.array(deadlines))
    draft = None if on_table is None else Package(on_table, 0.0, 2035)
    challenges = challenge.challenges(alliance, PARAMS, stances, draft)
    answered = challenge.answer_challenges(alliance, PARAMS, circumstances, stances, challenges)
    assert ((answered.deadline_position >= 2030) & (answered.deadline_position <= 2040)).all()
    ceiling = alliance.start_pct + np.asarray(ramps) * (answered.deadline_position - 2025)
    assert (answered.position <= ceiling + 1e-9).all()
    assert (answered.position >= np.minimum(circumstances.floor, ceiling) - 1e-9).all()
