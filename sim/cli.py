"""The command line: `alliance-sim run`.

Errors in what the user gave (a scenario, a parameter, an output directory) or in the
machine around it (a full disk, a port in use) end in one line on stderr and exit status 2,
never a traceback; an output closed early (`| head`) ends quietly, as Unix tools do. Only a
bug shows a traceback, under a line saying so.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from contextlib import nullcontext
from pathlib import Path

from sim.data.loader import DataError
from sim.model.parameters import ParameterError, coerce
from sim.analysis.run_report import OutputDir, OutputError
from sim.model.scenario import DEFAULT_SCENARIO, ScenarioError, builtin_scenarios, load_scenario
from sim.sweeps.sweep import ExecutorError, add_sweep_parser, command_sweep
from sim.viz.server import ServerError, add_viz_parser, command_viz

DEFAULT_SEED = 0
USAGE_ERROR = 2
BROKEN_PIPE = 141  # what a shell reports for a tool ended by SIGPIPE (128 + 13)
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
