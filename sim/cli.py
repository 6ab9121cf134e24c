"""The command line: `alliance-sim run | validate | sweep | viz`, every argument parsed here.

Errors in what the user gave (a scenario, a parameter, an output directory) or in the
machine around it (a full disk, a port in use) end in one line on stderr and exit status 2,
never a traceback; an output closed early (`| head`) ends quietly, as Unix tools do. Only a
bug shows a traceback, under a line saying so.
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import json
import os
import re
import shlex
import signal
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
from sim.sweeps.sweep import SweepInterrupted, SweepWriteError, run_sweep
from sim.viz.server import DEFAULT_HOST, DEFAULT_PORT, ServerError, serve

DEFAULT_SEED = 0
USAGE_ERROR = 2
BROKEN_PIPE = 141  # what a shell reports for a tool ended by SIGPIPE (128 + 13)
INTERRUPTED = 130  # the shell's status for a run stopped by Ctrl-C
TERMINATED = 143  # the shell's status for a command ended by SIGTERM (128 + 15), as `kill` does
MAX_SEED = 2**64 - 1  # the engines key every run by its seed as one 64-bit word
USER_ERRORS = (ScenarioError, ParameterError, DataError, FileExistsError, ExecutorError, OutputError, ServerError)
VALIDATION_FILES = ("validation.md", "validation.json")


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a mistake on the command line is one line like every other user error."""

    def error(self, message: str):
        self.exit(USAGE_ERROR, f"{self.prog}: error: {shown(message)} (see {self.prog} --help)\n")


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
        "validate", help="check the model against the record, 2014 to 2025",
        description="Check the model against the record: the Hague 2025, Wales 2014 and Washington 2024 cases, the "
                    "2015-2024 path and the 2024 hindcast against naive hindcasts, the chain of summits (Wales, "
                    "Vilnius, the Hague as one history), the one-shot baselines, each protocol, and parameters "
                    "fitted on one case tested on the other. --json adds the forecast table (from the chain); "
                    "--out writes a report with figures.")
    validate.add_argument("--seeds", type=int, default=10, help="runs per case (seeds 0..N-1; default 10)")
    validate.add_argument("--json", action="store_true", help="print the results as one JSON object")
    validate.add_argument("--out", type=Path, help="write a markdown report with figures here")
    add_history_parser(commands)
    add_sweep_parser(commands)
    add_viz_parser(commands)
    return parser


def add_history_parser(commands) -> None:
    history = commands.add_parser(
        "history", help="run Wales 2014, Vilnius 2023, the Hague 2025 and its 2029 review as one history",
        description="Run the chain of summits: Wales 2014, Vilnius 2023 and the Hague 2025, each negotiated from "
                    "the spending and the pledges the years before it left (no pledge after 2014 is given), and the "
                    "Hague's review of 2029, against the record and the naive rules; --json prints one JSON object, "
                    "with each ally's path 2014-2024 (path_bands) and the forecast (from the record each summit knew).")
    history.add_argument("--seeds", type=int, default=10, help="histories (seeds 0..N-1; default 10)")
    history.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                         help="set a model parameter at every summit, e.g. --set us_pressure=0 (repeatable)")
    history.add_argument("--json", action="store_true", help="print the results as one JSON object")


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
    except ValueError as error:  # an integer past Python's limit on digits (4300)
        raise ParameterError(f"--set {text}: too long a number ({error.args[0].split(';')[0]})") from None
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
    if not 0 <= seed <= MAX_SEED:
        raise ParameterError(f"--seed {seed} is not allowed; allowed: a non-negative integer up to 2**64 - 1 "
                             f"({MAX_SEED})")
    return seed


def output_dir(out: Path | None, names: tuple[str, ...]):
    """The claimed --out directory (checked before any computing), or nothing to write."""
    return nullcontext(None) if out is None else OutputDir(out, names)


# --- what the commands print ---------------------------------------------------------------------

def printable(text: str, keep: str = "") -> str:
    """`text` safe to show on a terminal: every control or other non-printing character (an
    escape code in a scenario name or a file name) written as its Python escape (\\x1b), except
    those in `keep` (the newlines of a multi-line report)."""
    return "".join(c if c.isprintable() or c in keep else repr(c)[1:-1] for c in text)


LONG_NUMBER = re.compile(r"\d{41,}")


def shown(text: str) -> str:
    """A message as one printable line, a number of thousands of digits cut to its first
    ones and its length."""
    line = printable(" ".join(str(text).splitlines()))
    return LONG_NUMBER.sub(lambda m: f"{m[0][:12]}...({len(m[0])} digits)", line)


