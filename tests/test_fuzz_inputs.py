"""Fuzzing what users hand the command line: scenario files, --set values and allies.csv.

Whatever hypothesis generates (valid, broken, garbage), `alliance-sim run` either runs or
stops with exactly one clear line on stderr and exit status 2, never a traceback: a user
must always learn what to fix. The CLI is driven in-process through `sim.cli.main`.
"""

import csv
import io
import json
import math
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import quick_overrides

from sim.cli import main
from sim.data.loader import NUMERIC_COLUMNS, REQUIRED_COLUMNS, default_allies_path
from sim.model.parameters import parameter_fields
from sim.model.scenario import configs_dir

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ALLIES = ("ESP", "POL", "USA", "ISL", "XXX", "esp")  # the first four exist
FACTS = ("gdp_usd_bn", "debt_pct_gdp", "borders_russia", "accession_year", "colour")


def run_cli(argv: list[str]) -> tuple[int, str]:
    """Exit status and stderr of one in-process command (argparse errors exit via SystemExit)."""
    err = io.StringIO()
    try:
        with redirect_stdout(io.StringIO()), redirect_stderr(err):
            status = main(argv)
    except SystemExit as stop:
        status = stop.code
    return status, err.getvalue()


def assert_runs_or_one_clear_line(status: int, err: str) -> None:
    if status == 0:
        return
    lines = err.strip().splitlines()
    assert status == 2, (status, err)
    assert len(lines) == 1 and lines[0].startswith("alliance-sim"), err
    assert "Traceback" not in err


def run_scenario_text(data: bytes) -> tuple[int, str]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "fuzzed.toml"
        path.write_bytes(data)
        return run_cli(["run", str(path), "--json"])


# --- scenario files -------------------------------------------------------------------------

def toml_value(value) -> str:
    """A value as TOML text (floats include nan and inf, which TOML spells so)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return "[" + ", ".join(toml_value(v) for v in value) + "]"


RARELY = st.integers(0, 3).map(lambda n: n == 0)  # a mistake in about one file in four, per kind
SCALARS = st.one_of(st.booleans(), st.integers(-10**6, 10**6), st.floats(), st.text(max_size=12),
                    st.lists(st.integers(0, 9), max_size=3))


@st.composite
def scenario_texts(draw) -> bytes:
    """A scenario as a user might write it, right or wrong: known and unknown keys, values
    of the right type in and out of range, and values of the wrong type."""
    lines = []
    if draw(st.booleans()):
        name = draw(SCALARS) if draw(RARELY) else draw(st.text(max_size=10))
        lines.append(f"name = {toml_value(name)}")
    if draw(RARELY):
        lines.append(f"{draw(st.sampled_from(['colour', 'params', 'Name']))} = 1")
    parameters = draw(quick_overrides())
    if draw(RARELY):  # a summit and a data year that may not fit together (a summit before its data)
        parameters["summit_year"] = draw(st.integers(1900, 2110))
        parameters["data_year"] = draw(st.sampled_from([2014, 2019, 2023, 2024]))
    names = sorted(parameter_fields()) + ["no_such_parameter"]
    broken = draw(st.dictionaries(st.sampled_from(names), SCALARS, max_size=2)) if draw(RARELY) else {}
    lines.append("[parameters]")
    lines += [f"{name} = {toml_value(getattr(value, 'value', value))}" for name, value in {**parameters, **broken}.items()]
    broken_allies = draw(RARELY)
    codes = ALLIES if broken_allies else ALLIES[:4]
    for code in draw(st.lists(st.sampled_from(codes), max_size=2, unique=True)):
        lines.append(f"[allies.{code}]")
        facts = (draw(st.dictionaries(st.sampled_from(FACTS), SCALARS, max_size=2)) if broken_allies
                 else {"debt_pct_gdp": draw(st.floats(0, 400))})
        lines += [f"{fact} = {toml_value(value)}" for fact, value in facts.items()]
    if draw(RARELY):
        lines.append("[[pledges]]")
        lines += [f"{key} = {toml_value(draw(SCALARS))}"
                  for key in draw(st.lists(st.sampled_from(["name", "kind", "level_pct", "from_year", "x"]),
                                           max_size=3, unique=True))]
    return "\n".join(lines).encode("utf-8")


@pytest.mark.slow
@FUZZ
@given(scenario_texts())
def test_any_scenario_runs_or_is_refused_in_one_line(text):
    assert_runs_or_one_clear_line(*run_scenario_text(text))


@st.composite
def mangled_builtin_scenarios(draw) -> bytes:
    """A shipped scenario with a few bytes changed, cut short or spliced with garbage."""
    text = draw(st.sampled_from(sorted(configs_dir().glob("*.toml")))).read_bytes()
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 8))
        splice = draw(st.one_of(st.binary(max_size=6), st.text("[]=.\"'#\n 0123456789abc", max_size=6).map(str.encode)))
        text = text[:at] + splice + text[at + cut:]
    return text


@pytest.mark.slow
@FUZZ
@given(st.one_of(mangled_builtin_scenarios(), st.binary(max_size=200)))
def test_garbage_scenario_files_are_refused_in_one_line(data):
    assert_runs_or_one_clear_line(*run_scenario_text(data))


# --- --set ----------------------------------------------------------------------------------------

SET_VALUES = st.one_of(st.text(max_size=12), st.integers().map(str), st.floats().map(repr),
                       st.sampled_from(["true", "false", "'median'", "[1, 2]", "{a = 1}", "", "nan", "1e999"]))


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(sorted(parameter_fields()) + ["nope", ""]), SET_VALUES),
                min_size=1, max_size=3))
def test_any_set_value_runs_or_is_refused_in_one_line(pairs):
    argv = ["run", "--json"] + [f"--set={name}={value}" for name, value in pairs]
    status, err = run_cli(argv)
    assert_runs_or_one_clear_line(status, err)
    if status:
        assert "--set" in err


# --- allies.csv -----------------------------------------------------------------------------------

def allies_rows() -> list[dict]:
    with default_allies_path().open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def cell_values(column: str) -> st.SearchStrategy[str]:
    """What a corrupted cell may hold: a number in the column's range, or anything."""
    numeric = {c.name: c for c in NUMERIC_COLUMNS}
    anything = st.one_of(st.text(max_size=8), st.floats().map(repr),
                         st.sampled_from(["", "nan", "-1", "1e9", "True", "yes", "ZZZ"]))
    if column not in numeric:
        return anything
    spec = numeric[column]
    return st.one_of(st.floats(spec.low, spec.high).map(repr), anything)


