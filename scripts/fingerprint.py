"""Fingerprint every output of both engines, so a refactor can show it changes nothing.

Covers the default scenario and Wales through the Mesa model (outcome, per-ally results and
trajectories, the round-by-round tables), and a sweep over every parameter through both
engines (run rows, per-ally rows, trajectories; the Mesa engine also per round). Each table
is reduced to a canonical JSON form (lists of ISO3 codes, null for what is missing, numbers
to 10 significant digits, so that a reordering of float arithmetic in the last bit does not
count as a change) and hashed.

    .venv/bin/python scripts/fingerprint.py            # print the fingerprint as JSON
    .venv/bin/python scripts/fingerprint.py --check F  # compare with a stored one; exit 1 on a difference

`tests/test_fingerprint.py` compares the fingerprint with `tests/baselines/fingerprint.json`,
taken before the one-round refactor. A change that moves results on purpose refreshes it:
    .venv/bin/python scripts/fingerprint.py > tests/baselines/fingerprint.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np

from sim.engines.engine import Engine
from sim.engines.model import AllianceModel
from sim.model.parameters import Parameters, parameter_fields
from sim.model.scenario import load_scenario

SWEEP_RUNS = 2000  # batch engine, every parameter varied
MESA_RUNS = 150  # the first runs of the sweep again through the Mesa engine, with rounds
SAMPLE_SEED = 20250624
SIGNIFICANT_DIGITS = 10


def sampled_overrides(runs: int, seed: int) -> list[dict]:
    """Every parameter drawn over its whole allowed range, run by run; talks of at most 40
    rounds so that the Mesa part stays quick."""
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(runs):
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
        values["summit_year"] = int(rng.integers(2015, 2041))  # keeps the projected paths a few decades long
        draws.append(values)
    Parameters(**draws[0])  # fails here, not deep in an engine, if the table changed shape
    return draws


def canonical(value):
    """A JSON-ready value that is the same whatever representation an engine used."""
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return canonical(value.tolist())
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return None if not math.isfinite(value) else float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    return value


def digest(value) -> str:
    return hashlib.sha256(json.dumps(canonical(value), sort_keys=True).encode()).hexdigest()[:16]


def codes(value) -> list[str]:
    """A list of ISO3 codes, from a list or a ';'-joined string (the form before the refactor)."""
    if isinstance(value, str):
        return [code for code in value.split(";") if code]
    return list(value)


def run_row(row: dict) -> dict:
    """A run's row with one representation for lists and for the missing deadline."""
    row = dict(row)
    for name in ("holdouts", "flexibility"):
        row[name] = codes(row[name])
    deadline = row["deadline_year"]
    row["deadline_year"] = None if deadline is None or deadline == -1 or deadline != deadline else int(deadline)
    return row


def batch_tables(result, per_round: bool) -> dict[str, str]:
    """The hashes of an engine's result: run rows, per-ally arrays, trajectories, rounds."""
    rows = [run_row(row) for row in result.rows()]
    allies = result.allies
    tables = {
        "runs": digest(rows),
        "allies.final_position_pct": digest(allies.final_position_pct),
        "allies.accepted": digest(allies.accepted),
        "allies.flexibility": digest(allies.flexibility),
        "allies.trajectory": digest({"years": list(allies.years), "values": allies.trajectory_pct}),
    }
    if per_round:
        for part in ("rounds", "allies"):
            records = getattr(result.per_round, part)
            tables[f"per_round.{part}"] = digest({name: records[name] for name in sorted(records)})
    return tables


def model_tables(scenario: str, seed: int) -> dict[str, str]:
    """The hashes of one Mesa run: its outcome (with per-ally results and trajectories) and
    its round-by-round tables."""
    model = AllianceModel(load_scenario(scenario), rng=seed)
    outcome = model.run().to_dict()
    outcome["holdouts"], outcome["flexibility"] = codes(outcome["holdouts"]), codes(outcome["flexibility"])
    allies = outcome.pop("allies")
    return {
        "outcome": digest(outcome),
        "allies": digest([{k: v for k, v in a.items() if k != "trajectory"} for a in allies]),
        "trajectories": digest({a["iso3"]: a["trajectory"] for a in allies}),
        "rounds_table": digest(model.rounds_table().to_dict(orient="list")),
        "allies_table": digest(model.allies_table().to_dict(orient="list")),
    }


def fingerprint() -> dict[str, dict[str, str]]:
    overrides = sampled_overrides(SWEEP_RUNS, SAMPLE_SEED)
    seeds = list(range(SWEEP_RUNS))
    scenario = load_scenario("hague2025")
    return {
        "hague2025 seed 0 (mesa)": model_tables("hague2025", 0),
        "wales2014 seed 0 (mesa)": model_tables("wales2014", 0),
        f"sweep of {SWEEP_RUNS} (batch)": batch_tables(
            Engine.BATCH.run(scenario, overrides, seeds, per_ally=True), per_round=False),
        f"sweep, first {MESA_RUNS} (mesa)": batch_tables(
            Engine.MESA.run(scenario, overrides[:MESA_RUNS], seeds[:MESA_RUNS], per_ally=True, per_round=True),
            per_round=True),
    }


def differences(stored: dict, current: dict) -> list[str]:
    return [f"{case}: {table} {stored.get(case, {}).get(table)} -> {value}"
            for case, tables in current.items() for table, value in tables.items()
            if stored.get(case, {}).get(table) != value]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", type=Path, help="a stored fingerprint to compare with")
    args = parser.parse_args(argv)
    current = fingerprint()
    if args.check is None:
        print(json.dumps(current, indent=2))
        return 0
    changed = differences(json.loads(args.check.read_text()), current)
    print("\n".join(changed) if changed else "identical")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
