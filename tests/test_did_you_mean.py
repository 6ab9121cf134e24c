"""A misspelled parameter name gets "did you mean ...?" in its one-line message, wherever it is typed."""

import tomllib

import pytest

from sim.api import simulate
from sim.cli import main
from sim.model.parameters import ParameterError, did_you_mean
from sim.model.scenario import ScenarioError, load_scenario
from sim.sweeps.spec import SweepSpecError, parse_spec

SPEC = """
name = "t"
scenario = "hague2025"
[runs]
replicates = 1
seed = 1
[sampler]
method = "{method}"
"""


def _suggests(message: str) -> None:
    assert "\n" not in message
    assert "did you mean us_pressure?" in message
    # the suggestion comes first, the list of allowed names after it
    assert message.index("did you mean") < message.index("? known") < message.rindex("max_rounds")


def test_did_you_mean_finds_the_closest_name_or_nothing():
    assert did_you_mean("us_presure") == "did you mean us_pressure? "
    assert did_you_mean("zzzzzz") == ""


def test_cli_set(capsys):
    assert main(["run", "--set", "us_presure=0.5"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "unknown parameter 'us_presure'" in err
    _suggests(err)


def test_scenario_parameters(tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text("[parameters]\nus_presure = 0.5\n")
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    assert "unknown field parameters.us_presure" in str(error.value)
    _suggests(str(error.value))


@pytest.mark.parametrize("body", [
    SPEC.format(method="grid") + "[parameters]\nus_presure = [0.5, 0.6]\n",
    SPEC.format(method="list") + "[[points]]\nus_presure = 0.5\n",
])
def test_sweep_spec_parameter(body):
    with pytest.raises(SweepSpecError) as error:
        parse_spec(tomllib.loads(body), "spec.toml")
    assert "us_presure is unknown" in str(error.value)
    _suggests(str(error.value))


def test_api_simulate():
    with pytest.raises(ParameterError) as error:
        simulate({"us_presure": 0.5})
    assert "unknown parameter 'us_presure'" in str(error.value)
    _suggests(str(error.value))


def test_no_suggestion_for_a_name_like_no_other(capsys):
    assert main(["run", "--set", "zzzzzz=1"]) == 2
    err = capsys.readouterr().err
    assert "did you mean" not in err and "known: " in err
