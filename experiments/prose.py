"""Numbers and tables for the experiments' markdown summaries, written the same way in each:
fixed digits, "n/a" where there is nothing to report (no deal, no runs), and where the
numbers came from."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def fmt(value: float, digits: int = 2, sign: bool = False) -> str:
    """A number for prose: fixed digits, "n/a" when absent (no deal, no runs)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"


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
    """One line naming the sweep a summary was computed from: spec, runs, engine, seed, code."""
    return (f"Sweep `{meta['name']}` ({meta['spec_source']}): {meta['runs']} runs, engine {meta['engine']}, "
            f"root seed {meta['root_seed']}, spec hash `{meta['spec_hash'][:12]}`, code {meta['code_version']}.")
