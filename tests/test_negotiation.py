"""One ally through scripted drafts, round by round, against values derived by hand (in the
manner of Axelrod's strategy traces), once for the ally alone (as a Mesa agent calls the
steps) and once laid out as the batch engine lays out runs x allies.

The ally: spending 2.0% in the data year, fiscal pressure 0.5, on the border (exposure 1),
no domestic shock. With threat level 0.5 and no fear of abandonment it reads a threat of
0.5; its need is 6 x 0.5 = 3.0%, so its ideal is 2.0 + (3.0 - 2.0) x (1 - 0.4 x 0.5) = 2.8%;
its parliament ratifies 0.2 x (1 - 0.5) + 0.4 x 0.5 = 0.3 pp a year; its urgency is its
threat, so it closes 0.5 x (1 - 0.5) = 0.25 of the gap to a draft, and prefers the deadline
2040 - (2040 - 2030) x 0.5 = 2035.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.protocols import challenge

from sim.model import negotiation, rules
from sim.model.alliance import Alliance
from sim.model.negotiation import Package, Standing
from sim.model.parameters import Parameters

PARAMS = Parameters(threat_level=0.5, us_pressure=0.5, abandonment_weight=0.0, peer_weight=0.0, need_scale_pct=6.0,
                    fiscal_drag=0.4, ramp_base_pct=0.2, ramp_threat_pct=0.4, concession_rate=0.5,
                    expansion_rate_pct=0.02, noise_sd_pct=0.0, summit_year=2025, earliest_deadline_years=5,
                    latest_deadline_years=15)
ALLY = Alliance(iso3="AAA", name="Ally", start_pct=2.0, gdp_usd_bn=100.0, debt_pct_gdp=60.0, deficit_pct_gdp=3.0,
               eu_member=False, escape_clause=False, distance_to_moscow_km=500.0, borders_russia=True, is_us=False,
               bears_cost=True, votes=True, clout=1.0, accession_year=1949, us_reliance=0.5, exports_to_us_pct_gdp=0.0)
STANDING = Standing(exposure=1.0, fiscal=0.5, reservation_total=0.0, floor=0.0, noise=0.0)

# (the draft it answers, or None in the first round) -> (position, deadline position, its vote on
# the round's draft, its ratifiable ramp after the round)
DRAFTS = [Package(3.6, 1.4, 2032), Package(4.4, 0.6, 2030), Package(4.4, 0.6, 2033)]
TRACE = [
    # round 1, no draft yet: it opens at its ideal and preferred deadline. The draft (3.6 by
    # 2032) fits: 2.0 + 0.3 x 7 = 4.1 >= 3.6, so it accepts.
    (2.8, 2035.0, True, 0.3),
    # round 2, answering 3.6 by 2032: 2.8 + 0.25 x (3.6 - 2.8) = 3.0; deadline preference
    # 2035 + 0.5 x (2032 - 2035) = 2033.5, later than 3.6 needs (2025 + 1.6 / 0.3 = 2030.33).
    # The draft (4.4 by 2030) exceeds 2.0 + 0.3 x 5 = 3.5: it rejects, and under pressure
    # 0.5 (the US's, no peers) its ramp widens by 0.02 x 0.5 x 1.0 = 0.01 to 0.31.
    (3.0, 2033.5, False, 0.31),
    # round 3, answering 4.4 by 2030: 3.0 + 0.25 x 1.4 = 3.35; preference 2033.5 + 0.5 x
    # (2030 - 2033.5) = 2031.75, earlier than 4.4 needs (2025 + 2.4 / 0.31 = 2032.74), so
    # it asks for 2032.74. The draft (4.4 by 2033) fits 2.0 + 0.31 x 8 = 4.48: it accepts.
    (3.35, 2025 + 2.4 / 0.31, True, 0.31),
]


def play(alliance, standing, previous_threats, peer_row, draws):
    """The round's steps for one ally, with the drafts scripted instead of drafted."""
    stance = negotiation.open_stance(alliance, PARAMS, standing)
    draft = None
    for round_index, scripted in enumerate(DRAFTS, start=1):
        level = negotiation.threat_level_in_round(round_index, PARAMS)
        stance = negotiation.perceive(alliance, PARAMS, standing, stance, level, previous_threats(stance), peer_row)
        stance = negotiation.update_position(alliance, PARAMS, standing, stance, draft)
        draft = scripted
        stance = negotiation.vote(alliance, PARAMS, standing, stance, draft)
        share = negotiation.share_accepting(alliance, stance.accepted)
        stance = negotiation.respond_to_pressure(alliance, PARAMS, stance, share, draws)
        yield stance, negotiation.ramp(PARAMS, standing, stance)


