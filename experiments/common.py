"""What every experiment shares: its command line, running its sweep, and writing what it found.

An experiment is a sweep spec (`configs/sweeps/<name>.toml`) plus an analysis. The sweep
runs through `sim.sweeps.sweep`, so an experiment resumes, runs on Dask and records its metadata
like any sweep; `--quick` runs a small version of the same design (fewer seeds and points)
to check the pipeline in seconds. An experiment module holds only what is particular to it:
its `Experiment` (name and quick version) and an `analyse(sweep) -> Findings` that turns the
runs into a table, a figure and a summary; `Experiment.main` does the rest, the same way for
every experiment, so they all take the same flags, write the same files and fail the same way.

Experiments write to `results/experiments/<name>/` by default (`<name>_quick` with `--quick`),
apart from the `results/<name>/` directories of the README's sweep examples, so the two never
mix their runs.
"""

from __future__ import annotations

import argparse
import copy
import sys
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from experiments.figures import save
from sim.model.scenario import ScenarioError, display_path
from sim.sweeps.executors import ExecutorChoice, ExecutorError
from sim.sweeps.results import load_results, read_metadata
from sim.sweeps.spec import SweepSpec, load_spec, parse_spec, resolve_spec
from sim.sweeps.sweep import run_sweep

RUNS_DIR = "sweep"  # the sweep's results directory inside the experiment's own
RESULTS_DIR = Path("results") / "experiments"  # every experiment's default output lives under here
USER_ERRORS = (ScenarioError, ExecutorError, FileExistsError)  # what a user can fix: one line, status 2


def default_out(name: str, quick: bool = False, root: Path = RESULTS_DIR) -> Path:
    """Where an experiment writes unless told: results/experiments/<name>[_quick]."""
    return root / (f"{name}_quick" if quick else name)


def argument_parser(module: str, description: str | None) -> argparse.ArgumentParser:
    """An experiment's argument parser, named by the command that runs it; the module's
    docstring, kept as written, is its help."""
    return argparse.ArgumentParser(prog=f"python -m experiments.{module}", description=description,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)


def add_output_flags(options: argparse.ArgumentParser, name: str, root: Path = RESULTS_DIR,
                     quick_help: str = "a small version of the sweep (seconds)") -> None:
    """The flags every experiment with a quick version takes: --quick, --out and --quiet."""
    options.add_argument("--quick", action="store_true", help=quick_help)
    options.add_argument("--out", type=Path, help=f"output directory (default {default_out(name, root=root)}, "
                                                  f"or {default_out(name, True, root)} with --quick)")
    options.add_argument("--quiet", action="store_true", help="no progress bar")


def add_sweep_flags(options: argparse.ArgumentParser) -> None:
    """The flags that say how an experiment's sweeps run: --engine, --workers, --scheduler and --resume."""
    options.add_argument("--engine", choices=["batch", "mesa"], help="engine (default: the spec's)")
    options.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    options.add_argument("--scheduler", help="Dask: 'local' or a scheduler address")
    options.add_argument("--resume", action="store_true", help="finish (or reuse) a sweep already in --out")


def guarded(name: str, action: Callable[[], object], errors: tuple[type[Exception], ...] = USER_ERRORS) -> int:
    """Run an experiment, turning the errors a user can fix into one line on stderr and status 2
    (a traceback is for the errors that are the code's)."""
    try:
        action()
    except errors as error:
        print(f"{name}: error: {error}", file=sys.stderr)
        return 2
    return 0


@dataclass(frozen=True)
class SweepRun:
    """An experiment's finished sweep, as its analysis sees it."""

    runs: pd.DataFrame  # one row per run (`sim.sweeps.results.load_results`)
    meta: dict  # the sweep's metadata: spec, seeds, engine, code version
    spec: SweepSpec  # the spec as run (quick or full, with the engine asked for)
    directory: Path  # the sweep's results directory, for tables beyond the runs (per ally)


@dataclass(frozen=True)
class Findings:
    """What an experiment's analysis found: the per-group table, the figure and the summary."""

    table: pd.DataFrame
    figure: object  # a matplotlib Figure
    summary: str  # markdown


