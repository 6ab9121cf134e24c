"""What every experiment script shares: its options, running its sweep, aggregating seeds,
figures and the markdown summary.

An experiment is a sweep spec (`configs/sweeps/<name>.toml`) plus an analysis. The sweep
runs through `sim.sweeps.sweep`, so an experiment resumes, runs on Dask and records its metadata
like any sweep; `--quick` runs a small version of the same design (fewer seeds and points)
to check the pipeline in seconds. Seeds are aggregated as the mean with a 90% interval: for
a quantity, the 5th to 95th percentile of the runs; for a probability, the 90% Wilson
interval of the share.

Experiments write to `results/experiments/<name>/` by default (`<name>_quick` with `--quick`),
apart from the `results/<name>/` directories of the README's sweep examples, so the two never
mix their runs.
"""

from __future__ import annotations

import argparse
import copy
import math
import sys
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.sweeps.executors import ExecutorChoice, ExecutorError
from sim.sweeps.results import load_results, read_metadata
from sim.model.scenario import ScenarioError
from sim.sweeps.sweep import run_sweep
from sim.model.scenario import display_path
from sim.sweeps.spec import load_spec, parse_spec, resolve_spec

Z90 = 1.6448536269514722  # standard normal quantile for a two-sided 90% interval
LOW_Q, HIGH_Q = 0.05, 0.95
RUNS_DIR = "sweep"  # the sweep's results directory inside the experiment's own
RESULTS_DIR = Path("results") / "experiments"  # every experiment's default output lives under here


@dataclass(frozen=True)
class Experiment:
    """An experiment's sweep spec, the changes that make its quick version, and where it writes."""

    name: str
    quick_changes: Mapping  # merged into the spec's TOML tables for --quick

    def options(self, argv: Sequence[str] | None, description: str | None = None) -> argparse.Namespace:
        parser = argparse.ArgumentParser(prog=f"{self.name}.py", description=description,
                                         formatter_class=argparse.RawDescriptionHelpFormatter)
        parser.add_argument("--quick", action="store_true", help="a small version of the sweep (seconds)")
        parser.add_argument("--out", type=Path, help=f"output directory (default {RESULTS_DIR}/{self.name}, "
                                                     f"or {RESULTS_DIR}/{self.name}_quick with --quick)")
        parser.add_argument("--engine", choices=["batch", "mesa"], help="engine (default: the spec's)")
        parser.add_argument("--workers", type=int, help="worker processes (default: all cores)")
        parser.add_argument("--scheduler", help="Dask: 'local' or a scheduler address")
        parser.add_argument("--resume", action="store_true", help="finish (or reuse) a sweep already in --out")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")
        args = parser.parse_args(argv)
        if args.out is None:
            args.out = default_out(self.name, args.quick)
        return args

    def spec(self, quick: bool):
        path = resolve_spec(self.name)
        if not quick:
            return load_spec(path)
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return parse_spec(_merged(raw, self.quick_changes), f"{display_path(path)} (quick)", base_dir=path.parent,
                          default_name=self.name)

    def run(self, args: argparse.Namespace) -> tuple[pd.DataFrame, dict]:
        """Run (or finish) the sweep into `<out>/sweep` and return its run table and metadata."""
        spec = self.spec(args.quick).with_engine(args.engine)
        runs_dir = args.out / RUNS_DIR
        report = run_sweep(spec, runs_dir, executor=ExecutorChoice(workers=args.workers, scheduler=args.scheduler),
                           resume=args.resume, progress=not args.quiet)
        print(f"{spec.name}: {report.runs} runs in {runs_dir} ({report.computed} computed, "
              f"{report.already_done} already there)", file=sys.stderr)
        return load_results(runs_dir), read_metadata(runs_dir)


def default_out(name: str, quick: bool = False) -> Path:
    """Where an experiment writes unless told: results/experiments/<name>[_quick]."""
    return RESULTS_DIR / (f"{name}_quick" if quick else name)


def main_guard(analyse, experiment: Experiment, argv: Sequence[str] | None, description: str | None = None) -> int:
    """Run an experiment's analysis, turning the errors a user can fix into one line and status 2."""
    args = experiment.options(argv, description)
    try:
        analyse(experiment, args)
    except (ScenarioError, ExecutorError, FileExistsError) as error:
        print(f"{experiment.name}: error: {error}", file=sys.stderr)
        return 2
    return 0


def _merged(base: dict, changes: Mapping) -> dict:
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


# --- aggregating seeds ----------------------------------------------------------------------

def spread(runs: pd.DataFrame, by: Sequence[str], column: str) -> pd.DataFrame:
    """Per group: mean, 5th and 95th percentile of `column` over the runs (NaN runs left out) and n."""
    grouped = runs.groupby(list(by), sort=True)[column]
    table = pd.DataFrame({"mean": grouped.mean(), "low": grouped.quantile(LOW_Q), "high": grouped.quantile(HIGH_Q),
                          "n": grouped.count()})
    return table.reset_index()


def share(runs: pd.DataFrame, by: Sequence[str], column: str) -> pd.DataFrame:
    """Per group: the share of runs where `column` is true, with its 90% Wilson interval."""
    grouped = runs.groupby(list(by), sort=True)[column]
    n = grouped.count().astype(float)
    p = grouped.mean().astype(float)
    centre = (p + Z90**2 / (2 * n)) / (1 + Z90**2 / n)
    half = Z90 * np.sqrt(p * (1 - p) / n + Z90**2 / (4 * n**2)) / (1 + Z90**2 / n)
    return pd.DataFrame({"mean": p, "low": (centre - half).clip(0, 1), "high": (centre + half).clip(0, 1),
                         "n": n.astype(int)}).reset_index()


