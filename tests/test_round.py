"""One ally through scripted drafts, round by round, against values derived by hand (in the
manner of Axelrod's strategy traces), once for the ally alone (as a Mesa agent calls the
steps) and once laid out as the batch engine lays out runs x allies.

The ally: spending 2.0% in the data year, fiscal pressure 0.5, on the border (exposure 1),
no domestic shock, leaving nothing to the others. With threat level 0.5 it reads a threat of
0.5; its need is 6 x 0.5 = 3.0%, so its ideal is 2.0 + (3.0 - 2.0) x (1 - 0.4 x 0.5) = 2.8%;
its parliament ratifies 0.2 x (1 - 0.5) + 0.4 x 0.5 = 0.3 pp a year; its urgency is its
threat, so it closes 0.5 x (1 - 0.5) = 0.25 of the gap to a draft. The capability targets cost
5% here (at the guideline's threat, with no shortfall), which it could meet by 2025 + 3.0 / 0.3
= 2035; the threat's horizon is 2030, so it asks for 2035 - 0.5 x (2035 - 2030) = 2032.5.
Related spending costs it nothing here (`related_cost_share` 0).

And the concession, pressure and consensus rules of a round against values worked out by hand.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from hand_cases import ALLY, CIRCUMSTANCES, PARAMS
from sim.model import concession, consensus, opening, perception, pressure, state, win_set
from sim.model.state import Circumstances, Package


# (the draft it answers, or None in the first round) -> (position, deadline position, its vote on
# the round's draft, its ramp after the round)
DRAFTS = [Package(3.6, 1.4, 2032), Package(4.4, 0.6, 2030), Package(4.4, 0.6, 2033)]
TRACE = [
    # round 1, no draft yet: it opens at its ideal and the deadline it asks for. The draft (3.6
    # by 2032) fits: 2.0 + 0.3 x 7 = 4.1 >= 3.6, so it accepts.
    (2.8, 2032.5, True, 0.3),
    # round 2, answering 3.6 by 2032: 2.8 + 0.25 x (3.6 - 2.8) = 3.0; deadline preference
    # 2032.5 + 0.5 x (2032 - 2032.5) = 2032.25, later than 3.6 needs (2025 + 1.6 / 0.3 = 2030.33).
    # The draft (4.4 by 2030) exceeds 2.0 + 0.3 x 5 = 3.5: it rejects, and under pressure
    # 0.5 (the US's, no peers) its ramp widens by 0.02 x 0.5 x 1.0 = 0.01 to 0.31.
    (3.0, 2032.25, False, 0.31),
    # round 3, answering 4.4 by 2030: 3.0 + 0.25 x 1.4 = 3.35; preference 2032.25 + 0.5 x
    # (2030 - 2032.25) = 2031.125, earlier than 4.4 needs (2025 + 2.4 / 0.31 = 2032.74), so
    # it asks for 2032.74. The draft (4.4 by 2033) fits 2.0 + 0.31 x 8 = 4.48: it accepts.
    (3.35, 2025 + 2.4 / 0.31, True, 0.31),
]


def play(alliance, circumstances, previous_threats, peer_row, draws):
    """The round's steps for one ally, with the drafts scripted instead of drafted."""
    stance = opening.open_stance(alliance, PARAMS, circumstances)
    draft = None
    for round_index, scripted in enumerate(DRAFTS, start=1):
        level = perception.threat_level_in_round(round_index, PARAMS)
        stance = perception.perceive(alliance, PARAMS, circumstances, stance, level, previous_threats(stance), peer_row)
        stance = concession.update_position(alliance, PARAMS, circumstances, stance, draft)
        draft = scripted
        stance = consensus.vote(alliance, PARAMS, circumstances, stance, draft)
        share = consensus.share_accepting(alliance, stance.accepted)
        stance = pressure.respond_to_pressure(alliance, PARAMS, stance, share, draws)
        yield stance, win_set.ramp(PARAMS, circumstances, stance)


def test_one_ally_follows_the_hand_derived_trace():
    rounds = play(ALLY, CIRCUMSTANCES, lambda stance: np.array([stance.threat]), np.array([0.0]), 1.0)
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
    circumstances = Circumstances(**{name: np.full((runs, 1), value) for name, value in vars(CIRCUMSTANCES).items()})
    rounds = play(block, circumstances, lambda stance: stance.threat, np.zeros((1, 1)), np.ones((runs, 1)))
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
    stance = state.Stance(threat=np.zeros(3), ideal=np.ones(3), position=np.ones(3),
                          deadline_preference=np.full(3, 2035.0), deadline_position=np.full(3, 2035.0),
                          ramp_widening=np.zeros(3), rejections=np.zeros(3, dtype=np.int64),
                          accepted=np.array([False, False, True]))
    after = pressure.respond_to_pressure(three, params, stance, 0.0, np.full(3, 1.2))
    np.testing.assert_allclose(after.ramp_widening, [0.018, 0.012, 0.0])
    assert after.rejections.tolist() == [1, 1, 0]


def test_concession_and_pressure_by_hand():
    assert concession.concede(1.0, 3.0, 0.25) == pytest.approx(1.5)
    assert concession.concession_share(0.4, 0.75) == pytest.approx(0.1)
    assert pressure.holdout_pressure(0.9, 0.5, 0.2) == pytest.approx(1.0)
    assert pressure.widen_ramp(0.1, True, 0.01, 1.5) == pytest.approx(0.115)
    assert pressure.widen_ramp(0.1, False, 0.01, 1.5) == pytest.approx(0.1)
    # 0.001 pp per % of GDP exported, at pressure 0.5, on 18% of GDP: 0.009; nothing without a figure
    assert pressure.bilateral_pressure(0.5, np.array([18.0, np.nan]), 0.001) == pytest.approx([0.009, 0.0])


def test_flexibility_only_for_few_holdouts_with_the_us_on_board():
    holdouts = np.array([True, False, True])
    assert consensus.flexibility_allowed(holdouts, True, True, 2)
    assert not consensus.flexibility_allowed(holdouts, True, True, 1)
    assert not consensus.flexibility_allowed(holdouts, False, True, 2)
    assert not consensus.flexibility_allowed(holdouts, True, False, 2)


@pytest.mark.parametrize("us_pressure, letters", [(1.0, 3), (2 / 3, 2), (1 / 3, 1), (0.3, 0), (0.0, 0)])
def test_the_summit_carries_as_many_holdouts_as_us_pressure_sponsors(us_pressure, letters):
    # of the default three side letters, floor(3 x pressure): the Wales posture (1/3) one, none without pressure
    assert int(consensus.sponsored_letters(PARAMS.replace(us_pressure=us_pressure, max_flexibility_holdouts=3))) == letters


def test_without_us_pressure_a_lone_holdout_blocks_at_the_summit():
    alliance = dataclasses.replace(ALLY, iso3=("AAA", "BBB"), is_us=np.zeros(2, bool), bears_cost=np.ones(2, bool),
                                   votes=np.ones(2, bool))
    accepted = np.array([True, False])
    pressed = consensus.decide(alliance, PARAMS.replace(us_pressure=1.0), accepted, PARAMS.max_rounds, np.zeros(2, bool))
    assert pressed.deal.all() and pressed.flexibility.tolist() == [False, True]
    calm = consensus.decide(alliance, PARAMS.replace(us_pressure=0.0), accepted, PARAMS.max_rounds, np.zeros(2, bool))
    assert calm.concluded.all() and not calm.deal.any() and not calm.flexibility.any()
