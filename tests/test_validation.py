"""`alliance-sim validate`: the history table, pinned, and what it must show.

Refresh the pinned numbers on purpose (after a change to the model or its parameters) with
    ALLIANCE_SIM_UPDATE_BASELINE=1 .venv/bin/python -m pytest tests/test_validation.py
"""

import json
import math
import os
from dataclasses import asdict, replace

import numpy as np
import pytest
from conftest import BASELINES
from test_regression import differences, table

from sim.cli import main
from sim.analysis.history import HagueRecord
from sim.engines.outcome import without_nan
from sim.model.parameters import Parameters, NegotiationProtocol
from sim.analysis.validation import HagueTargets, Hindcast, HindcastTargets, validate, wales_case
from sim.analysis.validation_report import table_text

BASELINE = BASELINES / "validation_seeds0-4.json"
SEEDS = range(5)


@pytest.fixture(scope="module")
def result():
    return validate(SEEDS)


def pinned(v) -> dict:
    flat = {
        "hague.core_pct": v.hague.core_pct, "hague.total_pct": v.hague.total_pct,
        "hague.deadline_year": v.hague.deadline_year, "hague.deal_share": v.hague.deal_share,
        "hague.spain_flexibility_share": v.hague.spain_flexibility_share,
        "hague.first_draft_deadline": v.hague.first_draft_deadline,
        "wales.level_pct": v.wales.level_pct, "wales.horizon_years": v.wales.horizon_years,
        "wales.hindcast.mae_pp": v.wales.hindcast.mae_pp, "wales.hindcast.spearman": v.wales.hindcast.spearman,
        "wales.hindcast.at_two_percent": v.wales.hindcast.at_two_percent,
        "wales.every_ally_signs_share": v.wales.every_ally_signs_share,
    }
    flat.update({f"hague.baseline.{k}": x for k, x in asdict(v.hague.baselines).items()})
    flat.update({f"combined_error.{k}": x for k, x in v.combined_errors().items()})
    for fit in v.cross:
        flat[f"fit_{fit.fitted_on}.hague.core_pct"] = fit.hague.core_pct
        flat[f"fit_{fit.fitted_on}.wales.hindcast.mae_pp"] = fit.wales.hindcast.mae_pp
        flat[f"fit_{fit.fitted_on}.wales.hindcast.spearman"] = fit.wales.hindcast.spearman
        flat[f"fit_{fit.fitted_on}.ensemble_passing"] = fit.ensemble_passing
    return flat


def test_validation_table_matches_its_baseline(result):
    new = pinned(result)
    if os.environ.get("ALLIANCE_SIM_UPDATE_BASELINE") == "1":
        BASELINE.write_text(json.dumps(new, indent=2, sort_keys=True) + "\n")
    rows = differences(json.loads(BASELINE.read_text()), new)
    assert not rows, "the validation table moved:\n" + table(rows) + "\nRefresh on purpose: see this file's docstring."


def test_the_hague_package(result):
    record = HagueRecord()
    assert abs(result.hague.core_pct - record.core_pct) <= 0.25
    assert abs(result.hague.deadline_year - record.deadline_year) <= 2
    assert result.hague.total_pct == pytest.approx(record.total_pct, abs=0.1)


def test_washington_2024_ends_with_no_new_target(result):
    """The record: no new target (Washington Summit Declaration, 10 July 2024). With no US
    pressure no one sponsors a side letter (docs/ODD.md 7.8), and the laggards who prefer no
    agreement to the targets' draft block it."""
    assert result.washington.new_target_share < 0.5


def test_wales_counts_a_run_as_every_ally_signing_only_with_a_deal_and_no_side_letter(result):
    """A run with a side letter for any ally is not one in which every ally signed, so the share
    of such runs is at most one less the share of runs carrying the most-carried ally."""
    carried = max(result.wales.flexibility_share.values(), default=0.0)
    assert 0.0 <= result.wales.every_ally_signs_share <= min(result.wales.deal_share, 1.0 - carried) + 1e-12


