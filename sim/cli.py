"""The command line: `alliance-sim run | validate | sweep | viz`, every argument parsed here.

Errors in what the user gave (a scenario, a parameter, an output directory) or in the
machine around it (a full disk, a port in use) end in one line on stderr and exit status 2,
never a traceback; an output closed early (`| head`) ends quietly, as Unix tools do. Only a
bug shows a traceback, under a line saying so.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from contextlib import nullcontext
from pathlib import Path

from sim.data.loader import DataError
from sim.model.parameters import ParameterError, coerce
from sim.analysis.run_report import OutputDir, OutputError
from sim.model.scenario import DEFAULT_SCENARIO, ScenarioError, builtin_scenarios, load_scenario
from sim.engines.engine import Engine
from sim.sweeps.executors import LOCAL_SCHEDULER, ExecutorChoice, ExecutorError
from sim.sweeps.shards import ResultTable
from sim.sweeps.spec import SweepSpec, builtin_specs, load_spec
from sim.sweeps.sweep import SweepInterrupted, run_sweep
from sim.viz.server import DEFAULT_HOST, DEFAULT_PORT, ServerError, serve

DEFAULT_SEED = 0
USAGE_ERROR = 2
BROKEN_PIPE = 141  # what a shell reports for a tool ended by SIGPIPE (128 + 13)
INTERRUPTED = 130  # the shell's status for a run stopped by Ctrl-C
USER_ERRORS = (ScenarioError, ParameterError, DataError, FileExistsError, ExecutorError, OutputError, ServerError)
VALIDATION_FILES = ("validation.md", "validation.json")


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a mistake on the command line is one line like every other user error."""

    def error(self, message: str):
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(prog="alliance-sim",
                            description="The NATO allies negotiating their defence-spending target.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run", help="run one negotiation and report its outcome",
        description="Run one negotiation (a built-in scenario or a TOML file, with --set overrides and a seed) "
                    "and print its outcome: the package, the holdouts and side letters, the baselines and each "
                    "ally's position and projected spending. --out also writes outcome.json, the round-by-round "
                    "tables and a figure.")
    run.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                     help=f"built-in scenario name or TOML path (default {DEFAULT_SCENARIO}; "
                          f"built-in: {', '.join(builtin_scenarios())})")
    run.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                     help="override a model parameter, e.g. --set us_pressure=0.5 (repeatable)")
    run.add_argument("--json", action="store_true", help="print the outcome as one JSON object")
    run.add_argument("--out", type=Path, help="write round-by-round Parquet tables and a figure here")
    validate = commands.add_parser(
        "validate", help="check the model against the Hague 2025 and Wales 2014 record",
        description="Check the model against the record: the Hague 2025 and Wales 2014 cases, the 2015-2024 "
                    "path and the 2024 hindcast against naive hindcasts, the one-shot baselines, each protocol, and "
                    "parameters fitted on one case tested on the other. --json adds the forecast table; --out "
                    "writes a report with figures.")
    validate.add_argument("--seeds", type=int, default=10, help="runs per case (seeds 0..N-1; default 10)")
    validate.add_argument("--json", action="store_true", help="print the results as one JSON object")
    validate.add_argument("--out", type=Path, help="write a markdown report with figures here")
    add_sweep_parser(commands)
    add_viz_parser(commands)
    return parser


def add_sweep_parser(commands) -> None:
    sweep = commands.add_parser("sweep", help="run a parameter sweep from a spec, writing Parquet shards",
                                description="Run every run of a sweep spec and write its results as Parquet "
                                            "shards; a sweep stopped at any moment finishes with --resume.")
    sweep.add_argument("spec", help=f"sweep spec TOML path, or a built-in spec ({', '.join(builtin_specs())})")
    sweep.add_argument("--out", type=Path, required=True, help="results directory (one sweep per directory)")
    sweep.add_argument("--engine", choices=[e.value for e in Engine],
                       help="engine for the runs (default: the spec's runs.engine, itself batch by default)")
    sweep.add_argument("--workers", type=int, help="worker processes (default: all cores; 1 runs in this process; "
                                                   "with --scheduler local, the local Dask workers)")
    sweep.add_argument("--scheduler", metavar="ADDR",
                       help=f"run on Dask: '{LOCAL_SCHEDULER}' for a cluster on this machine, or a scheduler "
                            "address such as tcp://scheduler:8786")
    sweep.add_argument("--resume", action="store_true", help="finish a sweep already started in --out")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")


def add_viz_parser(commands) -> None:
    viz = commands.add_parser(
        "viz", help="serve the browser visualisation (Mesa on Solara)",
        description="Serve the browser page on this machine (127.0.0.1 unless --host says otherwise): the "
                    "levers, a map of the allies' positions and votes, the rounds, the outcome, who keeps the "
                    "pledge, and the distribution over many runs. Each browser tab has its own model.")
    viz.add_argument("--host", default=DEFAULT_HOST,
                     help=f"address to listen on (default {DEFAULT_HOST}: this machine only)")
    viz.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    viz.add_argument("--scenario", default=DEFAULT_SCENARIO,
                     help=f"scenario the page starts with: a built-in name or a TOML path (default "
                          f"{DEFAULT_SCENARIO}; built-in: {', '.join(builtin_scenarios())})")


def parse_override(text: str) -> tuple[str, object]:
    """NAME=VALUE with VALUE read as TOML would read it (numbers, true/false, strings)."""
    import tomllib

    if "=" not in text:
        raise ParameterError(f"--set {text}: expected NAME=VALUE, e.g. --set us_pressure=0.5")
    name, raw = (part.strip() for part in text.split("=", 1))
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except (tomllib.TOMLDecodeError, KeyError, RecursionError):
        value = raw
    return name, value


