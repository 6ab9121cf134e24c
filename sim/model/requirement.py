"""What NATO's capability targets cost, % of GDP, at a given threat: the level the Secretary
General's first draft puts on the table and the level each ally reckons how long it needs for.

NATO sets capability targets for each ally through its defence planning process and has said,
each time, what meeting them costs as a share of GDP: the 2% guideline (Riga 2006, reaffirmed at
Wales in 2014 and at Vilnius in 2023 as "at least 2%"), and, for the targets defence ministers
adopted on 5 June 2025, a level the Secretary General gave only after they were agreed. The rule
below does not read that last number: it prices the targets from the figures public before them
(`sim/data/capability_targets.csv`):

- the cost of the targets in force when the guideline was set: `capability_base_pct`, 2% of GDP;
- how far allies fall short of the targets they have (a share of the force asked that today's
  spending does not deliver, so the targets cost more than the guideline): `capability_shortfall`,
  about 30% in May 2025 (the Supreme Allied Commander Transformation, reported by the IISS,
  15 May 2025); none published in 2014;
- how the force asked grows with the threat: the proposed targets were 30% above the previous
  commitments (same source), set for the threat of 2025 (`threat_level` 0.8) against that of
  the previous cycle (0.5, `capability_base_threat`): `capability_growth`, 0.3 / 0.3 = 1 per
  unit of threat.

The named areas (air and missile defence, long-range fires, land forces, munitions, enablers)
are what the growth buys; their separate costs are classified and not modelled one by one.
"""

from __future__ import annotations

import numpy as np

from sim.model.win_set import LEVEL_CEILING_PCT


def force_requirement(threat, base_threat, growth):
    """The force the targets ask for, relative to the force the guideline was set for: it grows
    by `growth` per unit of threat above the threat of that cycle (and shrinks below it)."""
    return np.maximum(1.0 + growth * (np.asarray(threat, dtype=float) - base_threat), 0.0)


def capability_cost(threat, base_pct, base_threat, growth, shortfall):
    """What meeting the capability targets costs, % of GDP: the guideline's cost, scaled up for
    the force the allies fall short of today (`shortfall`, 0..1) and for the force the threat
    asks beyond the guideline's (`force_requirement`).

    Worked through for the Hague (the test's numbers): 2% / (1 - 0.3) x (1 + 1 x (0.8 - 0.5))
    = 2.857 x 1.3 = 3.71% of GDP; for Wales (threat 0.5, no shortfall published): 2%.
    """
    price = base_pct / (1.0 - np.clip(shortfall, 0.0, 0.9))
    return np.clip(price * force_requirement(threat, base_threat, growth), 0.0, LEVEL_CEILING_PCT)


def capability_requirement(params, threat_level=None):
    """The cost of the targets in force: set for the scenario's threat (or `threat_level`), or,
    where they predate it (`targets_predate_threat`), for the guideline's. NATO's defence planning
    sets targets in four-year cycles (apportioned 2021, next 2025): at Vilnius in 2023 the targets
    in force were those of 2021, set before Russia's full-scale invasion, and the new regional
    plans agreed there were yet to be priced into targets (the 2025 cycle)."""
    threat = params.threat_level if threat_level is None else threat_level
    threat = np.where(params.targets_predate_threat, params.capability_base_threat, threat)
    return capability_cost(threat, params.capability_base_pct, params.capability_base_threat,
                           params.capability_growth, params.capability_shortfall)
