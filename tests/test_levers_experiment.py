"""`experiments/levers.py`, the levers' acceptance test: its quick run writes its files and the
pass/fail table, refuses what it cannot do in one line, and its criteria (`experiments/lever_criteria.py`)
judge small hand-made tables as the issue's thresholds say."""

import math

import pandas as pd
import pytest

from experiments import lever_criteria as criteria
from experiments import levers
from sim.sweeps.results import METADATA_FILE


def points(settings, deal_probability=1.0, core=3.5, deadline=2035.0, half_width=0.05) -> pd.DataFrame:
    """A lever's per-point table as the experiment builds it, from per-setting values or one for all."""
    n = len(settings)
    column = lambda value: list(value) if isinstance(value, (list, tuple)) else [value] * n
    core = pd.Series(column(core), dtype=float)
    return pd.DataFrame({"setting": list(settings), "deal_probability": column(deal_probability),
                         "core_target_pct": core, "core_target_pct_low": core - half_width,
                         "core_target_pct_high": core + half_width, "deadline_year": column(deadline)})


# --- US pressure ---------------------------------------------------------------------------------

def test_a_jump_of_035_between_neighbouring_pressures_fails_and_025_passes():
    pressures = [0.8, 0.85, 0.9, 0.95]
    steep = criteria.pressure_has_no_cliff(points(pressures, deal_probability=[1.0, 1.0, 0.65, 0.6]), "US pressure")
    gentle = criteria.pressure_has_no_cliff(points(pressures, deal_probability=[1.0, 1.0, 0.75, 0.7]), "US pressure")
    assert steep.outcome == "FAIL" and steep.value == pytest.approx(0.35) and "0.85 to 0.90" in steep.measured
    assert gentle.outcome == "PASS" and gentle.value == pytest.approx(0.25)


def test_a_jump_between_pressures_further_apart_than_the_step_is_not_a_cliff():
    verdict = criteria.pressure_has_no_cliff(points([0.0, 0.5, 0.55], deal_probability=[1.0, 0.0, 0.1]), "US pressure")
    assert verdict.passed and verdict.value == pytest.approx(0.1)
    alone = criteria.pressure_has_no_cliff(points([0.0, 0.5]), "US pressure")
    assert alone.outcome == "FAIL" and "not measured" in alone.measured


def test_a_core_moving_06_pp_passes_the_pressure_criterion_and_04_fails():
    moving = criteria.pressure_moves_the_outcome(points([0.0, 0.5, 0.9], core=[3.0, 3.3, 3.6]), "US pressure", 0.9)
    still = criteria.pressure_moves_the_outcome(points([0.0, 0.5, 0.9], core=[3.0, 3.3, 3.4]), "US pressure", 0.9)
    assert moving.outcome == "PASS" and moving.value == pytest.approx(0.6)
    assert still.outcome == "FAIL" and still.value == pytest.approx(0.4)


def test_deals_turned_into_failures_pass_the_pressure_criterion_even_without_a_core():
    broken = points([0.0, 0.9], deal_probability=[1.0, 0.0], core=[3.5, math.nan])
    verdict = criteria.pressure_moves_the_outcome(broken, "US pressure", 0.9)
    assert verdict.outcome == "PASS" and "not comparable" in verdict.measured and "1.00 -> 0.00" in verdict.measured
    nearly = criteria.pressure_moves_the_outcome(points([0.0, 0.9], deal_probability=[1.0, 0.6]), "US pressure", 0.9)
    assert nearly.outcome == "FAIL"
    missing = criteria.pressure_moves_the_outcome(points([0.0, 0.5]), "US pressure", 0.9)
    assert missing.outcome == "FAIL" and "no runs at pressure 0.90" in missing.measured


def test_failures_turned_into_deals_by_pressure_pass_too():
    """No deal without pressure and a deal with it differ as much as the reverse: either is an answer."""
    made = criteria.pressure_moves_the_outcome(points([0.0, 0.9], deal_probability=[0.2, 1.0], core=[3.4, 3.5]),
                                               "US pressure", 0.9)
    assert made.outcome == "PASS" and "0.20 -> 1.00" in made.measured
    nearly = criteria.pressure_moves_the_outcome(points([0.0, 0.9], deal_probability=[0.6, 1.0], core=[3.4, 3.5]),
                                                 "US pressure", 0.9)
    assert nearly.outcome == "FAIL"


def test_the_headline_move_is_reported_not_judged():
    rows = points([0.0, 0.5, 1.0]).assign(headline_pct=[3.3, 4.0, 5.0])
    verdict = criteria.headline_moves(rows, "US pressure", 0.0, 1.0, "pressure")
    assert verdict.passed is None and verdict.outcome == "reported"
    assert verdict.value == pytest.approx(1.7) and "3.30% -> 5.00%" in verdict.measured
    assert criteria.headline_moves(points([0.0, 1.0]), "US pressure", 0.0, 1.0, "pressure").measured == "not measured"


# --- the other levers ----------------------------------------------------------------------------

def test_the_demand_must_move_the_core_by_one_point():
    demands = [2.0, 3.5, 5.0]
    assert criteria.demand_moves_the_core(points(demands, core=[2.4, 3.0, 3.5]), "US demand").outcome == "PASS"
    assert criteria.demand_moves_the_core(points(demands, core=[2.6, 3.0, 3.5]), "US demand").outcome == "FAIL"