def test_one_ally_follows_the_hand_derived_trace():
    rounds = play(ALLY, STANDING, lambda stance: np.array([stance.threat]), np.array([0.0]), 1.0)
    for round_index, ((stance, ramp), (position, deadline, accepted, expected_ramp)) in enumerate(
            zip(rounds, TRACE, strict=True), start=1):
        assert float(stance.threat) == pytest.approx(0.5), round_index
        assert float(stance.position) == pytest.approx(position), round_index
        assert float(stance.deadline_position) == pytest.approx(deadline), round_index
        assert bool(stance.accepted) is accepted, round_index
        assert float(ramp) == pytest.approx(expected_ramp), round_index
        assert int(stance.rejections) == sum(not a for _, _, a, _ in TRACE[:round_index]), round_index


def test_the_same_steps_give_the_trace_for_a_block_of_runs():
    """Three runs of the same ally, laid out (runs, allies = 1): every run follows the trace."""
    runs = 3
    block = dataclasses.replace(ALLY, **{name: np.full(1, getattr(ALLY, name)) for name in (
        "start_pct", "gdp_usd_bn", "is_us", "bears_cost", "votes", "clout")})
    standing = Standing(**{name: np.full((runs, 1), value) for name, value in vars(STANDING).items()})
    rounds = play(block, standing, lambda stance: stance.threat, np.zeros((1, 1)), np.ones((runs, 1)))
    for (stance, ramp), (position, deadline, accepted, expected_ramp) in zip(rounds, TRACE, strict=True):
        assert stance.position.shape == (runs, 1)
        np.testing.assert_allclose(stance.position, position)
        np.testing.assert_allclose(stance.deadline_position, deadline)
        assert (stance.accepted == accepted).all()
        np.testing.assert_allclose(ramp, expected_ramp)


def test_the_us_presses_each_holdout_by_what_it_exports_to_the_us():
    """Two holdouts and an ally that accepted, under US pressure 0.5, no peers, a draw of 1.2:
    the generic widening is 0.02 x 0.5 x 1.2 = 0.012 for each holdout; pressed by name at
    0.001 pp per % of GDP exported, the one exporting 10% of GDP gains 0.001 x 0.5 x 10 x 1.2
    = 0.006 more, the one exporting nothing (or with no figure) nothing more, and the ally that
    accepted nothing at all."""
    params = PARAMS.replace(bilateral_pressure_pct=0.001)
    three = dataclasses.replace(ALLY, exports_to_us_pct_gdp=np.array([10.0, np.nan, 10.0]))
    stance = negotiation.Stance(threat=np.zeros(3), ideal=np.ones(3), position=np.ones(3),
                                deadline_preference=np.full(3, 2035.0), deadline_position=np.full(3, 2035.0),
                                expansion=np.zeros(3), rejections=np.zeros(3, dtype=np.int64),
                                accepted=np.array([False, False, True]))
    after = negotiation.respond_to_pressure(three, params, stance, 0.0, np.full(3, 1.2))
    np.testing.assert_allclose(after.expansion, [0.018, 0.012, 0.0])
    assert after.rejections.tolist() == [1, 1, 0]


