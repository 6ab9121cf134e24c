"""After the summit: who keeps the pledge and who lets it slip.

Signing is not keeping (docs/ODD.md, 7.9): once the talks end, each ally's projected path to
the deadline shows whether it reaches the level it signed. The panel draws, per ally, the
span from today's spending to the projection at the deadline, coloured by how it stands.
"""

from __future__ import annotations

from enum import StrEnum

import altair as alt
import pandas as pd
import solara
from mesa.visualization.utils import update_counter

from sim.engines.outcome import AllyResult, Outcome
from sim.viz.cartogram import EMBED_OPTIONS
from sim.viz.vegalite import AltairChart

ROW_HEIGHT = 12
CHART_WIDTH = 520


class PledgeStatus(StrEnum):
    """How an ally stands at the deadline; the values are the legend's words."""

    KEEPS = "keeps the pledge"
    SLIPS = "signed, lets it slip"
    SIDE_LETTER = "side letter: own target"
    NO_DEAL = "no deal: own course"


STATUS_COLOURS = {PledgeStatus.KEEPS: "#2e7d32", PledgeStatus.SLIPS: "#ef6c00",
                  PledgeStatus.SIDE_LETTER: "#7b1fa2", PledgeStatus.NO_DEAL: "#757575"}


def pledge_status(deal: bool, ally: AllyResult) -> PledgeStatus:
    """An ally's standing at the deadline; "keeps" is the model's on-track flag."""
    if not deal:
        return PledgeStatus.NO_DEAL
    if ally.flexibility:
        return PledgeStatus.SIDE_LETTER
    return PledgeStatus.KEEPS if ally.on_track else PledgeStatus.SLIPS


def pledge_frame(outcome: Outcome) -> pd.DataFrame:
    """One row per ally with armed forces: today's spending, the projection at the deadline
    (its path's last year) and its standing, highest projection first."""
    rows = []
    for ally in outcome.allies:
        if not ally.trajectory:
            continue  # no armed forces, nothing to spend
        end = ally.trajectory[max(ally.trajectory)]
        rows.append({"iso3": ally.iso3, "name": ally.name, "start_pct": ally.start_pct, "end_pct": end,
                     "status": str(pledge_status(outcome.deal, ally))})
    return pd.DataFrame(rows).sort_values("end_pct", ascending=False, ignore_index=True)


def pledge_chart(outcome: Outcome) -> alt.LayerChart:
    """Per ally, a grey span from today's spending to the deadline's, a dot coloured by standing,
    and the agreed core level as a red line: who keeps the pledge reads off one axis. The
    subtitle names the allies left out (Iceland: no armed forces)."""
    frame = pledge_frame(outcome)
    end_year = max(max(a.trajectory) for a in outcome.allies if a.trajectory)
    y = alt.Y("iso3:N", sort=list(frame["iso3"]), title=None, axis=alt.Axis(labelFontSize=9))
    statuses = [str(s) for s in PledgeStatus]
    colour = alt.Color("status:N", title=None,
                       scale=alt.Scale(domain=statuses, range=[STATUS_COLOURS[s] for s in PledgeStatus]),
                       legend=alt.Legend(orient="bottom", direction="horizontal", columns=2))
    base = alt.Chart(frame).properties(width=CHART_WIDTH, height=ROW_HEIGHT * len(frame))
    span = base.mark_rule(color="#bdbdbd", strokeWidth=2).encode(
        x=alt.X("start_pct:Q", title=f"% of GDP: today (grey end) to {end_year} (dot)"), x2="end_pct:Q", y=y)
    today = base.mark_tick(color="#9e9e9e", thickness=2, size=8).encode(x="start_pct:Q", y=y)
    projected = base.mark_circle(size=45, opacity=1).encode(
        x="end_pct:Q", y=y, color=colour,
        tooltip=["name:N", alt.Tooltip("start_pct:Q", format=".2f", title="today"),
                 alt.Tooltip("end_pct:Q", format=".2f", title=str(end_year)), "status:N"])
    layers = [span, today, projected]
    if outcome.deal:
        target = alt.Chart(pd.DataFrame({"core_pct": [outcome.core_target_pct]})).mark_rule(
            color="#c62828", strokeDash=[4, 3]).encode(x="core_pct:Q")
        layers.append(target)
    title = (f"Core level agreed: {outcome.core_target_pct:.2f}% by {outcome.deadline_year} (red); "
             f"{outcome.allies_on_track} allies keep it" if outcome.deal else
             f"No deal: each ally's own course to {end_year}")
    note = left_out_note(outcome)
    return alt.layer(*layers, title=alt.Title(title, fontSize=12, anchor="start",
                                              **({"subtitle": note} if note else {}))).properties(
        usermeta={"embedOptions": EMBED_OPTIONS})


def left_out_note(outcome: Outcome) -> str:
    """The chart's subtitle: the allies it leaves out because they have no armed forces."""
    names = [ally.name for ally in outcome.allies if not ally.trajectory]
    if not names:
        return ""
    return f"Not shown: {', '.join(names)} (no armed forces, nothing to spend)"


@solara.component
def PledgePlot(model):
    """The panel: a note while the talks run (there is no pledge yet), the chart once they end."""
    update_counter.get()
    with solara.Column(classes=["alliance-pledge"]):
        if model.running:
            solara.Text("Projected once the talks end: who keeps the pledge, and who signs but lets it slip.",
                        style={"font-size": "13px", "color": "#555"})
        else:
            AltairChart(pledge_chart(model.outcome()))
