"""Caucuses that vote as a bloc (`caucus_bloc_votes`, ODD 7.5b): the rule by hand, and what it
does to a run in both engines."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sim.model import caucuses, consensus, state
from sim.engines.agents import Ally
from sim.engines.batch import run_batch
from sim.model.caucuses import Caucus
from sim.engines.model import AllianceModel

F, L, N = Caucus.FISCAL, Caucus.FRONT_LINE, Caucus.NONE


def test_a_caucus_vetoes_when_members_with_most_of_its_weight_reject():
    """Fiscal caucus: weights 1, 2, 3; the two heavier (5 of 6) reject: the lighter, who
    accepts, is vetoed with them. Front line: weights 2 and 2, one rejects: exactly half is not
    most, no bloc. The ally in no caucus (weight 5, rejecting) drags nobody."""
    caucus = np.array([F, F, F, L, L, N])
    weights = np.array([1.0, 2.0, 3.0, 2.0, 2.0, 5.0])
    accepted = np.array([True, False, False, True, False, False])
    assert caucuses.bloc_vetoes(caucus, weights, accepted).tolist() == [True, True, True, False, False, False]
    # the light member alone rejecting (1 of 6) moves nobody
    assert not caucuses.bloc_vetoes(caucus, weights, np.array([False, True, True, True, True, True])).any()
    # over runs (runs x allies), each run on its own: in the second, the front line rejects whole
    other = np.array([True, True, True, False, False, True])
    both = caucuses.bloc_vetoes(caucus, weights, np.stack([accepted, other]))
    assert both.tolist() == [[True, True, True, False, False, False], [False, False, False, True, True, False]]


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 12).flatmap(lambda allies: st.tuples(
    hnp.arrays(np.int64, allies, elements=st.sampled_from([int(c) for c in Caucus])),
    hnp.arrays(float, allies, elements=st.sampled_from([0.5, 1.0, 2.0, 3.0])),  # exact halves are common
    hnp.arrays(bool, allies))))
def test_a_caucus_vetoes_exactly_when_most_of_its_weight_rejects(drawn):
    caucus, weights, accepted = drawn
    vetoes = caucuses.bloc_vetoes(caucus, weights, accepted)
    assert not (vetoes & (caucus == N)).any()
    for group in (F, L):
        members = caucus == group
        most_reject = weights[members & ~accepted].sum() > weights[members].sum() / 2
        assert (vetoes[members] == most_reject).all()  # all of a caucus, exactly when most of its weight rejects
    stance = state.Stance(**{field.name: np.zeros(len(accepted))
                             for field in dataclasses.fields(state.Stance)})
    voted = consensus.stand_with_caucus(dataclasses.replace(stance, accepted=accepted), vetoes)
    assert (voted.accepted == (accepted & ~vetoes)).all()  # nobody is brought to accept


def test_off_by_default_and_every_ally_votes_alone():
    model = AllianceModel("hague2025", rng=0)
    assert model.params.caucus_bloc_votes is False
    model.step()
    assert not model.caucus_vetoes.any()


def test_a_bloc_holds_out_together_in_both_engines():
    """Hague 2025 with a fiscal caucus unable to ratify early drafts: where most of its weight
    rejects, its accepting members hold out too, in the Mesa model round by round, and the
    batch engine ends every run where the model does."""
    levers = {"caucus_bloc_votes": True}
    model = AllianceModel("hague2025", rng=3, **levers)
    blocs = 0
    while model.running:
        model.step()
        codes, votes = model.caucus_codes, model.votes()
        for group in (F, L):
            members = codes == group
            if model.caucus_vetoes[members].any():
                blocs += 1
                assert not votes[members].any()
    assert blocs > 0
    outcome = model.outcome()
    batch = run_batch("hague2025", [levers], [3], per_ally=True)
    assert batch.rounds[0] == outcome.rounds and bool(batch.deal[0]) == outcome.deal
    assert batch.core_target_pct[0] == pytest.approx(outcome.core_target_pct, abs=1e-9)


def test_a_member_held_out_by_its_bloc_is_pressed_and_gains_leverage(monkeypatch):
    """Hague, bloc votes on, seed 0: in the first round where a member could ratify the draft on
    its own but stands with its caucus (its caucus vetoes), it gains a rejection (leverage) and
    the pressure's widening of its ramp, like any holdout."""
    own_votes = {}
    stand = Ally.stand_with_caucus

    def recorded(ally):
        own_votes[ally.facts.iso3] = ally.accepted
        stand(ally)

    monkeypatch.setattr(Ally, "stand_with_caucus", recorded)
    model = AllianceModel("hague2025", rng=0, caucus_bloc_votes=True)
    while model.running:
        before = {ally.facts.iso3: (ally.rejections, float(ally.stance.ramp_widening)) for ally in model.allies}
        model.step()
        held = [ally for ally in model.allies if own_votes[ally.facts.iso3] and not ally.accepted]
        if held and model.running:
            break
    else:
        pytest.fail("no member was held out by its bloc in a round that did not end the talks")
    for ally in held:
        assert ally.caucus is not Caucus.NONE and model.caucus_vetoes[ally.seat]
        rejections, widening = before[ally.facts.iso3]
        assert ally.rejections == rejections + 1 and float(ally.stance.ramp_widening) > widening


def test_a_bloc_that_cannot_be_won_is_carried_whole_before_the_summit():
    """Hague, US pressure 0.5, pressure widening win-sets slowly (0.005 pp a year a round), room
    for 10 side letters, no stake in a consensus without the US (so the laggards sign nothing
    beyond their ideals unpressed), seed 2. Alone, the fiscally pressed allies are pressed until
    round 9, Canada is won and Belgium, Spain, France and Italy carried. As blocs, once the
    fiscal caucus's members out of reach on their own hold most of its weight, the caucus cannot
    dissolve by the summit: the Secretary General reckons it out of reach whole and carries all
    of it (Canada too) with side letters a round sooner, in both engines."""
    levers = {"us_pressure": 0.5, "max_flexibility_holdouts": 10, "expansion_rate_pct": 0.005,
              "consensus_stake_pct": 0.0}
    alone = AllianceModel("hague2025", rng=2, **levers)
    alone.run()
    blocs = AllianceModel("hague2025", rng=2, caucus_bloc_votes=True, **levers)
    blocs.run()
    fiscal = {ally.facts.iso3 for ally in blocs.allies if ally.caucus is F}
    carried = {ally.facts.iso3 for ally in blocs.flexibility}
    assert blocs.deal and alone.deal and blocs.round < alone.round
    assert fiscal <= carried and {ally.facts.iso3 for ally in alone.flexibility} & fiscal < fiscal
    batch = run_batch("hague2025", [{**levers, "caucus_bloc_votes": True}], [2])
    assert batch.rounds[0] == blocs.round and batch.flexibility[0].sum() == len(carried)
