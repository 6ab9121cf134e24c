"""What the talks look like over the rounds, and where they stand: the plots and the outcome panel.

The axes are fixed for the whole run (rounds 0..summit, levels 0..the US demand or the
highest position), so a line moving is the negotiation moving, not the scale. The draft's
level is drawn with what it asks of budgets (new money, `win_set.new_money`) and against the
headline the US holds out for, fixed before round 1, so the gap the drafter closes is in view.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import altair as alt
import pandas as pd
import solara
from mesa.visualization.utils import update_counter

from sim.model.win_set import new_money
from sim.viz.cartogram import EMBED_OPTIONS
from sim.viz.this_round import tabled_words
from sim.viz.united_states import us_floor_pct
from sim.viz.vegalite import AltairChart

PANEL_WIDTH = 165
PANEL_HEIGHT = 120


class LevelPart(StrEnum):
    """The lines of the draft level's panel; the values are its legend's words."""

    CORE = "core"
    NEW_MONEY = "new money"
    HEADLINE = "core + related"
    US_FLOOR = "US floor (headline)"


LEVEL_COLOURS = {LevelPart.CORE: "#4c78a8", LevelPart.NEW_MONEY: "#f58518", LevelPart.HEADLINE: "#e45756",
                 LevelPart.US_FLOOR: "#616161"}
LEVEL_COLUMNS = {"draft_core_pct": LevelPart.CORE, "draft_new_money_pct": LevelPart.NEW_MONEY,
                 "draft_total_pct": LevelPart.HEADLINE}


def rounds_frame(model) -> pd.DataFrame:
    """The model's round-by-round reporters, with the total package (core + related) and what
    it asks of budgets (core + the new-money share of the related)."""
    frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    frame = frame.assign(draft_total_pct=frame["draft_core_pct"] + frame["draft_related_pct"],
                         draft_new_money_pct=new_money(frame["draft_core_pct"], frame["draft_related_pct"],
                                                       model.params.related_cost_share),
                         share_accepting_pct=frame["share_accepting"] * 100.0)
    return frame


def level_parts(split_enabled: bool) -> list[LevelPart]:
    """The lines drawn: with no split, the core is the headline and all of it new money."""
    return list(LevelPart) if split_enabled else [LevelPart.CORE, LevelPart.US_FLOOR]


def level_frame(model) -> pd.DataFrame:
    """One row per round and line of the draft level's panel: the drafts' parts, and the US
    floor over every round to the summit (it is fixed before round 1)."""
    drafts = rounds_frame(model).dropna(subset=["draft_core_pct"])
    level = drafts.melt(id_vars=["round"], value_vars=list(LEVEL_COLUMNS), var_name="part", value_name="pct")
    level["part"] = level["part"].map({column: str(part) for column, part in LEVEL_COLUMNS.items()})
    floor = pd.DataFrame({"round": range(model.params.max_rounds + 1), "part": str(LevelPart.US_FLOOR),
                          "pct": us_floor_pct(model)})
    shown = [str(part) for part in level_parts(model.params.split_enabled)]
    return pd.concat([level, floor], ignore_index=True).query("part in @shown").reset_index(drop=True)


def _panel(frame: pd.DataFrame, title: str, x: alt.X, y: alt.Y, **encodings) -> alt.Chart:
    return alt.Chart(frame, title=alt.Title(title, fontSize=12, anchor="start")).mark_line(
        point=alt.OverlayMarkDef(size=25), clip=True).encode(x=x, y=y, **encodings).properties(
        width=PANEL_WIDTH, height=PANEL_HEIGHT)


def level_panel(model, x: alt.X, y: alt.Y) -> alt.LayerChart:
    """The draft's level over the rounds: its parts as lines with a point per draft, over the US
    floor as a grey dashed line with no points, so a headline at the floor still shows."""
    parts = level_parts(model.params.split_enabled)
    names = [str(part) for part in parts]
    legend = alt.Legend(orient="bottom", direction="horizontal", columns=2)
    # the same legend for colour and dash, so Vega-Lite draws one, with dashed swatches
    encodings = {"x": x, "y": y,
                 "color": alt.Color("part:N", title=None, legend=legend,
                                    scale=alt.Scale(domain=names, range=[LEVEL_COLOURS[part] for part in parts])),
                 "strokeDash": alt.StrokeDash("part:N", title=None, legend=legend, scale=alt.Scale(
                     domain=names, range=[[4, 3] if part is LevelPart.US_FLOOR else [1, 0] for part in parts]))}
    frame = level_frame(model)
    is_floor = frame["part"] == LevelPart.US_FLOOR
    floor = alt.Chart(frame[is_floor]).mark_line(clip=True, strokeWidth=1.5).encode(**encodings)
    drafts = alt.Chart(frame[~is_floor]).mark_line(point=alt.OverlayMarkDef(size=25), clip=True).encode(**encodings)
    return alt.layer(floor, drafts, title=alt.Title("Draft level (% of GDP)", fontSize=12, anchor="start")).properties(
        width=PANEL_WIDTH, height=PANEL_HEIGHT)


def rounds_chart(model) -> alt.HConcatChart:
    """Four small panels over the rounds: the draft level, its deadline, the spread, the share accepting."""
    p = model.params
    frame = rounds_frame(model)
    drafts = frame.dropna(subset=["draft_core_pct"])
    x = alt.X("round:Q", title="round", scale=alt.Scale(domain=[0, p.max_rounds], nice=False),
              axis=alt.Axis(tickMinStep=1, format="d"))
    top = max([p.us_demand_pct, *drafts["draft_total_pct"].dropna()])
    package = level_panel(model, x, alt.Y("pct:Q", title=None, scale=alt.Scale(domain=[0, math.ceil(top + 0.5)])))
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
