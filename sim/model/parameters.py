"""The model's parameters: names, defaults, allowed ranges and where each value comes from.

One table serves the scenario files, the command line, the browser controls and the sweeps,
so a parameter is declared once and validated the same way everywhere.
"""

from __future__ import annotations

import dataclasses
import difflib
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

import numpy as np


NATO_FOUNDED = 1949  # the North Atlantic Treaty: no summit of the alliance before it
NO_DEADLINE_NAMED = 40.0  # years: a horizon or deadline no statement named lies beyond any talks


class MediatorRule(StrEnum):
    """How the Secretary General turns positions into a draft (Thomson et al. 2006)."""

    COMPROMISE = "compromise"  # clout x salience weighted mean
    MEDIAN = "median"  # weighted median
    NASH = "nash"  # weighted Nash bargaining solution


class NegotiationProtocol(StrEnum):
    """How proposals arise and are answered in each round (a lever: protocols are compared on the same case)."""

    MEDIATOR = "mediator"  # single negotiating text: the Secretary General drafts from the positions
    AGENDA_SETTER = "agenda_setter"  # an ally recognised by clout tables what every member ratifies (Romer & Rosenthal 1978)
    BARON_FEREJOHN = "baron_ferejohn"  # the recognised ally buys each vote at its continuation value (Baron & Ferejohn 1989)
    CHALLENGE = "challenge"  # bilateral expected-utility challenges (Bueno de Mesquita 1994); the median is tabled
    EXCHANGE = "exchange"  # allies trade positions on the level and the deadline (Stokman & Van Oosten 1994); the expected outcome is tabled


#: The parameters whose values are names from a fixed list, by the name of their type.
CHOICE_TYPES = {"MediatorRule": MediatorRule, "NegotiationProtocol": NegotiationProtocol}

#: Values a choice parameter no longer takes, with the words naming what replaced them. The
#: old `proposer` was an agenda setter under unanimity, not Baron-Ferejohn (issue 25).
RETIRED_CHOICES = MappingProxyType({
    ("protocol", "proposer"): "it was split in two: agenda_setter (the same rule, an agenda setter under "
                              "unanimity) or baron_ferejohn (Baron & Ferejohn 1989: discounting and "
                              "continuation values)",
})


def _spec(default, low=None, high=None, *, doc: str, choices=None):
    return field(default=default, metadata={"low": low, "high": high, "doc": doc, "choices": choices})