def test_a_draft_keeps_the_allies_axis_so_it_broadcasts_against_them():
    rule = PARAMS.mediator_rule
    stances = negotiation.Stance(threat=np.full((2, 3), 0.5), ideal=np.ones((2, 3)),
                                 position=np.array([[1.0, 2.0, 3.0], [2.0, 2.0, 2.0]]),
                                 deadline_preference=np.full((2, 3), 2035.0), deadline_position=np.full((2, 3), 2035.0),
                                 expansion=np.zeros((2, 3)), rejections=np.zeros((2, 3), dtype=np.int64),
                                 accepted=np.zeros((2, 3), dtype=bool))
    three = dataclasses.replace(ALLY, start_pct=np.full(3, 2.0), is_us=np.zeros(3, bool), clout=np.full(3, 1 / 3))
    draft = negotiation.draft_package(rule, three, PARAMS, stances)
    assert draft.core_pct.shape == (2, 1) and draft.deadline_year.shape == (2, 1)
    np.testing.assert_allclose(draft.core_pct[:, 0], [2.0, 2.0])  # equal weights: the plain mean
    assert (draft.deadline_year == 2035).all()


# --- the proposer protocol -------------------------------------------------------------------------

def three_allies():
    """A hawk (start 2.0, ramp 0.3), a laggard (start 1.0, ramp 0.2) and the US (floor 3.0 on
    the core, start 3.0): clout 0.2, 0.3, 0.5."""
    alliance = dataclasses.replace(ALLY, iso3=("HWK", "LAG", "USA"), name=("Hawk", "Laggard", "US"),
                                   start_pct=np.array([2.0, 1.0, 3.0]), is_us=np.array([False, False, True]),
                                   bears_cost=np.ones(3, bool), votes=np.ones(3, bool),
                                   clout=np.array([0.2, 0.3, 0.5]))
    standings = Standing(exposure=np.ones(3), fiscal=np.full(3, 0.5), reservation_total=np.array([0.0, 0.0, 4.5]),
                         floor=np.array([0.0, 0.0, 3.0]), noise=np.zeros(3))
    return alliance, standings


def stances_at(positions, ramps):
    """Stances whose threat gives each ally the ramp asked for (ramp = 0.1 + 0.4 x threat here)."""
    threat = (np.asarray(ramps) - 0.1) / 0.4
    n = len(positions)
    return negotiation.Stance(threat=threat, ideal=np.asarray(positions, float), position=np.asarray(positions, float),
                              deadline_preference=np.full(n, 2030.0), deadline_position=np.full(n, 2030.0),
                              expansion=np.zeros(n), rejections=np.zeros(n, dtype=np.int64),
                              accepted=np.zeros(n, dtype=bool))


def test_recognition_follows_clout():
    alliance, _ = three_allies()
    # cumulative clout 0.2, 0.5, 1.0: draws below 0.2 pick the first ally, below 0.5 the second
    picks = [int(np.argmax(negotiation.recognised(alliance, draw))) for draw in (0.0, 0.19, 0.2, 0.49, 0.5, 0.99)]
    assert picks == [0, 0, 1, 1, 2, 2]
    block = negotiation.recognised(alliance, np.array([0.1, 0.7]))  # one draw per run: (runs, allies)
    assert block.tolist() == [[True, False, False], [False, False, True]]


