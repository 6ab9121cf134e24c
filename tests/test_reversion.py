"""The reversion point (sim/model/reversion.py): what no agreement costs an ally, and the most
it signs rather than block, against values worked out by hand."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hand_cases import ALLY, CIRCUMSTANCES, PARAMS
from sim.engines.model import AllianceModel
from sim.model import concession, consensus, reversion
from sim.model.state import Package, Stance


def test_no_deal_costs_the_credible_share_of_the_guarantee_and_of_the_tariffs():
    # pressure 0.5 x (guarantee 1.5 + 10% of exports worth 20% of GDP = 2.0) = 1.75 pp
    assert reversion.no_deal_cost(0.5, 20.0, 1.5, 0.1) == pytest.approx(1.75)
    # no trade figure (the US itself): the guarantee alone, 0.5 x 1.5
    assert reversion.no_deal_cost(0.5, np.nan, 1.5, 0.1) == pytest.approx(0.75)
    assert reversion.no_deal_cost(0.0, 20.0, 1.5, 0.1) == 0.0  # no pressure, no threat


@pytest.mark.parametrize("demand, expected", [
    (5.0, 3.85),  # ideal 2 + consensus 0.1 + coerced 1.75, within the US's demand
    (3.0, 3.0),  # the threat backs no more than the US asks
    (2.0, 2.1),  # a demand below what it signs anyway adds nothing: ideal + consensus
])
def test_the_most_an_ally_signs(demand, expected):
    assert reversion.most_signed(2.0, 0.1, 1.75, demand) == pytest.approx(expected)


@given(ideal=st.floats(0.0, 6.0), stake=st.floats(0.0, 2.0), coerced=st.floats(0.0, 5.0),
       more=st.floats(0.0, 3.0), demand=st.floats(0.0, 10.0))
def test_the_limit_grows_with_the_threat_and_the_demand_and_never_falls_below_the_ideal(ideal, stake, coerced,
                                                                                        more, demand):
    limit = reversion.most_signed(ideal, stake, coerced, demand)
    assert limit >= ideal + stake - 1e-12
    assert limit <= max(ideal + stake, demand) + 1e-12
    assert reversion.most_signed(ideal, stake, coerced + more, demand) >= limit - 1e-12
    assert reversion.most_signed(ideal, stake, coerced, demand + more) >= limit - 1e-12


def hand_ally(stake=0.5):
    """The hand cases' ally (ideal 2.8%, ratifying 0.3 pp a year) with a consensus stake of
    `stake`, no US threat on it, and no US headline to top the core up to."""
    params = PARAMS.replace(consensus_stake_pct=stake)
    stance = Stance(threat=0.5, ideal=2.8, position=2.8, deadline_preference=2035.0, deadline_position=2035.0,
                    ramp_widening=0.0, rejections=0, accepted=False)
    return params, stance


def test_an_ally_votes_down_a_package_its_parliament_could_ratify_but_that_it_likes_less_than_no_deal():
    params, stance = hand_ally(stake=0.5)
    # 3.5 by 2035: its parliament ratifies 2.0 + 0.3 x 10 = 5.0, but it signs no more than
    # 2.8 + 0.5 = 3.3 (no US threat on it): no
    rejected = consensus.vote(ALLY, params, CIRCUMSTANCES, stance, Package(3.5, 0.0, 2035))
    assert not rejected.accepted
    assert consensus.vote(ALLY, params, CIRCUMSTANCES, stance, Package(3.3, 0.0, 2035)).accepted
    # the US's threat on it (1 pp, backing a demand of 5%) makes 3.5 better than no deal
    threatened = dataclasses.replace(CIRCUMSTANCES, no_deal_cost=1.0)
    assert consensus.vote(ALLY, params.replace(us_demand_pct=5.0), threatened, stance,
                          Package(3.5, 0.0, 2035)).accepted


def test_pressure_in_the_rounds_cannot_win_an_ally_that_prefers_no_deal():
    params, stance = hand_ally(stake=0.5)
    beyond = consensus.out_of_reach(ALLY, params, CIRCUMSTANCES, stance, Package(3.5, 0.0, 2035), 0.0, 1, 0)
    assert bool(beyond)
    within = consensus.out_of_reach(ALLY, params, CIRCUMSTANCES, stance, Package(3.3, 0.0, 2035), 0.0, 1, 0)
    assert not bool(within)


def test_an_ally_does_not_argue_for_more_than_it_would_sign():
    params, stance = hand_ally(stake=0.2)
    # conceding half of the way (rate 0.5 x (1 - urgency 0.5) = 0.25) from 2.8 toward 6.8 would
    # take it to 3.8; it stops at what it signs: 2.8 + 0.2 = 3.0
    moved = concession.update_position(ALLY, params, CIRCUMSTANCES, stance, Package(6.8, 0.0, 2040))
    assert float(moved.position) == pytest.approx(3.0)


def test_the_us_and_an_ally_with_no_forces_sign_anything():
    alliance = dataclasses.replace(ALLY, iso3=("USA", "ISL", "AAA"), is_us=np.array([True, False, False]),
                                   bears_cost=np.array([True, False, True]), votes=np.ones(3, bool))
    circumstances = dataclasses.replace(CIRCUMSTANCES, no_deal_cost=np.zeros(3), us_headline=np.zeros(3))
    limit = reversion.signing_limit(alliance, PARAMS.replace(consensus_stake_pct=0.5), circumstances,
                                    np.array([1.0, 1.0, 1.0]))
    assert np.isinf(limit[:2]).all() and limit[2] == pytest.approx(1.5)


def test_without_us_pressure_no_ally_counts_a_us_threat_and_with_it_trade_makes_the_difference():
    calm = AllianceModel("hague2025", rng=0, us_pressure=0.0)
    assert all(ally.circumstances.no_deal_cost == 0.0 for ally in calm.members)
    pressed = {ally.iso3: ally.circumstances.no_deal_cost for ally in AllianceModel("hague2025", rng=0).members}
    assert pressed["USA"] == 0.0
    # Canada sends about a fifth of its GDP to the US in goods, Spain about 1%: the same
    # guarantee at stake, very different tariffs
    assert pressed["CAN"] > pressed["ESP"] + 1.0
