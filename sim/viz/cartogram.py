"""A tile cartogram of the 32 allies: one square each, laid out roughly as on a map.

Why tiles rather than a real map: every ally gets the same space, so Luxembourg's vote is
as visible as Germany's, and the east-west divide and the holdouts read at a glance. The
layout is hand-laid (North America far left, the Nordics on top, the eastern flank on the
right, the Mediterranean at the bottom); it needs no map files and no network. A badge in
each tile's corner marks its caucus (`sim/viz/caucus_style.py`) whatever the colouring, so
the coalitions show beside the votes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import altair as alt
import pandas as pd
import solara
from mesa.visualization.utils import update_counter

from sim.engines.agents import Ally
from sim.model.caucuses import CAUCUSES, Caucus
from sim.viz.caucus_style import STYLES
from sim.viz.vegalite import AltairChart


@dataclass(frozen=True)
class Tile:
    """Where an ally sits on the cartogram: column from the west, row from the north."""

    iso3: str
    col: int
    row: int


TILES = (
    Tile("ISL", 2, 0), Tile("NOR", 4, 0), Tile("SWE", 5, 0), Tile("FIN", 6, 0), Tile("EST", 7, 0),
    Tile("CAN", 0, 1), Tile("GBR", 3, 1), Tile("DNK", 5, 1), Tile("LVA", 7, 1),
    Tile("USA", 0, 2), Tile("NLD", 4, 2), Tile("DEU", 5, 2), Tile("POL", 6, 2), Tile("LTU", 7, 2),
    Tile("FRA", 3, 3), Tile("BEL", 4, 3), Tile("LUX", 5, 3), Tile("CZE", 6, 3), Tile("SVK", 7, 3),
    Tile("PRT", 2, 4), Tile("ESP", 3, 4), Tile("ITA", 4, 4), Tile("SVN", 5, 4), Tile("HUN", 6, 4),
    Tile("ROU", 7, 4),
    Tile("HRV", 5, 5), Tile("BGR", 7, 5),
    Tile("MNE", 5, 6), Tile("MKD", 6, 6), Tile("TUR", 7, 6),
    Tile("ALB", 5, 7), Tile("GRC", 6, 7),
)
TILE_PX = 50  # one tile's side on screen


class ColourBy(StrEnum):
    """What the tiles' colour shows; the values are the toggle's labels."""

    POSITION = "Position (% of GDP)"
    VOTE = "Vote on the draft"
    CAUCUS = "Caucus"


class Vote(StrEnum):
    """An ally's stance on the draft, as the map shows it."""

    ACCEPTS = "accepts"
    HOLDS_OUT = "holds out"
    SIDE_LETTER = "side letter"
    NO_DRAFT = "no draft yet"
    NOT_AT_TABLE = "not at the table"


VOTE_COLOURS = {
    Vote.ACCEPTS: "#1a9850",
    Vote.HOLDS_OUT: "#d73027",
    Vote.SIDE_LETTER: "#7b3294",
    Vote.NO_DRAFT: "#bdbdbd",
    Vote.NOT_AT_TABLE: "#f0f0f0",
}
MARKED = (Vote.HOLDS_OUT, Vote.SIDE_LETTER)  # outlined in the position view
DASHES = {Vote.HOLDS_OUT: [1, 0], Vote.SIDE_LETTER: [5, 2]}
LEGEND_LIMIT = 220  # px before a legend label is cut
BADGE_SIZE = 110  # px² of a caucus badge
BADGE_AT = (0.79, 0.17)  # the badge's centre in a tile (from its west and north edges), clear of the labels
POSITION_SCHEME = "yellowgreenblue"
DARK_INK, LIGHT_INK = "#222222", "#ffffff"  # labels on pale and on dark tiles
# vega-embed reads these from the spec: SVG (crisp, and its labels are page text), and a menu
# that saves PNG/SVG but offers no link to the online Vega editor.
EMBED_OPTIONS = {"renderer": "svg", "actions": {"export": True, "source": False, "compiled": False, "editor": False}}


def vote_of(ally: Ally, has_draft: bool, carried: set[str]) -> Vote:
    """A side letter shows over the vote it settled; before the first draft nobody has voted."""
    if not ally.facts.votes:
        return Vote.NOT_AT_TABLE
    if ally.facts.iso3 in carried:
        return Vote.SIDE_LETTER
    if not has_draft:
        return Vote.NO_DRAFT
    return Vote.ACCEPTS if ally.accepted else Vote.HOLDS_OUT


