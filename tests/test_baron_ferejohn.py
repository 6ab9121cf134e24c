"""The Baron-Ferejohn protocol (`sim.protocols.baron_ferejohn`, docs/ODD.md 7.6e): the published
divide-the-dollar games reproduced through the functions the protocol computes continuation
values and cheapest offers with, the level game worked by hand, and its invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engines.batch import run_batch
from sim.engines.model import AllianceModel
from sim.model.parameters import ParameterError
from sim.model.scenario import load_scenario
from sim.protocols.baron_ferejohn import (BargainingTerms, ProposerOffers, accept_or_wait, cheapest_votes,
                                          continuation_values, level_offers, offers_against, worth)

TOLERANCE = 1e-12


# --- divide the dollar ---------------------------------------------------------------------------

def dollar_offers(needed: int):
    """Divide the dollar among the allies (the last axis): a responder's vote costs its
    continuation value, the proposer buys the `needed` cheapest votes, its own among them
    (`cheapest_votes`, its own price -inf), pays each exactly its price and keeps the rest."""
    def offers(continuation):
        continuation = np.asarray(continuation, dtype=float)
        n = continuation.shape[-1]
        own = np.eye(n, dtype=bool)
        price = np.broadcast_to(continuation[..., None, :], continuation.shape[:-1] + (n, n))
        bought = cheapest_votes(np.where(own, -np.inf, price), needed)
        paid = np.where(bought & ~own, price, 0.0)
        kept = 1.0 - np.sum(paid, axis=-1, keepdims=True)
        agreed = np.ones(continuation.shape[:-1] + (n,), dtype=bool)
        return ProposerOffers(worth=np.where(own, kept, paid), agreed=agreed)
    return offers


@pytest.mark.parametrize("delta", [0.0, 0.5, 0.9, 1.0])
@pytest.mark.parametrize("rounds_left", [1, 2, 6])
def test_three_members_under_unanimity_each_responder_gets_delta_over_three(delta, rounds_left):
    """Three members, equal recognition (1/3), unanimity (every vote bought). After the last
    round there is nothing (0), so there the proposer keeps the dollar: each member's
    expectation is 1/3, its continuation value delta/3. A round earlier each proposer pays each
    responder delta/3 and keeps 1 - 2 delta/3; every deal splits the dollar, so the expectation
    stays 1/3 and the continuation value delta/3 however many rounds are left (Baron & Ferejohn
    1989: under unanimity, the responders get delta/n, the proposer 1 - (n - 1) delta/n)."""
    offers = dollar_offers(needed=3)
    recognition = np.full(3, 1 / 3)
    values = continuation_values(offers, recognition, delta, rounds_left)
    np.testing.assert_allclose(values, delta / 3, atol=TOLERANCE)
    tabled = offers(values)
    np.testing.assert_allclose(np.diag(tabled.worth), 1 - 2 * delta / 3, atol=TOLERANCE)
    np.testing.assert_allclose(tabled.worth[~np.eye(3, dtype=bool)], delta / 3, atol=TOLERANCE)


@pytest.mark.parametrize(("n", "delta"), [(3, 0.9), (5, 0.9), (5, 0.6), (7, 1.0)])
def test_majority_rule_the_proposer_keeps_one_less_delta_times_n_minus_one_over_two_n(n, delta):
    """Majority rule (Baron & Ferejohn 1989, closed rule): n odd, the proposer needs (n - 1)/2
    votes besides its own. With one round left, equal recognition, each member's continuation
    value is delta/n (the last round's proposer keeps the dollar: an expectation of 1/n). The
    proposer buys the (n - 1)/2 cheapest votes at delta/n each and keeps
    1 - delta (n - 1)/(2n), the published stationary share (n = 3: 1 - delta/3; n = 5:
    1 - 2 delta/5); the members it does not buy get nothing."""
    offers = dollar_offers(needed=(n + 1) // 2)
    values = continuation_values(offers, np.full(n, 1 / n), delta, 1)
    np.testing.assert_allclose(values, delta / n, atol=TOLERANCE)
    tabled = offers(values)
    np.testing.assert_allclose(np.diag(tabled.worth), 1 - delta * (n - 1) / (2 * n), atol=TOLERANCE)
    responders = tabled.worth[~np.eye(n, dtype=bool)].reshape(n, n - 1)
    assert np.all(np.sum(responders > 0, axis=-1) == (n - 1) // 2)


def test_unanimity_with_unequal_recognition_pays_each_responder_delta_times_its_recognition():
    """Unequal recognition p = (0.5, 0.3, 0.2), unanimity. Guess W_i = delta p_i; one round
    earlier member i gets, when recognised (p_i), 1 - sum of the others' W = 1 - delta + delta
    p_i, and otherwise its own W: delta [p_i (1 - delta + delta p_i) + (1 - p_i) delta p_i] =
    delta p_i, so the guess holds at every round left, starting from the last (W = delta p_i
    when the proposer keeps the dollar). With delta = 0.8: W = (0.4, 0.24, 0.16); member 1
    proposing keeps 1 - 0.24 - 0.16 = 0.6."""
    p = np.array([0.5, 0.3, 0.2])
    values = continuation_values(dollar_offers(needed=3), p, 0.8, 4)
    np.testing.assert_allclose(values, [0.4, 0.24, 0.16], atol=TOLERANCE)
    assert dollar_offers(needed=3)(values).worth[0, 0] == pytest.approx(0.6)


def test_cheapest_votes_leaves_out_the_dearest_the_first_of_equals_first():
    prices = np.array([[0.3, -np.inf, 0.1, 0.3, 0.5], [0.0, 0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(cheapest_votes(prices, 3), [[False, True, True, True, False],
                                                              [False, False, True, True, True]])
    np.testing.assert_array_equal(cheapest_votes(prices, np.array([2, 5])),
                                  [[False, True, True, False, False], [True] * 5])
    assert cheapest_votes(prices, 5).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.01, 1.0), min_size=2, max_size=6), st.floats(0.0, 1.0), st.floats(0.0, 1.0),
       st.integers(1, 8))
def test_higher_delta_never_lowers_a_responders_share(weights, low, high, rounds_left):
    """Under unanimity with any recognition, each responder's share (its continuation value,
    delta p_i above) rises with delta: a more patient member asks more for its vote."""
    low, high = sorted((low, high))
    p = np.array(weights) / np.sum(weights)
    offers = dollar_offers(needed=len(p))
    assert np.all(continuation_values(offers, p, high, rounds_left)
                  >= continuation_values(offers, p, low, rounds_left) - TOLERANCE)


# --- the alliance's game, on a hand-made alliance (money = core level) ----------------------------

def hand_terms(letters=0, ratifiable=np.inf) -> BargainingTerms:
    """Three allies: the US (floor 2.0, position 5.0), A (signs up to 3.0 of money, ideal 1.0,
    position 1.0) and B (signs up to 2.5, ideal 1.0, position 1.5); a package's money is its
    core level (no related spending), so `most_core` is the identity."""
    is_us = np.array([True, False, False])
    return BargainingTerms(
        limit=np.array([np.inf, 3.0, 2.5]), ideal=np.array([5.0, 1.0, 1.0]), us_floor=np.array([2.0]),
        ratifiable=np.broadcast_to(np.asarray(ratifiable, dtype=float), (3, 3)), latest=np.full(3, 2035.0),
        target=np.array([5.0, 1.0, 1.5]), headline=np.array([0.0]), letters=np.asarray(letters),
        fixed=np.eye(3, dtype=bool) | is_us, is_us=is_us, money=lambda core: core, most_core=lambda money: money)


def test_the_proposer_tables_its_level_within_what_leaves_each_responder_its_continuation_value():
    """Continuation values W = (0.2, 0.3, 0.1) for (US, A, B). The US takes at least its floor
    plus 0.2 = 2.2; A at most 3.0 - 0.3 = 2.7; B at most 2.5 - 0.1 = 2.4. The US proposing
    (position 5.0) tables the most both take, 2.4 (B binds, left exactly its 0.1); A and B
    (positions 1.0, 1.5) table the least the US takes, 2.2 (the US left exactly its 0.2).
    With one side letter the US leaves out the dearest vote, B's (pulling 5.0 down to 2.4,
    against A's 2.7), and tables 2.7."""
    continuation, none = np.array([0.2, 0.3, 0.1]), np.zeros(3)
    offers = level_offers(hand_terms(), continuation, none)
    np.testing.assert_allclose(offers.core, [2.4, 2.2, 2.2])
    assert offers.agreed.all() and offers.bought.all()
    offers = level_offers(hand_terms(letters=1), continuation, none)
    assert offers.core[0] == pytest.approx(2.7) and offers.bought[0].tolist() == [True, True, False]
    t = hand_terms()
    values = worth(t.limit, t.ideal, t.us_floor, t.is_us, 2.4, 2.4)  # the US's package, to each
    np.testing.assert_allclose(values, [0.4, 0.6, 0.1])  # every responder at or above its continuation value