def test_the_hague_case_carries_spain(result):
    assert result.hague.spain_flexibility_share >= 0.5
    assert HagueTargets().met_by(result.hague)


def test_hague_targets_by_hand(result):
    hit = result.hague
    targets = HagueTargets()
    assert targets.met_by(replace(hit, core_pct=3.25, deadline_year=2037.0, spain_flexibility_share=0.5))
    assert not targets.met_by(replace(hit, core_pct=3.24))
    assert not targets.met_by(replace(hit, deadline_year=2032.9))
    assert not targets.met_by(replace(hit, spain_flexibility_share=0.4))
    assert not targets.met_by(replace(hit, core_pct=float("nan")))  # no deal in any run


def test_each_case_reports_how_many_of_its_best_fits_meet_the_other(result):
    for fit in result.cross:
        assert fit.ensemble_size == 10 and 0 <= fit.ensemble_passing <= fit.ensemble_size


def test_the_hindcast_beats_both_naive_hindcasts(result):
    w = result.wales
    for naive in (w.no_change, w.everyone_to_two):
        assert w.hindcast.mae_pp < naive.mae_pp
        assert w.hindcast.spearman > naive.spearman
    assert HindcastTargets().met_by(w.hindcast)


@pytest.mark.xfail(strict=True, reason="a known miss: fitted on the Wales decade alone, every ally signs at the Hague, "
                   "Spain included (the reversion point's stakes are not pinned by Wales); docs/ODD.md section 9")
def test_the_hague_holds_out_of_sample_when_fitted_on_wales_alone(result):
    """Parameters fitted on the Wales decade alone reproduce the Hague package and Spain's side
    letter. (The other direction holds only in part: the Hague cannot pin the pace of
    implementation, docs/ODD.md section 9; see the next test.)"""
    fitted_on_wales = next(fit for fit in result.cross if fit.fitted_on == "wales")
    assert HagueTargets().met_by(fitted_on_wales.hague)


@pytest.mark.xfail(strict=True, reason="a known miss: fitted on the Hague alone, the Wales pledge falls short of 2% "
                   "(1.89%), so its allies keep it below the 2% the count counts; docs/ODD.md section 9")
def test_fitted_on_the_hague_alone_the_wales_ranking_holds_out_of_sample(result):
    """The Hague fit holds the implementation parameters it cannot pin at mid-range; out of
    sample it still ranks the allies' 2024 spending (Spearman target 0.7) and counts those at 2%
    within the target range, and some of its best fits meet every hindcast target."""
    fitted_on_hague = next(fit for fit in result.cross if fit.fitted_on == "hague")
    hindcast, targets = fitted_on_hague.wales.hindcast, HindcastTargets()
    low, high = targets.at_two_percent_range()
    assert hindcast.spearman >= targets.spearman and low <= hindcast.at_two_percent <= high
    assert fitted_on_hague.ensemble_passing >= 1


def test_hindcast_targets_by_hand():
    targets = HindcastTargets()
    assert targets.at_two_percent_range() == (20, 26)
    assert targets.met_by(Hindcast(mae_pp=0.35, spearman=0.7, at_two_percent=20))
    assert not targets.met_by(Hindcast(mae_pp=0.36, spearman=0.9, at_two_percent=23))
    assert not targets.met_by(Hindcast(mae_pp=0.2, spearman=0.69, at_two_percent=23))
    assert not targets.met_by(Hindcast(mae_pp=0.2, spearman=0.9, at_two_percent=26.5))


def test_the_model_errs_less_than_every_baseline_on_both_cases(result):
    errors = result.combined_errors()
    assert all(errors["model"] < errors[name] for name in ("weighted_mean", "weighted_median", "nash"))


def test_every_run_reaches_the_hindcast_year_with_the_defaults(result):
    assert result.wales.hindcast_runs == len(SEEDS)
    # the defaults' part of the table: the fits on one case, and the other protocols, may end sooner
    headline = table_text(result).split("fitted on hague only")[0]
    assert f"of {len(SEEDS)} runs)" not in headline


