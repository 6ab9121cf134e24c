"""Property-based fuzzing of sweep specs: any TOML text, valid or broken (unknown keys, wrong
types, values out of range, huge sizes, garbage), either parses or is refused with a
SweepSpecError of one line; never another exception, never a hang."""

import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import parameter_value

from sim.model.parameters import parameter_fields
from sim.sweeps.spec import (
    RANGE_KEYS,
    RUNS_KEYS,
    SAMPLER_KEYS,
    TOP_LEVEL_KEYS,
    SweepSpecError,
    load_spec,
)

PARAMETERS = sorted(parameter_fields())
NAMES = st.one_of(st.sampled_from(PARAMETERS), st.text(min_size=1, max_size=8))
BIG = st.sampled_from([0, 1, 2, 3, 64, 1000, 2**22, 2**23, 10**8, 10**9, 10**12, 10**18, 2**63 - 1, -1])
SCALARS = st.one_of(
    st.booleans(), BIG, st.integers(-10, 50), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["grid", "list", "latin_hypercube", "sobol", "batch", "mesa",
                                           "compromise", "median", "hague2025", "nope.toml", "\x00"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                        st.dictionaries(st.sampled_from(RANGE_KEYS), inner,
                                                                        max_size=3)), max_leaves=6)


def toml_value(value) -> str:
    """One value as TOML text (inline tables and arrays; floats as TOML spells them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{ " + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + " }"


@st.composite
def spec_texts(draw) -> str:
    """A spec's TOML: mostly the real fields with plausible or hostile values, sometimes
    unknown keys, sometimes a few bytes of garbage spliced in."""
    lines = []
    for key in draw(st.lists(st.sampled_from(["name", "description", "scenario", "bogus"]), unique=True)):
        lines.append(f"{key} = {toml_value(draw(SCALARS))}")
    for table, keys in (("runs", RUNS_KEYS), ("sampler", SAMPLER_KEYS)):
        if draw(st.booleans()):
            lines.append(f"[{table}]")
            for key in draw(st.lists(st.sampled_from([*keys, "extra"]), unique=True, max_size=4)):
                lines.append(f"{key} = {toml_value(draw(SCALARS))}")
    section = draw(st.sampled_from(["parameters", "points", "both", "none"]))
    if section in ("parameters", "both"):
        lines.append("[parameters]")
        for name in draw(st.lists(NAMES, unique=True, max_size=3)):
            lines.append(f"{json.dumps(name)} = {toml_value(draw(VALUES))}")
    if section in ("points", "both"):
        for _ in range(draw(st.integers(1, 3))):
            lines.append("[[points]]")
            for name in draw(st.lists(NAMES, unique=True, max_size=2)):
                lines.append(f"{json.dumps(name)} = {toml_value(draw(SCALARS))}")
    text = "\n".join(lines) + "\n"
    if draw(st.integers(0, 9)) == 0:  # garbage spliced in somewhere
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=6)) + text[at:]
    return text


@st.composite
def near_valid_specs(draw) -> str:
    """A spec that is valid but for at most one field, so the fuzzing reaches the checks
    behind the first ones (ranges, samples, design points, memory and size limits)."""
    method = draw(st.sampled_from(["grid", "latin_hypercube", "sobol", "list"]))
    names = draw(st.lists(st.sampled_from(PARAMETERS), min_size=1, max_size=3, unique=True))
    runs = {"replicates": draw(st.sampled_from([1, 2, 10**9])), "seed": draw(st.integers(0, 2**63 - 1)),
            "batch_size": draw(st.sampled_from([1, 7, 256]))}
    raw = {"name": "fuzz", "runs": runs, "sampler": {"method": method}}
    if method in ("latin_hypercube", "sobol"):
        raw["sampler"]["samples"] = draw(st.sampled_from([1, 2, 8, 64, 2**22, 2**23, 10**8]))
    if method == "list":
        raw["points"] = [{name: draw(parameter_value(name)) for name in names}]
    else:
        raw["parameters"] = {name: draw(axis(name, method)) for name in names}
    if draw(st.booleans()):  # one field replaced by anything
        section = draw(st.sampled_from(["runs", "sampler"]))
        raw[section][draw(st.sampled_from([*RUNS_KEYS, *SAMPLER_KEYS]))] = draw(SCALARS)
    lines = [f"{k} = {toml_value(v)}" for k, v in raw.items() if not isinstance(v, (dict, list))]
    for table in ("runs", "sampler", "parameters"):
        if table in raw:
            lines += [f"[{table}]", *(f"{k} = {toml_value(v)}" for k, v in raw[table].items())]
    for point in raw.get("points", []):
        lines += ["[[points]]", *(f"{k} = {toml_value(v)}" for k, v in point.items())]
    return "\n".join(lines) + "\n"


def axis(name: str, method: str) -> st.SearchStrategy:
    """A parameter's axis: one value, a list, or a range (with steps on a grid, some huge)."""
    value = parameter_value(name)
    ranges = st.builds(lambda low, high, steps: {"low": min(low, high), "high": max(low, high),
                                                  **({"steps": steps} if method == "grid" else {})},
                       value, value, st.sampled_from([1, 2, 5, 100_000, 100_001, 10**12]))
    numeric = parameter_fields()[name].type in ("int", "float", int, float)
    return st.one_of(value, st.lists(value, min_size=1, max_size=4), *([ranges] if numeric else []))


def assert_parses_or_one_line(path: Path) -> None:
    try:
        spec = load_spec(path)
    except SweepSpecError as error:
        message = str(error)
        assert message and "\n" not in message, message
    else:
        assert spec.runs >= 1 and spec.design.point(0) is not None


@pytest.mark.slow
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=spec_texts())
def test_any_spec_text_parses_or_is_refused_in_one_line(tmp_path, text):
    path = tmp_path / "fuzz.toml"
    path.write_text(text, encoding="utf-8")
    assert_parses_or_one_line(path)


@pytest.mark.slow
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=near_valid_specs())
def test_near_valid_specs_parse_or_are_refused_in_one_line(tmp_path, text):
    path = tmp_path / "near.toml"
    path.write_text(text, encoding="utf-8")
    assert_parses_or_one_line(path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200))
def test_any_bytes_are_refused_in_one_line(tmp_path, data):
    path = tmp_path / "garbage.toml"
    path.write_bytes(data)
    assert_parses_or_one_line(path)


def test_deeply_nested_toml_is_refused_in_one_line(tmp_path):
    path = tmp_path / "deep.toml"
    path.write_text("[parameters]\nus_pressure = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    assert_parses_or_one_line(path)


def test_the_known_fields_are_the_ones_fuzzed():
    assert {"name", "runs", "sampler", "parameters", "points"} <= set(TOP_LEVEL_KEYS)