def test_a_proposer_that_overrates_what_an_ally_signs_asks_too_much():
    """Believing B signs 0.5 more than it does (B's bound 2.9 in the US's eyes), the US tables
    2.7, where A binds, which B, whose limit less its continuation value is 2.4, rejects; with
    B's limit revealed (it rejected, `believed_slack`), the US tables 2.4."""
    continuation = np.array([0.2, 0.3, 0.1])
    assert level_offers(hand_terms(), continuation, np.array([0.0, 0.0, 0.5])).core[0] == pytest.approx(2.7)
    assert level_offers(hand_terms(), continuation, np.zeros(3)).core[0] == pytest.approx(2.4)


def test_where_no_level_buys_every_vote_the_proposer_tables_the_least_the_us_takes():
    """If nobody ratifies more than 2.0 by the deadline, A's and B's offers cannot meet the
    US's 2.2 (its floor and continuation value): neither is agreed, and each tables 2.2, which
    the US takes and the laggards cannot ratify. The US proposing needs no premium for itself
    and tables its floor, 2.0, which everyone ratifies."""
    offers = level_offers(hand_terms(ratifiable=2.0), np.array([0.2, 0.3, 0.1]), np.zeros(3))
    assert offers.agreed.tolist() == [True, False, False]
    np.testing.assert_allclose(offers.core, [2.0, 2.2, 2.2])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3), st.floats(0.0, 1.0), st.integers(0, 6))
