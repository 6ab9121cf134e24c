"""Numbers against stored baselines, with tolerances (covasim style).

Three checks, each against a JSON file in tests/baselines/:

- the Hague (2025) and Wales (2014) talks, seed 0, on the Mesa model: the package, the
  baselines and every ally's opening and final position and vote (`hague2025_seed0.json`,
  `wales2014_seed0.json`), each number within `TOLERANCE`;
- a sweep of `SWEEP_RUNS` runs through the batch engine, every parameter drawn over its whole
  allowed range and the protocols in turn (`sweep.json`), compared run by run. A run differs
  when any of its fields moves by more than `TOLERANCE`, or its deal, rounds or holdouts
  change. Up to `MAX_DIFFERING_SHARE` of the runs may differ: the model's thresholds (a vote
  carried by a hair, a ceiling just reached) turn the last bits a CPU rounds differently into
  another discrete outcome in a few knife-edge runs. Those are reported as a warning; more
  fail the check;
- the same sweep's aggregates by protocol (share of deals, mean levels, deadlines and rounds),
  each within its own tolerance in `AGGREGATE_TOLERANCES`, wide enough for the tolerated
  knife-edge runs and no wider.

A failure prints an old / new / difference table. If a change moves the numbers on purpose,
read the table, then refresh the baselines and commit them with the change:

    ALLIANCE_SIM_UPDATE_BASELINE=1 .venv/bin/python -m pytest tests/test_regression.py
"""

from __future__ import annotations

import json
import math
import os
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from conftest import BASELINES

from sim.engines.engine import Engine
from sim.engines.model import AllianceModel
from sim.engines.outcome import RUN_FIELDS
from sim.model.parameters import Parameters, parameter_fields
from sim.model.scenario import load_scenario

UPDATE = os.environ.get("ALLIANCE_SIM_UPDATE_BASELINE") == "1"
REFRESH = "ALLIANCE_SIM_UPDATE_BASELINE=1 .venv/bin/python -m pytest tests/test_regression.py"

TOLERANCE = 1e-6  # on every number, absolute below 1 and relative above (billions of dollars)
SWEEP_RUNS = 300
SWEEP_SEED = 20250624
MAX_DIFFERING_SHARE = 0.01  # knife-edge runs that may flip on another CPU: 3 of 300
MESA_CASES = ("hague2025", "wales2014")
PARTIAL_DRAWS = 3  # parameters drawn in the runs that keep the Hague scenario's others
#: What a partial run may draw: not the dates, whose ranges reach decades from the Hague's.
PARTIAL_NAMES = sorted(set(parameter_fields()) - {"summit_year", "earliest_deadline_years", "latest_deadline_years"})

#: Aggregate -> largest allowed move. Three runs flipping (MAX_DIFFERING_SHARE) among the 100
#: of a protocol move a deal share by 0.03; a mean level (about 3%, spread over a few points)
#: by about 3 x 3 / 70 deals = 0.13 points; a mean deadline (spread over 20 years) by about
#: 0.9 years; mean rounds (1 to 40) by 3 x 40 / 100 = 1.2.
AGGREGATE_TOLERANCES = {
    "deal_share": 0.035,
    "flexibility_share": 0.035,
    "mean_core_target_pct": 0.15,
    "mean_baseline_weighted_mean": 0.02,
    "mean_deadline_year": 1.0,
    "mean_rounds": 1.5,
    "mean_final_position_pct": 0.02,
}


# --- what is pinned ----------------------------------------------------------------------------

def plain(value):
    """A JSON value: None for NaN and missing, Python scalars for numpy ones, lists for arrays."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [plain(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(value) else float(value)
    return value


def summary(scenario: str, seed: int) -> dict:
    """The numbers a Mesa case pins: the package, the baselines and each ally's end state."""
    outcome = AllianceModel(scenario, rng=seed).run()
    flat = {
        "deal": outcome.deal,
        "core_target_pct": outcome.core_target_pct,
        "related_target_pct": outcome.related_target_pct,
        "deadline_year": outcome.deadline_year,
        "rounds": outcome.rounds,
        "holdouts": ",".join(outcome.holdouts),
        "flexibility": ",".join(outcome.flexibility),
        "baseline_weighted_mean": outcome.baselines.weighted_mean,
        "baseline_weighted_median": outcome.baselines.weighted_median,
        "baseline_nash": outcome.baselines.nash,
        "us_share_after": outcome.us_share_after,
        "extra_spending_usd_bn": outcome.extra_spending_usd_bn,
    }
    for ally in outcome.allies:
        flat[f"{ally.iso3}.initial_position_pct"] = ally.initial_position_pct
        flat[f"{ally.iso3}.final_position_pct"] = ally.final_position_pct
        flat[f"{ally.iso3}.accepted"] = ally.accepted
    return {k: plain(v) for k, v in flat.items()}