@st.composite
def corrupted_allies_csv(draw) -> str:
    """allies.csv with cells changed, a column dropped, or a row repeated or added."""
    rows = allies_rows()
    columns = list(rows[0])
    for change in draw(st.lists(st.sampled_from(["cell", "cell", "cell", "drop", "repeat", "add"]), max_size=2)):
        if change == "cell":
            column = draw(st.sampled_from(REQUIRED_COLUMNS))
            rows[draw(st.integers(0, len(rows) - 1))][column] = draw(cell_values(column))
        elif change == "drop" and len(columns) > 1:
            columns.remove(draw(st.sampled_from([c for c in REQUIRED_COLUMNS if c in columns])))
        elif change == "repeat":
            rows[draw(st.integers(0, len(rows) - 1))] = dict(rows[draw(st.integers(0, len(rows) - 1))])
        elif change == "add":
            rows.append(dict(rows[draw(st.integers(0, len(rows) - 1))]))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


@pytest.mark.slow
@FUZZ
@given(corrupted_allies_csv())
def test_any_allies_csv_runs_or_is_refused_in_one_line(text):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "allies.csv"
        path.write_text(text, encoding="utf-8")
        with mock.patch("sim.data.loader.default_allies_path", return_value=path):
            status, err = run_cli(["run", "--json"])
    assert_runs_or_one_clear_line(status, err)
    if status:
        assert "allies.csv" in err


# --- the summit year against the data year ----------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(summit=st.integers(1900, 2110), data_year=st.sampled_from([2014, 2019, 2023, 2024]), scenario=st.sampled_from(["hague2025", "wales2014"]))
def test_a_summit_before_its_data_year_is_refused_alike_by_file_parameters_and_columns(summit, data_year, scenario):
    """A summit from the data year to 2100 runs; one before it (or before NATO's founding in
    1949, or outside 1990..2100) is refused in one line naming parameters.summit_year, by the
    scenario parser, by `Parameters` and by the batch engine's column check alike."""
    from sim.engines.batch import run_batch
    from sim.model.parameters import ParameterError, Parameters, parameter_columns
    from sim.model.scenario import ScenarioError, load_scenario

    allowed = max(data_year, 1990) <= summit <= 2100
    text = f"[parameters]\nsummit_year = {summit}\ndata_year = {data_year}\n".encode()
    status, err = run_scenario_text(text)
    assert_runs_or_one_clear_line(status, err)
    assert (status == 0) == allowed, err
    if not allowed:
        assert "fuzzed.toml: field parameters.summit_year" in err
    try:
        Parameters(summit_year=summit, data_year=data_year)
    except ParameterError as error:
        assert not allowed and str(error).startswith("summit_year:")
    else:
        assert allowed
    base = load_scenario(scenario)
    overrides = [{"summit_year": summit, "data_year": data_year}, {}]
    assert bool(parameter_columns(base.params, overrides).refused[0]) == (not allowed)
    if not allowed:
        with pytest.raises(ScenarioError, match=r"^run 0: .*summit_year"):
            run_batch(base, overrides, [0, 1])
