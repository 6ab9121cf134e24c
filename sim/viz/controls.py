"""The page's controls: which levers the browser offers, and the model they build.

The levers come from `sim/model/parameters.py` (ranges, choices), so a slider can never offer a
value the model would refuse. Choosing a scenario loads its own lever values into the
controls at once, so what the controls show is what Reset builds: Mesa's model controller
(Reset, Play, Step) gets their current values as plain keyword arguments of `AllianceModel`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import solara

from sim.engines.model import AllianceModel
from sim.model.parameters import Parameters, parameter_fields
from sim.model.scenario import builtin_scenarios, load_scenario

DEFAULT_SEED = 0  # the same default as `alliance-sim run`


class Widget(StrEnum):
    """The kind of input a lever gets."""

    SLIDER_FLOAT = "SliderFloat"
    SLIDER_INT = "SliderInt"
    SELECT = "Select"
    CHECKBOX = "Checkbox"


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

    def render(self, value: solara.Reactive) -> None:
        """This lever's input, bound to `value`; a slider shows the value it is set to."""
        meta = parameter_fields()[self.name].metadata
        if self.widget in (Widget.SLIDER_FLOAT, Widget.SLIDER_INT):
            slider = solara.SliderFloat if self.widget is Widget.SLIDER_FLOAT else solara.SliderInt
            with solara.Div(style={"margin-top": "28px"}):  # room for the value above the thumb
                slider(self.label, value=value, min=meta["low"], max=meta["high"], step=self.step,
                       thumb_label="always")
        elif self.widget is Widget.SELECT:
            solara.Select(self.label, value=value, values=[str(choice) for choice in meta["choices"]])
        else:
            solara.Checkbox(label=self.label, value=value)


LEVERS = (
    Lever("us_pressure", "US pressure", Widget.SLIDER_FLOAT, 0.05),
    Lever("threat_level", "Threat level", Widget.SLIDER_FLOAT, 0.05),
    Lever("protocol", "Protocol", Widget.SELECT),
    Lever("mediator_rule", "Mediator rule", Widget.SELECT),
    Lever("allow_flexibility", "Allow flexibility (side letters)", Widget.CHECKBOX),
    Lever("split_enabled", "Allow core/related split", Widget.CHECKBOX),
    Lever("caucus_bloc_votes", "Caucuses vote as blocs", Widget.CHECKBOX),
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


def scenario_choices(current_name: str) -> list[str]:
    """The built-in scenarios, plus the current one when it is a file of the user's."""
    names = builtin_scenarios()
    return names if current_name in names else [*names, current_name]


@dataclass(frozen=True)
class Controls:
    """One browser session's control values: the scenario, the levers and the seed box's text."""

    scenario: solara.Reactive
    levers: dict[str, solara.Reactive]
    seed: solara.Reactive

    def model_arguments(self, fallback_seed: int | None) -> dict:
        """The keyword arguments of `AllianceModel` the controls stand for; a seed box that
        holds no seed stands for `fallback_seed` (the current model's)."""
        try:
            seed = parse_seed(self.seed.value)
        except ValueError:
            seed = fallback_seed
        return {"scenario_name": self.scenario.value,
                **{lever.name: self.levers[lever.name].value for lever in LEVERS}, "rng": seed}

    def keep_seed_valid(self, fallback: int | None) -> None:
        """Put `fallback` back in the seed box when its text is no seed."""
        try:
            parse_seed(self.seed.value)
        except ValueError:
            self.seed.value = "" if fallback is None else str(fallback)

    def show_scenario(self, name: str) -> None:
        """Load a scenario's own lever values into the controls."""
        params = load_scenario(name).params
        for lever in LEVERS:
            self.levers[lever.name].value = lever.shown(params)


def use_controls(model: AllianceModel) -> Controls:
    """The session's controls, starting from `model` (a hook: call it in a component)."""
    scenario = solara.use_reactive(model.scenario_name)
    levers = {lever.name: solara.use_reactive(lever.shown(model.params)) for lever in LEVERS}
    seed = solara.use_reactive("" if model.seed is None else str(model.seed))
    return Controls(scenario, levers, seed)


@solara.component
def ControlPanel(controls: Controls):
    """The scenario, the levers and the seed, as Reset will build them."""
    with solara.Card("Scenario and levers"):
        solara.Select("Scenario", value=controls.scenario, values=scenario_choices(controls.scenario.value))
        for lever in LEVERS:
            lever.render(controls.levers[lever.name])
        solara.InputText("Seed (empty: random)", value=controls.seed)