def one_line(error: BaseException) -> str:
    """An error message kept to one printable line, whatever a file name or value in it holds."""
    return shown(str(error))


class Stdout:
    """A command's standard output. What the command shows is written at once; a failure to
    write it (a full disk, a closed stdout, a reader gone away) is remembered, not raised, so
    the files the command writes never depend on it. `main` reports it once the command ends."""

    def __init__(self) -> None:
        self.failure: OSError | None = None
        self.saved: Path | None = None  # the directory whose files were written whole

    def print(self, text: str, *, to_stderr: bool = False) -> None:
        if to_stderr:
            print(printable(text, "\n\t"), file=sys.stderr, flush=True)  # stderr never raises (see `Unfailing`)
            return
        if self.failure is not None:
            return
        try:
            if sys.stdout is None:  # started with stdout closed (`>&-`)
                raise OSError(errno.EBADF, "standard output is closed")
            sys.stdout.write(printable(text, "\n\t") + "\n")
            sys.stdout.flush()
        except OSError as error:  # BrokenPipeError included
            self.failure = error
            quiet_stdout()

    def flush(self) -> None:
        if self.failure is None and sys.stdout is not None:
            try:
                sys.stdout.flush()
            except OSError as error:
                self.failure = error
                quiet_stdout()


class Unfailing:
    """stderr for the command: a message or progress bar that cannot be written (stderr on a
    full disk or closed) is dropped instead of stopping the command; the exit status still
    tells what happened."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self._failed = stream is None

    def write(self, text: str) -> int:
        if not self._failed:
            try:
                return self._stream.write(text)
            except (OSError, ValueError):
                self._failed = True
        return len(text)

    def flush(self) -> None:
        if not self._failed:
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self._failed = True

    def isatty(self) -> bool:
        try:
            return not self._failed and self._stream.isatty()
        except (OSError, ValueError):
            return False

    def __getattr__(self, name):
        return getattr(self._stream, name)


# --- the commands --------------------------------------------------------------------------------

def command_run(args) -> int:
    from sim.engines.model import AllianceModel
    from sim.analysis.run_report import RUN_FILES, run_record, summary_text, write_run

    seed = checked_seed(args.seed)
    overrides = checked_overrides(args.overrides, args.scenario)
    with output_dir(args.out, RUN_FILES) as target:  # refuse before spending time on the run
        started = time.perf_counter()
        model = AllianceModel(args.scenario, rng=seed, **overrides)
        outcome = model.run()
        elapsed = time.perf_counter() - started
        # shown first: the result stays on screen whatever happens to the files (and the
        # files are written whatever happens to the screen)
        if args.json:
            args.stdout.print(json.dumps(outcome.to_dict(), allow_nan=False))
        else:
            args.stdout.print(summary_text(outcome))
            args.stdout.print(f"\n(run took {elapsed * 1000:.0f} ms)")
        if target is not None:
            run = run_record(model.scenario_spec, model.seed, model.draws_key)
            paths = write_run(target, outcome, model.rounds_table(), model.allies_table(), run)
            args.stdout.saved = target.path
            args.stdout.print("wrote " + ", ".join(str(p) for p in paths), to_stderr=args.json)
    return 0


def command_validate(args) -> int:
    from sim.analysis.validation import validate
    from sim.analysis.validation_report import table_text, write_report

    if args.seeds < 1:
        raise ParameterError(f"--seeds {args.seeds}: at least 1 run per case is needed")
    with output_dir(args.out, VALIDATION_FILES) as target:  # refuse before spending time on the runs
        result = validate(range(args.seeds))
        args.stdout.print(json.dumps(result.to_dict(), default=float, allow_nan=False) if args.json
                          else table_text(result))
        if target is not None:
            paths = target.write(lambda stage: write_report(result, stage))
            args.stdout.saved = target.path
            args.stdout.print("wrote " + ", ".join(str(p) for p in paths), to_stderr=args.json)
    return 0


def command_history(args) -> int:
    from sim.analysis.chain_validation import check_chain
    from sim.analysis.validation_report import aligned, chain_rows
    from sim.engines.outcome import without_nan
    if args.seeds < 1:
        raise ParameterError(f"--seeds {args.seeds}: at least 1 history is needed")
    overrides = dict(parse_override(text) for text in args.overrides)
    result = check_chain(range(args.seeds), overrides)  # the forecast's years are shown only in JSON, its review in both
    args.stdout.print(json.dumps(without_nan(dataclasses.asdict(result)), default=float, allow_nan=False)
                      if args.json else aligned(chain_rows(result)))
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


class Terminated(KeyboardInterrupt):
    """SIGTERM (`kill`, a scheduler ending the job): stopped as Ctrl-C stops a sweep."""


def stop_on_sigterm(signum, frame) -> None:
    raise Terminated


def command_sweep(args) -> int:
    own = load_spec(args.spec)
    spec = own.with_engine(args.engine)
    choice = ExecutorChoice(workers=args.workers, scheduler=args.scheduler)
    resume = resume_command(args, spec, own.engine)
    try:
        previous = signal.signal(signal.SIGTERM, stop_on_sigterm)
    except ValueError:  # not the main thread (main() called from a thread): SIGTERM keeps its default
        previous = None
    terminated = False
    try:
        report = run_sweep(spec, args.out, executor=choice, resume=args.resume, progress=not args.quiet)
    except SweepInterrupted as stop:
        terminated = isinstance(stop.__context__, Terminated)
        print(f"\n{printable(stop.describe(args.out, resume))}", file=sys.stderr)
        return TERMINATED if terminated else INTERRUPTED
    except KeyboardInterrupt as stop:  # while the sweep was still checking its directory: count what is there
        terminated = isinstance(stop, Terminated)
        saved = len(ResultTable.RUNS.shards(args.out)) if args.out.is_dir() else 0  # each whole, or found damaged
        print(f"\n{printable(SweepInterrupted(saved, spec.batch_count).describe(args.out, resume))}",
              file=sys.stderr)
        return TERMINATED if terminated else INTERRUPTED
    except SweepWriteError as error:  # a full disk: what is saved stays, and the resume finishes it
        raise OutputError(f"{error}; {'finish it with: ' + resume if error.saved else 'then run the sweep again'}"
                          ) from None
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    args.stdout.saved = args.out
    speed = f" in {report.seconds:.1f} s, {report.rate:.1f} runs/s" if report.computed else ""
    args.stdout.print(f"sweep {spec.name}: {report.runs} runs in {args.out} ({report.already_done} already done, "
                      f"{report.computed} computed{speed}; engine {spec.engine}, {choice.describe()})")
    return 0


def command_viz(args) -> int:
    return serve(args.host, args.port, args.scenario)


def quiet_stdout() -> None:
    """After stdout failed (its reader went away, its disk is full): point it at /dev/null, so
    Python's own flush at exit does not complain about what it could not write."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no file (captured in-process, or closed): nothing to flush
        pass