def sampled_overrides(runs: int, seed: int) -> list[dict]:
    """Runs over every parameter's whole allowed range, and the protocols in turn (each has a
    quarter of the runs). Even runs draw every parameter: talks that mostly settle in a round or
    two. Odd runs keep the Hague scenario and draw `PARTIAL_DRAWS` parameters: long talks with
    holdouts and side letters. At most 40 rounds and a summit between 2015 and 2040, not
    before the data year, so that the projected paths stay a few decades long."""
    rng = np.random.default_rng(seed)
    protocols = parameter_fields()["protocol"].metadata["choices"]
    draws = []
    for run in range(runs):
        values = {}
        for name, spec in parameter_fields().items():
            meta = spec.metadata
            if meta["choices"]:
                values[name] = meta["choices"][rng.integers(len(meta["choices"]))]
            elif spec.type in ("bool", bool):
                values[name] = bool(rng.integers(2))
            elif spec.type in ("int", int):
                high = min(meta["high"], 40) if name in ("max_rounds", "threat_shock_round") else meta["high"]
                values[name] = int(rng.integers(meta["low"], high + 1))
            else:
                values[name] = float(rng.uniform(meta["low"], meta["high"]))
        if values["latest_deadline_years"] < values["earliest_deadline_years"]:
            values["earliest_deadline_years"], values["latest_deadline_years"] = (
                values["latest_deadline_years"], values["earliest_deadline_years"])
        values["summit_year"] = int(rng.integers(2015, 2041))
        if values["summit_year"] < values["data_year"]:  # a summit is never before its data year
            values["summit_year"] = values["data_year"] + (values["summit_year"] - 2015) % (2041 - values["data_year"])
        if run % 2:
            kept = rng.choice(PARTIAL_NAMES, size=PARTIAL_DRAWS, replace=False)
            values = {name: values[name] for name in kept}
        values["protocol"] = protocols[run % len(protocols)]
        draws.append(values)
    Parameters(**draws[0])  # fails here, not deep in an engine, if the parameter table changed shape
    return draws


def sweep_runs(runs: int = SWEEP_RUNS) -> list[dict]:
    """The first `runs` runs of the pinned sweep through the batch engine: each run's protocol,
    its run-level fields and the mean of its allies' final positions."""
    overrides = sampled_overrides(SWEEP_RUNS, SWEEP_SEED)[:runs]
    result = Engine.BATCH.run(load_scenario("hague2025"), overrides, list(range(runs)), per_ally=True)
    finals = result.allies.final_position_pct
    rows = []
    for run, row in enumerate(result.rows()):
        finite = finals[run][np.isfinite(finals[run])]
        rows.append({"protocol": overrides[run]["protocol"].value, **{k: plain(row[k]) for k in RUN_FIELDS},
                     "mean_final_position_pct": plain(finite.mean()) if finite.size else None})
    return rows


def aggregates(rows: list[dict]) -> dict[str, float | None]:
    """By protocol: the share of deals and of deals with side letters, and the mean level,
    baseline, deadline, rounds and final position."""
    def mean(values):
        values = [v for v in values if v is not None]
        return float(np.mean(values)) if values else None

    out = {}
    for protocol in sorted({row["protocol"] for row in rows}):
        mine = [row for row in rows if row["protocol"] == protocol]
        deals = [row for row in mine if row["deal"]]
        out[f"{protocol}.runs"] = len(mine)
        out[f"{protocol}.deal_share"] = len(deals) / len(mine)
        out[f"{protocol}.flexibility_share"] = sum(bool(row["flexibility"]) for row in deals) / len(mine)
        out[f"{protocol}.mean_core_target_pct"] = mean(row["core_target_pct"] for row in deals)
        out[f"{protocol}.mean_baseline_weighted_mean"] = mean(row["baseline_weighted_mean"] for row in mine)
        out[f"{protocol}.mean_deadline_year"] = mean(row["deadline_year"] for row in deals)
        out[f"{protocol}.mean_rounds"] = mean(row["rounds"] for row in mine)
        out[f"{protocol}.mean_final_position_pct"] = mean(row["mean_final_position_pct"] for row in mine)
    return out


# --- the comparison ------------------------------------------------------------------------------

