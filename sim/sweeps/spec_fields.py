"""Reading a sweep spec's fields: each value checked for its type and range, and a wrong one
refused in one line that names the file, the field and what is allowed."""

from __future__ import annotations

from collections.abc import Mapping

from sim.model.scenario import ScenarioError


class SweepSpecError(ScenarioError):
    """A sweep spec that cannot be run; the message names the file, the field and what is allowed."""


def only(section: Mapping, keys: tuple[str, ...], source: str, prefix: str) -> None:
    unknown = sorted(set(section) - set(keys))
    if unknown:
        raise SweepSpecError(f"{source}: unknown field {prefix}{unknown[0]}; allowed: {', '.join(keys)}")


def table(raw: Mapping, key: str, source: str) -> Mapping:
    value = raw.get(key, {})
    if not isinstance(value, Mapping):
        raise SweepSpecError(f"{source}: field {key} must be a table ([{key}])")
    return value


def string(raw: Mapping, key: str, default: str, source: str) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise SweepSpecError(f"{source}: field {key} = {value!r} is not allowed; allowed: a string")
    return value


def integer(section: Mapping, key: str, default: int, low: int, high: int, source: str, prefix: str = "runs.") -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not (low <= value <= high):
        raise SweepSpecError(f"{source}: field {prefix}{key} = {value!r} is not allowed; "
                             f"allowed: an integer from {low} to {high}")
    return value


def boolean(section: Mapping, key: str, default: bool, source: str) -> bool:
    value = section.get(key, default)
    if not isinstance(value, bool):
        raise SweepSpecError(f"{source}: field runs.{key} = {value!r} is not allowed; allowed: true or false")
    return value


def choice(section: Mapping, key: str, default, kind, source: str, prefix: str = "runs."):
    value = section.get(key, default)
    try:
        return kind(value)
    except ValueError:
        raise SweepSpecError(f"{source}: field {prefix}{key} = {value!r} is not allowed; "
                             f"allowed: {', '.join(member.value for member in kind)}") from None