@dataclass(frozen=True)
class Parameters:
    """Every parameter of one run. Defaults are the Hague 2025 baseline."""

    # --- the setting: what the scenario describes ---------------------------------------
    summit_year: int = _spec(2025, 1990, 2100, doc="year of the summit; deadlines count from it")
    data_year: int = _spec(2024, doc="the year of spending the allies start from (the record's, or the chain of summits')", choices=tuple(range(2014, 2025)))
    threat_level: float = _spec(0.8, 0.0, 1.0, doc="threat environment, 0 calm to 1 open war on the border")
    threat_shock: float = _spec(0.0, -1.0, 1.0, doc="change to the threat level during the talks (escalation > 0, ceasefire < 0)")
    threat_shock_round: int = _spec(1, 1, 100, doc="round from which the threat shock applies")
    us_pressure: float = _spec(1.0, 0.0, 1.0, doc="how hard and how credibly the US threatens to disengage (a scenario with an information_date reads it from the US's statements)")
    us_demand_pct: float = _spec(5.0, 0.0, 10.0, doc="headline level (% of GDP) the US demands (a scenario with an information_date reads it from the US's statements)")
    us_deadline_years: float = _spec(7.0, 1.0, NO_DEADLINE_NAMED, doc="years after the summit the US asks its demand to be met by (a scenario with an information_date reads it from the US's statements; 40: none named, it asks as the others do)")
    max_rounds: int = _spec(12, 1, 100, doc="negotiation rounds before the summit")
    earliest_deadline_years: int = _spec(4, 1, 30, doc="earliest deadline any ally argues for, years after the summit (a limit: the deadline comes from the allies' preferences)")
    latest_deadline_years: int = _spec(25, 1, 40, doc="latest deadline any ally argues for, years after the summit (a limit: the deadline comes from the allies' preferences)")
    threat_horizon_years: float = _spec(5.0, 1.0, NO_DEADLINE_NAMED, doc="years within which the allies' threat assessments said Russia could attack the alliance (a scenario with an information_date reads it from the assessments; urgent allies want the target met by then; 40: none stated)")
    capability_base_pct: float = _spec(2.0, 0.0, 10.0, doc="what the capability targets cost (% of GDP) when the guideline was set: the 2% guideline")
    capability_base_threat: float = _spec(0.5, 0.0, 1.0, doc="the threat level the guideline's capability targets were set for")
    capability_growth: float = _spec(1.0, 0.0, 5.0, doc="growth of the force the targets ask for, per unit of threat above that level")
    targets_predate_threat: bool = _spec(False, doc="the capability targets in force were set before the talks' threat environment, for the guideline's threat (Vilnius 2023 and Washington 2024: the 2021 targets predate the full-scale invasion)")
    capability_shortfall: float = _spec(0.3, 0.0, 0.9, doc="share of the force asked that allies' spending did not deliver, as published by the case's information date (0: none published)")
    mediator_rule: MediatorRule = _spec(MediatorRule.COMPROMISE, doc="how the Secretary General drafts",
                                        choices=tuple(MediatorRule))
    protocol: NegotiationProtocol = _spec(NegotiationProtocol.MEDIATOR, doc="how packages are tabled: the Secretary General's single text, "
                               "an ally recognised by clout tables the most every member ratifies (agenda_setter: Romer & Rosenthal 1978), "
                               "an ally recognised by clout buys each vote at its continuation value (baron_ferejohn: Baron & Ferejohn 1989), "
                               "or allies challenge each other and the median position is tabled "
                               "(Bueno de Mesquita 1994), "
                               "or allies trade positions on the level and the deadline and the expected outcome is "
                               "tabled (Stokman & Van Oosten 1994)",
                               choices=tuple(NegotiationProtocol))
    discount_factor: float = _spec(0.9, 0.0, 1.0, doc="under the baron_ferejohn protocol, what a package one round later is worth to an ally now (Baron & Ferejohn 1989; 0.9: a judgement, a round being weeks of talks with the summit date fixed; 0: the proposer takes everything, as the agenda setter)")
    belief_error_pct: float = _spec(0.5, 0.0, 3.0, doc="under the baron_ferejohn protocol, how far (pp of GDP) a proposer overrates what an ally that has not yet rejected will sign; until it rejects a draft, which reveals its limit (a judgement; 0: full information)")
    challenge_risk_attitudes: bool = _spec(True, doc="under the challenge protocol, each ally's risk attitude is estimated from how exposed its position is to challenges (Bueno de Mesquita 1994; false: every ally risk neutral, linear loss)")
    allow_flexibility: bool = _spec(True, doc="holdouts may get flexibility (a side letter) at the summit")
    early_settlement: bool = _spec(True, doc="the Secretary General may carry holdouts with side letters before the summit, once none can be won by it")
    max_flexibility_holdouts: int = _spec(3, 0, 32, doc="most holdouts the summit will carry with side letters")
    split_enabled: bool = _spec(True, doc="the package may split into core defence plus defence-related spending")
    related_cap_pct: float = _spec(3.0, 0.0, 5.0, doc="most defence-related spending (% of GDP) an ally can count: how loosely the category is defined (3: loose enough not to bind; no source before the summit measures it)")
    related_cost_share: float = _spec(0.6237, 0.0, 1.0, doc="share of a pp of defence-related spending that is new money at home (the rest is spending already made, now counted)")
    eu_escape_clause: bool = _spec(False, doc="every EU ally has the national escape clause for extra defence spending, not only those the scenario lists as having asked")
    escape_room_pct: float = _spec(1.5, 0.0, 5.0, doc="deficit room (% of GDP) the escape clause exempts")
    threat_event_year: int = _spec(0, 0, 2100, doc="year an event changes the threat after the summit; the budgets of the years after it answer it (0: none)")
    threat_event_level: float = _spec(0.8, 0.0, 1.0, doc="threat level the budgets after the event year answer")

    # --- behaviour: fitted by experiments/calibrate.py (docs/ODD.md, "Calibration") -------
    proximity_reference_km: float = _spec(800.0, 0.0, 5000.0, doc="capital distance to Moscow at which exposure is full")
    proximity_decay_km: float = _spec(1661.8733, 100.0, 20000.0, doc="distance over which exposure falls by a factor e")
    shared_threat: float = _spec(0.6971, 0.0, 1.0, doc="share of the threat every ally feels regardless of geography")
    abandonment_weight: float = _spec(0.8749, 0.0, 1.0, doc="share of the US's defence effort allies stop counting on at full US pressure (fear of abandonment)")
    spill_in: float = _spec(0.2581, 0.0, 1.0, doc="pp of its own need an unexposed ally leaves to the others per pp of their effort it counts on (free riding; none on the front line)")
    peer_weight: float = _spec(0.2972, 0.0, 1.0, doc="weight of neighbours' threat perception in one's own")
    peer_distance_km: float = _spec(1000.0, 50.0, 10000.0, doc="distance scale of peer influence between capitals")
    need_scale_pct: float = _spec(5.1655, 0.0, 15.0, doc="spending (% of GDP) an ally wants under maximal threat")
    fiscal_drag: float = _spec(0.3568, 0.0, 1.0, doc="how much fiscal pressure holds an ally below its need")
    ramp_base_pct: float = _spec(0.0254, 0.0, 2.0, doc="yearly increase (pp) a parliament ratifies with no fiscal pressure")
    ramp_threat_pct: float = _spec(0.1149, 0.0, 2.0, doc="extra yearly increase (pp) ratifiable under maximal threat")
    expansion_rate_pct: float = _spec(0.0864, 0.0, 0.5, doc="win-set growth (pp/year) per round of pressure on a holdout")
    bilateral_pressure_pct: float = _spec(0.0004, 0.0, 0.05, doc="win-set growth (pp/year) per round the US presses a holdout by name, per % of GDP it exports to the US, at full pressure")
    consensus_stake_pct: float = _spec(0.2279, 0.0, 3.0, doc="money (pp of GDP) beyond its ideal an ally signs rather than block a consensus the others want, with no US threat")
    abandonment_stake_pct: float = _spec(1.5, 0.0, 5.0, doc="what losing the US guarantee would cost an ally (pp of GDP a year), which it pays to avoid in proportion to US pressure (order of magnitude: Bruegel and Kiel, February 2025)")
    tariff_stake_share: float = _spec(0.1028, 0.0, 0.25, doc="share of its exports to the US an ally expects to lose in tariffs if it blocks, at full US pressure")
    front_line_km: float = _spec(1300.0, 0.0, 5000.0, doc="capital distance to Moscow within which an ally joins the front-line caucus (those bordering Russia or Belarus join whatever the distance)")
    fiscal_caucus_pressure: float = _spec(0.65, 0.0, 1.0, doc="fiscal pressure from which an ally spending below the median joins the fiscal caucus")
    caucus_cohesion: float = _spec(0.2383, 0.0, 1.0, doc="share of the way to its caucus's line a member moves each round (0: caucuses do not coordinate)")
    caucus_bloc_votes: bool = _spec(False, doc="a caucus whose members holding most of its weight reject the draft rejects it as one (false: every ally votes alone, as at the Hague)")
    concession_rate: float = _spec(0.5685, 0.0, 1.0, doc="share of the gap to the draft an ally closes each round (on the level, times 1 - urgency)")
    secretary_general_weight: float = _spec(0.479, 0.0, 1.0, doc="share of each later draft's level the Secretary General keeps at what the capability targets cost (0: the drafts follow the positions alone)")
    leverage: float = _spec(1.8649, 0.0, 10.0, doc="extra weight a holdout gains with the mediator per round it rejects")
    noise_sd_pct: float = _spec(0.1, 0.0, 2.0, doc="sd of each ally's idiosyncratic domestic preference (pp)")
    self_enforcing_pledges: bool = _spec(True, doc="an ally keeps the pledge's path only in years it wants that much on its own (false: every ally keeps it)")
    compliance_drag: float = _spec(0.0, 0.0, 1.0, doc="how much fiscal pressure slows a complying ally along the path")
    enforcement_rate: float = _spec(0.0861, 0.0, 5.0, doc="how far US pressure moves an ally along a pledge it would not keep on its own (0: pledges are kept only where self-enforcing)")
    adjustment_rate: float = _spec(0.127, 0.0, 1.0, doc="share of the gap to its own ideal an ally closes each year after the summit")
    punctuation_rate: float = _spec(0.5978, 0.0, 1.0, doc="further share an ally closes each year of the part of its gap to its own ideal beyond friction_pp (punctuated budgets; 0: incremental only)")
    friction_pp: float = _spec(1.0416, 0.0, 5.0, doc="gap to its own ideal (pp of GDP) the budget process absorbs; the part beyond it closes at punctuation_rate too (institutional friction)")

    def __post_init__(self):
        errors = [f"{name}: {problem}" for name, problem in parameter_problems(self)]
        if errors:
            raise ParameterError("; ".join(errors))

    @property
    def earliest_deadline(self) -> int:
        return self.summit_year + self.earliest_deadline_years

    @property
    def latest_deadline(self) -> int:
        return self.summit_year + self.latest_deadline_years

    def replace(self, **changes) -> Parameters:
        return dataclasses.replace(self, **changes)


