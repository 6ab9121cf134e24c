"""The protocols against the examples their sources teach them by, one per protocol that lacked
one: the agenda setter against Romer & Rosenthal's (1978) setter in one dimension, the
mediator's compromise rules against the weighted mean of the compromise model (Achen 2006) and
the asymmetric Nash solution of a division (Osborne & Rubinstein 1990), and the challenge
protocol on Bueno de Mesquita's (1994) emission-standards table, the case Scholz, Calbert &
Smith (2011) replicate (no publication found prints its intermediate numbers, so they are
derived by hand from the published formulas and checked against a public replication's
printout). Baron-Ferejohn and the exchange protocol have theirs in tests/test_baron_ferejohn.py
and tests/test_exchange.py; the challenge protocol also has a round traced by hand in
tests/test_protocols.py and its risk attitudes in tests/test_challenge_risk.py. The numbers
are derived by hand in each docstring."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hand_cases import PARAMS, stances_at, three_allies

from sim.model.state import Circumstances
from sim.model.win_set import needed_deadline
from sim.protocols import agenda_setter, challenge, challenge_risk, mediator

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


# --- the challenge protocol: Bueno de Mesquita's (1994) emission-standards case ---------------------

# Bueno de Mesquita (1994, p. 78; Table 1 of Scholz, Calbert & Smith 2011): the date, in years
# from the start of talks, by which the EC should apply emission standards to medium-sized cars.
# Public transcriptions of the table swap the Netherlands' and Belgium's rows (position 4 and
# salience 0.8, or 7 and 0.4); the capabilities are equal, so either way 0.064 of weight stands
# at 4 and 0.032 at 7, and every number below, which depends on positions and weights only, holds.
EMISSION_ACTORS = ("Netherlands", "Belgium", "Luxembourg", "Germany", "France", "Italy", "UK", "Ireland",
                   "Denmark", "Greece")
EMISSION_CAPABILITY = np.array([0.08, 0.08, 0.03, 0.16, 0.16, 0.16, 0.16, 0.05, 0.05, 0.08])
EMISSION_POSITION = np.array([4.0, 7.0, 4.0, 4.0, 10.0, 10.0, 10.0, 7.0, 4.0, 7.0])
EMISSION_SALIENCE = np.array([0.8, 0.4, 0.2, 0.8, 0.6, 0.6, 0.9, 0.1, 1.0, 0.7])
AT_FOUR, AT_SEVEN, AT_TEN = EMISSION_POSITION == 4.0, EMISSION_POSITION == 7.0, EMISSION_POSITION == 10.0


def emission_contenders(risk_attitudes):
    """The ten members before their first round of challenges, nothing on the table (T = 1/2)."""
    weights = EMISSION_CAPABILITY * EMISSION_SALIENCE
    return challenge.contenders(EMISSION_POSITION, weights, EMISSION_SALIENCE, np.ones(10, dtype=bool), np.nan,
                                risk_attitudes)


def test_the_emission_standards_forecast_and_probabilities_of_success():
    """The published table as data, the expected values derived by hand from the published
    formulas: no publication found prints the model's intermediate numbers for this case
    (none was found in the stored copies of the sources), but one public replication of
    Scholz et al. (Masad 2014, github.com/dmasad/BDM_DecisionModel_Replication, its notebooks)
    prints the median and some P_ij, which are checked against below.

    Weights c x s: 0.064, 0.032, 0.006, 0.128, 0.096, 0.096, 0.144, 0.005, 0.05, 0.056; by
    position W_4 = 0.248, W_7 = 0.093, W_10 = 0.336, of 0.677. The forecast, the weighted
    median (BDM 1994): from 4, 0.248 < 0.677 / 2 = 0.3385 <= 0.248 + 0.093 = 0.341, so 7 years
    (Masad's replication prints 7.0; the weighted mean is 5.003 / 0.677 = 7.39).

    P_ij (`vote_share`; BDM 1994, Scholz et al. 2011, eq. for P_ij) is i's share of the votes
    w_k (|x_k - x_j| - |x_k - x_i|) cast on the pair, in thousandths of weight x years:
      4 against 10: 248 x 6 = 1488 for 4, 336 x 6 = 2016 for 10 (those at 7 are indifferent),
        P = 1488 / 3504 = 31/73 = 0.42466, and 10 over 4 42/73 = 0.57534;
      4 against 7: 248 x 3 = 744 for 4, 93 x 3 + 336 x 3 = 1287 for 7, P = 744 / 2031 =
        248/677 = 0.36632, and 7 over 4 429/677 = 0.63368;
      7 against 10: 248 x 3 + 93 x 3 = 1023 for 7, 1008 for 10, P = 341/677 = 0.50369, and 10
        over 7 336/677 = 0.49631.
    Masad's replication prints 0.63368 for a member at 7 against one at 4 and 0.50369 for 7
    against 10. (The rule before this one, each k splitting its weight, P_ij = D_j / (D_i +
    D_j), gave 0.43501, 0.43291 and 0.50213 for the three challengers above. McKibben-Sanders'
    public replication notes that Scholz et al.'s own code divides by the votes over all pairs,
    which makes every P_ij far smaller; neither that nor anything from it is followed here.)"""
    weights = EMISSION_CAPABILITY * EMISSION_SALIENCE
    assert weights.sum() == pytest.approx(0.677)
    assert mediator.weighted_median(EMISSION_POSITION, weights) == 7.0
    assert mediator.weighted_mean(EMISSION_POSITION, weights) == pytest.approx(5.003 / 0.677)
    shares = challenge.vote_share(EMISSION_POSITION, weights)  # [challenger, target]
    belgium, france, netherlands = (EMISSION_ACTORS.index(name) for name in ("Belgium", "France", "Netherlands"))
    assert shares[belgium, netherlands] == pytest.approx(0.63368, abs=5e-6)  # Masad's printout
    assert shares[belgium, france] == pytest.approx(0.50369, abs=5e-6)  # Masad's printout
    by_position = {(4, 10): 31 / 73, (10, 4): 42 / 73, (4, 7): 248 / 677, (7, 4): 429 / 677, (7, 10): 341 / 677,
                   (10, 7): 336 / 677}
    at = {4: AT_FOUR, 7: AT_SEVEN, 10: AT_TEN}
    for (challenger, target), share in by_position.items():
        np.testing.assert_allclose(shares[np.ix_(at[challenger], at[target])], share)
    for position in at.values():
        assert (shares[np.ix_(position, position)] == 0.5).all()  # nobody's vote differs between allies together


def test_the_emission_standards_first_round_of_challenges_risk_neutral():
    """The first round's challenges on the emission-standards table (above), linear loss and
    nothing on the table, so T = 1/2 and the status-quo term vanishes: EU_ij = d (1 - 2 s_j (1 -
    P_ij)) in years (`challenge_utility`; Scholz et al.'s risk-neutral EU_ij with Q = 1, as their
    replications run it, times (max - min) / 2 = 3, since U_sq = 0 at r = 1), with the vote
    shares of the previous test. By position pair, s_j the target's salience:

      7 on 4:  EU = 3 (1 - 2 s_4 x 248/677) = 3 (1 - 0.73264 s_4) > 0 for any s;  4 on 7: EU =
               3 (1 - 2 s_7 x 429/677) = 3 (1 - 1.26736 s_7) > 0 for s_7 < 0.7890, which holds
               for Belgium 0.4, Ireland 0.1, Greece 0.7: both > 0, a conflict, and the target
               counters.
      10 on 4: EU = 6 (1 - 2 s_4 x 31/73) = 6 (1 - 0.84932 s_4) > 0;  4 on 10: EU = 6 (1 - 2
               s_10 x 42/73) = 6 (1 - 1.15068 s_10): France, Italy (0.6) 1.8575 > 0, a conflict;
               the UK (0.9) -0.2137 < 0, so the UK compels every member at 4 (its EU, at least
               6 (1 - 0.84932) = 0.9041 for Denmark, exceeds 0.2137): they would support 10, and
               no member at 4 challenges the UK.
      10 on 7: EU = 3 (1 - 2 s_7 x 341/677) = 3 (1 - 1.00739 s_7) > 0 for s_7 <= 0.7;  7 on 10:
               EU = 3 (1 - 2 s_10 x 336/677) = 3 (1 - 0.99261 s_10) > 0: conflicts.
    Each counters at x_j + P_ij (x_i - x_j), which for a pair is the same point from either side
    (P_ij + P_ji = 1): 4 and 7 meet at 4 + 3 x 429/677 = 7 - 3 x 248/677 = 3995/677 = 5.90103;
    7 and 10 at 7 + 3 x 336/677 = 5747/677 = 8.48892; 4 and 10 at 4 + 6 x 42/73 = 544/73 =
    7.45205. Each takes the offer that moves it least: the members at 4 move 1287/677 = 1.90103
    to 5.90103 (not 3.45205, nor 6 to the UK's 10); those at 7 move 744/677 = 1.09897 down to
    5.90103 (not 1008/677 = 1.48892 up); those at 10 move 1023/677 = 1.51108 to 8.48892 (not
    2.54795). The forecast after the round: 0.341 of weight at 5.90103 passes half, so 5.90
    years (with the former split of support, 5.70).

    Not reproduced: Scholz et al.'s next positions, since in their rule (as the public
    replications implement it) a conflict's loser moves all the way to the winner and a
    compromise by the ratio of the two expected utilities, where here both counter by P_ij, the
    contest's expected result (ODD 7.6c)."""
    parties = emission_contenders(risk_attitudes=False)
    made = challenge.offers(parties, parties)  # [target, challenger]
    answer = made.answer
    uk = EMISSION_ACTORS.index("UK")
    assert (answer[np.ix_(AT_FOUR, [uk])] == challenge.Answer.SUPPORT).all()  # compelled by the UK
    assert (answer[np.ix_([uk], AT_FOUR)] == challenge.Answer.REJECT).all()  # nobody at 4 challenges the UK
    apart = EMISSION_POSITION[:, None] != EMISSION_POSITION[None, :]
    others = apart & ~(AT_FOUR[:, None] & (np.arange(10) == uk)[None, :]) & ~((np.arange(10) == uk)[:, None]
                                                                           & AT_FOUR[None, :])
    assert (answer[others] == challenge.Answer.COUNTER).all()  # every other contest a conflict
    assert (answer[~apart] == challenge.Answer.REJECT).all()  # nobody challenges its own position
    settled = challenge.settle(parties, parties)
    assert settled[AT_FOUR | AT_SEVEN] == pytest.approx(3995 / 677)  # 5.90103
    assert settled[AT_TEN] == pytest.approx(5747 / 677)  # 8.48892
    weights = EMISSION_CAPABILITY * EMISSION_SALIENCE
    assert mediator.weighted_median(settled, weights) == pytest.approx(5.90103, abs=1e-5)


def test_the_emission_standards_risk_exponents():
    """The risk attitudes on the same table (Bueno de Mesquita 1994; Scholz et al. 2011, section
    5): security S_i = sum_{j != i} EU_ji, risk neutral, in years (the previous test's EU with
    the target's salience s): a member at 4 is challenged by three at 7 (d = 3) and three at 10
    (d = 6): S = 9 (1 - 0.73264 s) + 18 (1 - 0.84932 s) = 27 - 21.8815 s; at 7, by four at 4 and
    three at 10 (d = 3): S = 12 (1 - 1.26736 s) + 9 (1 - 1.00739 s) = 21 - 24.2747 s; at 10, by
    four at 4 (d = 6) and three at 7 (d = 3): S = 24 (1 - 1.15068 s) + 9 (1 - 0.99261 s) =
    33 - 36.5500 s. So S = 9.4948 (Netherlands, Germany), 11.2901 (Belgium), 22.6237
    (Luxembourg, the most), 11.0700 (France, Italy), 0.1050 (UK, the least), 18.5725 (Ireland),
    5.1185 (Denmark), 4.0077 (Greece). R = (2 S - 22.7287) / 22.5187 and r = (3 - R) / (3 + R):
    1.1172, 1.0044, 0.5, 1.1172, 1.0176, 1.0176, 2, 0.6483, 1.4537, 1.5569.

    With the former split of support for P_ij (first test) they were 1.2157, 0.9685, 0.5,
    1.2157, 1.0041, 1.0041, 2, 0.6341, 1.6347, 1.4751: the same extremes, Denmark and Greece
    swapped. Masad's replication prints 1.127, 0.781, 0.5, 1.127, 1.078, 1.078, 2, 0.525, 1.472,
    1.140 from a version its README says did not yet reproduce Scholz et al., so it is no
    expected value here; its extremes are the ones above.

    The UK, most secure and risk averse (r = 2), then declines to challenge the Netherlands: on
    0..1 (d = 1, |x_UK - mu| = 3/6 = 1/2), U_s = 2, U_f = -2, U_sq = 2 - 4/4 = 1, U_b = 2 - 4
    (1/2 - 3/8)^2 = 1.9375, U_w = 2 - 4 (7/8)^2 = -1.0625; with P = 42/73, EU = 0.8 (42/73 x 2 -
    31/73 x 2) + 0.2 x 2 - [1/2 x 1 + 1/2 (1.9375 - 1.0625) / 2] = 0.2411 + 0.4 - 0.71875 =
    -0.0777 < 0 (with Scholz et al.'s Q = 1, -0.3589: as negative). Some answers change (the
    UK now counters Luxembourg, r = 1/2, and compels Greece, r = 1.56), but every member's least
    move is the same counter: 5.90103 and 8.48892."""
    parties = emission_contenders(risk_attitudes=True)
    expected = [1.1172, 1.0044, 0.5, 1.1172, 1.0176, 1.0176, 2.0, 0.6483, 1.4537, 1.5569]
    assert parties.risk == pytest.approx(expected, abs=1e-4)
    security = challenge.security_levels(emission_contenders(risk_attitudes=False))
    assert security == pytest.approx([9.4948, 11.2901, 22.6237, 9.4948, 11.0700, 11.0700, 0.1050, 18.5725,
                                      5.1185, 4.0077], abs=1e-4)
    netherlands, uk = EMISSION_ACTORS.index("Netherlands"), EMISSION_ACTORS.index("UK")
    declined = challenge_risk.risk_challenge_utility(42 / 73, 1.0, 0.8, 0.5, 0.5, 2.0)
    assert declined == pytest.approx(-0.0777, abs=1e-4)
    made = challenge.offers(parties, parties)
    assert made.answer[netherlands, uk] == challenge.Answer.REJECT
    greece, luxembourg = EMISSION_ACTORS.index("Greece"), EMISSION_ACTORS.index("Luxembourg")
    assert made.answer[greece, uk] == challenge.Answer.SUPPORT
    assert made.answer[luxembourg, uk] == challenge.Answer.COUNTER
    settled = challenge.settle(parties, parties)
    assert settled[AT_FOUR | AT_SEVEN] == pytest.approx(3995 / 677)
    assert settled[AT_TEN] == pytest.approx(5747 / 677)