def checked_overrides(texts: list[str], scenario: str) -> dict[str, object]:
    """The --set overrides, each checked now against the scenario it changes, so that a
    mistake names --set NAME=VALUE and not the scenario file."""
    params = load_scenario(scenario).params
    overrides = {}
    for text in texts:
        name, value = parse_override(text)
        try:
            overrides[name] = coerce(name, value)
            params.replace(**overrides)
        except ParameterError as error:
            raise ParameterError(f"--set {text}: {error}") from None
    return overrides


def checked_seed(seed: int) -> int:
    if seed < 0:
        raise ParameterError(f"--seed {seed} is not allowed; allowed: a non-negative integer")
    return seed


def output_dir(out: Path | None, names: tuple[str, ...]):
    """The claimed --out directory (checked before any computing), or nothing to write."""
    return nullcontext(None) if out is None else OutputDir(out, names)


def command_run(args) -> int:
    from sim.engines.model import AllianceModel
    from sim.analysis.run_report import RUN_FILES, summary_text, write_run

    seed = checked_seed(args.seed)
    overrides = checked_overrides(args.overrides, args.scenario)
    with output_dir(args.out, RUN_FILES) as target:  # refuse before spending time on the run
        started = time.perf_counter()
        model = AllianceModel(args.scenario, rng=seed, **overrides)
        outcome = model.run()
        elapsed = time.perf_counter() - started
        # shown first: the result stays on screen whatever happens to the files
        if args.json:
            print(json.dumps(outcome.to_dict(), allow_nan=False), flush=True)
        else:
            print(summary_text(outcome))
            print(f"\n(run took {elapsed * 1000:.0f} ms)", flush=True)
        if target is not None:
            paths = write_run(target, outcome, model.rounds_table(), model.allies_table())
            print("wrote " + ", ".join(str(p) for p in paths), file=sys.stderr if args.json else sys.stdout)
    return 0


def command_validate(args) -> int:
    from sim.analysis.validation import validate
    from sim.analysis.validation_report import table_text, write_report

    if args.seeds < 1:
        raise ParameterError(f"--seeds {args.seeds}: at least 1 run per case is needed")
    with output_dir(args.out, VALIDATION_FILES) as target:  # refuse before spending time on the runs
        result = validate(range(args.seeds))
        print(json.dumps(result.to_dict(), default=float, allow_nan=False) if args.json else table_text(result),
              flush=True)
        if target is not None:
            paths = target.write(lambda stage: write_report(result, stage))
            print("wrote " + ", ".join(str(p) for p in paths), file=sys.stderr if args.json else sys.stdout)
    return 0


def resume_command(args, spec: SweepSpec, own_engine: Engine) -> str:
    """The command line that finishes this sweep: the same spec, directory and executor, with
    --resume, and --engine when the sweep does not run on the spec's own engine (without it,
    the resume would be another sweep, and refused)."""
    words = ["alliance-sim", "sweep", str(args.spec), "--out", str(args.out)]
    if spec.engine != own_engine:
        words += ["--engine", spec.engine.value]
    if args.workers is not None:
        words += ["--workers", str(args.workers)]
    if args.scheduler is not None:
        words += ["--scheduler", args.scheduler]
    return shlex.join([*words, "--resume", *(["--quiet"] if args.quiet else [])])


def command_sweep(args) -> int:
    own = load_spec(args.spec)
    spec = own.with_engine(args.engine)
    choice = ExecutorChoice(workers=args.workers, scheduler=args.scheduler)
    resume = resume_command(args, spec, own.engine)
    try:
        report = run_sweep(spec, args.out, executor=choice, resume=args.resume, progress=not args.quiet)
    except SweepInterrupted as stop:
        print(f"\n{stop.describe(args.out, resume)}", file=sys.stderr)
        return INTERRUPTED
    except KeyboardInterrupt:  # while the sweep was still checking its directory: count what is there
        saved = len(ResultTable.RUNS.shards(args.out)) if args.out.is_dir() else 0  # each whole, or found damaged
        print(f"\n{SweepInterrupted(saved, spec.batch_count).describe(args.out, resume)}", file=sys.stderr)
        return INTERRUPTED
    speed = f" in {report.seconds:.1f} s, {report.rate:.1f} runs/s" if report.computed else ""
    print(f"sweep {spec.name}: {report.runs} runs in {args.out} ({report.already_done} already done, "
          f"{report.computed} computed{speed}; engine {spec.engine}, {choice.describe()})")
    return 0


def command_viz(args) -> int:
    return serve(args.host, args.port, args.scenario)


def one_line(error: BaseException) -> str:
    """An error message kept to one line, whatever a file name or value in it holds."""
    return " ".join(str(error).splitlines())


def quiet_stdout() -> None:
    """After the reader of our output went away: point stdout at /dev/null, so Python's own
    flush at exit does not complain about the broken pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is no file (captured in-process): nothing will flush it
        pass


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status = {"run": command_run, "validate": command_validate, "sweep": command_sweep,
                  "viz": command_viz}[args.command](args)
        sys.stdout.flush()
        return status
    except USER_ERRORS as error:
        print(f"alliance-sim: error: {one_line(error)}", file=sys.stderr)
        return USAGE_ERROR
    except BrokenPipeError:
        quiet_stdout()
        return BROKEN_PIPE
    except Exception:
        print("alliance-sim: internal error: this is a bug; please report it with the command and the "
              "traceback below", file=sys.stderr)
        raise


if __name__ == "__main__":
    sys.exit(main())
