"""Turning one run into things people read: a text summary, Parquet tables and a figure."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pandas as pd

from sim.outcome import Outcome

EASTERN_FLANK = ("POL", "EST", "LVA", "LTU", "FIN")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}%"


def summary_text(outcome: Outcome) -> str:
    """A readable account of the run: the package, who held out, the baselines, each ally."""
    lines = [f"Scenario: {outcome.scenario}   seed: {outcome.seed}"]
    if outcome.deal:
        total = outcome.core_target_pct + (outcome.related_target_pct or 0.0)
        split = (f" core + {_pct(outcome.related_target_pct)} defence-related = {_pct(total)} in total"
                 if outcome.related_target_pct is not None else " core defence")
        lines.append(f"Deal after {outcome.rounds} rounds: {_pct(outcome.core_target_pct)}{split}, "
                     f"by {outcome.deadline_year}")
    else:
        lines.append(f"No deal after {outcome.rounds} rounds; holdouts: {', '.join(outcome.holdouts) or 'none'}")
    lines.append(f"Flexibility (side letters): {', '.join(outcome.flexibility) or 'none'}")
    b = outcome.baselines
    lines.append(f"Baselines from the opening positions: weighted mean {_pct(b.weighted_mean)}, "
                 f"weighted median {_pct(b.weighted_median)}, Nash bargaining {_pct(b.nash)}")
    lines.append(f"US share of alliance spending: {outcome.us_share_before:.1%} now, "
                 f"{outcome.us_share_after:.1%} at the deadline (projected)")
    lines.append(f"Allies on track for the target: {outcome.allies_on_track}; "
                 f"extra spending at the deadline: {outcome.extra_spending_usd_bn:,.0f} USD bn a year (2024 GDP)")
    lines.append("")
    lines.append(f"{'ally':<5} {'start':>6} {'opening':>8} {'by':>5} {'final':>6} {'by':>5} "
                 f"{'threat':>6} {'fiscal':>6}  vote")
    for a in outcome.allies:
        vote = "accepts" if a.accepted else "rejects"
        if a.flexibility:
            vote += " (flexibility)"
        if not a.votes:
            vote = "not at the table"
        if a.start_pct is None or a.start_pct != a.start_pct:
            vote += " (no armed forces)"
        lines.append(f"{a.iso3:<5} {_num(a.start_pct):>6} {_num(a.initial_position_pct):>8} "
                     f"{a.initial_deadline:>5.0f} {_num(a.final_position_pct):>6} {a.final_deadline:>5.0f} "
                     f"{a.threat:>6.2f} {a.fiscal_pressure:>6.2f}  {vote}")
    return "\n".join(lines)


def _num(value: float | None) -> str:
    return "-" if value is None or value != value else f"{value:.2f}"


def check_out_dir(out: Path, names: tuple[str, ...]) -> None:
    """Refuse to overwrite earlier results: a run never destroys what was computed before."""
    existing = [name for name in names if (out / name).exists()]
    if existing:
        raise FileExistsError(f"{out}: already holds {', '.join(existing)}; choose another --out directory "
                              "or move the old results away")


def _atomic_write(path: Path, write) -> None:
    """Write through a temporary file in the same directory, then rename, so a crash never
    leaves a half-written file under the final name."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


RUN_FILES = ("outcome.json", "rounds.parquet", "allies_by_round.parquet", "convergence.png")


def write_run(out: Path, outcome: Outcome, rounds: pd.DataFrame, allies: pd.DataFrame) -> list[Path]:
    """Write a run's outcome, its round-by-round tables and the convergence figure."""
    out.mkdir(parents=True, exist_ok=True)
    check_out_dir(out, RUN_FILES)
    paths = [out / name for name in RUN_FILES]
    _atomic_write(paths[0], lambda p: p.write_text(json.dumps(outcome.to_dict(), indent=2), encoding="utf-8"))
    _atomic_write(paths[1], lambda p: rounds.to_parquet(p, index=False))
    _atomic_write(paths[2], lambda p: allies.to_parquet(p, index=False))
    _atomic_write(paths[3], lambda p: convergence_figure(outcome, rounds, allies, p))
    return paths


def convergence_figure(outcome: Outcome, rounds: pd.DataFrame, allies: pd.DataFrame, path: Path) -> None:
    """Positions converging over rounds: each ally's level, the draft, and the share accepting."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_level, ax_deadline, ax_share) = plt.subplots(
        3, 1, figsize=(8, 9), sharex=True, gridspec_kw={"height_ratios": [3, 1.4, 1]})
    carried = set(outcome.flexibility)
    for code, group in allies.groupby("iso3", sort=False):
        if group["position_pct"].isna().all():
            continue
        if code in carried:
            style = {"color": "tab:red", "lw": 1.6, "label": f"{code} (flexibility)"}
        elif code in EASTERN_FLANK:
            style = {"color": "tab:blue", "lw": 1.2, "alpha": 0.8}
        elif code == "USA":
            style = {"color": "tab:purple", "lw": 1.6, "label": "USA"}
        else:
            style = {"color": "0.6", "lw": 0.8, "alpha": 0.7}
        ax_level.plot(group["round"], group["position_pct"], **style)
        ax_deadline.plot(group["round"], group["deadline_position"], **{k: v for k, v in style.items() if k != "label"})
    ax_level.plot([], [], color="tab:blue", label="eastern flank (POL, EST, LVA, LTU, FIN)")
    ax_level.plot([], [], color="0.6", label="other allies")
    ax_level.plot(rounds["round"], rounds["draft_core_pct"], color="black", lw=2.5, marker="o", label="draft core level")
    ax_level.set_ylabel("core level (% of GDP)")
    ax_level.legend(fontsize=8, loc="upper right")
    verdict = (f"deal: {outcome.core_target_pct:.2f}% core by {outcome.deadline_year}" if outcome.deal else "no deal")
    ax_level.set_title(f"{outcome.scenario}: positions over the rounds ({verdict})")
    ax_deadline.plot(rounds["round"], rounds["draft_deadline"], color="black", lw=2.5, marker="o")
    ax_deadline.set_ylabel("deadline (year)")
    ax_share.plot(rounds["round"], rounds["share_accepting"], color="tab:green", lw=2, marker="o")
    ax_share.set_ylim(0, 1.05)
    ax_share.set_ylabel("share accepting")
    ax_share.set_xlabel("round")
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
