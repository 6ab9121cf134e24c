"""Scenario files: every built-in one runs; every kind of mistake gets one clear line and exit 2."""

import json
import os
import subprocess
import sys
from decimal import Decimal

import numpy as np
import pytest

from sim.cli import main
from sim.engines.model import AllianceModel
from sim.model.parameters import MediatorRule
from sim.model.scenario import ScenarioCache, ScenarioError, builtin_scenarios, load_scenario

BUILT_IN = builtin_scenarios()


def test_the_expected_scenarios_ship():
    assert {"hague2025", "wales2014", "us_posture_2024", "ceasefire", "eu_escape_clause"} <= set(BUILT_IN)


@pytest.mark.parametrize("name", BUILT_IN)
def test_every_built_in_scenario_runs(name):
    outcome = AllianceModel(name, rng=1).run()
    assert outcome.rounds >= 1
    assert len(outcome.allies) == 32


def test_scenario_overrides_an_allys_facts(tmp_path):
    path = tmp_path / "cheap_spain.toml"
    path.write_text('[allies.ESP]\ndebt_pct_gdp = 20.0\ndeficit_pct_gdp = 0.0\n')
    scenario = load_scenario(path)
    facts = scenario.allies()
    assert facts.debt_pct_gdp[facts.index("ESP")] == 20.0
    spain = {a.iso3: a for a in AllianceModel(scenario, rng=0).run().allies}["ESP"]
    assert spain.fiscal_pressure == pytest.approx(20.0 / 240.0)


def test_the_escape_clause_eases_the_deficit_rule_for_the_allies_that_asked_for_it(tmp_path):
    """Belgium (debt 104.7%, deficit 4.5% of GDP) asked for it by 30 April 2025: with 1.5% of GDP
    of room its fiscal pressure is 0.5 x 104.7 / 120 + 0.5 x (4.5 - 1.5) / 6 = 0.68625, against
    0.81125 without; Spain did not ask, and keeps its pressure. The Hague scenario lists 16."""
    hague = load_scenario("hague2025")
    assert len(hague.escape_clause.allies) == 16 and "Council of the EU" in hague.escape_clause.source
    assert {"BEL", "DEU", "POL"} <= set(hague.escape_clause.allies) and "ESP" not in hague.escape_clause.allies
    path = tmp_path / "no_clause.toml"
    # the same information date, so both read the same dated fiscal figures (fiscal_vintages.csv)
    path.write_text('information_date = 2025-06-23\n[parameters]\nus_pressure = 0.9\n')
    fiscal = {}
    for name, scenario in (("asked", hague), ("not", load_scenario(path))):
        model = AllianceModel(scenario, rng=0)
        fiscal[name] = {ally.facts.iso3: ally.fiscal for ally in model.allies}
    assert fiscal["asked"]["BEL"] == pytest.approx(0.68625) and fiscal["not"]["BEL"] == pytest.approx(0.81125)
    assert fiscal["asked"]["ESP"] == fiscal["not"]["ESP"]


@pytest.mark.parametrize("name", [name for name in BUILT_IN if load_scenario(name).params.summit_year == 2025])
def test_every_hague_scenario_lists_the_allies_that_asked_for_the_escape_clause(name):
    """The list is a fact of the Hague talks, copied into each of their scenario files: the copies agree."""
    assert load_scenario(name).escape_clause == load_scenario("hague2025").escape_clause