def test_where_the_talks_end_with_no_new_target_the_standing_one_is_in_force():
    demands = [2.0, 3.5, 5.0]
    # no deal at a demand of 2%: the Vilnius 2% stands; 3.5% agreed at 5%: +1.5 pp
    none_low = points(demands, deal_probability=[0.0, 1.0, 1.0], core=[math.nan, 3.0, 3.5])
    verdict = criteria.demand_moves_the_core(none_low, "US demand", standing_pct=2.0)
    assert verdict.outcome == "PASS" and verdict.value == pytest.approx(1.5) and "standing target" in verdict.measured
    # a deal in half the runs at 3.0%: 0.5 x 3.0 + 0.5 x 2.0 = 2.5 in force, +1.0 to 3.5
    half = points(demands, deal_probability=[0.5, 1.0, 1.0], core=[3.0, 3.0, 3.5])
    assert criteria.demand_moves_the_core(half, "US demand", standing_pct=2.0).value == pytest.approx(1.0)
    # with no standing target to fall back on, a no-deal end cannot be measured
    assert criteria.demand_moves_the_core(none_low, "US demand").outcome == "FAIL"


def test_a_lever_is_inert_when_the_core_moves_less_than_its_band():
    caps = [0.0, 1.5, 3.0]
    inert = criteria.core_is_not_inert(points(caps, core=[3.50, 3.52, 3.53], half_width=0.05), "cap", "related_cap_pct")
    acting = criteria.core_is_not_inert(points(caps, core=[3.3, 3.5, 3.6], half_width=0.05), "cap", "related_cap_pct")
    assert inert.outcome == "FAIL" and inert.value == pytest.approx(0.03) and "(0.05 pp)" in inert.threshold
    assert acting.outcome == "PASS" and acting.value == pytest.approx(0.3)
    no_deal = points(caps, deal_probability=[0.0, 1.0, 1.0], core=[math.nan, 3.5, 3.5])
    assert "no deal at 0" in criteria.core_is_not_inert(no_deal, "cap", "related_cap_pct").measured


def test_the_threat_slope_is_reported_and_tested_by_its_move_across_the_sweep():
    threats = [0.2, 0.6, 1.0]
    steep = criteria.core_follows_the_lever(points(threats, core=[3.0, 3.2, 3.4], half_width=0.1), "Threat", "threat")
    flat = criteria.core_follows_the_lever(points(threats, core=[3.0, 3.05, 3.1], half_width=0.1), "Threat", "threat")
    assert steep.value == pytest.approx(0.5) and steep.passed and "+0.40 pp across the sweep" in steep.measured
    assert flat.value == pytest.approx(0.125) and not flat.passed


def test_a_deadline_moving_08_years_passes_and_12_fails():
    shifts = [-3, 0, 3]
    holding = criteria.deadline_holds(points(shifts, deadline=[2034.6, 2035.0, 2035.4]), "Deadline window", "Hague")
    moving = criteria.deadline_holds(points(shifts, deadline=[2034.4, 2035.0, 2035.6]), "Deadline window", "Hague")
    assert holding.outcome == "PASS" and holding.value == pytest.approx(0.8)
    assert moving.outcome == "FAIL" and moving.value == pytest.approx(1.2)
    reported = criteria.deadline_holds(points(shifts, deadline=[2030.0, 2033.0, 2036.0]), "Wales", "Wales", criterion=False)
    assert reported.outcome == "reported" and "outside the Hague threshold" in reported.measured


# --- the experiment ------------------------------------------------------------------------------

def test_quick_run_writes_its_files_and_the_pass_fail_table(tmp_path):
    out, page = tmp_path / "levers", tmp_path / "levers.md"
    assert levers.main(["--quick", "--out", str(out), "--workers", "1", "--quiet", "--docs", str(page)]) == 0
    table = pd.read_parquet(out / "levers_summary.parquet")
    assert set(table["lever"]) == {lever.key for lever in levers.LEVERS}
    assert len(table) == 5 * 6 + 5 * 3 and table["deal_probability"].between(0, 1).all()  # 5 protocols x 6 pressures
    found = pd.read_parquet(out / "levers_criteria.parquet")
    assert len(found) == 5 * 2 + 5 + 2 and set(found["pass/fail"]) <= {"PASS", "FAIL", "reported"}  # + the headlines reported
    assert (out / "levers.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = (out / "summary.md").read_text(encoding="utf-8")
    header = "| lever | measure | threshold | value measured | pass/fail |"
    assert summary.index(header) < summary.index("## What the sweeps found") and "nan" not in summary.lower()
    for _, row in found.iterrows():  # every verdict, as computed, in the table
        assert f"| {row['lever']} | {row['measure']} | {row['threshold']} | {row['value measured']} | " \
               f"{row['pass/fail']} |" in summary
    assert header in page.read_text(encoding="utf-8") and "--docs docs/levers.md" in page.read_text(encoding="utf-8")
    for lever in levers.LEVERS:
        assert (out / "sweep" / lever.experiment.name / METADATA_FILE).exists()
    assert levers.main(["--quick", "--out", str(out), "--workers", "1", "--quiet"]) == 2  # no silent overwrite


def test_bad_flags_end_in_one_line_and_status_2(tmp_path, capsys):
    assert levers.main(["--quick", "--out", str(tmp_path / "a"), "--workers", "0", "--quiet"]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0
    assert levers.main(["--quick", "--out", str(tmp_path / "b"), "--docs", str(tmp_path / "nowhere" / "levers.md")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("levers: error: --docs") and err.strip().count("\n") == 0
    assert not (tmp_path / "b").exists()  # refused before any run
    with pytest.raises(SystemExit) as stopped:
        levers.main(["--no-such-flag"])
    assert stopped.value.code == 2
