"""Where a parameter's value in force comes from: the dated record, the scenario, or a lever.

A number on the page means something else when it is what the record said than when it is a
counterfactual, so the panels say which it is. A scenario with an information date reads the
US's posture from the statements published by then (`sim.model.scenario.Information`); its
`[parameters]` may set a value instead, and the user may move a lever before Reset.
"""

from __future__ import annotations

import math
from enum import StrEnum

from sim.model.parameters import Parameters
from sim.model.scenario import ScenarioError, load_scenario


class Provenance(StrEnum):
    """Where a value in force comes from; the values are the page's words."""

    RECORD = "read from the record"
    SCENARIO = "set by the scenario: a counterfactual"
    LEVER = "moved by you: your counterfactual"
    SCENARIO_ONLY = "the scenario's value"  # a value no record sets, or a scenario with no information date


def scenario_parameters(model) -> Parameters:
    """The parameters of the scenario the model was built from, before any lever moved them;
    the model's own when its scenario cannot be loaded by name (one built from a `Scenario`)."""
    try:
        return load_scenario(model.scenario_name).params
    except ScenarioError:
        return model.params


def same_value(a: float, b: float) -> bool:
    """Equal up to rounding: a slider hands back the float it was given."""
    return math.isclose(float(a), float(b), rel_tol=0.0, abs_tol=1e-9)


def moved_by_lever(model, scenario: Parameters, name: str) -> bool:
    """Whether the user set `name` to another value than the scenario's."""
    return not same_value(getattr(model.params, name), getattr(scenario, name))


def recorded_value(model, name: str) -> float | None:
    """What the record read for `name` on the scenario's information date; None without one,
    or for a parameter the record does not set."""
    information = model.scenario_spec.information
    if information is None:
        return None
    return information.parameters(model.params.summit_year).get(name)


def provenance(model, scenario: Parameters, name: str) -> Provenance:
    """Where the value of `name` in force comes from (`scenario`: `scenario_parameters(model)`)."""
    if moved_by_lever(model, scenario, name):
        return Provenance.LEVER
    record = recorded_value(model, name)
    if record is None:
        return Provenance.SCENARIO_ONLY
    return Provenance.RECORD if same_value(getattr(scenario, name), record) else Provenance.SCENARIO
