"""How the alliance decides: each ally votes on the draft, a caucus may reject it as a bloc,
the Secretary General reckons who is out of reach before the summit, and consensus makes a
deal, no deal, or a deal with side letters for a few holdouts.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from sim.model import caucuses
from sim.model.alliance import Alliance
from sim.model.clout import mediator_weights
from sim.model.pressure import widening_per_round
from sim.model.reversion import prefers_to_no_deal, signing_limit
from sim.model.state import Circumstances, Decision, Package, Stance
from sim.model.win_set import accepts, fits_win_set, new_money, ramp, win_set_ceiling


def vote(alliance: Alliance, params, circumstances: Circumstances, stance: Stance, draft: Package,
         ramp_pct=None) -> Stance:
    """Accept if the package fits the domestic win-set, meets the ally's floor and is better
    than no agreement (`reversion.signing_limit`; `ramp_pct` as in `update_position`)."""
    ramp_pct = ramp(params, circumstances, stance) if ramp_pct is None else ramp_pct
    ceiling = win_set_ceiling(alliance.start_pct, ramp_pct, draft.deadline_year, params.summit_year)
    accepted = accepts(draft.core_pct, draft.related_pct, draft.deadline_year, ceiling,
                       circumstances.reservation_total, alliance.bears_cost, params.related_cost_share)
    return dataclasses.replace(stance, accepted=accepted & signs(alliance, params, circumstances, stance, draft))


def signs(alliance: Alliance, params, circumstances: Circumstances, stance: Stance, draft: Package, asked=None):
    """Whether each ally prefers the draft to no agreement (`reversion.prefers_to_no_deal`);
    `asked` is what the draft asks of a budget (`new_money`) where the caller has it."""
    asked = new_money(draft.core_pct, draft.related_pct, params.related_cost_share) if asked is None else asked
    return prefers_to_no_deal(asked, signing_limit(alliance, params, circumstances, stance.ideal))


def caucus_vetoes(alliance: Alliance, params, caucus, stances: Stance):
    """Which allies' caucus rejects the draft as a bloc this round, from every ally's own vote
    (`caucuses.bloc_vetoes`); none unless `caucus_bloc_votes` (for any of the runs: then nothing
    is weighed, the default costs nothing)."""
    if not np.any(params.caucus_bloc_votes):
        return np.zeros(np.shape(stances.accepted), dtype=bool)
    vetoes = caucuses.bloc_vetoes(caucus, mediator_weights(alliance, params, stances), stances.accepted)
    return vetoes & params.caucus_bloc_votes


def stand_with_caucus(stance: Stance, vetoed) -> Stance:
    """Vote no with its caucus where the caucus rejects the draft as a bloc; a member so
    holding out is a holdout like any other (pressed, and gaining leverage)."""
    return dataclasses.replace(stance, accepted=stance.accepted & ~np.asarray(vetoed))


def share_accepting(alliance: Alliance, accepted):
    """The share of the members accepting the draft."""
    return np.sum(accepted & alliance.votes, axis=-1, keepdims=True) / np.sum(alliance.votes)


def out_of_reach(alliance: Alliance, params, circumstances: Circumstances, stance: Stance, draft: Package,
                 share_accepting_, round_index, caucus, ramp_pct=None):
    """The holdouts the draft cannot win before the summit, as the Secretary General reckons
    from the capitals' reports: even if its ramp widened every round left as it did this
    round (at the mean random factor), its parliament could not ratify the draft by its
    deadline; or, with bloc votes (`caucus_vetoes`; `caucus`, each ally's caucus code), its
    caucus would still reject the draft as one were every member that can be won won; or it
    prefers no agreement to the draft (`signs`), which pressure in the rounds does not change.
    Allies that accept are never out of reach. (`ramp_pct` as in `vote`.)"""
    ramp_pct = ramp(params, circumstances, stance) if ramp_pct is None else ramp_pct
    rounds_left = np.maximum(params.max_rounds - round_index, 0)
    reachable = ramp_pct + rounds_left * widening_per_round(alliance, params, share_accepting_)
    ceiling = win_set_ceiling(alliance.start_pct, reachable, draft.deadline_year, params.summit_year)
    asked = new_money(draft.core_pct, draft.related_pct, params.related_cost_share)
    beyond = alliance.bears_cost & ~(fits_win_set(asked, ceiling) & signs(alliance, params, circumstances, stance, draft,
                                                                          asked))
    beyond = beyond | caucus_vetoes(alliance, params, caucus, dataclasses.replace(stance, accepted=~beyond))
    return ~np.asarray(stance.accepted) & beyond


def flexibility_allowed(holdouts, us_accepts, allow, max_holdouts):
    """At the summit the remaining holdouts may be carried with side letters (as Spain was
    at the Hague), provided the US is on board and they are few. `holdouts` is a boolean
    array over allies (last axis), which the answer keeps with length 1."""
    count = np.sum(holdouts, axis=-1, keepdims=True)
    return allow & us_accepts & (count <= max_holdouts)


def sponsored_letters(params):
    """How many holdouts the summit carries with side letters: as many of `max_flexibility_holdouts`
    as the US's pressure sponsors (rounded down). A side letter is an exception the other members
    tolerate because the hegemon wants the agreement and bears the cost of cooperation (Keohane
    1984; Snidal 1985): the Secretary General's letter to Spain closed a deal Washington demanded.
    With no US push no one sponsors the exception, and a holdout blocks."""
    return np.floor(np.asarray(params.max_flexibility_holdouts) * np.asarray(params.us_pressure) + 1e-9).astype(np.int64)


def decide(alliance: Alliance, params, accepted, round_index, beyond_reach) -> Decision:
    """Consensus: a deal when every member accepts; one blocker blocks. A few holdouts may be
    carried with side letters at the summit (the last round), or earlier, when the Secretary
    General settles because no holdout can be won by the summit (`beyond_reach`, see
    `out_of_reach`; Zartman & Berman 1982: closure comes when waiting buys nothing, as the
    letter to Spain came three days before the Hague summit); otherwise no deal at the summit."""
    holdouts = alliance.votes & ~np.asarray(accepted)
    unanimous = ~np.any(holdouts, axis=-1, keepdims=True)
    summit = round_index >= params.max_rounds
    stalled = params.early_settlement & np.all(~holdouts | beyond_reach, axis=-1, keepdims=True)
    us_accepts = np.all(accepted | ~(alliance.is_us & alliance.votes), axis=-1, keepdims=True)
    carried = (summit | stalled) & flexibility_allowed(holdouts, us_accepts, params.allow_flexibility,
                                                       sponsored_letters(params))
    return Decision(holdouts=holdouts, concluded=unanimous | summit | carried, deal=unanimous | carried,
                    flexibility=holdouts & carried)
