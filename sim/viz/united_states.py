"""The United States as an actor: what it asks, how hard it presses, and what it holds out for.

The US is not one ally among others (docs/ODD.md, 7.4b): it opens at its demand, presses the
holdouts, and before the first round settles the headline it holds out for. How hard it presses,
what it asks and by when are read from its administration's dated statements, unless the
scenario or a lever sets them as a counterfactual; the panel says which, and quotes the statement.
Every number is the model's own (the US row's `Circumstances`, `Stance`, the parameters in force).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

import solara
from mesa.visualization.utils import update_counter

from sim.data.us_posture import PostureEvent
from sim.model.parameters import NO_DEADLINE_NAMED, Parameters
from sim.model.us_actor import PostureReading
from sim.viz.provenance import Provenance, provenance, recorded_value, same_value, scenario_parameters

QUOTE_CHARS = 90  # a quote longer than this is cut at a word and marked "…"


class PostureLever(StrEnum):
    """The parameters the US's posture sets; the values are the parameters' names."""

    PRESSURE = "us_pressure"
    DEMAND = "us_demand_pct"
    DEADLINE = "us_deadline_years"


LEVER_LABELS = {PostureLever.PRESSURE: "Pressure (0 to 1)", PostureLever.DEMAND: "Demand (% of GDP)",
                PostureLever.DEADLINE: "Asked by (year)"}
# What the record held when no statement set a value (`read_posture`'s rules).
NO_STATEMENT = {PostureLever.PRESSURE: "no administration in office had threatened anything in the year before",
                PostureLever.DEMAND: "no administration in office had named a level",
                PostureLever.DEADLINE: "no administration in office had named a year"}


class UsVote(StrEnum):
    """How the US voted on the draft, and why it rejected; the values are the page's words."""

    NO_DRAFT = "no draft yet"
    ACCEPTED = "accepted the draft"
    BELOW_FLOOR = "rejected it: the headline is below what the US holds out for"
    BEYOND_WIN_SET = ("rejected it: what the draft asks of the US's own budget (its new money) is more than "
                      "Congress can ratify by the draft's deadline")


@dataclass(frozen=True)
class PostureValue:
    """One posture parameter in force, where it comes from, and the statement it was read from."""

    lever: PostureLever
    value: float
    provenance: Provenance
    recorded: float | None  # what the record read on the information date; None without one
    statement: PostureEvent | None  # the dated statement behind the record's reading


@dataclass(frozen=True)
class UnitedStates:
    """The US in the talks as the model stands now."""

    round: int
    summit_year: int
    information_date: dt.date | None
    position_pct: float  # the core level it argues for (its stance's position)
    deadline_position: float
    headline_floor_pct: float  # the headline it holds out for (`reservation_total`)
    core_floor_pct: float  # the lowest core compatible with that headline (`floor`)
    credible_pct: float  # pressure x demand: the part of its demand its pressure makes credible
    vote: UsVote
    draft_headline_pct: float | None
    posture: tuple[PostureValue, ...]
    accepted_in: tuple[int, ...]  # the rounds whose draft it accepted
    rejected_in: tuple[int, ...]

    @property
    def capped(self) -> bool:
        """Whether the floor is below pressure x demand: capped at what it expects the allies to ratify."""
        return self.headline_floor_pct < self.credible_pct - 1e-9


def us_ally(model):
    """The US's agent."""
    return next(ally for ally in model.allies if ally.facts.is_us)


def us_floor_pct(model) -> float:
    """The headline the US holds out for, set before the first round (`us_actor.settle`)."""
    return float(us_ally(model).circumstances.reservation_total)


def us_vote(model) -> UsVote:
    """The US's vote on the draft on the table. It accepts when the headline meets its floor
    and the draft's new money fits its own win-set (`win_set.accepts`), so a rejection with the
    floor met is its own budget's."""
    if model.draft is None:
        return UsVote.NO_DRAFT
    us = us_ally(model)
    if us.accepted:
        return UsVote.ACCEPTED
    headline = model.draft.core_pct + model.draft.related_pct
    return UsVote.BELOW_FLOOR if headline < us.circumstances.reservation_total - 1e-9 else UsVote.BEYOND_WIN_SET


def us_votes(model) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The rounds whose draft the US accepted, and those it rejected (the agent reporters)."""
    table = model.allies_table()
    rows = table[table["iso3"].eq(us_ally(model).facts.iso3) & table["round"].ge(1)]
    return (tuple(int(r) for r in rows.loc[rows["accepted"], "round"]),
            tuple(int(r) for r in rows.loc[~rows["accepted"], "round"]))


def recorded_statement(reading: PostureReading | None, lever: PostureLever) -> PostureEvent | None:
    """The statement behind the record's reading of `lever`; None without a reading."""
    if reading is None:
        return None
    if lever is PostureLever.PRESSURE:
        return reading.pressed_by
    if lever is PostureLever.DEMAND:
        return reading.asked_by
    return reading.deadline_by


def posture_values(model, scenario: Parameters) -> tuple[PostureValue, ...]:
    """Pressure, demand and deadline in force, each with where it comes from."""
    information = model.scenario_spec.information
    reading = information.posture if information is not None else None
    return tuple(PostureValue(lever, float(getattr(model.params, lever)), provenance(model, scenario, lever),
                              recorded_value(model, lever), recorded_statement(reading, lever))
                 for lever in PostureLever)