def tiles_frame(model) -> pd.DataFrame:
    """One row per ally: its tile, position, deadline, vote and what the tooltip says."""
    places = {tile.iso3: tile for tile in TILES}
    missing = sorted({a.facts.iso3 for a in model.allies} - set(places))
    if missing:
        raise KeyError(f"no cartogram tile for {', '.join(missing)}; add it to TILES in {__name__}")
    carried = {a.facts.iso3 for a in model.flexibility}
    rows = []
    for ally in model.allies:
        tile = places[ally.facts.iso3]
        position = None if math.isnan(ally.position_pct) else round(ally.position_pct, 2)
        rows.append({
            "iso3": ally.facts.iso3, "name": ally.facts.name, "col": tile.col, "row": tile.row,
            "position": position,
            "label": "no forces" if position is None else f"{position:.2f}",
            "deadline": round(ally.deadline_position),
            "vote": str(vote_of(ally, model.draft is not None, carried)),
            "threat": round(ally.threat, 2), "fiscal": round(ally.fiscal, 2),
            "caucus": STYLES[ally.caucus].label,
        })
    return pd.DataFrame(rows)


def position_domain(model) -> tuple[float, float]:
    """A colour range fixed for the whole run, so a colour means the same level every round."""
    levels = [a.initial_position_pct for a in model.allies if not math.isnan(a.initial_position_pct)]
    low = math.floor(min(levels + [a.facts.start_pct for a in model.allies if not math.isnan(a.facts.start_pct)]))
    high = math.ceil(max(levels + [model.params.us_demand_pct]))
    return float(low), float(high)


def _vote_layers(base: alt.Chart) -> tuple[list[alt.Chart], dict]:
    """Tiles filled by the vote; dark labels on the pale (no draft, not at the table) ones."""
    votes = alt.Scale(domain=[str(v) for v in Vote], range=[VOTE_COLOURS[v] for v in Vote])
    fill = base.mark_rect().encode(color=alt.Color(
        "vote:N", scale=votes, title="Vote", legend=alt.Legend(orient="right", labelLimit=LEGEND_LIMIT)))
    pale = alt.FieldOneOfPredicate(field="vote", oneOf=[str(Vote.NO_DRAFT), str(Vote.NOT_AT_TABLE)])
    return [fill], alt.condition(pale, alt.value(DARK_INK), alt.value(LIGHT_INK))


def _position_layers(base: alt.Chart, model) -> tuple[list[alt.Chart], dict]:
    """Tiles filled by the position, holdouts and side letters outlined; light labels on dark tiles."""
    low, high = position_domain(model)
    empty = base.mark_rect(color=VOTE_COLOURS[Vote.NOT_AT_TABLE])  # Iceland: no forces, no position
    fill = base.transform_filter("isValid(datum.position)").mark_rect().encode(color=alt.Color(
        "position:Q", title="Position (% GDP)", scale=alt.Scale(scheme=POSITION_SCHEME, domain=[low, high], clamp=True),
        legend=alt.Legend(orient="right", gradientLength=160, titleLimit=LEGEND_LIMIT)),
        opacity=alt.condition(alt.datum.vote == str(Vote.NOT_AT_TABLE), alt.value(0.3), alt.value(1.0)))
    ink = alt.condition(alt.datum.position > (low + high) / 2, alt.value(LIGHT_INK), alt.value(DARK_INK))
    return [empty, fill, *_holdout_outlines(base)], ink


def _holdout_outlines(base: alt.Chart) -> list[alt.Chart]:
    """Holdouts outlined red, side letters purple dashed, over a fill that is not the vote."""
    outline = alt.Stroke("vote:N", title="Outlined",
                         scale=alt.Scale(domain=[str(v) for v in MARKED], range=[VOTE_COLOURS[v] for v in MARKED]),
                         legend=alt.Legend(orient="right", symbolType="square", symbolFillColor="transparent",
                                           labelLimit=LEGEND_LIMIT))
    return [base.transform_filter(alt.datum.vote == str(vote)).mark_rect(
        fill=None, strokeWidth=3.5, strokeDash=DASHES[vote]).encode(stroke=outline) for vote in MARKED]


def _caucus_layers(base: alt.Chart) -> tuple[list[alt.Chart], dict]:
    """Tiles filled by the caucus (its legend is the badges'), holdouts and side letters outlined."""
    caucuses = alt.Scale(domain=[s.label for s in STYLES.values()], range=[s.colour for s in STYLES.values()])
    fill = base.mark_rect().encode(
        color=alt.Color("caucus:N", scale=caucuses, legend=None),
        opacity=alt.condition(alt.datum.vote == str(Vote.NOT_AT_TABLE), alt.value(0.3), alt.value(1.0)))
    light = [STYLES[c].label for c in Caucus if STYLES[c].ink == LIGHT_INK]
    ink = alt.condition(alt.FieldOneOfPredicate(field="caucus", oneOf=light), alt.value(LIGHT_INK), alt.value(DARK_INK))
    return [fill, *_holdout_outlines(base)], ink


