"""The US pressure experiment's posture arms (experiments/posture_arms.py): the Hague talks
under the US posture of other dates, each arm's pressure, demand and deadline read from the
dated statements (never typed), and the quick path from the sweep to the summary's table."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib

import numpy as np
import pandas as pd
import pytest

from experiments.posture_arms import POSTURE_ARMS, PostureArm, posture_arms, read_arm
from sim.data.us_posture import load_us_posture
from sim.model.parameters import NO_DEADLINE_NAMED
from sim.model.scenario import load_scenario
from sim.model.us_actor import read_posture
from sim.sweeps.results import METADATA_FILE, load_results

ARMS = {arm.name: arm for arm in POSTURE_ARMS}


@pytest.fixture(scope="module")
def hague():
    return load_scenario("hague2025")


@pytest.fixture(scope="module")
def us_pressure():
    return importlib.import_module("experiments.us_pressure")


def reading(name: str, scenario, events=None):
    return read_arm(ARMS[name], scenario, events)


def test_each_arm_sets_what_read_posture_reads_on_its_day(hague):
    for arm in POSTURE_ARMS:
        day = arm.read_on or hague.information.date
        posture = read_posture(day)
        read = read_arm(arm, hague)
        assert read.posture == posture
        assert read.parameters.us_pressure == (posture.pressure if arm.pressure is None else arm.pressure)
        assert read.parameters.us_demand_pct == posture.demand_pct


def test_the_arms_read_the_postures_the_issue_names(hague):
    trump_2025 = reading("Trump 2025", hague).parameters
    assert (trump_2025.us_pressure, trump_2025.us_demand_pct, trump_2025.us_deadline_years) == (1.0, 5.0, 7.0)
    biden = reading("Biden 2021-2024", hague)
    assert biden.parameters.us_pressure == 0.0 and biden.parameters.us_demand_pct == 2.0
    assert biden.posture.pressed_by.date == dt.date(2023, 7, 11)  # the Vilnius communique, code 0
    assert biden.posture.pressed_by.threat_of_abandonment == 0
    obama = reading("Obama 2014", hague).parameters
    assert obama.us_pressure == pytest.approx(1 / 3) and obama.us_demand_pct == 2.0
    first_trump = reading("Trump 2017-2020", hague).parameters
    assert first_trump.us_pressure == pytest.approx(2 / 3)
    no_pressure = reading("no US pressure", hague).parameters
    assert no_pressure == dataclasses.replace(trump_2025, us_pressure=0.0)


def test_the_scenarios_own_arm_is_the_scenario(hague):
    """The arm read on the scenario's information date changes nothing: everything else unchanged
    means the Trump 2025 arm is the Hague 2025 talks as they are."""
    own = reading("Trump 2025", hague).parameters
    assert own.overrides() == {name: getattr(hague.params, name) for name in own.overrides()}


def test_a_deadline_year_not_after_the_summit_names_none(hague):
    """Obama's Wales posture named no year; Trump's 2018 "immediately" and the Biden reading's
    last year asked (2018) lie before the 2025 summit: none is named for these talks."""
    for name in ("Obama 2014", "Trump 2017-2020", "Biden 2021-2024"):
        assert reading(name, hague).parameters.us_deadline_years == NO_DEADLINE_NAMED
    assert reading("Trump 2017-2020", hague).posture.deadline_year == 2018
    assert reading("Trump 2025", hague).posture.deadline_year - hague.params.summit_year == 7


def test_the_arms_are_read_from_the_statements_not_typed(hague, us_pressure):
    """With the statements changed (every threat a refusal to defend, every level 3.5% asked by
    2031), every arm that reads its pressure follows them, and so does the sweep's design."""
    changed = tuple(dataclasses.replace(event, threat_of_abandonment=3,
                                        demand_pct_gdp=None if event.demand_pct_gdp is None else 3.5,
                                        demand_deadline=None if event.demand_deadline is None else 2031)
                    for event in load_us_posture())
    arms = posture_arms(us_pressure.EXPERIMENT, quick=True, events=changed)
    for index, read in enumerate(arms.readings):
        expected_pressure = 1.0 if read.arm.pressure is None else read.arm.pressure
        assert read.parameters.us_pressure == expected_pressure
        assert read.parameters.us_demand_pct == 3.5
        assert arms.spec.design.point(index) == read.parameters.overrides()
    assert reading("Trump 2025", hague, changed).parameters.us_deadline_years == 6.0
    assert reading("Obama 2014", hague, changed).parameters.us_deadline_years == NO_DEADLINE_NAMED  # none yet
    as_filed = posture_arms(us_pressure.EXPERIMENT, quick=True)
    assert as_filed.spec.digest() != arms.spec.digest()


