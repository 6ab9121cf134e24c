"""What each draft asks of budgets: the split's headline is not all new money.

A draft's headline is its core plus related spending, but only a share of the related part is
new money; the rest is spending the allies make already and may now count
(`related_cost_share`). What a budget must find is `win_set.new_money`, the level each ally
votes on, so the panel shows it next to the headline, per draft, in pp of GDP and in USD a year
for the allies at the table, for them without the US, or for one ally.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import solara
from mesa.visualization.utils import update_counter

from sim.model.win_set import new_money


class CostScope(StrEnum):
    """Whose budgets the money is counted for, besides a single ally; the values are the page's words."""

    ALLIANCE = "the allies at the table"
    WITHOUT_US = "the allies at the table but the US"


@dataclass(frozen=True)
class Budgets:
    """The budgets a draft's cost is counted for: their GDP and what they spend today."""

    scope: str  # a CostScope's words, or an ally's ISO3 code
    gdp_usd_bn: float
    today_pct: float  # their spending today, % of their GDP (GDP-weighted over several allies)

    def usd_bn(self, pct: float) -> float:
        """A level of spending, % of their GDP, in USD bn a year at today's GDP."""
        return pct / 100.0 * self.gdp_usd_bn


@dataclass(frozen=True)
class DraftCost:
    """One draft: its parts and what it asks of budgets."""

    round: int
    core_pct: float
    related_pct: float
    related_cost_share: float

    @property
    def headline_pct(self) -> float:
        return self.core_pct + self.related_pct

    @property
    def new_money_pct(self) -> float:
        """What the draft asks of a budget (`win_set.new_money`)."""
        return float(new_money(self.core_pct, self.related_pct, self.related_cost_share))

    @property
    def related_new_pct(self) -> float:
        """The part of the related spending that is new money."""
        return self.new_money_pct - self.core_pct


def budgets(model, scope: str = CostScope.ALLIANCE) -> Budgets:
    """The GDP and today's spending of `scope`: the allies at the table (with or without the
    US), or one ally by its ISO3 code."""
    if scope == CostScope.ALLIANCE:
        chosen = [ally for ally in model.allies if ally.facts.at_table]
    elif scope == CostScope.WITHOUT_US:
        chosen = [ally for ally in model.allies if ally.facts.at_table and not ally.facts.is_us]
    else:
        chosen = [ally for ally in model.allies if ally.facts.iso3 == scope]
        if not chosen:
            raise ValueError(f"no ally {scope!r}; choose an ISO3 code of the scenario's allies or one of "
                             f"{', '.join(CostScope)}")
    gdp = np.array([ally.facts.gdp_usd_bn for ally in chosen], dtype=float)
    today = np.array([ally.facts.start_pct for ally in chosen], dtype=float)
    spent = np.nansum(today * gdp)  # Iceland, with no armed forces, spends nothing on them
    return Budgets(str(scope), float(gdp.sum()), float(spent / gdp.sum()))


def scope_choices(model) -> list[str]:
    """What the page offers to count the money for: the scopes, then each ally at the table."""
    return [*(str(scope) for scope in CostScope), *(ally.facts.iso3 for ally in model.allies if ally.facts.at_table)]


def draft_costs(model) -> tuple[DraftCost, ...]:
    """Every draft tabled so far, one per round, from the model's round reporters."""
    frame = model.rounds_table().dropna(subset=["draft_core_pct"])
    share = model.params.related_cost_share
    return tuple(DraftCost(int(row.round), float(row.draft_core_pct), float(row.draft_related_pct), share)
                 for row in frame.itertuples())


# --- the words the panel shows ---

COST_HEAD = ("Round", "core (% of GDP)", "related", "headline", "new money in the related",
             "new money (% of GDP)", "new money (USD bn a year)")


def cost_row(draft: DraftCost, where: Budgets) -> tuple[str, ...]:
    """One draft's cells, in the order of COST_HEAD."""
    return (str(draft.round), f"{draft.core_pct:.2f}", f"{draft.related_pct:.2f}", f"{draft.headline_pct:.2f}",
            f"{draft.related_new_pct:.2f}", f"{draft.new_money_pct:.2f}", f"{where.usd_bn(draft.new_money_pct):,.0f}")


def share_note(model, where: Budgets) -> str:
    """What the share means, and the budgets' spending today to read the cost against."""
    share = model.params.related_cost_share
    split = "" if model.params.split_enabled else " The split is off: every draft is all core."
    return (f"Of each pp of related spending, {share:.0%} is new money; the rest is spending already made, now "
            f"counted. New money = core + {share:.2f} x related: what each ally's budget must find, and what it "
            f"votes on. USD at today's GDP of {where.scope} (USD {where.gdp_usd_bn:,.0f} bn); today they spend "
            f"{where.today_pct:.2f}% of it (USD {where.usd_bn(where.today_pct):,.0f} bn a year).{split}")


def _cell(tag: str, text: str, align: str):
    return solara.v.Html(tag=tag, children=[text], style_=f"text-align: {align}; font-weight: "
                                                          f"{500 if tag == 'th' else 400}")


def _cost_table(drafts: tuple[DraftCost, ...], where: Budgets):
    header = solara.v.Html(tag="thead", children=[solara.v.Html(tag="tr", children=[
        _cell("th", text, "left" if i == 0 else "right") for i, text in enumerate(COST_HEAD)])])
    rows = [solara.v.Html(tag="tr", children=[_cell("td", text, "left" if i == 0 else "right")
                                              for i, text in enumerate(cost_row(draft, where))])
            for draft in drafts]
    solara.v.SimpleTable(dense=True, class_="alliance-split-cost-table",
                         children=[header, solara.v.Html(tag="tbody", children=rows)])


@solara.component
def SplitCostPanel(model):
    """Each draft's core, related part and new money; the money counted for the scope picked."""
    update_counter.get()
    scope = solara.use_reactive(str(CostScope.ALLIANCE))
    choices = scope_choices(model)
    where = budgets(model, scope.value if scope.value in choices else CostScope.ALLIANCE)
    drafts = draft_costs(model)
    with solara.Column(classes=["alliance-split-cost"], gap="2px"):
        solara.Select("Count the money for", value=scope, values=choices, style={"max-width": "320px"})
        if drafts:
            _cost_table(drafts, where)
        else:
            solara.Text("No draft yet: the first comes in round 1.", style={"font-size": "13px"})
        solara.Text(share_note(model, where), style={"font-size": "12px", "color": "#666"})
