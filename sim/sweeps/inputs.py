"""What a sweep's rows depend on beyond its spec text, recorded when it starts and checked
when it resumes: digests of the ally facts the scenario uses and of its parameters, and, when
a resume is refused, which of them changed, in words."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
import json
from pathlib import Path

import numpy as np

from sim.data.us_ties import load_us_ties
from sim.model.scenario import Scenario


@dataclasses.dataclass(frozen=True)
class SweepInputs:
    """What a sweep's rows depend on beyond its spec text: the ally facts the scenario uses
    (the data file with the scenario's overrides) and its effective parameters, as digests."""

    ally_data: str
    parameters: str

    @classmethod
    def of(cls, scenario: Scenario) -> SweepInputs:
        return cls(ally_data=ally_data_digest(scenario), parameters=_json_digest(dataclasses.asdict(scenario.params)))

    def changes(self, recorded: SweepInputs) -> list[str]:
        """What differs from the inputs recorded when the sweep started, in words."""
        changes = []
        if self.ally_data != recorded.ally_data:
            changes.append(f"the ally data (sim/data/allies.csv with the scenario's [allies] overrides: digest "
                           f"{recorded.ally_data[:12]} then, {self.ally_data[:12]} now)")
        if self.parameters != recorded.parameters:
            changes.append("the scenario's parameters")
        return changes


def ally_data_digest(scenario: Scenario) -> str:
    """A digest of every ally fact the scenario runs on (after its overrides), the ties to
    the US included."""
    facts = scenario.allies()
    ties = load_us_ties(tuple(facts.iso3))
    digest = hashlib.sha256()
    for field, value in [*((f, getattr(facts, f.name)) for f in dataclasses.fields(facts)),
                         *((f, getattr(ties, f.name)) for f in dataclasses.fields(ties))]:
        digest.update(field.name.encode())
        _digest_value(digest, value)
    return digest.hexdigest()


def _digest_value(digest, value) -> None:
    """A fact into the digest: an array by its type, shape and bytes; a mapping (the spending of
    the years between, by year) key by key in order; anything else as JSON."""
    if isinstance(value, np.ndarray):
        digest.update(f"{value.dtype.str}{value.shape}".encode())
        digest.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, Mapping):
        for key in sorted(value):
            digest.update(json.dumps(key).encode())
            _digest_value(digest, value[key])
    else:
        digest.update(json.dumps(value).encode())


def _json_digest(value) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def recorded_inputs(existing: dict, meta_path: Path) -> SweepInputs | None:
    """The input digests recorded when the sweep started (None for sweeps older than them)."""
    if "inputs" not in existing:
        return None
    record = existing["inputs"]
    fields = ("ally_data_sha256", "parameters_sha256")
    if not isinstance(record, dict) or not all(isinstance(record.get(f), str) for f in fields):
        raise FileExistsError(f"{meta_path}: field inputs = {record!r} is not allowed; allowed: an object of "
                              f"{', '.join(fields)}, each a hex string; choose another --out directory")
    return SweepInputs(ally_data=record["ally_data_sha256"], parameters=record["parameters_sha256"])


def scenario_changes(theirs, mine: dict) -> list[str]:
    """The scenario's parameters and ally overrides that differ between two canonical specs,
    each named with its value then and now (nothing when the scenarios are not comparable)."""
    if not isinstance(theirs, dict) or theirs.get("name") != mine.get("name"):
        return []
    changes = []
    for section, label in (("parameters", "parameter"), ("allies", "ally override")):
        old, new = theirs.get(section), mine.get(section)
        if not isinstance(old, dict):
            return []
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                changes.append(f"the scenario's {label} {key} ({_shown(old.get(key))} then, "
                               f"{_shown(new.get(key))} now)")
    return changes


def _shown(value) -> str:
    return "unset" if value is None else json.dumps(value, sort_keys=True)
