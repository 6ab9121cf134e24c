"""The exchange protocol (Stokman & Van Oosten 1994, at the equal gain rate of the `decide`
exchange model) against an exchange worked out by hand, and its invariants."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engines.batch import run_batch
from sim.model.parameters import NegotiationProtocol
from sim.protocols.exchange import Traders, exchange_terms, expected_outcome, in_exchange, realised


def four_actors() -> Traders:
    """The four actors of the `decide` exchange model's own exchange test, on two issues p and q
    scaled 0..100 (p read as the level, q as the deadline): positions, capability, salience.

        a1: p 70 (s .75), q 70 (s .25), c .5      a3: as a2
        a2: p 30 (s .25), q 30 (s .75), c .5      a4: p 0 (s .6), q 100 (s .8), c .85
    """
    return Traders(level=np.array([70.0, 30.0, 30.0, 0.0]), deadline=np.array([70.0, 30.0, 30.0, 100.0]),
                   capability=np.array([0.5, 0.5, 0.5, 0.85]), level_salience=np.array([0.75, 0.25, 0.25, 0.6]),
                   deadline_salience=np.array([0.25, 0.75, 0.75, 0.8]), at_table=np.ones(4, dtype=bool))


def test_the_four_actors_exchange_by_hand():
    """Weights c x s on p: .375, .125, .125, .51, W_p = 1.135; O_p = (26.25 + 3.75 + 3.75) / 1.135
    = 6750/227 = 29.736. On q: .125, .375, .375, .68, W_q = 1.555; O_q = (8.75 + 11.25 + 11.25 + 68)
    / 1.555 = 63.826. a1 stands above both outcomes and a4 below p, above q: neither can trade
    with a1 (a2 and a3, at 30 on p, are above O_p too). a2 (above p, below q) and a4 (below p,
    above q) stand on opposite sides of both. Salience ratios p/q: a2 1/3, a4 .75, so a4
    demands p and supplies q; a2 supplies p. Both issues span 70, so the rescaling cancels.
    a2 moving all the way to a4's 0 on p shifts O_p by 30 x .125 / 1.135 = 750/227 = 3.304;
    the equal gain rate k = (.6 + .25) / (.8 + .75) = 17/31 asks O_q to shift by 3.304 x 17/31
    = 1.812, which a4 buys by moving 1.812 x 1.555 / .68 = 4.143 on q (less than the 70 to a2,
    and neither outcome passes the demander: O_p stays above 0, O_q above 30). Gains: a4
    3.304 x .6 - 1.812 x .8 = .533, a2 1.812 x .75 - 3.304 x .25 = .533, in 0..100 units; divided
    by the span, 70, in the model's 0..1 units. a3 offers a4 the same exchange; a4 trades once,
    with the first (a2), and a3 not at all."""
    traders = four_actors()
    level, deadline = traders.outcomes()
    assert level[0] == pytest.approx(6750 / 227) and deadline[0] == pytest.approx(99.25 / 1.555)
    terms = exchange_terms(traders)
    gain = (750 / 227) * (0.6 * 0.75 - 0.25 * 0.8) / (0.8 + 0.75) / 70
    expected_gain = np.zeros((4, 4))
    expected_gain[1, 3] = expected_gain[3, 1] = expected_gain[2, 3] = expected_gain[3, 2] = gain
    np.testing.assert_allclose(terms.gain, expected_gain, rtol=1e-12)
    assert terms.level_move[1, 3] == pytest.approx(-30.0)  # a2 moves to a4's 0 on p
    assert terms.deadline_move[1, 3] == 0.0  # and holds its q
    assert terms.deadline_move[3, 1] == pytest.approx(-(750 / 227) * (17 / 31) * 1.555 / 0.68)  # a4 toward 30
    assert terms.level_move[3, 1] == 0.0
    np.testing.assert_array_equal(realised(terms.gain), [0, 3, 2, 1])  # a1 and a3 trade with no one
    np.testing.assert_array_equal(in_exchange(realised(terms.gain)), [False, True, False, True])
    after = Traders(level=np.array([70.0, 0.0, 30.0, 0.0]), deadline=np.array([70.0, 30.0, 30.0, 100 - 4.1433]),
                    capability=traders.capability, level_salience=traders.level_salience,
                    deadline_salience=traders.deadline_salience, at_table=traders.at_table)
    level_after, deadline_after = after.outcomes()
    assert level_after[0] == pytest.approx(6000 / 227)  # O_p - 750/227
    assert deadline_after[0] == pytest.approx(99.25 / 1.555 - 1.8119, abs=1e-4)


def test_allies_on_the_same_side_of_an_outcome_do_not_trade():
    """a1 (70, 70) against a2 (30, 30) with the outcomes at 29.7 and 63.8: both above O_p."""
    assert exchange_terms(four_actors()).gain[0, 1] == 0.0


def test_an_ally_away_from_the_table_neither_trades_nor_counts():
    """Without a4 the outcomes are O_p = 33.75 / .625 = 54 and O_q = 31.25 / .875 = 35.7: a1
    (70, 70) now stands above both and a2, a3 (30, 30) below both, so a1 trades with them and a4
    with no one."""
    traders = four_actors()
    away = Traders(**{**traders.__dict__, "at_table": np.array([True, True, True, False]),
                      "capability": np.array([0.5, 0.5, 0.5, 0.0])})
    gain = exchange_terms(away).gain
    assert not gain[3].any() and not gain[:, 3].any()
    assert gain[0, 1] > 0 and gain[0, 2] > 0
    assert away.outcomes()[0][0] == pytest.approx(54.0)
    assert away.outcomes()[1][0] == pytest.approx(31.25 / 0.875)


@st.composite
def traders(draw, allies=st.integers(2, 7)):
    count = draw(allies)
    values = lambda low, high: np.array(draw(st.lists(st.floats(low, high), min_size=count, max_size=count)))
    return Traders(level=values(0.0, 10.0), deadline=values(2029.0, 2050.0), capability=values(0.01, 1.0),
                   level_salience=values(0.5, 1.0), deadline_salience=values(0.5, 1.0),
                   at_table=np.ones(count, dtype=bool))


def moved(parties: Traders, terms, partner) -> Traders:
    index = partner[:, None]
    made = in_exchange(partner)
    level = parties.level + np.where(made, np.take_along_axis(terms.level_move, index, axis=-1)[:, 0], 0.0)
    deadline = parties.deadline + np.where(made, np.take_along_axis(terms.deadline_move, index, axis=-1)[:, 0], 0.0)
    return Traders(**{**parties.__dict__, "level": level, "deadline": deadline})


@settings(max_examples=200, deadline=None)
@given(traders())
def test_an_exchange_moves_each_party_toward_the_other_on_its_less_salient_issue(parties):
    terms = exchange_terms(parties)
    ratio = parties.level_salience / parties.deadline_salience
    for i, j in zip(*np.nonzero(terms.gain)):
        if ratio[i] > ratio[j]:  # i cares more for the level: it gives ground on the deadline
            assert terms.level_move[i, j] == 0.0
            gap, step = parties.deadline[j] - parties.deadline[i], terms.deadline_move[i, j]
        else:
            assert terms.deadline_move[i, j] == 0.0
            gap, step = parties.level[j] - parties.level[i], terms.level_move[i, j]
        assert step * gap > 0 and abs(step) <= abs(gap) * (1 + 1e-9)


@settings(max_examples=200, deadline=None)
@given(traders())
def test_both_parties_to_an_exchange_gain_and_equally(parties):
    """Each party's gain, salience x how far each outcome moves its way, from the outcomes
    before and after the pair's exchange alone (in the issues' rescaled units)."""
    terms = exchange_terms(parties)
    level, deadline = parties.outcomes()
    span_level, span_deadline = np.ptp(parties.level), np.ptp(parties.deadline)
    for i, j in zip(*np.nonzero(np.triu(terms.gain))):
        partner = np.arange(len(parties.level))
        partner[i], partner[j] = j, i
        level_after, deadline_after = moved(parties, terms, partner).outcomes()

        def gain(k):
            on_level = abs(parties.level[k] - level[0]) - abs(parties.level[k] - level_after[0])
            on_deadline = abs(parties.deadline[k] - deadline[0]) - abs(parties.deadline[k] - deadline_after[0])
            return (parties.level_salience[k] * on_level / span_level
                    + parties.deadline_salience[k] * on_deadline / span_deadline)

        assert gain(i) > 0 and gain(j) > 0
        assert gain(i) == pytest.approx(terms.gain[i, j], rel=1e-6, abs=1e-12)
        assert gain(j) == pytest.approx(terms.gain[i, j], rel=1e-6, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(traders())
def test_the_expected_outcome_stays_within_the_positions_range(parties):
    terms = exchange_terms(parties)
    partner = realised(terms.gain)
    assert all(partner[partner[i]] == i for i in np.flatnonzero(in_exchange(partner)))  # pairs, once each
    after = moved(parties, terms, partner)
    for positions, moved_positions, outcome in ((parties.level, after.level, after.outcomes()[0]),
                                                (parties.deadline, after.deadline, after.outcomes()[1])):
        assert positions.min() - 1e-9 <= moved_positions.min() and moved_positions.max() <= positions.max() + 1e-9
        assert positions.min() - 1e-9 <= outcome[0] <= positions.max() + 1e-9


@settings(max_examples=50, deadline=None)
@given(traders(), st.integers(1, 4))
def test_runs_are_exchanged_each_on_its_own(parties, runs):
    """Over runs x allies, each run's exchanges are its own (runs lead, allies last)."""
    stacked = Traders(**{name: np.stack([value] * runs) for name, value in parties.__dict__.items()})
    one, many = exchange_terms(parties), exchange_terms(stacked)
    for run in range(runs):
        np.testing.assert_array_equal(many.gain[run], one.gain)
        np.testing.assert_array_equal(many.level_move[run], one.level_move)
    np.testing.assert_array_equal(realised(many.gain), np.stack([realised(one.gain)] * runs))


def test_the_expected_outcome_is_the_weighted_mean():
    assert expected_outcome(np.array([1.0, 4.0]), np.array([1.0, 2.0]), np.array([1.0, 0.5])) == pytest.approx(2.5)


def test_the_same_seed_gives_the_same_exchange_run():
    overrides = [{"protocol": NegotiationProtocol.EXCHANGE.value}] * 2
    first, second = run_batch("hague2025", overrides, [7, 8]), run_batch("hague2025", overrides, [7, 8])
    assert first.rows() == second.rows()
    assert first.deal.all() and (first.core_target_pct > 0).all()