def close(a, b, tolerance: float = TOLERANCE, relative: bool = True) -> bool:
    """Within `tolerance`: absolute, or if `relative` absolute below 1 and relative above. Missing
    on both sides (NaN, a case that measured nothing) is no move; missing on one side is."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tolerance * (max(1.0, abs(a), abs(b)) if relative else 1.0)


def differences(old: dict, new: dict, tolerance: float = TOLERANCE,
                tolerances: dict[str, float] | None = None) -> list[tuple[str, object, object, str]]:
    """(field, old, new, difference) for each field that moved: numbers beyond `tolerance`
    (absolute below 1, relative above) or beyond their own absolute `tolerances[field]`,
    anything else when it is not equal."""
    rows = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))
        if numbers:
            own = (tolerances or {}).get(key)
            if not (close(a, b, tolerance) if own is None else close(a, b, own, relative=False)):
                rows.append((key, a, b, f"{b - a:+.6g}"))
        elif a != b:
            rows.append((key, a, b, "changed"))
    return rows


def table(rows) -> str:
    """An old / new / difference table, one line a row."""
    def cell(value):
        return f"{value:.10g}" if isinstance(value, float) else str(value)

    lines = [f"{'field':<44} {'old':>18} {'new':>18} {'diff':>12}"]
    lines += [f"{k:<44} {cell(a):>18.18} {cell(b):>18.18} {d:>12}" for k, a, b, d in rows]
    return "\n".join(lines)


@dataclass
class SweepComparison:
    """A sweep against its baseline: the runs that moved and the aggregates that moved."""

    runs: int
    moved: dict[int, list] = field(default_factory=dict)  # run -> its difference rows
    aggregates: list = field(default_factory=list)

    @property
    def allowed(self) -> int:
        return int(MAX_DIFFERING_SHARE * self.runs)

    @property
    def passes(self) -> bool:
        return len(self.moved) <= self.allowed and not self.aggregates

    def report(self, limit: int = 40) -> str:
        lines = [f"{len(self.moved)} of {self.runs} runs differ (at most {self.allowed} may: "
                 f"knife-edge runs); {len(self.aggregates)} aggregates moved beyond their tolerance"]
        if self.moved:
            rows = [(f"run {run}: {key}", a, b, d) for run, moved in sorted(self.moved.items())
                    for key, a, b, d in moved]
            lines += [table(rows[:limit])] + ([f"... and {len(rows) - limit} more"] if len(rows) > limit else [])
        if self.aggregates:
            lines += ["aggregates:", table(self.aggregates)]
        return "\n".join(lines)


def compare_sweeps(old: dict, new: dict) -> SweepComparison:
    """Run by run, then the aggregates, of two sweeps as stored (`{"runs": [...], "aggregates": {...}}`)."""
    assert len(old["runs"]) == len(new["runs"]), "the baseline holds another number of runs: refresh it"
    comparison = SweepComparison(runs=len(new["runs"]))
    for run, (a, b) in enumerate(zip(old["runs"], new["runs"])):
        moved = differences(a, b)
        if moved:
            comparison.moved[run] = moved
    tolerances = {key: AGGREGATE_TOLERANCES.get(key.split(".", 1)[1], 0.0) for key in new["aggregates"]}
    comparison.aggregates = differences(old["aggregates"], new["aggregates"], tolerances=tolerances)
    return comparison


def stored(path: Path, new: dict) -> dict:
    """The baseline at `path`, written from `new` first when refreshing on purpose."""
    if UPDATE:
        path.write_text(dump(new))
    return json.loads(path.read_text())


def dump(baseline: dict) -> str:
    """Indented JSON, except that each run of a sweep keeps to one line (a readable diff)."""
    if "runs" not in baseline:
        return json.dumps(baseline, indent=2, sort_keys=True) + "\n"
    runs = ",\n".join("  " + json.dumps(run, sort_keys=True) for run in baseline["runs"])
    rest = json.dumps({k: v for k, v in baseline.items() if k != "runs"}, indent=2, sort_keys=True)
    return rest[:-2] + ',\n "runs": [\n' + runs + "\n ]\n}\n"


@pytest.fixture(scope="module")
def sweep() -> dict:
    rows = sweep_runs()
    return {"runs": rows, "aggregates": aggregates(rows)}


# --- the checks ----------------------------------------------------------------------------------

@pytest.mark.parametrize("scenario", MESA_CASES)
def test_the_historical_cases_match_their_baselines(scenario):
    new = summary(scenario, 0)
    rows = differences(stored(BASELINES / f"{scenario}_seed0.json", new), new)
    assert not rows, f"{scenario}, seed 0, moved from its stored baseline:\n{table(rows)}\n" \
                     f"If this is intended, refresh it: {REFRESH}"


@pytest.mark.slow
def test_a_sweep_over_every_parameter_and_protocol_matches_its_baseline(sweep):
    comparison = compare_sweeps(stored(BASELINES / "sweep.json", sweep), sweep)
    assert comparison.passes, f"the sweep moved from its stored baseline:\n{comparison.report()}\n" \
                              f"If this is intended, refresh it: {REFRESH}"
    if comparison.moved:
        warnings.warn(f"knife-edge runs of the regression sweep differ (tolerated):\n{comparison.report()}",
                      stacklevel=1)


def test_the_sweep_covers_every_parameter_over_its_range_and_every_protocol():
    draws = sampled_overrides(SWEEP_RUNS, SWEEP_SEED)
    assert all(set(draw) == set(parameter_fields()) for draw in draws[::2])
    assert all(len(draw) in (PARTIAL_DRAWS, PARTIAL_DRAWS + 1) for draw in draws[1::2])
    for name, spec in parameter_fields().items():
        values = [draw[name] for draw in draws if name in draw]
        meta = spec.metadata
        if meta["choices"]:
            assert set(values) == set(meta["choices"]), name
        elif spec.type in ("float", float):  # 300 uniform draws reach the outer tenths of the range
            width = meta["high"] - meta["low"]
            assert min(values) < meta["low"] + 0.1 * width and max(values) > meta["high"] - 0.1 * width, name
    assert [draws[i]["protocol"].value for i in range(4)] == ["mediator", "agenda_setter", "baron_ferejohn", "challenge"]


# --- the check catches what it must, and tolerates what it must ---------------------------------

def changed_constant(monkeypatch, name: str, factor: float) -> None:
    """`name` times `factor` in every module of the package that holds it (wherever the rules
    live, and wherever they were imported from)."""
    holders = [module for key, module in list(sys.modules.items())
               if key.startswith("sim.") and isinstance(getattr(module, name, None), (int, float))]
    assert holders, f"no module of the package holds {name}"
    for module in holders:
        monkeypatch.setattr(module, name, getattr(module, name) * factor)


@pytest.mark.slow
@pytest.mark.parametrize("constant", ["DEBT_REFERENCE_PCT", "LEVEL_CEILING_PCT"])
def test_a_one_percent_change_in_a_rule_constant_fails_the_sweep_check(monkeypatch, sweep, constant, capsys):
    changed_constant(monkeypatch, constant, 1.01)
    rows = sweep_runs()
    comparison = compare_sweeps(sweep, {"runs": rows, "aggregates": aggregates(rows)})
    with capsys.disabled():
        print(f"\n{constant} x 1.01:\n{comparison.report(limit=12)}")
    assert not comparison.passes and len(comparison.moved) > comparison.allowed
    assert "run " in comparison.report() and "old" in comparison.report()


def test_a_one_percent_change_in_a_rule_constant_moves_the_hague_case(monkeypatch):
    before = summary("hague2025", 0)
    changed_constant(monkeypatch, "DEBT_REFERENCE_PCT", 1.01)
    rows = differences(before, summary("hague2025", 0))
    assert any(key.endswith(".initial_position_pct") for key, *_ in rows)


def test_knife_edge_runs_are_tolerated_up_to_their_share_and_reported():
    runs = [{"deal": True, "core_target_pct": 3.5, "rounds": 4}] * 300
    base = {"runs": runs, "aggregates": {"mediator.deal_share": 0.7}}
    flipped = [dict(run) for run in runs]
    for run in (5, 17, 250):  # 3 of 300: 1%
        flipped[run] = {"deal": False, "core_target_pct": None, "rounds": 12}
    tolerated = compare_sweeps(base, {"runs": flipped, "aggregates": {"mediator.deal_share": 0.69}})
    assert tolerated.passes and sorted(tolerated.moved) == [5, 17, 250]
    assert "3 of 300 runs differ (at most 3 may" in tolerated.report()
    assert "run 17: deal" in tolerated.report()
    flipped[40] = {"deal": False, "core_target_pct": None, "rounds": 12}
    assert not compare_sweeps(base, {"runs": flipped, "aggregates": {"mediator.deal_share": 0.69}}).passes


def test_a_move_below_the_tolerance_is_no_difference_and_one_above_is():
    assert differences({"a": 0.5, "b": 2000.0}, {"a": 0.5 + 9e-7, "b": 2000.0 + 1.9e-3}) == []
    assert [row[0] for row in differences({"a": 0.5, "b": 2000.0}, {"a": 0.5 + 1.1e-6, "b": 2000.0 + 2.1e-3})] \
        == ["a", "b"]


def test_an_aggregate_beyond_its_tolerance_fails_the_check():
    runs = [{"deal": True}] * 100
    moved = compare_sweeps({"runs": runs, "aggregates": {"agenda_setter.mean_rounds": 6.0}},
                           {"runs": runs, "aggregates": {"agenda_setter.mean_rounds": 7.6}})
    assert not moved.passes and "agenda_setter.mean_rounds" in moved.report() and "+1.6" in moved.report()


def test_the_diff_table_reports_what_moved():
    rows = differences({"a": 1.0, "b": "ESP", "c": 2.0}, {"a": 1.5, "b": "ESP,CAN", "c": 2.0})
    assert [r[0] for r in rows] == ["a", "b"]
    assert "+0.5" in table(rows)
