"""The page's controls: which levers the browser offers, and the model they build.

The levers come from `sim/parameters.py` (ranges, choices), so a slider can never offer a
value the model would refuse. Choosing a scenario loads its own lever values into the
controls at once, so what the controls show is what Reset builds.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from enum import StrEnum

import solara

from sim.model import AllianceModel
from sim.parameters import Parameters, parameter_fields
from sim.scenario import DEFAULT_SCENARIO, builtin_scenarios, load_scenario

DEFAULT_SEED = 0  # the same default as `alliance-sim run`


class Widget(StrEnum):
    """The input types Mesa's SolaraViz `model_params` understands."""

    SLIDER_FLOAT = "SliderFloat"
    SLIDER_INT = "SliderInt"
    SELECT = "Select"
    CHECKBOX = "Checkbox"
    TEXT = "InputText"


@dataclass(frozen=True)
class Lever:
    """A model parameter offered as a control; range and choices come from `Parameters`."""

    name: str
    label: str
    widget: Widget
    step: float | None = None

    def shown(self, params: Parameters):
        """The lever's value in `params`, as its control holds it."""
        value = getattr(params, self.name)
        return str(value) if self.widget is Widget.SELECT else value

    def control(self, value: solara.Reactive) -> dict:
        """This lever as one entry of SolaraViz's `model_params`, bound to `value`."""
        meta = parameter_fields()[self.name].metadata
        spec = {"type": str(self.widget), "label": self.label, "value": value}
        if self.widget in (Widget.SLIDER_FLOAT, Widget.SLIDER_INT):
            spec.update(min=meta["low"], max=meta["high"], step=self.step)
        elif self.widget is Widget.SELECT:
            spec.update(values=[str(choice) for choice in meta["choices"]])
        return spec


LEVERS = (
    Lever("us_pressure", "US pressure", Widget.SLIDER_FLOAT, 0.05),
    Lever("threat_level", "Threat level", Widget.SLIDER_FLOAT, 0.05),
    Lever("mediator_rule", "Mediator rule", Widget.SELECT),
    Lever("allow_flexibility", "Allow flexibility (side letters)", Widget.CHECKBOX),
    Lever("split_enabled", "Allow core/related split", Widget.CHECKBOX),
    Lever("max_rounds", "Summit deadline (rounds)", Widget.SLIDER_INT, 1),
)


def parse_seed(value) -> int | None:
    """The seed box's text as an integer seed; empty means a fresh random seed."""
    if value is None or isinstance(value, int):
        return value
    text = str(value).strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"Seed must be a whole number (or empty for a random one), not {text!r}") from None


def current(value):
    """A control's value: SolaraViz hands the model either the value or, for a control the
    user has not touched since the page opened, the reactive variable it is bound to."""
    return value.value if isinstance(value, solara.Reactive) else value


class LiveAllianceModel(AllianceModel):
    """AllianceModel as the page's Reset builds it. It takes the model's own keywords (one per
    parameter); it only turns what the page's controls hand over into plain values: the
    reactive variable of a control the user has not touched since the page opened, and the
    seed box's text."""

    def __init__(self, scenario_name: str = DEFAULT_SCENARIO, *, rng=DEFAULT_SEED, **parameters):
        super().__init__(current(scenario_name), rng=parse_seed(current(rng)),
                         **{name: current(value) for name, value in parameters.items()})


LiveAllianceModel.__init__.__signature__ = inspect.signature(AllianceModel.__init__).replace(parameters=[
    parameter.replace(default=DEFAULT_SEED) if parameter.name == "rng" else parameter
    for parameter in inspect.signature(AllianceModel.__init__).parameters.values()])


def scenario_choices(current_name: str) -> list[str]:
    """The built-in scenarios, plus the current one when it is a file of the user's."""
    names = builtin_scenarios()
    return names if current_name in names else [*names, current_name]


@dataclass(frozen=True)
class Controls:
    """One browser session's control values, bound to SolaraViz's inputs.

    Why our own reactive variables: setting one updates both the input and SolaraViz's copy
    of the parameters, which is how choosing a scenario can load its lever values.
    """

    scenario: solara.Reactive
    levers: dict[str, solara.Reactive]
    seed: solara.Reactive

    def model_params(self) -> dict:
        """SolaraViz `model_params`: the scenario, the levers and the seed."""
        return {
            "scenario_name": {"type": str(Widget.SELECT), "label": "Scenario", "value": self.scenario,
                              "values": scenario_choices(self.scenario.value)},
            **{lever.name: lever.control(self.levers[lever.name]) for lever in LEVERS},
            "rng": {"type": str(Widget.TEXT), "label": "Seed (empty: random)", "value": self.seed},
        }

    def keep_seed_valid(self, fallback: int | None) -> None:
        """Put `fallback` back in the seed box when its text is no seed, so that Reset never
        meets a bad seed (an error there would replace the whole page with a traceback)."""
        try:
            parse_seed(self.seed.value)
        except ValueError:
            self.seed.value = "" if fallback is None else str(fallback)

    def show_scenario(self, name: str) -> None:
        """Load a scenario's own lever values into the controls."""
        params = load_scenario(name).params
        for lever in LEVERS:
            self.levers[lever.name].value = lever.shown(params)


def use_controls(model: LiveAllianceModel) -> Controls:
    """The session's controls, starting from `model` (a hook: call it in a component)."""
    scenario = solara.use_reactive(model.scenario_name)
    levers = {lever.name: solara.use_reactive(lever.shown(model.params)) for lever in LEVERS}
    seed = solara.use_reactive("" if model.seed is None else str(model.seed))
    return Controls(scenario, levers, seed)
