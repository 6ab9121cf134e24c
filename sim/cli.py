"""The command line: `alliance-sim run`.

Errors in what the user gave (a scenario, a parameter, an output directory) end in one line
on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from sim.data.loader import DataError
from sim.parameters import ParameterError
from sim.scenario import DEFAULT_SCENARIO, ScenarioError, builtin_scenarios
from sim.sweep import ExecutorError, add_sweep_parser, command_sweep
from sim.viz.server import add_viz_parser, command_viz

DEFAULT_SEED = 0
USAGE_ERROR = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="alliance-sim",
                                     description="The NATO allies negotiating their defence-spending target.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run one negotiation and report its outcome")
    run.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                     help=f"built-in scenario name or TOML path (default {DEFAULT_SCENARIO}; "
                          f"built-in: {', '.join(builtin_scenarios())})")
    run.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="NAME=VALUE",
                     help="override a model parameter, e.g. --set us_pressure=0.5 (repeatable)")
    run.add_argument("--json", action="store_true", help="print the outcome as one JSON object")
    run.add_argument("--out", type=Path, help="write round-by-round Parquet tables and a figure here")
    validate = commands.add_parser("validate", help="check the model against the Hague 2025 and Wales 2014 record")
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
        raise ParameterError(f"--set {text!r}: expected NAME=VALUE")
    name, raw = (part.strip() for part in text.split("=", 1))
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw
    return name, value


def command_run(args) -> int:
    from sim.model import AllianceModel
    from sim.report import RUN_FILES, check_out_dir, summary_text, write_run

    overrides = dict(parse_override(text) for text in args.overrides)
    if args.out is not None:
        check_out_dir(args.out, RUN_FILES)  # refuse before spending time on the run
    started = time.perf_counter()
    model = AllianceModel(args.scenario, rng=args.seed, **overrides)
    outcome = model.run()
    elapsed = time.perf_counter() - started
    if args.json:
        print(json.dumps(outcome.to_dict(), allow_nan=False))
    else:
        print(summary_text(outcome))
        print(f"\n(run took {elapsed * 1000:.0f} ms)")
    if args.out is not None:
        paths = write_run(args.out, outcome, model.rounds_table(), model.allies_table())
        print("wrote " + ", ".join(str(p) for p in paths), file=sys.stderr if args.json else sys.stdout)
    return 0


def command_validate(args) -> int:
    from sim.validation import validate
    from sim.validation_report import table_text, write_report

    if args.seeds < 1:
        raise ParameterError(f"--seeds {args.seeds}: at least 1 run per case is needed")
    if args.out is not None and (args.out / "validation.md").exists():
        raise FileExistsError(f"{args.out}: already holds validation.md; choose another --out directory")
    result = validate(range(args.seeds))
    print(json.dumps(result.to_dict(), default=float, allow_nan=False) if args.json else table_text(result))
    if args.out is not None:
        paths = write_report(result, args.out)
        print("wrote " + ", ".join(str(p) for p in paths), file=sys.stderr if args.json else sys.stdout)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return {"run": command_run, "validate": command_validate, "sweep": command_sweep,
                "viz": command_viz}[args.command](args)
    except (ScenarioError, ParameterError, DataError, FileExistsError, ExecutorError) as error:
        print(f"alliance-sim: error: {error}", file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
