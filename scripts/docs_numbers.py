"""Write the numbers the model computes into the generated blocks of README.md and docs/ODD.md
(section 10), from the code that computes them, so neither page can quote a result the model no
longer gives: the validation (`alliance-sim validate`, seeds 0-9), the seed-0 runs
(`alliance-sim run --json`), the Hague talks over seeds (`sim.api.simulate_many`), the levers'
verdicts (read from docs/levers.md, which `experiments/levers.py` writes) and the experiments
(the US pressure sweep and its posture arms, the implementation rules, the caucus blocs: each run
by its own code, scripts/experiment_blocks.py). Text outside the blocks is not touched.

    .venv/bin/python -m scripts.docs_numbers           # rewrite the blocks of both pages
    .venv/bin/python -m scripts.docs_numbers --check   # status 1, naming the stale blocks, if one is out of date
    make docs                                           # the levers' page first, then this

`tests/test_docs_numbers.py` fails when a block of either page is not what this writes now. A new
block is placed by hand once (its two marker lines, see scripts/generated_blocks.py) and added to
`blocks` or `odd_blocks` below.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from scripts.experiment_blocks import (ExperimentResults, arms_block, blocs_block, compliance_block,
                                       compute_experiments, pressure_buys_paragraph, pressure_paragraph)
from scripts.findings_blocks import (Counterfactual, SeedRun, counterfactual, counterfactual_sentence,
                                     implementation_sentence, levers_paragraph, seed_run, seed_zero_paragraph)
from scripts.generated_blocks import Block, stale_blocks, with_blocks
from scripts.history_blocks import (baselines_table, misses_list, path_paragraph, protocols_summary,
                                    protocols_table, seeds_label, validation_table)
from scripts.lever_verdicts import LEVERS_COMMAND, LeverResults, read_levers_page
from scripts.odd_blocks import hague_defaults_paragraph, implementation_paragraph, levers_list
from sim.analysis.validation import DEFAULT_SEEDS, Validation, validate

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
ODD = ROOT / "docs" / "ODD.md"
COMMAND = ".venv/bin/python -m scripts.docs_numbers"
COUNTERFACTUAL_SCENARIO = "us_posture_2024"


@dataclass(frozen=True)
class Sources:
    """Everything the blocks are written from, each computed once."""

    validation: Validation
    hague: SeedRun
    wales: SeedRun
    us_posture_2024: Counterfactual
    hague_seeds: Counterfactual  # hague2025 over the validation's seeds
    levers: LeverResults
    experiments: ExperimentResults


def compute_sources() -> Sources:
    return Sources(validation=validate(DEFAULT_SEEDS), hague=seed_run("hague2025"), wales=seed_run("wales2014"),
                   us_posture_2024=counterfactual(COUNTERFACTUAL_SCENARIO, len(DEFAULT_SEEDS)),
                   hague_seeds=counterfactual("hague2025", len(DEFAULT_SEEDS)),
                   levers=read_levers_page(), experiments=compute_experiments())


def experiment_made_by(names: str) -> str:
    return f"made by `{COMMAND}` from {names}, run as `python -m experiments.<name>` runs them"


def pressure_buys(sources: Sources) -> Block:
    """What US pressure buys over its range: the same block on both pages."""
    return Block("us-pressure-buys", experiment_made_by("experiments.us_pressure and experiments.compliance"),
                 pressure_buys_paragraph(sources.experiments))


def blocks(sources: Sources) -> list[Block]:
    """Every generated block of README.md, in page order."""
    v, e = sources.validation, sources.experiments
    run = f"made by `{COMMAND}` from `alliance-sim run --json` (seed 0)"
    validated = f"made by `{COMMAND}` from `alliance-sim validate --json` ({seeds_label(v)})"
    return [
        Block("compliance-rules", experiment_made_by("experiments.compliance"), compliance_block(e)),
        Block("us-pressure-sweep", experiment_made_by("experiments.us_pressure"), pressure_paragraph(e)),
        Block("posture-arms", experiment_made_by("experiments.us_pressure (the posture arms)"), arms_block(e)),
        Block("caucus-blocs", experiment_made_by("experiments.caucus_blocs"), blocs_block(e)),
        Block("hague-seed-0", run, seed_zero_paragraph(sources.hague, sources.wales)),
        Block("levers", f"made by `{COMMAND}` from docs/levers.md, which `{LEVERS_COMMAND}` writes",
              levers_paragraph(sources.levers)),
        Block("us-posture-2024", f"made by `{COMMAND}` from `sim.api.simulate_many` on {COUNTERFACTUAL_SCENARIO}",
              counterfactual_sentence(sources.us_posture_2024)),
        Block("implementation-seed-0", run, implementation_sentence(sources.hague)),
        pressure_buys(sources),
        Block("validation-table", validated, validation_table(v)),
        Block("baselines-table", validated, baselines_table(v)),
        Block("path-hindcast", validated, path_paragraph(v)),
        Block("misses", validated, misses_list(v)),
        Block("protocols-table", validated, protocols_table(v)),
        Block("protocols-summary", validated, protocols_summary(v)),
    ]


def odd_blocks(sources: Sources) -> list[Block]:
    """Every generated block of docs/ODD.md (all in section 10), in page order."""
    seeds = (f"made by `{COMMAND}` from `validate` and `sim.api.simulate_many` on hague2025 "
             f"({seeds_label(sources.validation)})")
    return [
        Block("odd-hague-defaults", seeds, hague_defaults_paragraph(sources.validation, sources.hague_seeds,
                                                                     sources.hague)),
        Block("odd-levers", f"made by `{COMMAND}` from docs/levers.md, which `{LEVERS_COMMAND}` writes",
              levers_list(sources.levers)),
        Block("odd-implementation", seeds, implementation_paragraph(sources.hague_seeds, sources.hague)),
        pressure_buys(sources),
    ]


@dataclass(frozen=True)
class Page:
    """A page with generated blocks, and the blocks it should hold now."""

    path: Path
    blocks: list[Block]

    @property
    def name(self) -> str:
        return self.path.relative_to(ROOT).as_posix() if self.path.is_relative_to(ROOT) else self.path.name


def pages(sources: Sources) -> list[Page]:
    return [Page(README, blocks(sources)), Page(ODD, odd_blocks(sources))]


def main(argv: list[str] | None = None) -> int:
    flags = argparse.ArgumentParser(prog="python -m scripts.docs_numbers", description=__doc__.split("\n\n")[0])
    flags.add_argument("--check", action="store_true", help="change nothing; status 1 if a page is out of date")
    args = flags.parse_args(argv)
    started = time.perf_counter()
    written = pages(compute_sources())
    stale = [(page, stale_blocks(page.path.read_text(encoding="utf-8"), page.blocks)) for page in written]
    seconds = time.perf_counter() - started
    if args.check:
        out_of_date = [f"{page.name}: {', '.join(names)}" for page, names in stale if names]
        if out_of_date:
            print(f"out of date: {'; '.join(out_of_date)}; run {COMMAND} (or make docs)", file=sys.stderr)
            return 1
        print(f"{' and '.join(page.name for page in written)}: their "
              f"{sum(len(page.blocks) for page in written)} generated blocks are current ({seconds:.0f} s)")
        return 0
    for page, names in stale:
        text = page.path.read_text(encoding="utf-8")
        page.path.write_text(with_blocks(text, page.blocks), encoding="utf-8")
        print(f"{page.name}: {len(names)} of {len(page.blocks)} generated blocks rewritten"
              + (f" ({', '.join(names)})" if names else "") + f" ({seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
