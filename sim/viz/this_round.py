"""This round: what was tabled and by whom, what each caucus argued, whom the US pressed by name.

The outcome panel says where the talks stand; this panel says why they moved this round.
Every number is read from the model or computed by the model's own rules
(`pressure.bilateral_pressure`, `pressure.widening_per_round`, `pressure.widen_ramp`), so the page
cannot drift from what the model did.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import solara
from mesa.visualization.utils import update_counter

from sim.model import pressure
from sim.model.caucuses import CAUCUSES, Caucus
from sim.engines.model import SECRETARY_GENERAL
from sim.model.state import Package
from sim.model.parameters import NegotiationProtocol
from sim.viz.caucus_style import STYLES

PRESSED_NOTE = ("After the vote the US pressed each holdout by name. The pressure widens the holdout's ramp: how "
                "much more its parliament lets defence spending rise each year, in basis points of GDP a year "
                "(1 bp = 0.01% of GDP). Named pressure: what the threat of tariffs on its exports to the US buys; "
                "all pressure adds the alliance-wide pressure of the US and of the allies on board; the ramp "
                "gained is that, times the round's random factor, also in money: how many USD millions more its "
                "defence budget may rise each year.")
# How an ally came to table the draft, by protocol; a protocol not named here is named as itself.
TABLING = {NegotiationProtocol.AGENDA_SETTER: "recognised to propose",
           NegotiationProtocol.BARON_FEREJOHN: "recognised to propose, buying each vote at what waiting is worth to it",
           NegotiationProtocol.CHALLENGE: "at the median level after the challenges",
           NegotiationProtocol.EXCHANGE: "nearest the expected outcome after the exchanges"}


@dataclass(frozen=True)
class Tabled:
    """The package on the table this round and who tabled it (None before the first round)."""

    by: str  # ISO3 code, or SECRETARY_GENERAL
    by_words: str
    package: Package


@dataclass(frozen=True)
class CaucusStand:
    """What one caucus argued this round: the mean of its members' last positions, weighted as
    the mediator weighs them (`sim.model.caucuses.caucus_lines`); NaN before the first round."""

    caucus: Caucus
    members: tuple[str, ...]
    level_pct: float
    deadline: float
    bloc: bool = False  # it rejected this round's draft as one (`caucus_bloc_votes`)

    @property
    def label(self) -> str:
        return STYLES[self.caucus].label


@dataclass(frozen=True)
class Pressed:
    """A holdout the US pressed by name after this round's vote, and what the pressure won."""

    iso3: str
    exports_to_us_pct_gdp: float  # goods exports to the US, % of GDP: what a tariff would hit
    gdp_usd_bn: float  # to show the ramp gained in money
    named_pp: float  # widening from the named pressure alone (pp/year of ramp, pressure.bilateral_pressure)
    widening_pp: float  # all pressure this round, before the round's random factor (pressure.widening_per_round)
    gained_pp: float  # what its ramp widened this round, with the random factor (pressure.widen_ramp)


@dataclass(frozen=True)
class ThisRound:
    """The panel's content for the model as it is now."""

    round: int
    max_rounds: int
    tabled: Tabled | None
    caucuses: tuple[CaucusStand, ...]
    pressed: tuple[Pressed, ...]
    pressed_note: str  # why nobody was pressed, when nobody was
    settlement: str | None  # how the talks ended; None while they run


def tabled_words(model) -> str:
    """Who put the draft on the table: the Secretary General, or an ally under the protocol."""
    if model.tabled_by == SECRETARY_GENERAL:
        return "the Secretary General (single text)"
    names = {ally.facts.iso3: ally.facts.name for ally in model.allies}
    protocol = model.params.protocol
    how = TABLING.get(protocol, f"under the {protocol} protocol")
    return f"{names.get(model.tabled_by, model.tabled_by)}, {how}"


def tabled(model) -> Tabled | None:
    if model.draft is None:
        return None
    return Tabled(by=model.tabled_by, by_words=tabled_words(model), package=model.draft)


def caucus_stands(model) -> tuple[CaucusStand, ...]:
    """Each caucus with its members and the line it argued this round (`model.caucus_lines`)."""
    lines = model.caucus_lines
    stands = []
    for caucus in CAUCUSES:
        rows = [i for i, ally in enumerate(model.allies) if ally.caucus is caucus]
        if not rows:
            continue
        level = math.nan if lines is None else float(lines.level[rows[0]])
        deadline = math.nan if lines is None else float(lines.deadline[rows[0]])
        stands.append(CaucusStand(caucus, tuple(model.allies[i].facts.iso3 for i in rows), level, deadline,
                                  bloc=bool(model.caucus_vetoes[rows[0]])))
    return tuple(stands)


def pressed_holdouts(model) -> tuple[tuple[Pressed, ...], str]:
    """The holdouts of this round's vote the US pressed by name (not the US itself, the
    demandeur), with the widening each gained; none when the round ended the talks."""
    if model.draft is None:
        return (), "none yet: the US presses the holdouts after each vote"
    if not model.running:  # the round's vote ended the talks: no pressure follows
        return (), "none: the talks ended with this round's vote"
    holdouts = [ally for ally in model.members if not ally.accepted and not ally.facts.is_us]
    if not holdouts:
        return (), "none: no ally held out"
    p, share = model.params, model.share_accepting()
    pressed = []
    for ally in holdouts:
        exports = ally.facts.exports_to_us_pct_gdp
        named = float(pressure.bilateral_pressure(p.us_pressure, exports, p.bilateral_pressure_pct))
        widening = float(pressure.widening_per_round(ally.facts, p, share))
        gained = float(pressure.widen_ramp(0.0, True, widening, ally.widening_factors[model.round - 1]))
        pressed.append(Pressed(ally.facts.iso3, float(exports), float(ally.facts.gdp_usd_bn), named, widening, gained))
    return tuple(pressed), ""


