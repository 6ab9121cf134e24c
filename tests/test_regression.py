"""The default scenario against a stored baseline (covasim style).

If a change moves the outcome on purpose, look at the printed old/new/diff table, then
refresh the baseline and commit it with the change:

    ALLIANCE_SIM_UPDATE_BASELINE=1 .venv/bin/python -m pytest tests/test_regression.py
"""

import json
import math
import os
from pathlib import Path

from sim.engines.model import AllianceModel

BASELINE = Path(__file__).parent / "baselines" / "hague2025_seed0.json"
TOLERANCE = 1e-6  # absolute, on every number; tight, because the run is deterministic


def summary(scenario: str, seed: int) -> dict:
    """The numbers the baseline pins: the package, the baselines and each ally's end state."""
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
    return {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in flat.items()}


def differences(old: dict, new: dict) -> list[tuple[str, object, object, str]]:
    rows = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
            if abs(a - b) > TOLERANCE:
                rows.append((key, a, b, f"{b - a:+.6g}"))
        elif a != b:
            rows.append((key, a, b, "changed"))
    return rows


def table(rows) -> str:
    lines = [f"{'field':<36} {'old':>14} {'new':>14} {'diff':>12}"]
    lines += [f"{k:<36} {str(a):>14.14} {str(b):>14.14} {d:>12}" for k, a, b, d in rows]
    return "\n".join(lines)


def test_default_scenario_matches_its_baseline():
    new = summary("hague2025", 0)
    if os.environ.get("ALLIANCE_SIM_UPDATE_BASELINE") == "1":
        BASELINE.write_text(json.dumps(new, indent=2, sort_keys=True) + "\n")
    old = json.loads(BASELINE.read_text())
    rows = differences(old, new)
    assert not rows, (
        "the default scenario moved from its stored baseline:\n" + table(rows)
        + "\nIf this is intended, refresh it: ALLIANCE_SIM_UPDATE_BASELINE=1 .venv/bin/python -m pytest "
          "tests/test_regression.py")


def test_the_diff_table_reports_what_moved():
    rows = differences({"a": 1.0, "b": "ESP", "c": 2.0}, {"a": 1.5, "b": "ESP,CAN", "c": 2.0})
    assert [r[0] for r in rows] == ["a", "b"]
    assert "+0.5" in table(rows)