def summary_table(runs: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """The tidy per-group table an experiment saves: deal probability and the main outcomes."""
    deals = runs[runs["deal"]]
    parts = [share(runs, by, "deal").rename(columns={"mean": "deal_probability", "low": "deal_probability_low",
                                                     "high": "deal_probability_high", "n": "runs"})]
    for column, frame in (("core_target_pct", deals), ("deadline_year", deals), ("rounds", runs),
                          ("n_holdouts", runs), ("n_flexibility", runs), ("extra_spending_usd_bn", runs),
                          ("us_share_after", runs)):
        stats = spread(frame, by, column).drop(columns="n")
        stats.columns = [*by, column, f"{column}_low", f"{column}_high"]
        parts.append(stats)
    table = parts[0]
    for part in parts[1:]:
        table = table.merge(part, on=list(by), how="left")
    return table


def holdout_counts(runs: pd.DataFrame) -> pd.Series:
    """How often each ally is among the holdouts at the end of the talks, as a share of runs."""
    codes = runs["holdouts"].explode().dropna()
    return (codes.value_counts() / len(runs)).sort_values(ascending=False)


# --- where a sweep stops acting -------------------------------------------------------------------

def same_runs(levels: Sequence[float], effective: Sequence[float], tol: float = 1e-9) -> list[list[float]]:
    """Runs of consecutive swept levels (two or more) whose effective value is the same, e.g. a
    shock added to a base and clipped to its scale: those levels cannot differ in their results."""
    runs: list[list[float]] = []
    current = [levels[0]] if len(levels) else []
    for previous, level, before, now in zip(levels, levels[1:], effective, effective[1:]):
        if abs(now - before) <= tol:
            current.append(level)
        else:
            if len(current) > 1:
                runs.append(current)
            current = [level]
    if len(current) > 1:
        runs.append(current)
    return runs


def flat_end(table: pd.DataFrame, x: str, columns: Sequence[str], tol: float = 1e-9) -> tuple[float, float] | None:
    """Where a sweep saturates at the top of its range: the first and last level of the run of
    top levels whose outcomes (`columns`: the group means) are all the same as the top level's,
    NaN matching NaN; None when the top two levels already differ."""
    ordered = table.sort_values(x).reset_index(drop=True)
    values = ordered[list(columns)].to_numpy(dtype=float)
    last = values[-1]
    same = [bool(np.all((np.abs(row - last) <= tol) | (np.isnan(row) & np.isnan(last)))) for row in values]
    start = len(same) - 1
    while start > 0 and same[start - 1]:
        start -= 1
    if start == len(same) - 1:
        return None
    return float(ordered[x].iloc[start]), float(ordered[x].iloc[-1])


def saturation_sentence(table: pd.DataFrame, x: str, name: str, columns: Sequence[str] = (
        "deal_probability", "core_target_pct", "deadline_year", "n_holdouts"), digits: int = 2) -> str:
    """One sentence saying whether the sweep saturates at the top of its range."""
    flat = flat_end(table, x, columns)
    top = table[x].max()
    if flat is None:
        return (f"The outcomes still change between the two highest levels of {name} swept (up to {top:.{digits}f}): "
                "the sweep does not saturate within its range.")
    return (f"The sweep saturates: from {name} {flat[0]:.{digits}f} up to {flat[1]:.{digits}f} the outcomes (deal "
            "probability, core target, deadline, holdouts) are identical, so the levels above "
            f"{flat[0]:.{digits}f} add nothing.")


# --- figures ------------------------------------------------------------------------------------

def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def band(ax, stats: pd.DataFrame, x: str, label: str | None = None, color=None, marker="o"):
    """A mean line with its 90% interval as a shaded band."""
    line, = ax.plot(stats[x], stats["mean"], marker=marker, ms=3, lw=1.6, label=label, color=color)
    ax.fill_between(stats[x], stats["low"], stats["high"], alpha=0.2, color=line.get_color(), lw=0)
    return line


def interval_note(runs_per_point: int) -> str:
    return (f"lines: mean over {runs_per_point} seeds; bands: 90% interval "
            "(5th-95th percentile of runs; Wilson interval for probabilities)")


def save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120, format="png")
    pyplot().close(fig)
    return path


# --- writing ------------------------------------------------------------------------------------

def markdown_table(frame: pd.DataFrame, digits: int = 2) -> str:
    def cell(value):
        if isinstance(value, (float, np.floating)):
            return "-" if math.isnan(value) else f"{value:.{digits}f}"
        return str(value)

    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def provenance(meta: dict) -> str:
    return (f"Sweep `{meta['name']}` ({meta['spec_source']}): {meta['runs']} runs, engine {meta['engine']}, "
            f"root seed {meta['root_seed']}, spec hash `{meta['spec_hash'][:12]}`, code {meta['code_version']}.")


def write_outputs(out: Path, name: str, table: pd.DataFrame, summary: str) -> list[Path]:
    """The tidy per-group table (Parquet) and the summary (markdown), next to the figures."""
    out.mkdir(parents=True, exist_ok=True)
    table_path = out / f"{name}_summary.parquet"
    table.to_parquet(table_path, index=False)
    summary_path = out / "summary.md"
    summary_path.write_text(summary, encoding="utf-8")
    return [table_path, summary_path]


def fmt(value: float, digits: int = 2, sign: bool = False) -> str:
    """A number for prose: fixed digits, "n/a" when absent (no deal, no runs)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"
