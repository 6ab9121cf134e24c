"""What the capability targets cost, how the model prices them, and what was said of each area.

The Secretary General's first draft asks what the capability targets cost (docs/ODD.md, 7.6a),
and every later draft keeps part of it, so the page shows that level and how it is built, from
the parameters in force (`requirement.capability_requirement`). The named areas are what the
targets' growth buys; their costs are classified, so the page lists what had been said of each in
public by the scenario's information date (`sim/data/capability_targets.csv`), not a price.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

import solara
from mesa.visualization.utils import update_counter

from sim.data.capabilities import CapabilityStatement, by_area, load_capability_targets, targets_as_of
from sim.model.parameters import NegotiationProtocol, Parameters
from sim.model.requirement import capability_cost, capability_requirement, force_requirement
from sim.viz.provenance import Provenance, provenance, scenario_parameters


class NamedArea(StrEnum):
    """The capability areas the Secretary General named; the values are the data's codes."""

    AIR_AND_MISSILE_DEFENCE = "air_and_missile_defence"
    LONG_RANGE_FIRES = "long_range_fires"
    LAND_FORCES = "land_forces"
    MUNITIONS = "munitions"
    ENABLERS = "enablers"


AREA_LABELS = {NamedArea.AIR_AND_MISSILE_DEFENCE: "Air and missile defence",
               NamedArea.LONG_RANGE_FIRES: "Long-range fires", NamedArea.LAND_FORCES: "Land forces and armour",
               NamedArea.MUNITIONS: "Munitions", NamedArea.ENABLERS: "Enablers"}


@dataclass(frozen=True)
class RequirementBuild:
    """The requirement and the pieces it is built from (`requirement.capability_cost`)."""

    base_pct: float  # what the targets cost when the guideline was set
    shortfall: float  # share of the force asked that today's spending does not deliver
    base_threat: float  # the threat the guideline's targets were set for
    growth: float  # growth of the force asked per unit of threat above that
    threat: float  # the threat in force: the targets are priced at it
    threat_provenance: Provenance  # the scenario's, or moved by the user's lever
    round_threat: float  # this round's threat (the scenario's shock moves it, not the price)
    requirement_pct: float  # `capability_requirement(params)`

    @property
    def price_pct(self) -> float:
        """The guideline's cost, scaled up for the force the allies fall short of: the targets'
        cost at the guideline's own threat."""
        return float(capability_cost(self.base_threat, self.base_pct, self.base_threat, self.growth, self.shortfall))

    @property
    def force(self) -> float:
        """The force asked, relative to the guideline's, at the threat in force."""
        return float(force_requirement(self.threat, self.base_threat, self.growth))


@dataclass(frozen=True)
class AreaStatements:
    """What had been said in public of one named area by the information date."""

    area: NamedArea
    statements: tuple[CapabilityStatement, ...]

    @property
    def label(self) -> str:
        return AREA_LABELS[self.area]


@dataclass(frozen=True)
class Targets:
    """The section's content."""

    requirement: RequirementBuild
    drafted_by_secretary_general: bool  # under the mediator protocol; otherwise no one drafts it
    information_date: dt.date | None  # None: the scenario has none, and every statement is listed
    areas: tuple[AreaStatements, ...]
    later: int  # statements on the named areas published after the information date, left out


def requirement_build(model, scenario: Parameters) -> RequirementBuild:
    p = model.params
    return RequirementBuild(base_pct=p.capability_base_pct, shortfall=p.capability_shortfall,
                            base_threat=p.capability_base_threat, growth=p.capability_growth, threat=p.threat_level,
                            threat_provenance=provenance(model, scenario, "threat_level"),
                            round_threat=float(model.threat_level),
                            requirement_pct=float(capability_requirement(p)))