def test_the_proposer_keeps_the_level_and_pays_in_time():
    alliance, standings = three_allies()
    stances = stances_at([4.0, 1.5, 5.0], ramps=[0.3, 0.2, 0.3])
    hawk = np.array([True, False, False])
    package = negotiation.propose_package(alliance, PARAMS, standings, stances, hawk)
    # the hawk's 4.0%: the laggard needs (4.0 - 1.0) / 0.2 = 15 years -> 2040, the latest on the table
    assert float(package.core_pct.item()) == pytest.approx(4.0) and int(package.deadline_year.item()) == 2040
    laggard = np.array([False, True, False])
    package = negotiation.propose_package(alliance, PARAMS, standings, stances, laggard)
    # the laggard's 1.5% is below the US floor of 3.0: 3.0%, which the laggard ratifies in 10 years
    assert float(package.core_pct.item()) == pytest.approx(3.0) and int(package.deadline_year.item()) == 2035
    us = np.array([False, False, True])
    package = negotiation.propose_package(alliance, PARAMS, standings, stances, us)
    # the US's 5.0% would take the laggard 20 years: the most it ratifies by 2040 is 1.0 + 0.2 x 15 = 4.0
    assert float(package.core_pct.item()) == pytest.approx(4.0) and int(package.deadline_year.item()) == 2040


# --- the challenge protocol ------------------------------------------------------------------------

def challenge_round(alliance, standings, stances):
    """One round's challenges and answers, and the package tabled after them."""
    challenges = challenge.challenges(alliance, PARAMS, stances, None)
    answered = challenge.answer_challenges(alliance, PARAMS, standings, stances, challenges)
    return challenges, answered, challenge.forecast_package(alliance, PARAMS, answered)


