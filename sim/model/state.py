"""The state of the talks: what an ally brings (`Circumstances`), where it stands (`Stance`),
the draft on the table (`Package`) and what consensus makes of the votes (`Decision`).

Each holds one ally's plain values, the alliance's vectors over allies, or a block of runs'
(runs x allies) arrays, so every step reads and returns the same types for either engine.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Circumstances:
    """What an ally brings to the talks and keeps through them."""

    exposure: np.ndarray | float  # 0..1, see perception.exposure
    fiscal: np.ndarray | float  # fiscal pressure, 0..1
    reservation_total: np.ndarray | float  # the lowest headline it accepts (only the US sets one)
    floor: np.ndarray | float  # the lowest core level compatible with that headline
    us_headline: np.ndarray | float  # the headline the US holds out for, as every ally reads it
    free_riding: np.ndarray | float  # pp of its need it leaves to the others' effort (burden.left_to_others)
    no_deal_cost: np.ndarray | float  # pp of GDP the US's threat makes no agreement cost it (reversion.no_deal_cost)
    noise: np.ndarray | float  # its idiosyncratic domestic preference (pp)
    standing_pct: np.ndarray | float = 0.0  # the highest floor it pledged at an earlier summit (Ledger.standing_floor_pct)

    def take(self, rows) -> Circumstances:
        return taken(self, rows)


@dataclass(frozen=True)
class Stance:
    """Where an ally stands in the talks; every step returns a new one."""

    threat: np.ndarray | float
    ideal: np.ndarray | float  # what it would choose alone now (% GDP)
    position: np.ndarray | float  # the core level it argues for (% GDP)
    deadline_preference: np.ndarray | float
    deadline_position: np.ndarray | float  # the deadline it argues for (year, fractional)
    ramp_widening: np.ndarray | float  # how far pressure has widened its ramp (pp/year)
    rejections: np.ndarray | int  # rounds it has rejected the draft
    accepted: np.ndarray | bool  # its vote on the last draft

    def take(self, rows) -> Stance:
        return taken(self, rows)


@dataclass(frozen=True)
class Package:
    """A draft on the table: core level, defence-related level (% GDP) and deadline year."""

    core_pct: np.ndarray | float
    related_pct: np.ndarray | float
    deadline_year: np.ndarray | int

    def item(self) -> Package:
        """The package of one alliance as plain Python numbers."""
        return Package(float(np.asarray(self.core_pct).item()), float(np.asarray(self.related_pct).item()),
                       int(np.asarray(self.deadline_year).item()))

    def take(self, rows) -> Package:
        return taken(self, rows)


@dataclass(frozen=True)
class Decision:
    """What consensus makes of a round's votes: `holdouts` and `flexibility` over allies, the
    rest with the allies axis kept at length 1."""

    holdouts: np.ndarray  # members rejecting the draft
    concluded: np.ndarray  # the talks end this round: everyone accepts, it is the summit, or the few left are carried
    deal: np.ndarray
    flexibility: np.ndarray  # holdouts carried with side letters, at the summit or when settled early


def taken(state, rows):
    """A state dataclass with only the given rows of every field (the batch engine's runs); a
    field left at a scalar (a default) holds for every row."""
    return dataclasses.replace(state, **{field.name: getattr(state, field.name)[rows]
                                         for field in dataclasses.fields(state) if np.ndim(getattr(state, field.name))})
