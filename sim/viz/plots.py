"""What the talks look like over the rounds, and where they stand: the plots and the outcome panel.

The axes are fixed for the whole run (rounds 0..summit, levels 0..the US demand or the
highest position), so a line moving is the negotiation moving, not the scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import altair as alt
import pandas as pd
import solara
from mesa.visualization.utils import update_counter

from sim.viz.cartogram import EMBED_OPTIONS
from sim.viz.this_round import tabled_words
from sim.viz.vegalite import AltairChart

PANEL_WIDTH = 165
PANEL_HEIGHT = 120


def rounds_frame(model) -> pd.DataFrame:
    """The model's round-by-round reporters, with the total package (core + related)."""
    frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    frame = frame.assign(draft_total_pct=frame["draft_core_pct"] + frame["draft_related_pct"],
                         share_accepting_pct=frame["share_accepting"] * 100.0)
    return frame


def _panel(frame: pd.DataFrame, title: str, x: alt.X, y: alt.Y, **encodings) -> alt.Chart:
    return alt.Chart(frame, title=alt.Title(title, fontSize=12, anchor="start")).mark_line(
        point=alt.OverlayMarkDef(size=25), clip=True).encode(x=x, y=y, **encodings).properties(
        width=PANEL_WIDTH, height=PANEL_HEIGHT)


def rounds_chart(model) -> alt.HConcatChart:
    """Four small panels over the rounds: the draft level, its deadline, the spread, the share accepting."""
    p = model.params
    frame = rounds_frame(model)
    drafts = frame.dropna(subset=["draft_core_pct"])
    x = alt.X("round:Q", title="round", scale=alt.Scale(domain=[0, p.max_rounds], nice=False),
              axis=alt.Axis(tickMinStep=1, format="d"))
    top = max([p.us_demand_pct, *drafts["draft_total_pct"].dropna()])
    level = drafts.melt(id_vars=["round"], value_vars=["draft_core_pct", "draft_total_pct"],
                        var_name="part", value_name="pct").replace(
        {"part": {"draft_core_pct": "core", "draft_total_pct": "core + related"}})
    parts = ["core", "core + related"] if p.split_enabled else ["core"]
    package = _panel(level[level["part"].isin(parts)], "Draft level (% of GDP)", x,
                     alt.Y("pct:Q", title=None, scale=alt.Scale(domain=[0, math.ceil(top + 0.5)])),
                     color=alt.Color("part:N", title=None, scale=alt.Scale(domain=parts),
                                     legend=alt.Legend(orient="bottom", direction="horizontal")))
    deadline = _panel(drafts, "Draft deadline (year)", x,
                      alt.Y("draft_deadline:Q", title=None, axis=alt.Axis(format="d"),
                            scale=alt.Scale(domain=[p.earliest_deadline, p.latest_deadline])))
    spread = _panel(frame, "Spread of positions (sd, pp)", x,
                    alt.Y("position_spread_pct:Q", title=None,
                          scale=alt.Scale(domain=[0, math.ceil(frame["position_spread_pct"].max() * 2) / 2 or 1])))
    share = _panel(drafts, "Allies accepting (%)", x,
                   alt.Y("share_accepting_pct:Q", title=None, scale=alt.Scale(domain=[0, 100])))
    return alt.hconcat(package, deadline, spread, share, spacing=18).properties(
        usermeta={"embedOptions": EMBED_OPTIONS})


@solara.component
def RoundPlots(model):
    update_counter.get()
    with solara.Column(classes=["alliance-rounds"]):
        AltairChart(rounds_chart(model))


class Stage(StrEnum):
    """Where the talks stand; the values are the panel's headline words."""

    UNDER_WAY = "Talks under way"
    DEAL = "Deal"
    NO_DEAL = "No deal"


@dataclass(frozen=True)
class Standing:
    """The outcome panel's content: the final outcome when the talks are over, else the draft."""

    stage: Stage
    headline: str
    rows: tuple[tuple[str, str], ...]


