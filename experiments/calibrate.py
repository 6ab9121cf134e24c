"""Fit the behavioural parameters to the historical record by random search.

Pattern-oriented modelling (Grimm et al. 2005): a candidate parameter set is scored on
several patterns at once — the Hague 2025 package (core level, deadline, Spain carried
with flexibility, the eastern allies' early and high opening positions) and the Wales 2014
pledge (level and horizon) — averaged over seeds. The best candidate's values are the
defaults in `sim/parameters.py`; rerun this script to refit them:

    .venv/bin/python experiments/calibrate.py --out results/calibration
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from sim.model import AllianceModel
from sim.parameters import Parameters
from sim.scenario import load_scenario

SEARCH_SPACE = {
    "shared_threat": (0.3, 0.8),
    "abandonment_weight": (0.0, 0.4),
    "peer_weight": (0.0, 0.6),
    "need_scale_pct": (4.0, 7.0),
    "fiscal_drag": (0.2, 0.9),
    "ramp_base_pct": (0.02, 0.4),
    "ramp_threat_pct": (0.0, 0.4),
    "expansion_rate_pct": (0.0, 0.03),
    "concession_rate": (0.05, 0.6),
    "leverage": (0.0, 2.0),
    "proximity_decay_km": (800.0, 3000.0),
}
SEEDS = range(8)
HAWKS = ("POL", "EST", "LVA", "LTU")


def score(values: dict) -> float:
    """Lower is better: squared misses on each pattern, averaged over seeds."""
    hague, wales = load_scenario("hague2025"), load_scenario("wales2014")
    loss = 0.0
    for seed in SEEDS:
        h = AllianceModel(hague, rng=seed, **values).run()
        if not h.deal:
            loss += 10.0
        else:
            loss += ((h.core_target_pct - 3.5) / 0.25) ** 2 + ((h.deadline_year - 2035) / 1.0) ** 2
            loss += 0.0 if "ESP" in h.flexibility else 4.0
        positions = {a.iso3: a for a in h.allies}
        loss += sum(max(4.0 - positions[c].initial_position_pct, 0.0) ** 2 * 4 for c in HAWKS)
        loss += sum(max(positions[c].initial_deadline - 2031, 0.0) ** 2 for c in HAWKS) / 4
        w = AllianceModel(wales, rng=seed, **values).run()
        if not w.deal:
            loss += 10.0
        else:
            loss += ((w.core_target_pct - 2.0) / 0.1) ** 2 + ((w.deadline_year - 2024) / 2.0) ** 2
    return loss / len(SEEDS)


def candidates(count: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    return [{k: float(rng.uniform(lo, hi)) for k, (lo, hi) in SEARCH_SPACE.items()} for _ in range(count)]


def local_candidates(centre: dict, count: int, seed: int, scale: float = 0.08) -> list[dict]:
    """Gaussian steps around the best candidate so far, a share `scale` of each range."""
    rng = np.random.default_rng(seed)
    return [{k: float(np.clip(centre[k] + rng.normal(0.0, scale * (hi - lo)), lo, hi))
             for k, (lo, hi) in SEARCH_SPACE.items()} for _ in range(count)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=600, help="global random candidates")
    parser.add_argument("--refine", type=int, default=300, help="local candidates around the best")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--from-defaults", action="store_true",
                        help="skip the global stage and refine around the current defaults")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("results/calibration"))
    args = parser.parse_args(argv)
    defaults = {k: getattr(Parameters(), k) for k in SEARCH_SPACE}
    scored: list[tuple[float, dict]] = []
    with ProcessPoolExecutor(args.workers) as executor:
        stages = ("local",) if args.from_defaults else ("global", "local")
        for stage in stages:
            if stage == "global":
                pool = [defaults] + candidates(args.candidates, args.seed)
            else:
                centre = min(scored, key=lambda pair: pair[0])[1] if scored else defaults
                pool = ([defaults] if not scored else []) + local_candidates(centre, args.refine, args.seed + 1)
            losses = list(executor.map(score, pool, chunksize=8))
            scored.extend(zip(losses, pool))
            print(f"{stage}: best loss {min(losses):.3f} of {len(pool)} candidates")
    scored.sort(key=lambda pair: pair[0])
    args.out.mkdir(parents=True, exist_ok=True)
    best = [{"loss": loss, **values} for loss, values in scored[:20]]
    (args.out / "best.json").write_text(json.dumps(best, indent=2))
    print(f"current defaults: loss {scored_loss(scored, defaults):.3f}")
    print("best:", json.dumps({k: round(v, 4) for k, v in best[0].items()}))


def scored_loss(scored: list[tuple[float, dict]], values: dict) -> float:
    return next(loss for loss, candidate in scored if candidate == values)


if __name__ == "__main__":
    main()
