"""What really happened: the record the model is checked against.

Sources: the Hague Summit Declaration (25 June 2025); the Wales Summit Declaration
(5 September 2014), paragraph 14; NATO, *Defence Expenditure of NATO Countries (2014-2024)*,
17 June 2024 (3 allies at 2% in 2014, 23 of 32 by the 2024 estimates); press accounts of the
talks for the draft deadline (2032), Lithuania's and Italy's asks, and Spain's side letter.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HagueRecord:
    core_pct: float = 3.5  # "at least 3.5% of GDP" on core defence requirements
    total_pct: float = 5.0  # core plus up to 1.5% defence-related
    deadline_year: int = 2035
    draft_deadline_year: int = 2032
    flexibility_granted: frozenset[str] = frozenset({"ESP"})
    flexibility_asked: frozenset[str] = frozenset({"SVK", "BEL"})
    hawks: frozenset[str] = frozenset({"POL", "EST", "LVA", "LTU"})  # pushed for 5% quickly


@dataclass(frozen=True)
class WashingtonRecord:
    """The Washington summit of 9-11 July 2024: no new target; the allies reaffirmed the Vilnius
    commitment of at least 2% (Washington Summit Declaration, 10 July 2024, paragraph 6)."""

    summit_year: int = 2024
    new_target: bool = False
    floor_pct: float = 2.0  # what was reaffirmed; a model deal above it is a new target


@dataclass(frozen=True)
class WalesRecord:
    level_pct: float = 2.0  # "move towards the 2% guideline"
    horizon_years: int = 10  # "within a decade"
    summit_year: int = 2014
    hindcast_year: int = 2024
    allies_at_two_percent_2014: int = 3
    allies_at_two_percent_2024: int = 23  # of 32, June 2024 estimates


@dataclass(frozen=True)
class VilniusRecord:
    """The Vilnius summit of 11-12 July 2023: "an enduring commitment to invest at least 2% of our
    GDP annually on defence" (Vilnius Summit Communique, 11 July 2023, paragraph 27), a floor
    from 2024 on."""

    summit_year: int = 2023
    floor_pct: float = 2.0

