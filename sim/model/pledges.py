"""The alliance's standing commitments: the pledges that bind allies while a new one is
negotiated and implemented.

A scenario lists them under `[[pledges]]`, each dated and sourced (for example the Vilnius
2023 commitment to spend at least 2% of GDP every year). The package the talks agree on is
a pledge too, a target; the implementation phase (`sim/model/implementation.py`) holds each ally
to every pledge that binds it in a year. Only commitments made before the Hague summit of
June 2025 may be listed: what was spent or planned after 2024 is held out of the project.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class PledgeKind(StrEnum):
    """What a pledge asks of an ally."""

    FLOOR = "floor"  # at least `level_pct` every year from `from_year` on ("a floor, not a ceiling")


@dataclass(frozen=True)
class Pledge:
    """One commitment of the alliance, as a summit declaration worded it."""

    name: str
    kind: PledgeKind
    level_pct: float
    from_year: int  # the first year it binds; it binds the allies that are members by then
    source: str  # the declaration and paragraph
    made_year: int  # the year the summit made it: talks held later stand on it

    def binds(self, year, accession_year):
        """Whether it binds an ally (or each ally of an array) in `year`."""
        return (np.asarray(year) >= self.from_year) & (np.asarray(accession_year) <= year)


@dataclass(frozen=True)
class Ledger:
    """Every standing pledge of a scenario, in the order the scenario lists them."""

    pledges: tuple[Pledge, ...] = ()

    def floor_pct(self, year: int, accession_year):
        """The highest floor binding each ally in `year` (0 where none binds)."""
        floor = np.zeros(np.shape(accession_year))
        for pledge in self.pledges:
            if pledge.kind is PledgeKind.FLOOR:
                floor = np.where(pledge.binds(year, accession_year), np.maximum(floor, pledge.level_pct), floor)
        return floor

    def standing_floor_pct(self, summit_year: int, accession_year):
        """The highest floor each ally had already pledged before talks in `summit_year` (0 where
        none): a pledge made at an earlier summit, whenever it binds, by an ally that is a member
        at these talks. It is part of the reversion point (`reversion.most_signed`): with no new
        agreement, the old one stands."""
        floor = np.zeros(np.shape(accession_year))
        member = np.asarray(accession_year) <= summit_year
        for pledge in self.pledges:
            if pledge.kind is PledgeKind.FLOOR and pledge.made_year < summit_year:
                floor = np.where(member, np.maximum(floor, pledge.level_pct), floor)
        return floor

    def adding(self, pledge: Pledge) -> Ledger:
        """The ledger with one more pledge (a summit of a chain adds the one it made)."""
        return Ledger((*self.pledges, pledge))


PLEDGE_FIELDS = {"name": str, "kind": str, "level_pct": float, "from_year": int, "made_year": int, "source": str}
LEVEL_RANGE = (0.0, 10.0)
YEAR_RANGE = (1949, 2100)


def parse_pledges(section) -> Ledger:
    """`[[pledges]]` tables of a scenario file as a Ledger. Raises ValueError with a message
    naming the pledge's position and the field; the caller adds the file."""
    if not isinstance(section, list) or not all(isinstance(item, dict) for item in section):
        raise ValueError("pledges must be a list of tables, written [[pledges]]")
    pledges = []
    for index, item in enumerate(section, start=1):
        where = f"pledges[{index}]"
        unknown = sorted(set(item) - set(PLEDGE_FIELDS))
        if unknown:
            raise ValueError(f"{where}: unknown field {unknown[0]!r}; allowed: {', '.join(PLEDGE_FIELDS)}")
        missing = [name for name in PLEDGE_FIELDS if name not in item]
        if missing:
            raise ValueError(f"{where}: field {missing[0]!r} is missing; every pledge needs "
                             f"{', '.join(PLEDGE_FIELDS)}")
        for name, kind in PLEDGE_FIELDS.items():
            value = item[name]
            if isinstance(value, bool) or not isinstance(value, (int, float) if kind is float else kind):
                raise ValueError(f"{where}.{name} = {value!r} is not allowed; allowed: a {kind.__name__}")
        for name in ("name", "source"):  # a pledge is dated and sourced: an empty text is no source
            if not item[name].strip():
                raise ValueError(f"{where}.{name} must not be empty; allowed: a non-empty text"
                                 + (" saying where the pledge comes from (the declaration and paragraph)"
                                    if name == "source" else ""))
        if item["kind"] not in tuple(PledgeKind):
            raise ValueError(f"{where}.kind = {item['kind']!r} is not allowed; allowed: "
                             f"{', '.join(PledgeKind)}")
        if not LEVEL_RANGE[0] <= item["level_pct"] <= LEVEL_RANGE[1]:
            raise ValueError(f"{where}.level_pct = {item['level_pct']!r} is out of range; allowed: "
                             f"{LEVEL_RANGE[0]:g} to {LEVEL_RANGE[1]:g}")
        for name in ("from_year", "made_year"):
            if not YEAR_RANGE[0] <= item[name] <= YEAR_RANGE[1]:
                raise ValueError(f"{where}.{name} = {item[name]!r} is out of range; allowed: "
                                 f"{YEAR_RANGE[0]} to {YEAR_RANGE[1]}")
        if item["made_year"] > item["from_year"]:
            raise ValueError(f"{where}.made_year = {item['made_year']!r} is after from_year = {item['from_year']!r}; "
                             "allowed: a pledge binds from the year it was made or later")
        pledges.append(Pledge(name=item["name"].strip(), kind=PledgeKind(item["kind"]),
                              level_pct=float(item["level_pct"]), from_year=item["from_year"],
                              source=item["source"].strip(), made_year=item["made_year"]))
    return Ledger(tuple(pledges))
