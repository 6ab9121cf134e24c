"""The allies' fixed facts as the talks use them: one ally's (scalars) or the alliance's
(one entry per ally, in the data's order).

The same dataclass serves both, so a rule that reads `alliance.start_pct` runs unchanged for
a Mesa agent (its own row) and for the alliance or a block of runs (vectors over allies).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.data.loader import AllyFacts
from sim.data.us_ties import load_us_ties


def us_reliance(exports_pct_gdp, us_troops, gdp_usd_bn):
    """How much an ally stands to lose if the United States turns against it, 0..1: the mean
    of its rank among the allies (0 lowest, 1 highest) in goods exports to the US (% of GDP)
    and in US personnel based on its soil per USD bn of GDP. Trade and basing are the two
    levers a patron holds over its clients (Hirschman 1945 on trade dependence; Lanoszka 2018
    on US forces as the guarantee's hostage). Ranks, because the two measures share no unit
    and a few outliers (Canada's exports, Germany's bases) would otherwise decide alone. An
    ally with no figure (the US itself) relies on nobody: 0. Allies with equal figures share
    the mean of their ranks, so an ally's rank never depends on the data's row order. Over
    allies (the last axis)."""
    def rank(values):
        values = np.asarray(values, dtype=float)
        known = ~np.isnan(values)
        ranks = np.full(values.shape, np.nan)
        given = values[known]
        below = np.sum(given[None, :] < given[:, None], axis=1)
        equal = np.sum(given[None, :] == given[:, None], axis=1)
        ranks[known] = (below + (equal - 1) / 2.0) / max(np.sum(known) - 1, 1)
        return ranks

    reliance = (rank(exports_pct_gdp) + rank(np.asarray(us_troops, dtype=float) / gdp_usd_bn)) / 2.0
    return np.nan_to_num(reliance, nan=0.0)


def allied_efforts(start_pct, clout, is_us):
    """Each ally's view of the others' effort, from the data: the spending of the other allies
    at the table (not the US, not itself) weighted by their share of the alliance's GDP, and
    the US's so weighted (0 for the US itself), both % of the alliance's GDP. Over allies (the
    last axis)."""
    weighted = np.nan_to_num(np.asarray(start_pct, dtype=float)) * np.asarray(clout, dtype=float)
    is_us = np.asarray(is_us, dtype=bool)
    us_effort = np.sum(np.where(is_us, weighted, 0.0), axis=-1, keepdims=True)
    others = np.sum(np.where(is_us, 0.0, weighted), axis=-1, keepdims=True)
    return others - np.where(is_us, 0.0, weighted), np.where(is_us, 0.0, us_effort)


@dataclass(frozen=True)
class Alliance:
    """What the talks know about an ally and never change. Arrays over allies for the
    alliance; plain Python values for one ally (`row`)."""

    iso3: tuple[str, ...] | str
    name: tuple[str, ...] | str
    start_pct: np.ndarray | float  # spending in the scenario's data year; NaN without armed forces
    gdp_usd_bn: np.ndarray | float
    debt_pct_gdp: np.ndarray | float
    deficit_pct_gdp: np.ndarray | float  # NaN where the source publishes none
    eu_member: np.ndarray | bool
    escape_clause: np.ndarray | bool  # asked for the EU's national escape clause for defence (a scenario's list)
    distance_to_moscow_km: np.ndarray | float
    borders_russia: np.ndarray | bool
    is_us: np.ndarray | bool
    bears_cost: np.ndarray | bool  # has armed forces, so a spending target costs it something
    votes: np.ndarray | bool  # a member at the summit (joined no later than the summit year)
    clout: np.ndarray | float  # share of the GDP of the allies at the table; 0 for those not at it
    accession_year: np.ndarray | int  # when it joined: a standing pledge binds it from then on
    us_reliance: np.ndarray | float  # 0..1, what it stands to lose if the US turns against it (`us_reliance`)
    exports_to_us_pct_gdp: np.ndarray | float  # goods exports to the US, % of GDP; NaN without a figure (the US)
    allied_effort_pct: np.ndarray | float  # the other allies' spending (not the US's), % of the alliance's GDP
    us_effort_pct: np.ndarray | float  # the US's spending, % of the alliance's GDP; 0 for the US itself

    @classmethod
    def of(cls, facts: AllyFacts, data_year: int, summit_year: int) -> Alliance:
        """The alliance for a scenario's data year and summit."""
        ties = load_us_ties(tuple(facts.iso3))
        votes = facts.accession_year <= summit_year
        at_table = votes & facts.has_forces
        gdp_at_table = np.where(at_table, facts.gdp_usd_bn, 0.0)
        clout = gdp_at_table / np.sum(gdp_at_table)
        start_pct = facts.spending_pct(data_year)
        is_us = np.array([code == "USA" for code in facts.iso3])
        allied_effort, us_effort = allied_efforts(start_pct, clout, is_us)
        return cls(
            iso3=tuple(facts.iso3), name=tuple(facts.name), start_pct=start_pct,
            gdp_usd_bn=facts.gdp_usd_bn, debt_pct_gdp=facts.debt_pct_gdp, deficit_pct_gdp=facts.deficit_pct_gdp,
            eu_member=facts.eu_member, escape_clause=facts.escape_clause,
            distance_to_moscow_km=facts.distance_to_moscow_km,
            borders_russia=facts.borders_russia, is_us=is_us, bears_cost=facts.has_forces, votes=votes, clout=clout,
            accession_year=facts.accession_year,
            us_reliance=us_reliance(ties.exports_pct_gdp, ties.troops, facts.gdp_usd_bn),
            exports_to_us_pct_gdp=ties.exports_pct_gdp, allied_effort_pct=allied_effort, us_effort_pct=us_effort,
        )

    @property
    def at_table(self):
        """Who sits at the table: a member by the summit with armed forces (so with clout)."""
        return np.asarray(self.votes) & np.asarray(self.bears_cost)

    @property
    def count(self) -> int:
        return len(self.iso3)

    def row(self, index: int) -> Alliance:
        """One ally's facts, as plain Python values."""
        return Alliance(**{name: np.asarray(value)[index].item() if not isinstance(value, tuple) else value[index]
                          for name, value in vars(self).items()})