def _caucus_badges(frame: pd.DataFrame, x_scale: alt.Scale, y_scale: alt.Scale, tooltip: list) -> alt.Chart:
    """A badge in the corner of each caucus member's tile, shape and colour naming its caucus."""
    labels = [STYLES[c].label for c in CAUCUSES]
    legend = alt.Legend(orient="right", title="Caucus (badge)", labelLimit=LEGEND_LIMIT)
    dx, dy = BADGE_AT
    return alt.Chart(frame).transform_filter(alt.FieldOneOfPredicate(field="caucus", oneOf=labels)).transform_calculate(
        bx=f"datum.col + {dx}", by=f"datum.row + {dy}").mark_point(
        filled=True, size=BADGE_SIZE, stroke=LIGHT_INK, strokeWidth=1.2, opacity=1).encode(
        x=alt.X("bx:Q", scale=x_scale, axis=None), y=alt.Y("by:Q", scale=y_scale, axis=None),
        fill=alt.Fill("caucus:N", scale=alt.Scale(domain=labels, range=[STYLES[c].colour for c in CAUCUSES]),
                      legend=legend),
        shape=alt.Shape("caucus:N", scale=alt.Scale(domain=labels, range=[STYLES[c].shape for c in CAUCUSES]),
                        legend=legend),
        tooltip=tooltip)


def cartogram_chart(model, colour_by: ColourBy) -> alt.LayerChart:
    """The map as an Altair chart: coloured tiles, ISO3 and position labels, marked holdouts,
    caucus badges."""
    frame = tiles_frame(model)
    cols = max(t.col for t in TILES) + 1
    rows = max(t.row for t in TILES) + 1
    x_scale, y_scale = alt.Scale(domain=[0, cols]), alt.Scale(domain=[rows, 0])
    tooltip = [alt.Tooltip("name:N", title="ally"), alt.Tooltip("position:Q", title="position % GDP", format=".2f"),
               alt.Tooltip("deadline:Q", title="deadline"), alt.Tooltip("vote:N"), alt.Tooltip("caucus:N"),
               alt.Tooltip("threat:Q", format=".2f"), alt.Tooltip("fiscal:Q", title="fiscal pressure", format=".2f")]
    base = alt.Chart(frame).transform_calculate(col_end="datum.col + 0.92", row_end="datum.row + 0.92").encode(
        x=alt.X("col:Q", scale=x_scale, axis=None), x2="col_end:Q",
        y=alt.Y("row:Q", scale=y_scale, axis=None), y2="row_end:Q", tooltip=tooltip)
    layers, ink = {ColourBy.VOTE: lambda: _vote_layers(base), ColourBy.CAUCUS: lambda: _caucus_layers(base),
                   ColourBy.POSITION: lambda: _position_layers(base, model)}[colour_by]()
    text = alt.Chart(frame).transform_calculate(cx="datum.col + 0.46", cy="datum.row + 0.46").encode(
        x=alt.X("cx:Q", scale=x_scale, axis=None), y=alt.Y("cy:Q", scale=y_scale, axis=None), color=ink,
        tooltip=tooltip)
    iso3 = text.mark_text(fontWeight="bold", fontSize=12, dy=-7).encode(text="iso3:N")
    level = text.mark_text(fontSize=10, dy=8).encode(text="label:N")
    badges = _caucus_badges(frame, x_scale, y_scale, tooltip)
    return alt.layer(*layers, iso3, level, badges).properties(
        width=cols * TILE_PX, height=rows * TILE_PX, usermeta={"embedOptions": EMBED_OPTIONS},
    ).configure_view(strokeWidth=0)


BADGES = "Orange triangle: front line; blue diamond: fiscal caucus (each argues one line, see This round)."
CAPTIONS = {
    ColourBy.POSITION: "Red outline: holds out against the draft. Purple dashed outline: carried with a side "
                       f"letter. Faded: not at the table (joined after the summit). {BADGES} Hover a tile "
                       "for its deadline, caucus, threat and fiscal pressure.",
    ColourBy.VOTE: "Each ally's vote on the current draft; holdouts may be carried with a side letter, at the "
                   f"summit or when the talks settle early. {BADGES} Hover a tile for its position, deadline, "
                   "caucus, threat and fiscal pressure.",
    ColourBy.CAUCUS: "Each ally's caucus, formed at the opening from what its members share: exposure to "
                     "Russia (front line), or fiscal pressure and spending below the median (fiscal caucus); "
                     "grey: in none. Red outline: holds out; purple dashed: side letter. Hover a tile for its "
                     "position, deadline, vote, threat and fiscal pressure.",
}


@solara.component
def Cartogram(model):
    """The map with its colour toggle; redrawn after every step (Mesa's update counter)."""
    update_counter.get()
    colour_by = solara.use_reactive(ColourBy.POSITION)
    with solara.Column(classes=["alliance-map"], gap="4px"):
        solara.ToggleButtonsSingle(value=colour_by, values=list(ColourBy), dense=True)
        AltairChart(cartogram_chart(model, colour_by.value))
        solara.Text(CAPTIONS[colour_by.value], style={"font-size": "12px", "color": "#666"})