def test_a_run_whose_path_ends_before_2024_is_left_out_of_the_hindcast_and_said_so():
    short = wales_case({"latest_deadline_years": 6, "earliest_deadline_years": 5}, range(3))  # paths end by 2020
    assert short.hindcast_runs == 0 and math.isnan(short.hindcast.mae_pp)


def test_without_nan_makes_any_json_strict():
    cleaned = without_nan({"a": np.float32("nan"), "b": [np.inf, 1, True, np.float64(2.5)], "c": (float("nan"),)})
    assert json.loads(json.dumps(cleaned, default=float, allow_nan=False)) == {
        "a": None, "b": [None, 1, True, 2.5], "c": [None]}


def strict_json(constant: str):
    raise AssertionError(f"{constant} is not JSON")


@pytest.mark.slow
def test_validate_command_prints_json_and_writes_a_report(tmp_path, capsys):
    assert main(["validate", "--seeds", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out, parse_constant=strict_json)
    assert {"hague", "wales", "cross", "combined_errors", "protocols"} <= set(data)
    assert set(data["protocols"]) == {p.value for p in NegotiationProtocol}
    assert {"hague", "wales", "combined_errors"} <= set(data["protocols"]["agenda_setter"])
    out = tmp_path / "report"
    assert main(["validate", "--seeds", "2", "--out", str(out)]) == 0
    assert "2024 hindcast from 2014" in (out / "validation.md").read_text()
    assert (out / "hindcast_2024.png").read_bytes()[:4] == b"\x89PNG"
    report = json.loads((out / "validation.json").read_text(), parse_constant=strict_json)
    assert report["cross"][1]["fitted_on"] == "wales" and set(report["forecast"]["POL"]["2030"]) == {"mean", "p05", "p95"}
    capsys.readouterr()
    assert main(["validate", "--seeds", "2", "--out", str(out)]) == 2
    assert "already holds validation.md" in capsys.readouterr().err
    assert main(["validate", "--seeds", "0"]) == 2


def test_the_first_versions_implementation_is_one_flag_away():
    """`self_enforcing_pledges = false` with the old fiscal drag is the first version's
    implementation rule: every pledge kept, slowed by fiscal pressure. On the 2015-2024 path
    it does worse than the default rule, which is why the default changed."""
    first_version = wales_case({"self_enforcing_pledges": False, "compliance_drag": 0.3}, SEEDS)
    default = wales_case({}, SEEDS)
    assert first_version.path.model.mae_pp > default.path.model.mae_pp


def test_the_punctuated_budgets_carry_the_count_after_the_invasion(result):
    """Without the jump (`punctuation_rate = 0`) budgets move at one incremental pace; the
    invasion's gaps then close too slowly, and fewer allies reach 2% in 2024 than the record's
    23 allow (the hindcast's band is 20 to 26). With it, the count is inside the band, and the
    years before the invasion, when the gaps stayed within the friction, hardly change."""
    incremental = wales_case({"punctuation_rate": 0.0}, SEEDS)
    punctuated = result.wales
    low, high = HindcastTargets().at_two_percent_range()
    assert incremental.hindcast.at_two_percent < low <= punctuated.hindcast.at_two_percent <= high
    assert punctuated.hindcast.at_two_percent >= incremental.hindcast.at_two_percent + 3
    before = range(2015, 2020)  # within 0.05 pp of each other's error, year by year
    assert max(abs(punctuated.path.model.mae_by_year[y] - incremental.path.model.mae_by_year[y]) for y in before) < 0.05


def test_the_path_hindcast_beats_the_naive_paths_over_every_ally_year(result):
    path = result.wales.path
    assert list(path.model.mae_by_year) == list(range(2015, 2025))
    assert path.model.mae_pp < path.no_change.mae_pp
    assert path.model.mae_pp < path.everyone_to_two.mae_pp
    assert path.model.spearman > max(path.no_change.spearman, path.everyone_to_two.spearman)


def test_the_forecast_table_has_a_stable_shape(result):
    forecast = result.forecast
    assert "ISL" not in forecast and len(forecast) == 31
    for code, years in forecast.items():
        assert min(years) == 2024 and max(years) >= 2035, code
        for year, cell in years.items():
            assert set(cell) == {"mean", "p05", "p95"}
            assert cell["p05"] - 1e-12 <= cell["mean"] <= cell["p95"] + 1e-12, (code, year)
    data = json.loads(json.dumps(without_nan(result.to_dict())))
    assert data["forecast"]["POL"]["2030"]["mean"] == pytest.approx(forecast["POL"][2030]["mean"])


# --- every protocol on both cases ------------------------------------------------------------------

def test_every_protocol_is_run_on_both_cases(result):
    assert list(result.protocols) == [p.value for p in NegotiationProtocol]
    for name, run in result.protocols.items():
        h, w = run.hague, run.wales
        assert run.protocol == name
        for share in (h.deal_share, h.spain_flexibility_share, h.spain_holdout_share, h.canada_signing_share,
                      h.hawks_at_five_share, h.first_round_share, w.deal_share):
            assert 0 <= share <= 1, name
        assert h.spain_holdout_share >= h.spain_flexibility_share  # a side letter is a holdout carried
        assert 1 <= h.mean_rounds <= Parameters().max_rounds
        assert 2025 < h.first_draft_deadline_mean <= 2025 + Parameters().latest_deadline_years
        if h.deal_share > 0:
            assert all(math.isfinite(x) for x in (h.core_pct, h.total_pct, h.deadline_year))
        if w.deal_share > 0:
            assert math.isfinite(w.level_pct) and math.isfinite(w.horizon_years)
        if w.hindcast_runs:
            assert all(math.isfinite(x) for x in (w.hindcast.mae_pp, w.hindcast.spearman, w.path.model.mae_pp))
        assert all(math.isfinite(x) for x in run.combined_errors().values()) or h.deal_share * w.deal_share == 0


def test_the_default_protocol_gives_the_headline_results(result):
    default = result.protocols[Parameters().protocol.value]
    for name in ("deal_share", "core_pct", "deadline_year", "first_draft_deadline", "spain_flexibility_share"):
        assert getattr(default.hague, name) == getattr(result.hague, name), name
    assert default.hague.first_draft_deadline_mean == result.hague.first_draft_deadline_mean
    assert default.wales.level_pct == result.wales.level_pct
    assert default.wales.hindcast == result.wales.hindcast
    assert default.combined_errors() == result.combined_errors()


def test_the_table_shows_each_protocol_side_by_side(result):
    text = table_text(result)
    assert "by protocol" in text
    section = text[text.index("by protocol"):].splitlines()
    header = section[0].split()
    assert header[-len(NegotiationProtocol):] == [p.value for p in NegotiationProtocol]
    for label in ("first draft's deadline", "Spain side letter or holding out", "Canada signs, no side letter",
                  "open >= 5% by 2030", "rounds", "Wales: level", "Wales: horizon", "2015-2024 path MAE",
                  "2024 hindcast MAE", "level error"):
        assert any(label in line for line in section), label
    assert "nan" not in text.lower()


def test_the_protocols_reach_the_json_strictly(result):
    data = json.loads(json.dumps(result.to_dict(), default=float, allow_nan=False), parse_constant=strict_json)
    for name in (p.value for p in NegotiationProtocol):
        hague = data["protocols"][name]["hague"]
        assert {"canada_signing_share", "spain_holdout_share", "hawks_at_five_share", "mean_rounds",
                "first_draft_deadline_mean"} <= set(hague)
        assert set(data["protocols"][name]["combined_errors"]) == {"model", "weighted_mean", "weighted_median", "nash"}