BAD_FILES = [
    ("broken.toml", "us_pressure = = 1\n", "not valid TOML"),
    ("toplevel.toml", "colour = 'blue'\n", "unknown field 'colour'; allowed top-level fields"),
    ("unknown_param.toml", "[parameters]\nus_presure = 0.5\n", "unknown field parameters.us_presure; did you mean us_pressure? known parameters:"),
    ("range.toml", "[parameters]\nus_pressure = 1.5\n", "field parameters.us_pressure: 1.5 is out of range; allowed: a number from 0 to 1"),
    ("type.toml", "[parameters]\nmax_rounds = 'many'\n", "field parameters.max_rounds = 'many' is not allowed; allowed: an integer from 1 to 100"),
    ("bool.toml", "[parameters]\nsplit_enabled = 1\n", "field parameters.split_enabled = 1 is not allowed; allowed: true or false"),
    ("rule.toml", "[parameters]\nmediator_rule = 'vote'\n", "allowed: one of compromise, median, nash"),
    ("window.toml", "[parameters]\nearliest_deadline_years = 10\nlatest_deadline_years = 5\n", "latest_deadline_years"),
    ("ally.toml", "[allies.XYZ]\ndebt_pct_gdp = 50\n", "unknown ally allies.XYZ; allowed, the allies in allies.csv: ALB"),
    ("fact.toml", "[allies.ESP]\nmood = 3\n", "field allies.ESP.mood is unknown; allowed facts:"),
    ("fact_range.toml", "[allies.ESP]\ndebt_pct_gdp = -5\n", "field allies.ESP.debt_pct_gdp = -5 is not allowed; allowed: a number from 0 to 400"),
    ("accession.toml", "[allies.ESP]\naccession_year = 1982.5\n",
     "field allies.ESP.accession_year = 1982.5 is not allowed; allowed: a whole year from 1949 to 2100"),
    ("pledge_source.toml", '[[pledges]]\nname = "Vilnius 2023"\nkind = "floor"\nlevel_pct = 2.0\nfrom_year = 2024\n'
                           'made_year = 2023\nsource = "  "\n',
     "field pledges[1].source must not be empty; allowed: a non-empty text saying where the pledge comes from"),
    ("pledge_name.toml", '[[pledges]]\nname = ""\nkind = "floor"\nlevel_pct = 2.0\nfrom_year = 2024\nmade_year = 2023\nsource = "s"\n',
     "field pledges[1].name must not be empty; allowed: a non-empty text"),
    ("data_year.toml", "[parameters]\ndata_year = 2030\n", "allowed: one of 2014, 2015, 2016"),
    ("pledge_made.toml", '[[pledges]]\nname = "x"\nkind = "floor"\nlevel_pct = 2.0\nfrom_year = 2024\nmade_year = 2025\n'
                         'source = "s"\n', "field pledges[1].made_year = 2025 is after from_year = 2024"),
    ("summit_1990.toml", "[parameters]\nsummit_year = 1990\n",
     "field parameters.summit_year: 1990 is before the data year (2024)"),
    ("summit_2013.toml", "[parameters]\nsummit_year = 2013\ndata_year = 2014\n",
     "field parameters.summit_year: 2013 is before the data year (2014)"),
    ("summit_1948.toml", "[parameters]\nsummit_year = 1948\n", "field parameters.summit_year: 1948 is out of range"),
    ("clause_ally.toml", '[escape_clause]\nallies = ["DEU", "XYZ"]\nsource = "s"\n',
     "field escape_clause.allies: unknown ally XYZ; allowed, the allies in allies.csv: ALB"),
    ("clause_eu.toml", '[escape_clause]\nallies = ["NOR"]\nsource = "s"\n',
     "field escape_clause.allies: NOR is not an EU member; the escape clause is the EU's"),
    ("clause_twice.toml", '[escape_clause]\nallies = ["POL", "POL"]\nsource = "s"\n',
     "field escape_clause.allies: POL is listed twice"),
    ("clause_source.toml", '[escape_clause]\nallies = ["POL"]\n', "field escape_clause.source must say where"),
    ("clause_list.toml", '[escape_clause]\nallies = "POL"\nsource = "s"\n',
     "field escape_clause.allies must be a list of ISO3 codes"),
    ("clause_key.toml", '[escape_clause]\nallies = ["POL"]\nsource = "s"\nroom = 2\n',
     "field escape_clause.room is unknown; allowed: allies, source"),
    ("info_text.toml", 'information_date = "June 2025"\n',
     "field information_date = 'June 2025' is not allowed; allowed: a date, e.g. information_date = 2025-06-23"),
    ("info_time.toml", 'information_date = 2025-06-23T10:00:00\n', "field information_date ="),
    ("info_after.toml", 'information_date = 2026-01-05\n',
     "field information_date = 2026-01-05 is after the summit's year (2025)"),
]


