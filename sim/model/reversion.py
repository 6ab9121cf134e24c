"""What no agreement costs an ally, and so the most it will sign: the reversion point of
agenda-setting under unanimity.

Every member of a consensus body is a veto player, and each votes for a package only if it
prefers it to what happens with no agreement (Romer & Rosenthal 1978; Tsebelis 2002). What a
package costs an ally is the money it asks beyond the level the ally wants anyway
(`win_set.new_money` above its ideal). What no agreement costs it:

- the standing of a member that blocks what the others want (`consensus_stake_pct`): a
  consensus body prizes agreement and shames the one who stops it (Johnston 2001 on social
  influence in international institutions); this holds with or without Washington;
- the US's threat, as credible as its pressure (`us_pressure`): losing its guarantee
  (`abandonment_stake_pct`; Snyder 1984, the fear of abandonment; Bruegel and Kiel put the
  cost of replacing the US in Europe at about 1.5% of GDP a year, February 2025) and, for an
  ally the US can coerce through trade, the tariffs on its exports to the US
  (`tariff_stake_share` of them; Hirschman 1945, Drezner 1999; the 25% tariffs the US put on
  Canada in March 2025).

The US's threat backs its own demand and no more: it makes an ally sign up to as much as the US
asks, not to whatever the drafter tables above it.
"""

from __future__ import annotations

import numpy as np

from sim.model.alliance import Alliance
from sim.model.state import Circumstances
from sim.model.win_set import most_core_within


def no_deal_cost(us_pressure, exports_to_us_pct_gdp, abandonment_stake_pct, tariff_stake_share):
    """What the US's threat makes no agreement cost an ally, pp of GDP: the credible share
    (`us_pressure`) of the guarantee it would lose and of the tariffs on its exports to the US
    (% of GDP; none without a figure, as for the US itself)."""
    tariffs = tariff_stake_share * np.nan_to_num(exports_to_us_pct_gdp, nan=0.0)
    return us_pressure * (abandonment_stake_pct + tariffs)


def most_signed(ideal_pct, consensus_stake_pct, coerced_pct, us_demand_pct, standing_pct=0.0):
    """The most money (% of GDP) a package may ask of an ally that it still prefers to no
    agreement: its ideal plus what blocking would cost it, and, up to what the US asks
    (`us_demand_pct`, a headline: its threat backs its demand, counted as it counts it), what the
    US's threat adds (`coerced_pct`, `no_deal_cost`); and never less than the floor it pledged at
    an earlier summit (`standing_pct`): with no agreement the old pledge stands, so a package
    asking no more than it asks nothing new (the reversion point is the status quo, standing
    commitments included: Romer & Rosenthal 1978; Tsebelis 2002)."""
    own = ideal_pct + consensus_stake_pct
    return np.maximum(np.maximum(own, np.minimum(own + coerced_pct, us_demand_pct)), standing_pct)


def signing_limit(alliance: Alliance, params, circumstances: Circumstances, ideal_pct):
    """The most money each ally signs (`most_signed`); unbounded for the US, whose floor is its
    own demand on the others, and for an ally with no armed forces, which pays nothing."""
    limit = most_signed(ideal_pct, params.consensus_stake_pct, circumstances.no_deal_cost, params.us_demand_pct,
                        circumstances.standing_pct)
    return np.where(alliance.bears_cost & ~np.asarray(alliance.is_us), limit, np.inf)


def signing_core(alliance: Alliance, params, circumstances: Circumstances, ideal_pct):
    """The highest core level whose package, topped up toward the US's floor, each ally signs
    (`signing_limit` through `most_core_within`)."""
    limit = signing_limit(alliance, params, circumstances, ideal_pct)
    core = most_core_within(np.where(np.isfinite(limit), limit, 0.0), circumstances.us_headline, params.related_cap_pct,
                            params.split_enabled, params.related_cost_share)
    return np.where(np.isfinite(limit), core, np.inf)


def prefers_to_no_deal(asked_money_pct, limit_pct):
    """Whether an ally prefers a package asking `asked_money_pct` of its budget to no agreement
    (ties count as preferring, to 1e-9 pp, so the engines cannot split on rounding)."""
    return asked_money_pct <= limit_pct + 1e-9