def test_one_round_of_challenges_follows_the_hand_derived_trace():
    """The hawk at 4.0 (threat 1: salience 1, ramp 0.5), the laggard at 1.5 (threat 0: salience
    0.5, ramp 0.1), the US at 5.0 (its urgency is US pressure 0.5: salience 0.75; ramp 0.3), all
    asking for 2035, nothing on the table yet (no drift, T = 1/2, so EU_ij = d (1 - 2 s_j (1 - P_ij))).

    Weights clout x salience: 0.2, 0.15, 0.375. Weighted distances: D_H = 0.15 x 2.5 + 0.375 x 1
    = 0.75, D_L = 0.2 x 2.5 + 0.375 x 3.5 = 1.8125, D_U = 0.2 x 1 + 0.15 x 3.5 = 0.725, so
    P_HL = 1.8125 / 2.5625 = 29/41, P_UL = 1.8125 / 2.5375 = 5/7, P_UH = 0.75 / 1.475 = 30/59.

    - the hawk challenges the laggard: EU = 2.5 (1 - 2 x 0.5 x 12/41) = 2.5 x 29/41 > 0; the
      laggard's view: 2.5 (1 - 2 x 1 x 29/41) = -2.5 x 17/41, smaller: compelled, it supports 4.0;
    - the US challenges the laggard: EU = 3.5 (1 - 2 x 0.5 x 2/7) = 2.5; the laggard's view:
      3.5 (1 - 2 x 0.75 x 5/7) = -0.25: compelled, it supports 5.0;
    - the US and the hawk challenge each other: EU_UH = 1 - 2 x 1 x 29/59 = 1/59 and EU_HU =
      1 - 2 x 0.75 x 30/59 = 14/59, both > 0: a conflict, each counters part of the way: the
      hawk 4 + 30/59, the US 5 - 29/59 (= 4 + 30/59 too);
    - the laggard challenges nobody: against the hawk 2.5 (1 - 2 x 29/41) < 0, against the US
      3.5 (1 - 2 x 0.75 x 5/7) < 0.

    The laggard takes the offer that moves it least, 4.0, but ratifies at most 1.0 + 0.1 x 10
    = 2.0 by 2035: 2.0. The hawk and the US end at 4 + 30/59 = 4.508 (within 7.0 and 6.0). The
    deadlines all agree: nobody challenges. The weighted median of 2.0 (0.15), 4.508 (0.2),
    4.508 (0.375) is 4.508, the US's position: the package, topped up by 0.492 related, by 2035.
    """
    alliance, standings = three_allies()
    stances = dataclasses.replace(stances_at([4.0, 1.5, 5.0], ramps=[0.5, 0.1, 0.3]),
                                  deadline_position=np.full(3, 2035.0), deadline_preference=np.full(3, 2035.0))
    challenges, answered, package = challenge_round(alliance, standings, stances)
    S, C, R = (int(a) for a in (rules.Answer.SUPPORT, rules.Answer.COUNTER, rules.Answer.REJECT))
    # rows: the target; columns: the challenger (hawk, laggard, US)
    level = challenge.offers(challenges.level, challenges.level)
    assert level.answer.tolist() == [[R, R, C], [S, R, S], [C, R, R]]
    np.testing.assert_allclose(stances.position[:, None] + level.step, [[4.0, 4.0, 4 + 30 / 59], [4.0, 1.5, 5.0],
                                                                        [5 - 29 / 59, 5.0, 5.0]])
    np.testing.assert_allclose(challenges.level.distance, [0.75, 1.8125, 0.725])
    assert (challenge.offers(challenges.deadline, challenges.deadline).answer == R).all()
    # one target's row, as a Mesa agent reads it, is its row of the table
    laggard = challenge.offers(challenges.level.take(1), challenges.level)
    assert laggard.answer.tolist() == [S, R, S]
    np.testing.assert_allclose(answered.position, [4 + 30 / 59, 2.0, 4 + 30 / 59])
    np.testing.assert_allclose(answered.deadline_position, 2035.0)
    assert float(package.core_pct.item()) == pytest.approx(4 + 30 / 59)
    assert float(package.related_pct.item()) == pytest.approx(1 - 30 / 59)
    assert int(package.deadline_year.item()) == 2035
    assert challenge.median_voter(alliance, PARAMS, answered).tolist() == [False, False, True]
    # as a Mesa agent answers: its own row of the offers, its own stance
    for ally in range(3):
        row = dataclasses.replace(ALLY, **{name: getattr(alliance, name)[ally] for name in ("start_pct", "is_us",
                                                                                            "clout")})
        own = challenge.answer_challenges(row, PARAMS, standings.take(ally), stances.take(ally), challenges,
                                            seat=ally)
        assert float(own.position) == pytest.approx(answered.position[ally])
    # as the batch engine lays them out: two runs (runs, allies)
    block = negotiation.Stance(**{name: np.stack([value, value]) for name, value in vars(stances).items()})
    block_standings = Standing(**{name: np.stack([value, value]) for name, value in vars(standings).items()})
    _, answered_block, package_block = challenge_round(alliance, block_standings, block)
    np.testing.assert_allclose(answered_block.position, [answered.position] * 2)
    assert package_block.core_pct.shape == (2, 1)
    np.testing.assert_allclose(package_block.core_pct, 4 + 30 / 59)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0.0, 10.0), min_size=3, max_size=3), st.lists(st.floats(2030.0, 2040.0), min_size=3,
                                                                        max_size=3),
       st.lists(st.floats(0.1, 0.5), min_size=3, max_size=3), st.one_of(st.none(), st.floats(0.0, 10.0)))
def test_an_answer_never_leaves_the_win_set(levels, deadlines, ramps, on_table):
    """Whatever it is offered, an ally ends no higher than it can ratify by the deadline it
    ends asking for, no lower than its floor unless the floor is out of its reach, and asks
    for a deadline in the window."""
    alliance, standings = three_allies()
    stances = dataclasses.replace(stances_at(levels, ramps), deadline_position=np.array(deadlines))
    draft = None if on_table is None else Package(on_table, 0.0, 2035)
    challenges = challenge.challenges(alliance, PARAMS, stances, draft)
    answered = challenge.answer_challenges(alliance, PARAMS, standings, stances, challenges)
    assert ((answered.deadline_position >= 2030) & (answered.deadline_position <= 2040)).all()
    ceiling = alliance.start_pct + np.asarray(ramps) * (answered.deadline_position - 2025)
    assert (answered.position <= ceiling + 1e-9).all()
    assert (answered.position >= np.minimum(standings.floor, ceiling) - 1e-9).all()
