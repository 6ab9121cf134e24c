"""The protocols against the examples their sources teach them by, one per protocol that lacked
one: the agenda setter against Romer & Rosenthal's (1978) setter in one dimension, and the
mediator's compromise rules against the weighted mean of the compromise model (Achen 2006) and
the asymmetric Nash solution of a division (Osborne & Rubinstein 1990). Baron-Ferejohn and the
exchange protocol have theirs in tests/test_baron_ferejohn.py and tests/test_exchange.py; the
challenge protocol has a round traced by hand in tests/test_protocols.py and its risk
attitudes in tests/test_challenge_risk.py (no published table of Bueno de Mesquita's
intermediate numbers, his 1994 emission-standards case included, was found to reproduce).
The numbers are derived by hand in each docstring."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hand_cases import PARAMS, stances_at, three_allies

from sim.model.state import Circumstances
from sim.model.win_set import needed_deadline
from sim.protocols import agenda_setter, mediator

# --- the agenda setter: Romer & Rosenthal (1978) ---------------------------------------------------

STAKE = 1.0  # what blocking costs a member (`consensus_stake_pct`), pp of GDP


def setter_case(positions):
    """test_protocols' three allies, the hawk, the laggard and the US, with nothing but the
    reversion point binding: no US floor or headline (so no related spending, and a package asks
    its core level), ramps of 0.5 (the laggard, starting at 1.0, ratifies 2.5 in 3 years), no
    US threat (no_deal_cost 0), no earlier pledge standing."""
    alliance, _ = three_allies()
    circumstances = Circumstances(exposure=np.ones(3), fiscal=np.full(3, 0.5), reservation_total=np.zeros(3),
                                  floor=np.zeros(3), us_headline=np.zeros(3), free_riding=np.zeros(3),
                                  no_deal_cost=np.zeros(3), noise=np.zeros(3), standing_pct=np.zeros(3))
    stances = dataclasses.replace(stances_at(positions, ramps=[0.5, 0.5, 0.5]),
                                  deadline_position=np.full(3, 2040.0))
    return alliance, PARAMS.replace(consensus_stake_pct=STAKE), circumstances, stances


@pytest.mark.parametrize(("setter", "positions", "expected"), [
    (0, [4.0, 1.5, 5.0], 2.5),  # the hawk's 4.0 lies outside the laggard's win-set: it gets 2 m - q = 2.5
    (0, [2.0, 1.5, 5.0], 2.0),  # the hawk's 2.0 lies inside it: the hawk gets its ideal
    (1, [4.0, 1.5, 5.0], 1.5),  # the laggard as setter: its own ideal, which every member prefers to no deal
    (2, [4.0, 1.5, 5.0], 2.5),  # the US: the most the laggard accepts, as for the hawk
    (0, [4.0, 3.5, 5.0], 4.0),  # a laggard at 3.5 accepts up to 4.5: the hawk gets its 4.0
])
def test_the_setter_takes_the_point_nearest_its_ideal_that_the_pivot_prefers_to_the_reversion(setter, positions,
                                                                                                expected):
    """Romer & Rosenthal (1978): a setter facing a pivotal voter with ideal m and symmetric
    single-peaked preferences, whose reversion (no agreement) is q < m, proposes min(s, 2m - q):
    its own ideal s if the pivot prefers it to q, else the farthest point the pivot still does
    (it is indifferent at 2m - q, as far above m as q is below). Under unanimity every member is
    a veto player and the pivot is the one whose bound is lowest (Tsebelis 2002).

    Here a member signs a package asking up to its ideal plus what blocking costs it
    (`reversion.most_signed`: ideal + 1.0, no US threat); that is Romer-Rosenthal's bound 2m - q
    for a reversion q = m - 1.0, one below the ideal. The laggard at m = 1.5 (q = 0.5) signs up
    to 2 x 1.5 - 0.5 = 2.5; the hawk at 4.0 up to 5.0; the US anything. So the hawk at s = 4.0
    proposes min(4.0, 2.5, 5.0) = 2.5; at s = 2.0, its ideal; the laggard, its own 1.5 (the
    hawk's bound 5.0 and its own 2.5 both hold it); the US at 5.0, 2.5. With the laggard at 3.5
    (bound 4.5, the hawk's 5.0) the hawk's 4.0 passes as proposed. Every member can ratify the
    package by its deadline (the laggard, from 1.0 at 0.5 a year, 2.5 in 3 years: by 2028).
    The deadline is the one the setter's own level needs (`propose_package` sets it before
    the reversion point caps the level): 4.0 takes the laggard 6 years, 2031, where the 2.5
    tabled would allow the earliest year, 2030."""
    alliance, params, circumstances, stances = setter_case(positions)
    proposer = np.arange(3) == setter
    package = agenda_setter.propose_package(alliance, params, circumstances, stances, proposer)
    assert float(package.core_pct.item()) == pytest.approx(expected)
    assert float(package.related_pct.item()) == 0.0  # no headline to top up toward
    needed = needed_deadline(package.core_pct, alliance.start_pct, 0.5, params.summit_year)
    assert (needed <= package.deadline_year).all()


def test_without_a_cost_of_blocking_the_pivot_accepts_nothing_above_its_ideal():
    """Romer & Rosenthal's other limit: a reversion at the pivot's ideal (q = m, here no cost of
    blocking) leaves the setter only m: the hawk at 4.0 gets the laggard's 1.5."""
    alliance, params, circumstances, stances = setter_case([4.0, 1.5, 5.0])
    package = agenda_setter.propose_package(alliance, params.replace(consensus_stake_pct=0.0), circumstances, stances,
                                            np.array([True, False, False]))
    assert float(package.core_pct.item()) == pytest.approx(1.5)


# --- the mediator: the compromise model and the Nash solution ---------------------------------------

def test_the_compromise_model_is_the_capability_and_salience_weighted_mean():
    """Achen (2006, the compromise model; Thomson et al. 2006 test it on EU decisions): the
    outcome is sum_i c_i s_i x_i / sum_i c_i s_i. Three members at 0, 50 and 100 with
    capabilities 3, 2, 1 and saliences 0.5, 1.0, 0.9: weights 1.5, 2.0, 0.9, so
    (1.5 x 0 + 2.0 x 50 + 0.9 x 100) / 4.4 = 190 / 4.4 = 43.18. The weighted median is the
    member at 50 (cumulative weight 1.5, then 3.5 of 4.4, past half)."""
    positions = np.array([0.0, 50.0, 100.0])
    weights = np.array([3.0, 2.0, 1.0]) * np.array([0.5, 1.0, 0.9])
    assert mediator.weighted_mean(positions, weights) == pytest.approx(190 / 4.4)
    assert mediator.weighted_median(positions, weights) == 50.0


@pytest.mark.parametrize(("weights", "first_share"), [((1.0, 1.0), 1 / 2), ((2.0, 1.0), 2 / 3), ((1.0, 3.0), 1 / 4)])
def test_the_nash_solution_divides_the_surplus_in_proportion_to_the_bargaining_weights(weights, first_share):
    """Osborne & Rubinstein (1990, the asymmetric Nash solution): dividing a surplus between two
    players with linear utilities, the solution with weights (a, 1 - a) gives the first the
    share a (maximise a log(u_1) + (1 - a) log(S - u_1): u_1 = a S). On one dimension: members at
    0 and 3, each one's disagreement point the other's position, so at x the first gains 3 - x
    and the second x of the surplus S = 3. Weights 2:1 give the first 2/3 of it, x = 1; equal
    weights x = 1.5 (Nash 1950's symmetric split); 1:3, x = 2.25. The grid of 301 points over
    0..3 steps 0.01 and holds each to a step."""
    positions, disagreement = np.array([0.0, 3.0]), np.array([3.0, 0.0])
    solution = mediator.nash_bargaining(positions, np.array(weights), disagreement, grid_points=301)
    assert 3.0 - solution == pytest.approx(first_share * 3.0, abs=0.01)