def finish(out: Path, name: str, findings: Findings, beside: Mapping[str, Findings] | None = None) -> list[Path]:
    """Write an experiment's findings next to its sweep: `<name>.png`, `<name>_summary.parquet`
    (the tidy per-group table) and `summary.md`; say where. `beside` holds the findings of the
    experiment's further sweeps by file stem: each writes its own figure and table under that
    stem, and its summary follows the main one in the same `summary.md`."""
    beside = beside or {}
    saved = [path for stem, part in {name: findings, **beside}.items() for path in _figure_and_table(out, stem, part)]
    summary_path = out / "summary.md"
    summary_path.write_text("\n".join([findings.summary, *(part.summary for part in beside.values())]),
                            encoding="utf-8")
    saved.append(summary_path)
    print("wrote " + ", ".join(str(p) for p in saved))
    return saved


def _figure_and_table(out: Path, stem: str, findings: Findings) -> list[Path]:
    figure = save(findings.figure, out / f"{stem}.png")
    table_path = out / f"{stem}_summary.parquet"
    findings.table.to_parquet(table_path, index=False)
    return [figure, table_path]


@dataclass(frozen=True)
class Experiment:
    """An experiment's sweep spec, the changes that make its quick version, and where it writes."""

    name: str
    quick_changes: Mapping  # merged into the spec's TOML tables for --quick

    def options(self, argv: Sequence[str] | None, description: str | None = None) -> argparse.Namespace:
        options = argument_parser(self.name, description)
        add_output_flags(options, self.name)
        add_sweep_flags(options)
        args = options.parse_args(argv)
        if args.out is None:
            args.out = default_out(self.name, args.quick)
        return args

    def spec(self, quick: bool) -> SweepSpec:
        path = resolve_spec(self.name)
        if not quick:
            return load_spec(path)
        return parse_spec(self.tables(quick), f"{display_path(path)} (quick)", base_dir=path.parent,
                          default_name=self.name)

    def tables(self, quick: bool) -> dict:
        """The spec's TOML tables as read (with the quick changes merged for --quick), for an
        experiment that builds a further sweep on the same runs and scenario."""
        raw = tomllib.loads(resolve_spec(self.name).read_text(encoding="utf-8"))
        return _merged(raw, self.quick_changes) if quick else raw

    def run(self, args: argparse.Namespace, runs_dir: Path | None = None) -> SweepRun:
        """Run (or finish) the sweep into `runs_dir` (default `<out>/sweep`; an experiment of several
        sweeps gives each its own) and return it as the analysis sees it."""
        return run_spec(self.spec(args.quick), args, runs_dir or args.out / RUNS_DIR)

    def main(self, analyse: Callable[[SweepRun], Findings], argv: Sequence[str] | None = None,
             description: str | None = None) -> int:
        """The whole experiment from its command line: parse the flags, run the sweep, analyse
        it and write the findings to `--out`; 0 on success, 2 on an error the user can fix."""
        args = self.options(argv, description)
        return guarded(self.name, lambda: finish(args.out, self.name, analyse(self.run(args))))


def run_spec(spec: SweepSpec, args: argparse.Namespace, runs_dir: Path) -> SweepRun:
    """Run (or finish) `spec` into `runs_dir` with the experiment's flags (--engine, --workers,
    --scheduler, --resume, --quiet) and return it as the analysis sees it: the way every
    experiment's sweep runs, whether its spec is a file or built in code."""
    spec = spec.with_engine(args.engine)
    report = run_sweep(spec, runs_dir, executor=ExecutorChoice(workers=args.workers, scheduler=args.scheduler),
                       resume=args.resume, progress=not args.quiet)
    print(f"{spec.name}: {report.runs} runs in {runs_dir} ({report.computed} computed, "
          f"{report.already_done} already there)", file=sys.stderr)
    return SweepRun(load_results(runs_dir), read_metadata(runs_dir), spec, runs_dir)


def _merged(base: dict, changes: Mapping) -> dict:
    merged = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged


def hague_pressure() -> float:
    """The US pressure of the Hague talks, as the built-in scenario reads it from the US's
    statements published by its information date (1.0), for the experiments that mark it."""
    from sim.model.scenario import load_scenario

    return float(load_scenario("hague2025").params.us_pressure)