def united_states(model, scenario: Parameters | None = None) -> UnitedStates:
    """The panel's content (`scenario`: the scenario's own parameters, `scenario_parameters`)."""
    scenario = scenario_parameters(model) if scenario is None else scenario
    p, us = model.params, us_ally(model)
    information = model.scenario_spec.information
    draft = model.draft
    accepted_in, rejected_in = us_votes(model)
    return UnitedStates(
        round=model.round, summit_year=p.summit_year,
        information_date=information.date if information is not None else None,
        position_pct=us.position_pct, deadline_position=us.deadline_position,
        headline_floor_pct=us_floor_pct(model), core_floor_pct=float(us.circumstances.floor),
        credible_pct=float(p.us_pressure * p.us_demand_pct),
        vote=us_vote(model), draft_headline_pct=None if draft is None else float(draft.core_pct + draft.related_pct),
        posture=posture_values(model, scenario), accepted_in=accepted_in, rejected_in=rejected_in)


# --- the words the panel shows ---

def deadline_words(years: float, summit_year: int) -> str:
    """`us_deadline_years` as the year it asks for, or that it named none."""
    return "none named" if years >= NO_DEADLINE_NAMED else f"{summit_year + round(years)}"


def value_words(lever: PostureLever, value: float, summit_year: int) -> str:
    if lever is PostureLever.PRESSURE:
        return f"{value:.2f}"
    if lever is PostureLever.DEMAND:
        return f"{value:.2f}%"
    return deadline_words(value, summit_year)


def short_quote(quote: str, limit: int = QUOTE_CHARS) -> str:
    """The quote, cut at a word before `limit` characters when longer."""
    if len(quote) <= limit:
        return quote
    return quote[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def statement_words(item: PostureValue, summit_year: int) -> str:
    """Who said it, when, where, in their words; or why no statement set the value."""
    event = item.statement
    if event is None:
        return NO_STATEMENT[item.lever]
    said = (f"{event.speaker}, {event.date}, {event.event}: \u201c{short_quote(event.quote)}\u201d "
            f"({event.source_publisher})")
    if item.lever is PostureLever.DEADLINE and event.demand_deadline <= summit_year:
        return f"the last year named, {event.demand_deadline}, is not after the summit, so none is in force: {said}"
    return said


def where_words(item: PostureValue, us: UnitedStates) -> str:
    """Where a posture value comes from; for a counterfactual, what the record read."""
    if item.provenance is Provenance.RECORD:
        return f"{item.provenance} of {us.information_date}"
    if item.recorded is None or same_value(item.value, item.recorded):
        return str(item.provenance)
    return f"{item.provenance} (the record of {us.information_date} reads " \
           f"{value_words(item.lever, item.recorded, us.summit_year)})"


def posture_row(item: PostureValue, us: UnitedStates) -> tuple[str, str, str, str]:
    """One posture parameter's cells: what, the value in force, where from, the statement (the
    record's only: a counterfactual has none)."""
    said = statement_words(item, us.summit_year) if item.provenance is Provenance.RECORD else "-"
    return LEVER_LABELS[item.lever], value_words(item.lever, item.value, us.summit_year), where_words(item, us), said


def stand_line(us: UnitedStates) -> str:
    """What the US argues and what it holds out for."""
    argues = f"The US argues {us.position_pct:.2f}% core by {us.deadline_position:.0f}"
    if us.credible_pct <= 0.0:
        return f"{argues}, and holds out for no headline: its pressure makes none of its demand credible."
    settled = (f"capped below pressure x demand ({us.credible_pct:.2f}%) at what it expects the decisive allies "
               "to ratify" if us.capped else "pressure x demand")
    return (f"{argues}, and holds out for a headline (core + related) of {us.headline_floor_pct:.2f}%, core at "
            f"least {us.core_floor_pct:.2f}%: set before round 1, {settled}.")


def _rounds(rounds: tuple[int, ...]) -> str:
    return ", ".join(str(r) for r in rounds) if rounds else "none"


def vote_line(us: UnitedStates) -> str:
    """Its vote on this round's draft, and on every draft so far."""
    if us.draft_headline_pct is None:
        return f"On the draft: {us.vote}"
    return (f"On round {us.round}'s draft (headline {us.draft_headline_pct:.2f}%), the US {us.vote}. "
            f"Accepted in rounds: {_rounds(us.accepted_in)}; rejected in: {_rounds(us.rejected_in)}.")


POSTURE_HEAD = ("US posture", "in force", "where it comes from", "the statement")


def _cell(tag: str, text: str):
    return solara.v.Html(tag=tag, children=[text],
                         style_=f"text-align: left; font-weight: {500 if tag == 'th' else 400}")


@solara.component
def UnitedStatesPanel(model):
    """The US's stand, its vote and its posture; redrawn after every step."""
    update_counter.get()
    scenario = solara.use_memo(lambda: scenario_parameters(model), [model])
    us = united_states(model, scenario)
    small = {"font-size": "13px"}
    with solara.Column(classes=["alliance-us"], gap="2px"):
        solara.Text(stand_line(us), classes=["alliance-us-stand"], style=small)
        solara.Text(vote_line(us), classes=["alliance-us-vote"], style=small)
        header = solara.v.Html(tag="thead", children=[solara.v.Html(tag="tr", children=[
            _cell("th", text) for text in POSTURE_HEAD])])
        rows = [solara.v.Html(tag="tr", children=[_cell("td", text) for text in posture_row(item, us)])
                for item in us.posture]
        solara.v.SimpleTable(dense=True, class_="alliance-us-posture",
                             children=[header, solara.v.Html(tag="tbody", children=rows)])
