"""The posture arms: the Hague 2025 talks run under the US posture of other dates and
administrations, everything else (threat, data, capability requirement) as the scenario has it.

Each arm reads `us_pressure`, `us_demand_pct` and `us_deadline_years` from the US's dated
statements (`sim/data/us_posture.csv`) with `read_posture` on its day, and turns them into
parameters as a scenario with that information date does (`sim.model.scenario.Information`),
so an arm and a case never disagree on what a statement sets. The values are never typed: a
statement corrected or added in the file moves the arms with it. One arm is a pure
counterfactual: the scenario's own demand and deadline with no pressure at all.

The arms run as one list sweep built in code on the US pressure experiment's spec
(`configs/sweeps/us_pressure.toml`: its scenario, seeds and replicates), so with common random
numbers each arm sees the same draws as every pressure level of that sweep.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from experiments.common import Experiment
from sim.data.us_posture import PostureEvent
from sim.model.scenario import Information, Scenario, display_path
from sim.model.us_actor import PostureReading, read_posture
from sim.sweeps.spec import SweepSpec, parse_spec, resolve_spec

ARMS_NAME = "posture_arms"  # the sweep's name and the stem of its figure and table


@dataclass(frozen=True)
class PostureArm:
    """One arm: its name, the day its posture is read and why that day, and a counterfactual
    pressure for an arm that keeps a day's demand but not its threat."""

    name: str
    read_on: dt.date | None  # the day the posture is read; None: the base scenario's information date
    occasion: str  # what that day was, for the summary
    pressure: float | None = None  # a counterfactual pressure in place of the one read; None: as read


POSTURE_ARMS = (
    PostureArm("no US pressure", None, "the scenario's own demand and deadline with no pressure: a pure "
                                       "counterfactual", pressure=0.0),
    PostureArm("Obama 2014", dt.date(2014, 9, 4), "the eve of the Wales summit"),
    PostureArm("Trump 2017-2020", dt.date(2018, 7, 12), "the Brussels summit, after its emergency session"),
    PostureArm("Biden 2021-2024", dt.date(2024, 7, 9), "the Washington summit"),
    PostureArm("Trump 2025", None, "the scenario's own reading, the eve of the Hague summit"),
)


@dataclass(frozen=True)
class PostureParameters:
    """The three parameters a US posture sets, as an arm's design point."""

    us_pressure: float  # 0..1
    us_demand_pct: float  # % of GDP
    us_deadline_years: float  # years after the summit; NO_DEADLINE_NAMED when none was named after it

    def overrides(self) -> dict[str, float]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ArmReading:
    """An arm as read: the posture, with the statements it comes from, and the parameters it sets."""

    arm: PostureArm
    posture: PostureReading
    parameters: PostureParameters


@dataclass(frozen=True)
class PostureArms:
    """The arms as read, in order (design point i is arm i), and the sweep that runs them."""

    readings: tuple[ArmReading, ...]
    spec: SweepSpec

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(reading.arm.name for reading in self.readings)


def read_arm(arm: PostureArm, scenario: Scenario, events: tuple[PostureEvent, ...] | None = None) -> ArmReading:
    """`arm`'s posture read on its day from the US's statements (`events`: the file's, unless
    given) and the parameters it sets for `scenario`'s summit: a deadline year not after the
    summit's year names none for these talks (`NO_DEADLINE_NAMED`), as for a case."""
    if arm.read_on is None and scenario.information is None:
        raise ValueError(f"arm {arm.name!r} reads the scenario's information date, and {scenario.name} has none")
    day = arm.read_on if arm.read_on is not None else scenario.information.date
    posture = read_posture(day, events)
    read = Information(date=day, posture=posture, horizon=None).parameters(scenario.params.summit_year)
    if "us_demand_pct" not in read:
        raise ValueError(f"arm {arm.name!r}: no statement published by {day} named a level of GDP to ask for")
    parameters = PostureParameters(**{field.name: read[field.name] for field in dataclasses.fields(PostureParameters)})
    if arm.pressure is not None:
        parameters = dataclasses.replace(parameters, us_pressure=float(arm.pressure))
    return ArmReading(arm, posture, parameters)


def posture_arms(base: Experiment, quick: bool, arms: tuple[PostureArm, ...] = POSTURE_ARMS,
                 events: tuple[PostureEvent, ...] | None = None) -> PostureArms:
    """The arms read against `base`'s scenario and the list sweep that runs them: `base`'s spec
    (its scenario, seeds, replicates and batches; the quick version with `quick`) with the arms'
    parameters as its points in place of its own design."""
    scenario = base.spec(quick).scenario
    readings = tuple(read_arm(arm, scenario, events) for arm in arms)
    tables = {key: value for key, value in base.tables(quick).items() if key not in ("parameters", "points")}
    tables.update(name=ARMS_NAME, sampler={"method": "list"},
                  description=f"{scenario.name} under the US posture of other dates: "
                              + "; ".join(arm.name for arm in arms) + ".",
                  points=[reading.parameters.overrides() for reading in readings])
    path = resolve_spec(base.name)
    source = f"{display_path(path)}, {ARMS_NAME}" + (" (quick)" if quick else "")
    return PostureArms(readings, parse_spec(tables, source, base_dir=path.parent, default_name=ARMS_NAME))