def named_statements(statements: tuple[CapabilityStatement, ...]) -> tuple[AreaStatements, ...]:
    """The statements on each named area, newest first; areas with none are left out."""
    grouped = (AreaStatements(area, tuple(sorted(by_area(statements, area), key=lambda row: row.date, reverse=True)))
               for area in NamedArea)
    return tuple(group for group in grouped if group.statements)


def targets(model, scenario: Parameters | None = None) -> Targets:
    """The requirement and the named areas as the scenario could know them (`scenario`: the
    scenario's own parameters, `scenario_parameters`)."""
    scenario = scenario_parameters(model) if scenario is None else scenario
    information = model.scenario_spec.information
    every = load_capability_targets()
    known = every if information is None else targets_as_of(information.date)
    areas = named_statements(known)
    listed = sum(len(group.statements) for group in areas)
    return Targets(requirement=requirement_build(model, scenario),
                   drafted_by_secretary_general=model.params.protocol is NegotiationProtocol.MEDIATOR,
                   information_date=None if information is None else information.date, areas=areas,
                   later=sum(len(group.statements) for group in named_statements(every)) - listed)


# --- the words the section shows ---

def summary_line(now: Targets) -> str:
    """The section's title: the level, always in view."""
    return f"What the capability targets cost: {now.requirement.requirement_pct:.2f}% of GDP"


def build_line(build: RequirementBuild) -> str:
    """How the level is built, with the numbers in force."""
    shortfall = f"{build.shortfall:.0%}"
    return (f"{build.base_pct:.2f}% (what the targets cost when the 2% guideline was set) / (1 - {shortfall} "
            f"shortfall: the force asked that today's spending does not deliver) = {build.price_pct:.2f}%, x "
            f"{build.force:.2f} (the force asked grows by {build.growth:.2f} per unit of threat above the "
            f"guideline's {build.base_threat:.2f}; the threat in force is {build.threat:.2f}, "
            f"{build.threat_provenance}) = {build.requirement_pct:.2f}% of GDP.")


def role_line(now: Targets) -> str:
    """What the level does in the talks, under the protocol in force."""
    build = now.requirement
    shock = (f" This round's threat is {build.round_threat:.2f} (the scenario's shock): it moves the allies' "
             "readings, not the targets' price." if abs(build.round_threat - build.threat) > 1e-9 else "")
    role = ("The Secretary General's first draft asks this core level, and each later draft keeps part of it."
            if now.drafted_by_secretary_general else
            "Under this protocol no Secretary General drafts; the level still sets the deadline each ally "
            "reckons it needs.")
    return role + shock


def statement_line(row: CapabilityStatement) -> str:
    return f"\u201c{row.statement}\u201d \u2014 {row.speaker}; {row.source_publisher}, {row.source_date}"


def known_line(now: Targets) -> str:
    if now.information_date is None:
        return "The named areas (no information date: every statement in the data):"
    later = f"; {now.later} published later left out" if now.later else ""
    if not now.areas:
        return f"The named areas: nothing had been said of them in public by {now.information_date}{later}."
    return f"The named areas, as said in public by {now.information_date}{later} (their costs are classified):"


@solara.component
def TargetsSection(model):
    """The requirement in the title; how it is built and the named areas when opened."""
    update_counter.get()
    scenario = solara.use_memo(lambda: scenario_parameters(model), [model])
    now = targets(model, scenario)
    small, note = {"font-size": "13px"}, {"font-size": "12px", "color": "#555"}
    with solara.Column(classes=["alliance-targets"], gap="2px"):
        with solara.Details(summary=summary_line(now), expand=False), solara.Column(gap="4px"):
            solara.Text(build_line(now.requirement), classes=["alliance-targets-build"], style=small)
            solara.Text(role_line(now), style=note)
            solara.Text(known_line(now), style=small)
            for group in now.areas:
                with solara.Column(classes=["alliance-targets-area"], gap="0px"):
                    solara.Text(group.label, style={**small, "font-weight": "500"})
                    for row in group.statements:
                        solara.Text(statement_line(row), style={**note, "padding-left": "12px"})