def _pct(value: float | None) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.2f}%"


def _codes(codes: list[str]) -> str:
    return f"{', '.join(codes)} ({len(codes)})" if codes else "none"


def standing(model) -> Standing:
    """The panel's words for the model as it is now, from model.outcome() once the talks end."""
    p = model.params
    b = model.baselines()
    baselines = ("Baselines (opening positions)",
                 f"weighted mean {_pct(b.weighted_mean)}, weighted median {_pct(b.weighted_median)}, "
                 f"Nash {_pct(b.nash)}")
    round_row = ("Round", f"{model.round} of {p.max_rounds}")
    if model.running:
        draft = model.draft
        holdouts = [a.facts.iso3 for a in model.members if not a.accepted] if draft else []
        rows = (
            round_row,
            ("Tabled by", tabled_words(model) if draft else "-"),
            ("Draft core", _pct(draft.core_pct) if draft else "no draft yet"),
            ("Draft related", (_pct(draft.related_pct) if p.split_enabled else "no split") if draft else "-"),
            ("Draft deadline", str(draft.deadline_year) if draft else "-"),
            ("Rejecting the draft", _codes(holdouts) if draft else "-"),
            ("Flexibility", ("at the summit, or before it once no holdout can be won" if p.early_settlement
                             else "decided at the summit") if p.allow_flexibility else "not allowed"),
            baselines,
        )
        return Standing(Stage.UNDER_WAY, f"{Stage.UNDER_WAY}: round {model.round} of {p.max_rounds}", rows)
    outcome = model.outcome()
    if outcome.deal:
        total = outcome.core_target_pct + (outcome.related_target_pct or 0.0)
        split = (f" core + {_pct(outcome.related_target_pct)} related = {_pct(total)}"
                 if outcome.related_target_pct is not None else " core")
        headline = (f"{Stage.DEAL} in round {outcome.rounds}: {_pct(outcome.core_target_pct)}{split} "
                    f"by {outcome.deadline_year}")
    else:
        headline = f"{Stage.NO_DEAL} at the summit (round {outcome.rounds})"
    rows = (
        round_row,
        ("Last draft tabled by", tabled_words(model)),
        ("Core target", _pct(outcome.core_target_pct)),
        ("Related target", _pct(outcome.related_target_pct) if p.split_enabled else "no split"),
        ("Deadline", str(outcome.deadline_year) if outcome.deadline_year else "-"),
        ("Holdouts", _codes(outcome.holdouts)),
        ("Flexibility (side letters)", _codes(outcome.flexibility)),
        baselines,
        ("US share of spending", f"{outcome.us_share_before:.1%} now, {outcome.us_share_after:.1%} at the deadline"
         if outcome.deal else f"{outcome.us_share_before:.1%} now"),
        ("Allies on track", str(outcome.allies_on_track) if outcome.deal else "- (no deal)"),
        ("Extra spending at the deadline", f"{outcome.extra_spending_usd_bn:,.0f} USD bn a year"
         if outcome.deal else "- (no deal)"),
    )
    return Standing(Stage.DEAL if outcome.deal else Stage.NO_DEAL, headline, rows)


ALERT_TYPES = {Stage.UNDER_WAY: "info", Stage.DEAL: "success", Stage.NO_DEAL: "error"}


@solara.component
def OutcomePanel(model):
    update_counter.get()
    now = standing(model)
    with solara.Column(classes=["alliance-outcome"], gap="4px"):
        solara.v.Alert(type=ALERT_TYPES[now.stage], dense=True, text=True, children=[now.headline],
                       class_="alliance-headline")
        body = [solara.v.Html(tag="tr", children=[
            solara.v.Html(tag="th", children=[label], style_="text-align: left; font-weight: 500"),
            solara.v.Html(tag="td", children=[value])]) for label, value in now.rows]
        solara.v.SimpleTable(dense=True, children=[solara.v.Html(tag="tbody", children=body)])
