"""A scenario file (TOML) turned into validated parameters and ally facts.

A scenario sets any model parameter under `[parameters]` and any ally's facts under
`[allies.ISO3]`. Anything wrong is reported in one line naming the file, the field and
what is allowed, because a user editing a scenario needs to know exactly what to fix.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import numpy as np

from sim.data.loader import (
    OVERRIDABLE_FACTS,
    AllyFacts,
    DataError,
    default_allies_path,
    load_allies,
)
from sim.data.fiscal_inputs import CaseFiscalInputs, case_fiscal_inputs
from sim.data.fiscal_vintages import VINTAGES_FILE
from sim.data.spending_record import RECORD_FILE, with_record_years
from sim.data.us_ties import TIES_FILE
from sim.data.threat_horizon import HorizonStatement, horizon_as_of, latest_horizon
from sim.model.parameters import (NO_DEADLINE_NAMED, ParameterError, Parameters, allowed, coerce, did_you_mean,
                                  parameter_fields)
from sim.model.pledges import Ledger, parse_pledges
from sim.model.perception import HORIZON_SCOPE, threat_horizon
from sim.model.us_actor import PostureReading, read_posture

DEFAULT_SCENARIO = "hague2025"
MAX_SCENARIO_BYTES = 1_000_000  # a scenario is a few hundred bytes; anything near this is a mistake
TOP_LEVEL_KEYS = frozenset({"name", "description", "information_date", "parameters", "allies", "pledges",
                            "escape_clause"})
ESCAPE_CLAUSE_KEYS = frozenset({"allies", "source"})
FACT_RANGES = {  # what a scenario may set an ally's fact to
    "gdp_usd_bn": (0.1, 100_000.0),
    "spending_2014_pct": (0.0, 15.0),
    "spending_2024_pct": (0.0, 15.0),
    "debt_pct_gdp": (0.0, 400.0),
    "deficit_pct_gdp": (-30.0, 30.0),
    "distance_to_moscow_km": (0.0, 20_000.0),
    "accession_year": (1949, 2100),
}
WHOLE_FACTS = frozenset({"accession_year"})  # years: an integer, never truncated


class ScenarioError(ValueError):
    """A scenario that cannot be run; the message names the file and the field."""


@dataclass(frozen=True)
class Information:
    """What a case could know on its information date (`information_date`, the eve of its
    summit): the US posture read from the administration's statements and the threat horizon
    from the published assessments, each only from what had been published by then. They set
    `us_pressure`, `us_demand_pct`, `us_deadline_years` and `threat_horizon_years` unless
    `[parameters]` sets them (a counterfactual)."""

    date: dt.date
    posture: PostureReading
    horizon: HorizonStatement | None  # the assessment the horizon was read from; None if none was published

    def parameters(self, summit_year: int) -> dict[str, float]:
        """The parameters this information sets for a summit in `summit_year`."""
        read = {"us_pressure": self.posture.pressure}
        if self.posture.demand_pct is not None:
            read["us_demand_pct"] = self.posture.demand_pct
        deadline = self.posture.deadline_year
        read["us_deadline_years"] = float(deadline - summit_year) if deadline is not None and deadline > summit_year \
            else NO_DEADLINE_NAMED
        years, _ = threat_horizon(self.date, summit_year, () if self.horizon is None else (self.horizon,))
        read["threat_horizon_years"] = float(np.clip(years, 1.0, NO_DEADLINE_NAMED)) if years is not None \
            else NO_DEADLINE_NAMED
        return read


@dataclass(frozen=True)
class EscapeClause:
    """The allies that had asked for the EU's national escape clause for defence by the summit
    (a scenario's `[escape_clause]`), with the source that says so. A fiscal-rule change dated
    before the summit: each listed ally's deficit counts less by `escape_room_pct` (ODD 7.2)."""

    allies: tuple[str, ...] = ()
    source: str = ""

    def applied_to(self, facts: AllyFacts) -> AllyFacts:
        """The facts with each listed ally marked as having asked (`AllyFacts.escape_clause`)."""
        return dataclasses.replace(facts, escape_clause=np.isin(np.array(facts.iso3), self.allies))


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    params: Parameters
    ally_overrides: dict[str, dict] = field(default_factory=dict)
    source: str = "<built in>"
    ledger: Ledger = field(default_factory=Ledger)  # the standing pledges, `[[pledges]]`
    escape_clause: EscapeClause = field(default_factory=EscapeClause)  # `[escape_clause]`
    information: Information | None = None  # what was known on `information_date`, and what it set

    def allies(self) -> AllyFacts:
        """The allies' facts, with GDP, debt and deficit as published by the information date
        (`fiscal_inputs`) and the spending of the years between 2014 and 2024 from the record
        series (`with_record_years`), then the scenario's `[allies.XXX]` overrides and
        `[escape_clause]`."""
        facts = with_record_years(load_allies())
        inputs = self.fiscal_inputs(facts)
        if inputs is not None:
            facts = inputs.applied_to(facts)
        return self.escape_clause.applied_to(facts.with_overrides(self.ally_overrides))

    def fiscal_inputs(self, facts: AllyFacts | None = None) -> CaseFiscalInputs | None:
        """Each ally's GDP, debt and deficit for the last full year before the information date,
        as published by that date where `fiscal_vintages.csv` has it, each with its publication
        date; None for a scenario without an information date (it keeps `allies.csv`). The year
        follows the date, not `summit_year`, so that a counterfactual parameter never changes
        the data."""
        if self.information is None:
            return None
        return case_fiscal_inputs(facts if facts is not None else load_allies(), self.information.date,
                                  self.information.date.year - 1)

    def with_parameters(self, **changes) -> Scenario:
        """The same scenario with some parameters changed, each checked like a file's."""
        values = {name: coerce(name, value) for name, value in changes.items()}
        try:
            params = self.params.replace(**values)
        except ParameterError as error:
            raise ScenarioError(f"{self.source}: {error}") from None
        return dataclasses.replace(self, params=params)


def configs_dir() -> Path:
    """The scenarios shipped with the project (`configs/` beside the package)."""
    return Path(__file__).resolve().parents[2] / "configs"


def builtin_scenarios() -> list[str]:
    return sorted(p.stem for p in configs_dir().glob("*.toml"))


def resolve(name_or_path: str | Path) -> Path:
    """A path as given, or the name of a built-in scenario."""
    path = Path(name_or_path)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ScenarioError(f"{path}: scenario file not found")
        return path
    candidate = configs_dir() / f"{name_or_path}.toml"
    if candidate.is_file():
        return candidate
    raise ScenarioError(f"{name_or_path}: no such scenario file or built-in scenario; "
                        f"built-in: {', '.join(builtin_scenarios())}")


def load_scenario(name_or_path: str | Path = DEFAULT_SCENARIO) -> Scenario:
    path = resolve(name_or_path)
    shown = display_path(path)
    raw = _read_toml(path, shown)
    if not raw:
        raise ScenarioError(f"{shown}: the file sets nothing (it is empty or only comments); set at least "
                            f"one of {', '.join(sorted(TOP_LEVEL_KEYS))}, or run the built-in {DEFAULT_SCENARIO}")
    return parse_scenario(raw, shown, default_name=path.stem)


def _read_toml(path: Path, shown: str) -> dict:
    """The file's TOML, refusing a file too large to be a scenario before reading it whole."""
    limit = f"allowed: at most {MAX_SCENARIO_BYTES // 1_000_000} MB"
    try:
        if path.stat().st_size > MAX_SCENARIO_BYTES:
            raise ScenarioError(f"{shown}: {path.stat().st_size / 1e6:.1f} MB is too large for a scenario; {limit}")
        with path.open("rb") as handle:
            data = handle.read(MAX_SCENARIO_BYTES + 1)  # the file may have grown since stat
        if len(data) > MAX_SCENARIO_BYTES:
            raise ScenarioError(f"{shown}: too large for a scenario; {limit}")
        return tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError(f"{shown}: not valid TOML ({error})") from None
    except RecursionError:
        raise ScenarioError(f"{shown}: not valid TOML (nested too deeply)") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(f"{shown}: cannot be read ({error})") from None
    except ValueError as error:  # an integer past Python's limit on digits (4300)
        if isinstance(error, ScenarioError):
            raise
        raise ScenarioError(f"{shown}: a number is too long ({error.args[0].split(';')[0]})") from None


def parse_scenario(raw: dict, source: str, default_name: str = "scenario") -> Scenario:
    unknown = sorted(set(raw) - TOP_LEVEL_KEYS)
    if unknown:
        raise ScenarioError(f"{source}: unknown field {unknown[0]!r}; allowed top-level fields: "
                            f"{', '.join(sorted(TOP_LEVEL_KEYS))}")
    name = raw.get("name", default_name)
    description = raw.get("description", "")
    for key, value in (("name", name), ("description", description)):
        if not isinstance(value, str):
            raise ScenarioError(f"{source}: field {key!r} must be a string")

    section = raw.get("parameters", {})
    if not isinstance(section, dict):
        raise ScenarioError(f"{source}: [parameters] must be a table of name = value")
    known = parameter_fields()
    values = {}
    for key, value in section.items():
        if key not in known:
            raise ScenarioError(f"{source}: unknown field parameters.{key}; {did_you_mean(key)}known parameters: "
                                f"{', '.join(sorted(known))}")
        try:
            values[key] = coerce(key, value)
        except ParameterError:
            raise ScenarioError(f"{source}: field parameters.{key} = {value!r} is not allowed; "
                                f"allowed: {allowed(key, value)}") from None
    information = _information(raw.get("information_date"), values.get("summit_year", Parameters.summit_year),
                               source)
    if information is not None:  # what [parameters] sets is a counterfactual and wins
        for parameter, value in information.parameters(values.get("summit_year", Parameters.summit_year)).items():
            values.setdefault(parameter, value)
    try:
        params = Parameters(**values)
    except ParameterError as error:
        raise ScenarioError(f"{source}: field parameters.{error}") from None

    try:
        facts = load_allies()  # read once: both tables below check ally codes against it
    except DataError as error:
        raise ScenarioError(str(error)) from None
    overrides = _ally_overrides(raw.get("allies", {}), facts.iso3, source)
    try:
        ledger = parse_pledges(raw.get("pledges", []))
    except ValueError as error:
        raise ScenarioError(f"{source}: field {error}") from None
    escape_clause = _escape_clause(raw.get("escape_clause"), facts.with_overrides(overrides), source)
    return Scenario(name=name, description=description, params=params, ally_overrides=overrides, source=source,
                    ledger=ledger, escape_clause=escape_clause, information=information)


def _information(day, summit_year, source: str) -> Information | None:
    """`information_date`, the case's information date (a TOML date, no later than its summit's
    year), and what was known by then."""
    if day is None:
        return None
    where = f"{source}: field information_date"
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise ScenarioError(f"{where} = {day!r} is not allowed; allowed: a date, e.g. information_date = 2025-06-23")
    if isinstance(summit_year, int) and day.year > summit_year:
        raise ScenarioError(f"{where} = {day} is after the summit's year ({summit_year}); a case sees only what "
                            "was published before its summit")
    try:
        return Information(date=day, posture=read_posture(day),
                           horizon=latest_horizon(horizon_as_of(day), HORIZON_SCOPE))
    except DataError as error:
        raise ScenarioError(str(error)) from None


def _escape_clause(section, facts: AllyFacts, source: str) -> EscapeClause:
    """`[escape_clause]`: `allies`, the ISO3 codes of EU allies (in `facts`, the scenario's own
    overrides applied), each once, and its `source`."""
    if section is None:
        return EscapeClause()
    where = f"{source}: field escape_clause"
    if not isinstance(section, dict):
        raise ScenarioError(f"{where} must be a table with allies = [ISO3 codes] and source = \"...\"")
    unknown = set(section) - ESCAPE_CLAUSE_KEYS
    if unknown:
        raise ScenarioError(f"{where}.{sorted(unknown)[0]} is unknown; allowed: {', '.join(sorted(ESCAPE_CLAUSE_KEYS))}")
    codes, cited = section.get("allies"), section.get("source")
    if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
        raise ScenarioError(f"{where}.allies must be a list of ISO3 codes, e.g. [\"DEU\", \"POL\"]")
    if not isinstance(cited, str) or not cited.strip():
        raise ScenarioError(f"{where}.source must say where the list comes from (a non-empty text)")
    for code in codes:
        if code not in facts.iso3:
            raise ScenarioError(f"{where}.allies: unknown ally {code}; allowed, the allies in allies.csv: "
                                f"{', '.join(sorted(facts.iso3))}")
        if not facts.eu_member[facts.index(code)]:
            raise ScenarioError(f"{where}.allies: {code} is not an EU member; the escape clause is the EU's")
        if codes.count(code) > 1:
            raise ScenarioError(f"{where}.allies: {code} is listed twice")
    return EscapeClause(allies=tuple(codes), source=cited.strip())


def _ally_overrides(section, codes: tuple[str, ...], source: str) -> dict[str, dict]:
    if not isinstance(section, dict):
        raise ScenarioError(f"{source}: [allies] must hold one table per ally, e.g. [allies.ESP]")
    overrides = {}
    for code, facts in section.items():
        if code not in codes:
            raise ScenarioError(f"{source}: unknown ally allies.{code}; allowed, the allies in allies.csv: "
                                f"{', '.join(sorted(codes))}")
        if not isinstance(facts, dict):
            raise ScenarioError(f"{source}: allies.{code} must be a table of fact = value")
        checked = {}
        for fact, value in facts.items():
            where = f"{source}: field allies.{code}.{fact}"
            if fact not in OVERRIDABLE_FACTS:
                raise ScenarioError(f"{where} is unknown; allowed facts: {', '.join(sorted(OVERRIDABLE_FACTS))}")
            if fact in ("borders_russia", "eu_member"):
                if not isinstance(value, bool):
                    raise ScenarioError(f"{where} = {value!r} is not allowed; allowed: true or false")
                checked[fact] = value
                continue
            low, high = FACT_RANGES[fact]
            if fact in WHOLE_FACTS:
                if isinstance(value, bool) or not isinstance(value, int) or not (low <= value <= high):
                    raise ScenarioError(f"{where} = {value!r} is not allowed; allowed: a whole year from {low} to {high}")
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or not (low <= value <= high):
                raise ScenarioError(f"{where} = {value!r} is not allowed; allowed: a number from {low:g} to {high:g}")
            checked[fact] = value
        overrides[code] = checked
    return overrides


T = TypeVar("T")


class ScenarioCache:
    """Scenarios and allies' facts loaded once per version of their files, for callers that load
    the same scenario again and again (one run at a time, as EMA workbench calls a model).

    A file's version is its resolved path, modification time (ns) and size: edit the file and
    the next call reads it again; the previous version is dropped. A scenario's entry also
    depends on the allies' file (its `[allies.XXX]` codes are checked against it) and on the
    directory it is shown relative to (its messages name the file as `load_scenario` does).
    The cache is an object the caller owns and passes on (e.g. `run_batch(..., cache=cache)`),
    never module state, so two callers (two browser sessions, two sweeps) share nothing unless
    they share the object. Errors are `load_scenario`'s, unchanged, and are not remembered.
    """

    def __init__(self) -> None:
        self._scenarios: dict[str, tuple[tuple, Scenario]] = {}
        self._allies: dict[tuple, tuple[tuple, AllyFacts]] = {}
        self._derived: dict[int, tuple[AllyFacts, dict]] = {}

    def scenario(self, name_or_path: str | Path = DEFAULT_SCENARIO) -> Scenario:
        """`load_scenario(name_or_path)`, read again only when the file has changed."""
        path = resolve(name_or_path)
        key = str(path.resolve())
        version = (_version(path), _version(default_allies_path()), display_path(path), str(name_or_path))
        entry = self._scenarios.get(key)
        if entry is None or entry[0] != version:
            self._scenarios[key] = entry = (version, load_scenario(name_or_path))
        return entry[1]

    def allies(self, scenario: Scenario) -> AllyFacts:
        """`scenario.allies()`, read again only when the allies' data files have changed."""
        overrides = (tuple(sorted((code, tuple(sorted(facts.items()))) for code, facts in scenario.ally_overrides.items())),
                     tuple(sorted(scenario.escape_clause.allies)),
                     scenario.information.date if scenario.information else None)
        version = (_version(default_allies_path()), _version(_ties_path()),
                   _version(default_allies_path().with_name(VINTAGES_FILE)),
                   _version(default_allies_path().with_name(RECORD_FILE)))
        entry = self._allies.get(overrides)
        if entry is None or entry[0] != version:
            if entry is not None:
                self._derived.pop(id(entry[1]), None)
            facts = scenario.allies()
            self._allies[overrides] = entry = (version, facts)
            self._derived[id(facts)] = (facts, {})
        return entry[1]

    def derived(self, facts: AllyFacts, key: object, build: Callable[[], T]) -> T:
        """`build()`, remembered for `key` as long as these facts (from `allies`) are current: for
        what is computed from them alone, such as the `Alliance` of a data year."""
        entry = self._derived.get(id(facts))
        if entry is None or entry[0] is not facts:
            return build()
        values = entry[1]
        if key not in values:
            values[key] = build()
        return values[key]


def _version(path: Path) -> tuple:
    """What changes when a file is edited: its modification time (ns) and size."""
    try:
        stat = os.stat(path)
    except OSError:
        return (str(path), None)
    return (str(path), stat.st_mtime_ns, stat.st_size)


def _ties_path() -> Path:
    return default_allies_path().with_name(TIES_FILE)


def display_path(path: Path) -> str:
    """The path as the user would recognise it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
