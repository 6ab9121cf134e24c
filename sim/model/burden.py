"""Burden sharing: how much of its own need an ally leaves to the others' defence effort (free
riding), and how far it still counts on the United States' effort when Washington threatens to
leave (the fear of abandonment).

Sources and the evidence on sign and size: `sim/data/burden_sharing_literature.md`.
"""

from __future__ import annotations

import numpy as np

from sim.model.alliance import Alliance


def us_credibility(us_pressure, abandonment_weight):
    """The share of the US's defence effort an ally still counts on: the more credibly the US
    threatens to walk away from allies that do not pay, the less (Snyder 1984, the alliance
    security dilemma: fear of abandonment). `abandonment_weight` is the share it stops counting
    on at full pressure."""
    return np.clip(1.0 - abandonment_weight * us_pressure, 0.0, 1.0)


def counted_protection(allied_effort_pct, us_effort_pct, credibility):
    """The others' defence effort an ally counts on, % of the alliance's GDP: the other allies'
    spending weighted by their share of the alliance's GDP, the US's discounted by its
    credibility (`us_credibility`)."""
    return allied_effort_pct + credibility * us_effort_pct


def free_riding_share(spill_in, exposure):
    """The pp of its own need an ally leaves to the others per pp of the protection they give.

    Deterrence is a public good among allies, so an ally's demand for defence falls as its
    allies' effort rises (Olson & Zeckhauser 1966; negative in every NATO estimate since 1991:
    George & Sandler 2018, Kuokstyte & Kuokstis 2024). Defence is a joint product, though: the
    more of it serves the ally's own territory, the less it can leave to others (Sandler 1977;
    Sandler & Murdoch 2000 find free riding on purely public, not on conventional spill-ins), so
    the front line (exposure 1) leaves nothing to the others and the far allies the most.
    `spill_in` is that slope for an ally with no exposure; its size is not pinned by the
    literature and is fitted (docs/ODD.md, "Calibration")."""
    return spill_in * (1.0 - np.clip(exposure, 0.0, 1.0))


def left_to_others(alliance: Alliance, params, exposure, us_pressure=None):
    """The pp of its need an ally leaves to the others (the free ride): its free-riding share of
    the protection it counts on, at the parameters' US pressure or at `us_pressure` (a year's,
    after the summit). The US counts on nobody's effort but its own: 0."""
    pressure = params.us_pressure if us_pressure is None else us_pressure
    credibility = us_credibility(pressure, params.abandonment_weight)
    protection = counted_protection(alliance.allied_effort_pct, alliance.us_effort_pct, credibility)
    return np.where(alliance.is_us, 0.0, free_riding_share(params.spill_in, exposure) * protection)