def test_the_information_date_sets_the_us_posture_and_the_horizon_unless_parameters_do(tmp_path):
    hague, wales = load_scenario("hague2025"), load_scenario("wales2014")
    assert (hague.params.us_pressure, hague.params.us_demand_pct, hague.params.us_deadline_years) == (1.0, 5.0, 7.0)
    assert hague.params.threat_horizon_years == 5.0 and hague.information.horizon.speaker.startswith("Mark Rutte")
    assert wales.params.us_pressure == pytest.approx(1 / 3) and wales.params.us_demand_pct == 2.0
    assert wales.params.threat_horizon_years == 40.0 and wales.information.horizon is None
    path = tmp_path / "counterfactual.toml"
    path.write_text("information_date = 2025-06-23\n[parameters]\nus_pressure = 0.2\nthreat_horizon_years = 9.0\n")
    counterfactual = load_scenario(path)
    assert counterfactual.params.us_pressure == 0.2 and counterfactual.params.threat_horizon_years == 9.0
    assert counterfactual.params.us_demand_pct == 5.0  # still read from the posture


def test_every_input_the_information_date_reads_was_published_by_then():
    for name in BUILT_IN:
        scenario = load_scenario(name)
        if scenario.information is None:
            continue
        day = scenario.information.date
        posture = scenario.information.posture
        for statement in (posture.pressed_by, posture.asked_by, scenario.information.horizon):
            assert statement is None or statement.source_date <= day, (name, statement)