def test_the_arms_sweep_keeps_the_pressure_sweeps_scenario_and_seeds(us_pressure):
    pressure = us_pressure.EXPERIMENT.spec(quick=False)
    arms = posture_arms(us_pressure.EXPERIMENT, quick=False).spec
    assert arms.scenario == pressure.scenario
    assert (arms.replicates, arms.seed, arms.common_random_numbers) == (pressure.replicates, pressure.seed, True)
    assert len(arms.design) == len(POSTURE_ARMS) and arms.runs == len(POSTURE_ARMS) * pressure.replicates
    assert posture_arms(us_pressure.EXPERIMENT, quick=True).spec.replicates == 4


def test_an_arm_needs_a_date_and_a_level_asked(hague):
    undated = dataclasses.replace(hague, information=None)
    with pytest.raises(ValueError, match="information date"):
        read_arm(ARMS["Trump 2025"], undated)
    silent = tuple(dataclasses.replace(event, demand_pct_gdp=None) for event in load_us_posture())
    with pytest.raises(ValueError, match="named a level"):
        read_arm(PostureArm("no level", dt.date(2025, 6, 23), "test"), hague, silent)


def test_quick_arms_run_end_to_end_and_write_the_table(tmp_path, us_pressure):
    out = tmp_path / "us_pressure"
    flags = ["--quick", "--out", str(out), "--workers", "1", "--quiet", "--engine", "batch"]
    assert us_pressure.main(flags) == 0
    table = pd.read_parquet(out / "posture_arms_summary.parquet")
    assert table["arm"].tolist() == [arm.name for arm in POSTURE_ARMS]
    assert table["deal_probability"].between(0, 1).all() and (table["runs"] == 4).all()
    for column in ("core_target_pct", "core_target_pct_low", "core_target_pct_high", "headline_pct",
                   "deadline_year", "n_holdouts", "n_flexibility", "extra_spending_usd_bn", "us_deadline_year"):
        assert column in table
    trump_2025 = table.set_index("arm").loc["Trump 2025"]
    assert (trump_2025["us_pressure"], trump_2025["us_demand_pct"], trump_2025["us_deadline_year"]) == (1.0, 5.0, 2032)
    assert (out / "posture_arms.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "posture_arms_sweep" / METADATA_FILE).exists()
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "## What the sweep found" in summary and "## The US posture arms" in summary
    assert all(f"| {arm.name} |" in summary for arm in POSTURE_ARMS) and "nan" not in summary.lower()
    # everything else unchanged: with common random numbers, the arm without pressure and the
    # scenario's own arm are the pressure sweep's runs at 0 and at the Hague's pressure
    pressure, arms = load_results(out / "sweep"), load_results(out / "posture_arms_sweep")
    outcomes = ["seed", "deal", "core_target_pct", "related_target_pct", "deadline_year", "rounds"]
    for name, level in (("no US pressure", 0.0), ("Trump 2025", 1.0)):
        at_level = pressure[np.isclose(pressure["us_pressure"], level)][outcomes].reset_index(drop=True)
        arm = arms[arms["point"] == list(ARMS).index(name)][outcomes].reset_index(drop=True)
        pd.testing.assert_frame_equal(at_level, arm)
    assert us_pressure.main(flags + ["--resume"]) == 0  # both sweeps resume
    assert us_pressure.main(flags) == 2  # no silent overwrite