def test_a_package_every_ally_takes_is_worth_its_continuation_value_to_each(continuation, delta, rounds_left):
    """Whatever the continuation values, an agreed offer is worth at least its continuation
    value to every responder whose vote the proposer buys, and the continuation values the
    protocol computes are never negative (no agreement is worth 0)."""
    t = hand_terms()
    continuation = np.array(continuation)
    offers = level_offers(t, continuation, np.zeros(3))
    values = worth(t.limit, t.ideal, t.us_floor, t.is_us, offers.core[:, None], offers.core[:, None])
    responders = offers.bought & ~np.eye(3, dtype=bool) & offers.agreed[:, None]
    assert np.all(values[responders] >= np.broadcast_to(continuation, (3, 3))[responders] - 1e-9)
    computed = continuation_values(offers_against(t), np.array([0.5, 0.3, 0.2]), delta, rounds_left)
    assert np.all(computed >= -TOLERANCE)


# --- the protocol in the engines --------------------------------------------------------------------

def test_every_ally_voting_yes_in_a_run_has_what_it_waits_for():
    """In Hague runs under the protocol, each round every ally voting yes but the proposer is
    offered at least its continuation value (`accept_or_wait` after `consensus.vote`)."""
    model = AllianceModel("hague2025", rng=3, protocol="baron_ferejohn")
    while model.running:
        model.step()
        for ally in model.allies:
            again = accept_or_wait(ally.facts, model.params, ally.circumstances, ally.stance, model.draft,
                                   model.continuation[ally.seat], ally.iso3 == model.tabled_by)
            assert bool(again.accepted) == ally.accepted


def test_proposals_are_exchanged_over_rounds_and_the_same_seed_gives_the_same_result():
    """With the proposers' beliefs off, the first drafts are rejected and the talks last more
    than a round; the same seeds give the same runs, on either engine."""
    seeds = [0, 1, 2, 3]
    overrides = [{"protocol": "baron_ferejohn"}] * len(seeds)
    first = run_batch(load_scenario("hague2025"), overrides, seeds)
    again = run_batch(load_scenario("hague2025"), overrides, seeds)
    assert first.rows() == again.rows()
    assert all(row["rounds"] > 1 for row in first.rows())
    runs = [AllianceModel("hague2025", rng=5, protocol="baron_ferejohn") for _ in range(2)]
    for model in runs:
        model.run()
    assert runs[0].rounds_table().equals(runs[1].rounds_table())
    assert runs[0].allies_table().equals(runs[1].allies_table())


def test_runs_with_different_parameters_in_one_batch_agree_with_the_mesa_model():
    """The batch engine lays a parameter that differs between runs as a (runs, 1) column
    against the protocol's (runs, proposers, allies) arrays; each run is still the Mesa run."""
    overrides = [{"protocol": "baron_ferejohn", "related_cap_pct": cap, "discount_factor": delta, "max_rounds": rounds,
                  "related_cost_share": share, "summit_year": 2025}
                 for cap, delta, rounds, share in ((3.0, 0.9, 12, 0.6), (1.0, 0.3, 5, 0.9), (2.0, 0.99, 8, 0.2))]
    seeds = [4, 5, 6]
    result = run_batch(load_scenario("hague2025"), overrides, seeds)
    for run, (changes, seed) in enumerate(zip(overrides, seeds)):
        model = AllianceModel("hague2025", rng=seed, **changes)
        model.run()
        row = result.rows()[run]
        assert (row["deal"], row["rounds"]) == (model.deal, model.round)
        assert row["core_target_pct"] == pytest.approx(model.draft.core_pct if model.deal else np.nan, nan_ok=True)


def test_the_retired_proposer_value_names_both_replacements():
    with pytest.raises(ParameterError, match="'proposer' is retired.*agenda_setter.*baron_ferejohn"):
        load_scenario("hague2025").with_parameters(protocol="proposer")