@pytest.mark.parametrize("filename, text, expected", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_scenario_gets_one_clear_line_and_exit_2(tmp_path, capsys, filename, text, expected):
    path = tmp_path / filename
    path.write_text(text)
    assert main(["run", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert filename in lines[0]
    assert expected in lines[0]


def test_missing_scenario(capsys):
    assert main(["run", "no_such_scenario"]) == 2
    err = capsys.readouterr().err
    assert "no_such_scenario: no such scenario file or built-in scenario; built-in: ceasefire" in err
    assert main(["run", "missing.toml"]) == 2
    assert "missing.toml: scenario file not found" in capsys.readouterr().err


def test_bad_override_on_the_command_line(capsys):
    assert main(["run", "--set", "us_pressure=2"]) == 2
    assert "us_pressure: 2.0 is out of range; allowed: a number from 0 to 1" in capsys.readouterr().err
    assert main(["run", "--set", "colour=2"]) == 2
    assert "unknown parameter 'colour'" in capsys.readouterr().err
    assert main(["run", "--set", "nonsense"]) == 2
    assert "expected NAME=VALUE" in capsys.readouterr().err


@pytest.mark.slow
def test_console_script_exits_non_zero_without_traceback(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("[parameters]\nthreat_level = 7\n")
    done = subprocess.run([sys.executable, "-m", "sim.cli", "run", str(path)], capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "threat_level" in done.stderr and "bad.toml" in done.stderr


def test_mesa_keyword_overrides_are_checked():
    with pytest.raises(ScenarioError, match="us_pressure"):
        AllianceModel("hague2025", rng=0, us_pressure=-1.0)
    assert json.loads(json.dumps(AllianceModel("hague2025", rng=0, us_pressure=0.5).run().to_dict()))["deal"] in (True, False)


# --- the scenario cache -----------------------------------------------------------------------


def test_cache_returns_the_loaded_scenario_and_facts_until_a_file_changes(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('name = "mine"\n[parameters]\nus_pressure = 0.3\n')
    cache = ScenarioCache()
    first = cache.scenario(str(path))
    assert cache.scenario(str(path)) is first and first.params.us_pressure == 0.3
    facts = cache.allies(first)
    assert cache.allies(first) is facts
    assert cache.derived(facts, "x", object) is cache.derived(facts, "x", object)

    path.write_text('name = "mine"\n[parameters]\nus_pressure = 0.7\n')
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # a new version even on a coarse clock
    assert cache.scenario(str(path)).params.us_pressure == 0.7


def test_cache_does_not_remember_errors(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[parameters]\nus_pressure = 7\n")
    cache = ScenarioCache()
    with pytest.raises(ScenarioError, match="us_pressure"):
        cache.scenario(str(path))
    path.write_text("[parameters]\nus_pressure = 0.5\n")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert cache.scenario(str(path)).params.us_pressure == 0.5


# --- one rule for parameter values, whatever the kind and the caller ------------------------------


TEXT_AND_OTHER_NON_VALUES = [  # (parameter, value, what the message says is allowed)
    ("us_pressure", "0.5", "a number from 0 to 1"),
    ("max_rounds", "12", "an integer from 1 to 100"),
    ("split_enabled", "true", "true or false"),
    ("us_pressure", Decimal("0.5"), "a number from 0 to 1"),
    ("max_rounds", 12.5, "an integer from 1 to 100"),
    ("split_enabled", 1, "true or false"),
    ("us_pressure", True, "a number from 0 to 1"),
    ("mediator_rule", 1, "one of compromise, median, nash"),
]


@pytest.mark.parametrize("name, value, allowed", TEXT_AND_OTHER_NON_VALUES)
def test_the_python_api_refuses_text_for_numbers_and_switches_alike(name, value, allowed):
    """Numbers and switches follow one rule through every entry point: a Python (or numpy)
    number or bool, never text; the message is one line naming the parameter and what it allows."""
    from sim.api import simulate
    from sim.engines.batch import run_batch
    from sim.engines.model import AllianceModel
    from sim.model.parameters import ParameterError

    expected = f"{name} = {value!r} is not allowed; allowed: {allowed}"
    for call in (lambda: simulate({name: value}, seed=0), lambda: AllianceModel("hague2025", rng=0, **{name: value}),
                 lambda: run_batch("hague2025", [{name: value}], [0])):
        with pytest.raises(ParameterError) as error:
            call()
        assert expected in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("changes", [
    {"us_pressure": 0.5, "max_rounds": 12, "split_enabled": False, "mediator_rule": "median"},
    {"us_pressure": np.float64(0.5), "max_rounds": np.int64(12), "split_enabled": np.bool_(False),
     "mediator_rule": MediatorRule.MEDIAN},
    {"us_pressure": 1, "max_rounds": 12.0, "split_enabled": False, "mediator_rule": "median"},
])
def test_python_and_numpy_numbers_and_bools_are_taken_as_the_same_values(changes):
    params = load_scenario("hague2025").with_parameters(**changes).params
    assert (params.us_pressure, params.max_rounds, params.split_enabled, params.mediator_rule) == \
        (float(changes["us_pressure"]), 12, False, MediatorRule.MEDIAN)
    assert type(params.us_pressure) is float and type(params.max_rounds) is int and type(params.split_enabled) is bool


def test_a_scenario_file_reads_its_values_as_toml_types(tmp_path, capsys):
    """In a file, 0.5 is a number and true a switch; "0.5" in quotes is text, refused alike."""
    good = tmp_path / "typed.toml"
    good.write_text("[parameters]\nus_pressure = 0.5\nsplit_enabled = true\nmax_rounds = 12\n")
    params = load_scenario(good).params
    assert (params.us_pressure, params.split_enabled, params.max_rounds) == (0.5, True, 12)
    for line, allowed in (('us_pressure = "0.5"', "a number from 0 to 1"), ('split_enabled = "true"', "true or false")):
        bad = tmp_path / "quoted.toml"
        bad.write_text(f"[parameters]\n{line}\n")
        assert main(["run", str(bad)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "quoted.toml: field parameters." in err[0] and f"allowed: {allowed}" in err[0]


def test_the_information_date_leaves_the_scenarios_name_alone():
    assert load_scenario("hague2025").name == "Hague 2025"
    assert load_scenario("wales2014").name == "Wales 2014"
