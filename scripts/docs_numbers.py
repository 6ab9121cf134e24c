"""Write the numbers the model computes into README.md's generated blocks, from the code that
computes them, so the README cannot quote a result the model no longer gives: the validation
(`alliance-sim validate`, seeds 0-9), the seed-0 runs (`alliance-sim run --json`), the Hague talks
under the US posture of June 2024 (`sim.api.simulate_many`) and the levers' verdicts (read from
docs/levers.md, which `experiments/levers.py` writes). Text outside the blocks is not touched.

    .venv/bin/python -m scripts.docs_numbers           # rewrite the blocks of README.md
    .venv/bin/python -m scripts.docs_numbers --check   # status 1, naming the stale blocks, if it is out of date
    make docs                                           # the levers' page first, then this

`tests/test_docs_numbers.py` fails when a block of README.md is not what this writes now. A new
block is placed by hand once (its two marker lines, see scripts/generated_blocks.py) and added to
`blocks` below.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from scripts.findings_blocks import (Counterfactual, SeedRun, counterfactual, counterfactual_sentence,
                                     implementation_sentence, levers_paragraph, seed_run, seed_zero_paragraph)
from scripts.generated_blocks import Block, stale_blocks, with_blocks
from scripts.history_blocks import (baselines_table, misses_list, path_paragraph, protocols_summary,
                                    protocols_table, seeds_label, validation_table)
from scripts.lever_verdicts import LEVERS_COMMAND, LeverResults, read_levers_page
from sim.analysis.validation import DEFAULT_SEEDS, Validation, validate

README = Path(__file__).resolve().parent.parent / "README.md"
COMMAND = ".venv/bin/python -m scripts.docs_numbers"
COUNTERFACTUAL_SCENARIO = "us_posture_2024"


@dataclass(frozen=True)
class Sources:
    """Everything the blocks are written from, each computed once."""

    validation: Validation
    hague: SeedRun
    wales: SeedRun
    us_posture_2024: Counterfactual
    levers: LeverResults


def compute_sources() -> Sources:
    return Sources(validation=validate(DEFAULT_SEEDS), hague=seed_run("hague2025"), wales=seed_run("wales2014"),
                   us_posture_2024=counterfactual(COUNTERFACTUAL_SCENARIO, len(DEFAULT_SEEDS)),
                   levers=read_levers_page())


def blocks(sources: Sources) -> list[Block]:
    """Every generated block of README.md, in page order."""
    v = sources.validation
    run = f"made by `{COMMAND}` from `alliance-sim run --json` (seed 0)"
    validated = f"made by `{COMMAND}` from `alliance-sim validate --json` ({seeds_label(v)})"
    return [
        Block("hague-seed-0", run, seed_zero_paragraph(sources.hague, sources.wales)),
        Block("levers", f"made by `{COMMAND}` from docs/levers.md, which `{LEVERS_COMMAND}` writes",
              levers_paragraph(sources.levers)),
        Block("us-posture-2024", f"made by `{COMMAND}` from `sim.api.simulate_many` on {COUNTERFACTUAL_SCENARIO}",
              counterfactual_sentence(sources.us_posture_2024)),
        Block("implementation-seed-0", run, implementation_sentence(sources.hague)),
        Block("validation-table", validated, validation_table(v)),
        Block("baselines-table", validated, baselines_table(v)),
        Block("path-hindcast", validated, path_paragraph(v)),
        Block("misses", validated, misses_list(v)),
        Block("protocols-table", validated, protocols_table(v)),
        Block("protocols-summary", validated, protocols_summary(v)),
    ]


def main(argv: list[str] | None = None) -> int:
    flags = argparse.ArgumentParser(prog="python -m scripts.docs_numbers", description=__doc__.split("\n\n")[0])
    flags.add_argument("--check", action="store_true", help="change nothing; status 1 if README.md is out of date")
    args = flags.parse_args(argv)
    started = time.perf_counter()
    written = blocks(compute_sources())
    page = README.read_text(encoding="utf-8")
    stale = stale_blocks(page, written)
    seconds = time.perf_counter() - started
    if args.check:
        if stale:
            print(f"README.md: out of date: {', '.join(stale)}; run {COMMAND} (or make docs)", file=sys.stderr)
            return 1
        print(f"README.md: its {len(written)} generated blocks are current ({seconds:.0f} s)")
        return 0
    README.write_text(with_blocks(page, written), encoding="utf-8")
    print(f"README.md: {len(stale)} of {len(written)} generated blocks rewritten"
          + (f" ({', '.join(stale)})" if stale else "") + f" ({seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
