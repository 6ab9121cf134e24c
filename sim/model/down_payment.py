"""A near-term move: the budget decision an ally takes at a summit for the coming year, beside its
signature on a deadline far away.

A signature on a distant deadline ties hands; a budget decision now sinks costs. Fearon (1997,
"Signaling foreign policy interests: tying hands versus sinking costs", Journal of Conflict
Resolution 41(1)) shows that a costly act now convinces where a promise is doubted, because only
a sender that values the outcome enough will pay it. An ally's promise is doubted where it is
behind a pledge it already made and that is due (Tomz 2007, "Reputation and International
Cooperation": reputations are formed by past compliance); the party that doubts it and can make it pay is the
United States (Downs, Rocke & Barsoom 1996, the enforcer that counts: `enforcement_share`). So the
move is toward the floor an earlier summit set and that binds in the coming year, and as far as the US's pressure at
the table, weighed by what the ally relies on the US for, makes the signal worth its cost; fiscal
pressure makes it dearer, as it slows a pledged path (`implementation.yearly_step`).

It is a decision of the government at the summit, not a yearly increase parliament ratifies in
the ordinary course, so the ordinary ramp (`win_set.ramp`) does not cap it.
"""

from __future__ import annotations

import numpy as np


def down_payment(spending_pct, due_floor_pct, pressed_share, fiscal, compliance_drag):
    """The level an ally's next budget reaches by its decision at the summit: the share
    `pressed_share` (`implementation.enforcement_share` at the talks' US pressure) of its gap to
    the floor that binds it in that year (`due_floor_pct`, `Ledger.floor_pct`), less what
    fiscal pressure holds back. An ally at or above that floor, or not pressed, decides nothing
    beyond its ordinary budget."""
    gap = np.maximum(np.asarray(due_floor_pct) - spending_pct, 0.0)
    return spending_pct + pressed_share * np.clip(1.0 - compliance_drag * np.asarray(fiscal), 0.0, 1.0) * gap