def settlement(model) -> str | None:
    """How the talks ended, in a line: early with side letters, at the summit, or no deal."""
    if model.running:
        return None
    r, last = model.round, model.params.max_rounds
    letters = ", ".join(ally.facts.iso3 for ally in model.flexibility)
    if not model.deal:
        return f"No deal at the summit (round {r} of {last})"
    if letters and r < last:
        return f"Settled in round {r} of {last}, before the summit: side letters for {letters}"
    if letters:
        return f"Carried at the summit (round {r} of {last}): side letters for {letters}"
    return f"Agreed by every ally in round {r} of {last}"


def this_round(model) -> ThisRound:
    pressed, note = pressed_holdouts(model)
    return ThisRound(round=model.round, max_rounds=model.params.max_rounds, tabled=tabled(model),
                     caucuses=caucus_stands(model), pressed=pressed, pressed_note=note,
                     settlement=settlement(model))


# --- the words the panel shows ---

def _pct(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}%"


def tabled_line(now: ThisRound, split_enabled: bool) -> str:
    if now.tabled is None:
        return "Nothing tabled yet: the first draft comes in round 1"
    draft = now.tabled.package
    related = f" + {_pct(draft.related_pct)} related" if split_enabled else ""
    return f"Tabled by {now.tabled.by_words}: {_pct(draft.core_pct)} core{related} by {draft.deadline_year}"


def caucus_line(stand: CaucusStand) -> str:
    who = f"{stand.label} ({len(stand.members)}: {', '.join(stand.members)})"
    if math.isnan(stand.level_pct):
        return f"{who}: argues a line from round 1"
    bloc = "; rejected the draft as a bloc" if stand.bloc else ""
    return f"{who}: argues {_pct(stand.level_pct)} by {stand.deadline:.0f}{bloc}"


def _cell(tag: str, text: str, align: str = "left"):
    return solara.v.Html(tag=tag, children=[text], style_=f"text-align: {align}; font-weight: "
                                                          f"{500 if tag == 'th' else 400}")


def basis_points(pp: float) -> str:
    """A widening of the ramp in basis points of GDP a year: the model's pp a year are
    thousandths of a point (0.0044 pp reads better as 0.44 bp)."""
    return f"{pp * 100:.2f}"


def usd_m_a_year(pp: float, gdp_usd_bn: float) -> str:
    """A widening of the ramp as money: pp of GDP a year times GDP, in USD millions a year."""
    return f"{pp / 100 * gdp_usd_bn * 1000:,.0f}"


PRESSED_HEAD = ("Pressed by name", "exports to the US (% of GDP)", "named pressure (bp of GDP a year)",
                "all pressure (bp of GDP a year)", "ramp gained (bp of GDP a year)", "ramp gained (USD m a year)")


def pressed_row(item: Pressed) -> tuple[str, ...]:
    """One pressed holdout's cells, in the order of PRESSED_HEAD."""
    return (item.iso3, f"{item.exports_to_us_pct_gdp:.2f}", basis_points(item.named_pp), basis_points(item.widening_pp),
            basis_points(item.gained_pp), usd_m_a_year(item.gained_pp, item.gdp_usd_bn))


def _pressed_table(pressed: tuple[Pressed, ...]):
    header = solara.v.Html(tag="thead", children=[solara.v.Html(tag="tr", children=[
        _cell("th", text, "left" if i == 0 else "right") for i, text in enumerate(PRESSED_HEAD)])])
    rows = [solara.v.Html(tag="tr", children=[_cell("td", text, "left" if i == 0 else "right")
                                              for i, text in enumerate(pressed_row(item))]) for item in pressed]
    solara.v.SimpleTable(dense=True, class_="alliance-pressed",
                         children=[header, solara.v.Html(tag="tbody", children=rows)])


@solara.component
def ThisRoundPanel(model):
    """The round's draft, the caucuses' lines and the named pressure; redrawn after every step."""
    update_counter.get()
    now = this_round(model)
    small = {"font-size": "13px"}
    with solara.Column(classes=["alliance-this-round"], gap="2px"):
        solara.Text(f"Round {now.round} of {now.max_rounds}", style={**small, "color": "#555"})
        if now.settlement:
            solara.v.Alert(type="success" if model.deal else "error", dense=True, text=True,
                           children=[now.settlement], class_="alliance-settlement")
        solara.Text(tabled_line(now, model.params.split_enabled), classes=["alliance-tabled"], style=small)
        for stand in now.caucuses:
            colour = STYLES[stand.caucus].colour
            solara.Text(caucus_line(stand), classes=["alliance-caucus-line"],
                        style={**small, "border-left": f"6px solid {colour}", "padding-left": "6px"})
        if now.pressed:
            _pressed_table(now.pressed)
            solara.Text(PRESSED_NOTE, style={"font-size": "12px", "color": "#666"})
        else:
            solara.Text(f"Pressed by name after the vote: {now.pressed_note}", classes=["alliance-pressed-none"],
                        style=small)
