"""Every output of both engines at full precision, to show a refactor changes nothing.

A pure restructuring must leave every number as it was. This script dumps them (the Hague and
Wales cases on the Mesa model with their round-by-round tables, 10 runs of each on the batch
engine, and a 2,000-run sweep drawing every parameter, every protocol and rule included, over
its whole range, on the batch engine, with its first 150 runs again on the Mesa engine) and
compares two dumps value by value:

    .venv/bin/python scripts/snapshot_outputs.py save after.pickle
    git worktree add ../before <commit>      # then, in ../before, with this checkout's venv and script:
    PYTHONPATH=. <venv>/bin/python <script> save before.pickle
    .venv/bin/python scripts/snapshot_outputs.py compare ../before/before.pickle after.pickle

It imports the package as laid out now, or as it was before the packages by domain noun
(`sim.engines`, `sim.model`, `sim.scenario` at the top level), so a tree from either side of
that move can be dumped. Unlike `tests/test_regression.py`, which passes on any machine, this
compares to the last bit, so compare dumps taken on one machine.
"""

from __future__ import annotations

import argparse
import math
import pickle
import sys
from pathlib import Path

import numpy as np

SWEEP_RUNS = 2000
MESA_RUNS = 150
SAMPLE_SEED = 20250624
TOLERANCE = 1e-12


def package():
    """Engine, AllianceModel, load_scenario and parameter_fields, wherever the tree keeps them."""
    try:
        from sim.engines.engine import Engine
        from sim.engines.model import AllianceModel
        from sim.model.parameters import parameter_fields
        from sim.model.scenario import load_scenario
    except ImportError:  # the flat layout before the packages by domain noun
        from sim.engines import Engine
        from sim.model import AllianceModel
        from sim.parameters import parameter_fields
        from sim.scenario import load_scenario
    return Engine, AllianceModel, load_scenario, parameter_fields


def sampled_overrides(parameter_fields, runs: int, seed: int) -> list[dict]:
    """Every parameter drawn over its whole range, run by run (talks of at most 40 rounds,
    summits from 2015 to 2040, never before the data year, so that paths stay a few decades
    long). The twin of `tests/test_regression.py`'s drawer, kept here because this script runs
    in other checkouts, whose tests differ: change both together."""
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(runs):
        values = {}
        for name, spec in parameter_fields().items():
            meta = spec.metadata
            if meta["choices"]:  # a name as text (an enum's value), a number (data_year) as itself
                choice = meta["choices"][rng.integers(len(meta["choices"]))]
                values[name] = str(choice) if isinstance(choice, str) else choice
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
        draws.append(values)
    return draws


def batch_tables(result, per_round: bool) -> dict:
    allies = result.allies
    tables = {"rows": result.rows(), "final_position_pct": allies.final_position_pct, "accepted": allies.accepted,
              "flexibility": allies.flexibility, "years": list(allies.years), "trajectory": allies.trajectory_pct,
              "on_track": allies.on_track}
    if per_round:
        tables["per_round"] = {part: {name: np.asarray(values) for name, values in getattr(result.per_round, part).items()}
                               for part in ("rounds", "allies")}
    return tables


def snapshot() -> dict:
    Engine, AllianceModel, load_scenario, parameter_fields = package()
    overrides = sampled_overrides(parameter_fields, SWEEP_RUNS, SAMPLE_SEED)
    seeds = list(range(SWEEP_RUNS))
    hague = load_scenario("hague2025")
    outputs = {}
    for name in ("hague2025", "wales2014"):
        for seed in (0, 1):
            model = AllianceModel(load_scenario(name), rng=seed)
            outputs[f"{name} seed {seed} (mesa)"] = {
                "outcome": model.run().to_dict(), "rounds": model.rounds_table().to_dict(orient="list"),
                "allies": model.allies_table().to_dict(orient="list")}
        outputs[f"{name} 10 runs (batch)"] = batch_tables(
            Engine.BATCH.run(load_scenario(name), [{}] * 10, list(range(10)), per_ally=True), per_round=False)
    outputs[f"sweep of {SWEEP_RUNS} (batch)"] = batch_tables(
        Engine.BATCH.run(hague, overrides, seeds, per_ally=True), per_round=False)
    outputs[f"sweep, first {MESA_RUNS} (mesa)"] = batch_tables(
        Engine.MESA.run(hague, overrides[:MESA_RUNS], seeds[:MESA_RUNS], per_ally=True, per_round=True),
        per_round=True)
    return outputs


def leaves(value, path=""):
    """(path, leaf) for every leaf of nested dicts and lists of dicts."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{path}/{key}")
    elif isinstance(value, (list, tuple)) and value and isinstance(value[0], (dict, list, tuple)):
        for index, item in enumerate(value):
            yield from leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def differences(before: dict, after: dict) -> tuple[list[str], int, float]:
    """What differs beyond TOLERANCE, how many leaves were compared and the largest numeric gap."""
    old, new = dict(leaves(before)), dict(leaves(after))
    found, largest = [], 0.0
    for path in sorted(set(old) | set(new)):
        if path not in old or path not in new:
            found.append(f"{path}: only in {'the second' if path in new else 'the first'}")
            continue
        a, b = old[path], new[path]
        try:
            x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        except (TypeError, ValueError):
            if not np.array_equal(np.asarray(a, dtype=object), np.asarray(b, dtype=object)):
                found.append(f"{path}: {str(a)[:60]} -> {str(b)[:60]}")
            continue
        if x.shape != y.shape:
            found.append(f"{path}: shape {x.shape} -> {y.shape}")
            continue
        gap = np.where(np.isnan(x) & np.isnan(y), 0.0, np.abs(x - y))
        worst = float(np.nan_to_num(gap, nan=math.inf).max(initial=0.0))
        largest = max(largest, worst)
        if worst > TOLERANCE:
            found.append(f"{path}: differs by up to {worst:.3g}")
    return found, len(old), largest


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("save").add_argument("file", type=Path)
    compare = commands.add_parser("compare")
    compare.add_argument("before", type=Path)
    compare.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    if args.command == "save":
        args.file.write_bytes(pickle.dumps(snapshot()))
        print(f"saved {args.file}")
        return 0
    found, compared, largest = differences(pickle.loads(args.before.read_bytes()),
                                           pickle.loads(args.after.read_bytes()))
    print("\n".join(found[:40]) + (f"\n... and {len(found) - 40} more" if len(found) > 40 else ""))
    print(f"{compared} values compared, {len(found)} differ beyond {TOLERANCE:g}; largest numeric gap {largest:.3g}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