#: Faults of the machine around the command, not of the code: one line, like a user error.
MACHINE_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO,
                            errno.ENOTDIR, errno.EISDIR, errno.EMFILE, errno.ENFILE, errno.ENOMEM, errno.EFBIG})


def stdout_failure(output: Stdout) -> int:
    """The status, and the one line, for a command whose output could not be printed."""
    failure = output.failure
    if isinstance(failure, BrokenPipeError):
        return BROKEN_PIPE  # the reader went away (`| head`): quietly, as Unix tools do
    reason = failure.strerror or str(failure)
    kept = f"; the results written in {output.saved} are whole" if output.saved is not None else ""
    print(f"alliance-sim: error: cannot write to standard output ({shown(reason)}); what the command printed "
          f"is lost{shown(kept)}", file=sys.stderr)
    return USAGE_ERROR


def main(argv: list[str] | None = None) -> int:
    own_stderr = sys.stderr
    sys.stderr = Unfailing(own_stderr)
    try:
        return run_command(argv)
    finally:
        sys.stderr = own_stderr


def run_command(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    args.stdout = output = Stdout()
    try:
        status = {"run": command_run, "validate": command_validate, "history": command_history,
                  "sweep": command_sweep, "viz": command_viz}[args.command](args)
        output.flush()
        return stdout_failure(output) if output.failure is not None else status
    except USER_ERRORS as error:
        print(f"alliance-sim: error: {one_line(error)}", file=sys.stderr)
        return USAGE_ERROR
    except BrokenPipeError:
        quiet_stdout()
        return BROKEN_PIPE
    except OSError as error:
        if error.errno not in MACHINE_ERRORS:
            print("alliance-sim: internal error: this is a bug; please report it with the command and the "
                  "traceback below", file=sys.stderr)
            raise
        where = f" ({error.filename})" if error.filename else ""
        print(f"alliance-sim: error: {shown(error.strerror or str(error))}{shown(where)}", file=sys.stderr)
        return USAGE_ERROR
    except Exception:
        print("alliance-sim: internal error: this is a bug; please report it with the command and the "
              "traceback below", file=sys.stderr)
        raise


if __name__ == "__main__":
    sys.exit(main())