class ParameterError(ValueError):
    """A parameter value outside what the model allows."""


_FIELDS = MappingProxyType({f.name: f for f in dataclasses.fields(Parameters)})  # the table, read-only


def parameter_fields() -> dict[str, dataclasses.Field]:
    """Every parameter's field: type, default and `metadata` (low, high, choices, doc)."""
    return dict(_FIELDS)


def shown(value) -> str:
    """A parameter value as the docs and tables write it: true/false, floats as %g."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def did_you_mean(name: str) -> str:
    """"did you mean X? " for a misspelled parameter name (the closest known one), else ""."""
    close = difflib.get_close_matches(str(name), sorted(_FIELDS), n=1)
    return f"did you mean {close[0]}? " if close else ""


def allowed(name: str, value=None) -> str:
    """Human words for what a parameter accepts, for error messages; given the refused `value`,
    what replaced it if it was retired (`RETIRED_CHOICES`), or the closest choice."""
    spec = _FIELDS[name]
    meta = spec.metadata
    if meta["choices"]:
        return "one of " + ", ".join(str(c) for c in meta["choices"]) + choice_hint(name, value)
    if spec.type in ("bool", bool):
        return "true or false"
    kind = "an integer" if spec.type in ("int", int) else "a number"
    return f"{kind} from {meta['low']:g} to {meta['high']:g}"


def choice_hint(name: str, value) -> str:
    """Words on a refused choice: what replaced a retired value, or "did you mean X?" for the
    closest choice, as `did_you_mean` for a name; else ""."""
    if not isinstance(value, str):
        return ""
    retired = RETIRED_CHOICES.get((name, value))
    if retired:
        return f" ({value!r} is retired: {retired})"
    close = difflib.get_close_matches(value, [str(c) for c in _FIELDS[name].metadata["choices"]], n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def coerce(name: str, value):
    """A value (from TOML, a CLI flag, a slider or Python) as the parameter's type, or raise.

    One rule for every kind, whatever the caller: a number parameter takes a real number (a
    Python or numpy int or float; an integer parameter a whole one, 12.0 included), a switch a
    bool (Python's or numpy's), a choice its name (or the enum member). Text is never read as a
    number or a switch here: scenario files and `--set` are parsed as TOML before they reach
    this, so `0.5` arrives as a float and `true` as a bool, while the Python API's "0.5",
    "true" or Decimal("0.5") is refused, naming the parameter and what it allows."""
    if name not in _FIELDS:
        raise ParameterError(f"unknown parameter {name!r}; {did_you_mean(name)}known: {', '.join(sorted(_FIELDS))}")
    spec = _FIELDS[name]
    kind = spec.type
    try:
        if kind in ("bool", bool):
            if isinstance(value, (bool, np.bool_)):
                return bool(value)
            raise TypeError
        if kind in CHOICE_TYPES:
            if not isinstance(value, str):
                raise TypeError
            return CHOICE_TYPES[kind](value)
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
            raise TypeError  # text, Decimal, None, lists: not a number of this model
        if kind in ("int", int):
            if float(value) != int(value):
                raise TypeError
            return int(value)
        if kind in ("float", float):
            return float(value)
    except (TypeError, ValueError, OverflowError):
        pass
    else:
        return value
    text = " (text is not read as a number or a switch: pass a Python number or bool)" \
        if isinstance(value, str) and kind not in CHOICE_TYPES else ""
    raise ParameterError(f"{name} = {value!r} is not allowed; allowed: {allowed(name, value)}{text}")


def parameter_problems(params: Parameters) -> list[tuple[str, str]]:
    """Every field out of its range, and the cross-field constraints."""
    problems = []
    for name, spec in _FIELDS.items():
        value = getattr(params, name)
        meta = spec.metadata
        if meta["choices"] and value not in meta["choices"]:
            problems.append((name, f"{value!r} is not allowed; allowed: {allowed(name, value)}"))
        elif meta["low"] is not None and not (meta["low"] <= value <= meta["high"]):
            problems.append((name, f"{value!r} is out of range; allowed: {allowed(name)}"))
    if params.latest_deadline_years < params.earliest_deadline_years:
        problems.append(("latest_deadline_years", "must not be before earliest_deadline_years "
                                                  f"({params.earliest_deadline_years})"))
    if isinstance(params.summit_year, (int, np.integer)) and isinstance(params.data_year, (int, np.integer)) \
            and params.summit_year < max(params.data_year, NATO_FOUNDED):
        problems.append(("summit_year", f"{params.summit_year} is before the data year ({params.data_year}); "
                                        f"the talks start from the data year's spending, so the summit must not "
                                        f"precede it (nor NATO's founding, {NATO_FOUNDED})"))
    return problems


# --- many runs at once: the same table, checked a column at a time --------------------------------

#: The numpy type of each kind of parameter's column (a float column is float64, and so on).
COLUMN_TYPES = {"float": np.float64, "int": np.int64, "bool": np.bool_, **dict.fromkeys(CHOICE_TYPES, object)}
_FAST_TYPES = {"float": frozenset({float, int}), "int": frozenset({int}), "bool": frozenset({bool}),
               **dict.fromkeys(CHOICE_TYPES, frozenset())}  # Python types a column takes without `coerce`, value by value


@dataclass(frozen=True)
class ParameterColumns:
    """Every parameter of a block of runs as a column (one array of length runs per parameter,
    in `COLUMN_TYPES`), the base's value where a run does not override it, and which runs'
    overrides a one-run `Parameters` would refuse (`refused`), checked by the same table
    (`parameter_fields()`: types, ranges, choices, latest >= earliest deadline, and a summit
    not before the data year)."""

    values: dict[str, np.ndarray]
    refused: np.ndarray  # (runs,) bool

    def first_refused(self) -> int | None:
        """The first run whose overrides are not allowed, if any."""
        refused = np.flatnonzero(self.refused)
        return int(refused[0]) if len(refused) else None


def parameter_columns(base: Parameters, overrides: Sequence[Mapping[str, object] | None]) -> ParameterColumns:
    """Run i's parameters are `base.replace(**coerced overrides[i])`: the same values, as columns.

    Each overridden parameter is coerced and range-checked once for all runs, with numpy; a
    value of an unusual Python type goes through `coerce` on its own, so every value becomes
    what `coerce` makes of it. Only the runs' own overrides are looked at one by one (to
    gather them by parameter). Runs whose overrides are refused are only marked: their values
    in the columns are meaningless, and the caller reports them (see `Scenario.with_parameters`
    for the message)."""
    runs = len(overrides)
    given: dict[object, tuple[list[int], list[object]]] = {}
    for row, changes in enumerate(overrides):
        if not changes:
            continue
        for name, value in changes.items():
            entry = given.get(name)
            if entry is None:
                given[name] = ([row], [value])
            else:
                entry[0].append(row)
                entry[1].append(value)
    refused = np.zeros(runs, dtype=bool)
    values = {name: np.full(runs, getattr(base, name), dtype=COLUMN_TYPES[spec.type])
              for name, spec in _FIELDS.items()}
    for name, (rows, raw) in given.items():
        rows = np.asarray(rows, dtype=np.intp)
        spec = _FIELDS.get(name) if isinstance(name, str) else None  # anything else: `coerce` refuses it
        if spec is None:
            refused[rows] = True
            continue
        column, bad = _coerced_column(name, spec, raw)
        bad |= _out_of_range(spec, column)
        values[name][rows[~bad]] = column[~bad]
        refused[rows[bad]] = True
    if "earliest_deadline_years" in given or "latest_deadline_years" in given:
        refused |= values["latest_deadline_years"] < values["earliest_deadline_years"]
    if "summit_year" in given or "data_year" in given:
        refused |= values["summit_year"] < np.maximum(values["data_year"], NATO_FOUNDED)
    return ParameterColumns(values=values, refused=refused)


def _coerced_column(name: str, spec: dataclasses.Field, raw: list) -> tuple[np.ndarray, np.ndarray]:
    """`coerce(name, value)` for every value, as an array, and which values it refuses."""
    kind = COLUMN_TYPES[spec.type]
    if set(map(type, raw)) <= _FAST_TYPES[spec.type]:
        try:
            return np.array(raw, dtype=kind), np.zeros(len(raw), dtype=bool)
        except OverflowError:  # a Python int beyond the column's type: refused below, value by value
            pass
    column = np.full(len(raw), getattr(Parameters, name), dtype=kind)
    bad = np.zeros(len(raw), dtype=bool)
    for index, value in enumerate(raw):
        try:
            column[index] = coerce(name, value)
        except (ParameterError, OverflowError):  # OverflowError: an integer beyond int64, out of range anyway
            bad[index] = True
    return column, bad


def _out_of_range(spec: dataclasses.Field, column: np.ndarray) -> np.ndarray:
    """Where `parameter_problems` would find the values outside the field's range or choices."""
    meta = spec.metadata
    if meta["choices"]:
        return np.array([value not in meta["choices"] for value in column], dtype=bool) if column.dtype == object \
            else ~np.isin(column, meta["choices"])
    if meta["low"] is not None:
        return ~((meta["low"] <= column) & (column <= meta["high"]))  # NaN is out of range, as one by one
    return np.zeros(len(column), dtype=bool)


def checked_seeds(seeds: Sequence[int]) -> np.ndarray:
    """Seeds as an array; each must be a non-negative integer, so every run is reproducible."""
    for index, seed in enumerate(seeds):
        if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"run {index}: seed {seed!r} is not allowed; allowed: a non-negative integer")
    array = np.asarray(seeds)
    return array if array.dtype.kind in "iu" else np.array([int(seed) for seed in seeds], dtype=object)
