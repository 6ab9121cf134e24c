"""Rewrite the parameter tables of docs/ODD.md (section 8) and docs/results.md from the
parameter table in `sim/model/parameters.py`, so a new or refitted parameter is documented the same
way everywhere. `tests/test_docs.py` and `tests/test_results_dataset.py` check the result.

    .venv/bin/python scripts/parameter_tables.py          # rewrite both files in place
"""

from __future__ import annotations

import re
from pathlib import Path

from sim.model.parameters import Parameters, parameter_fields, shown
from sim.sweeps.shards import parameter_doc

DOCS = Path(__file__).resolve().parent.parent / "docs"


def allowed_cell(field) -> str:
    meta = field.metadata
    if meta["choices"]:
        return ", ".join(shown(choice) for choice in meta["choices"])
    if field.type in ("bool", bool):
        return "true/false"
    return f"{meta['low']:g} to {meta['high']:g}"


def odd_rows() -> list[str]:
    defaults = Parameters()
    return [f"| `{name}` | {shown(getattr(defaults, name))} | {allowed_cell(field)} | {field.metadata['doc']} |"
            for name, field in parameter_fields().items()]


def results_rows() -> list[str]:
    rows = []
    for name in parameter_fields():
        doc = parameter_doc(name)
        arrow = str(doc.type)
        duckdb = {"int64": "BIGINT", "double": "DOUBLE", "string": "VARCHAR", "bool": "BOOLEAN"}[arrow]
        rows.append(f"| `{name}` | {arrow} / {duckdb} | {doc.unit} | {doc.description} |")
    return rows


def replace_rows(path: Path, rows: list[str]) -> None:
    """Replace the table whose rows name parameters (the first such block) with `rows`."""
    names = set(parameter_fields())
    lines = path.read_text(encoding="utf-8").splitlines()
    found = [index for index, line in enumerate(lines)
             if (match := re.match(r"\| `(\w+)` \|", line)) and match.group(1) in names]
    first = found[0]
    last = first
    while last + 1 < len(lines) and lines[last + 1].startswith("| `"):
        last += 1
    lines[first:last + 1] = rows
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    replace_rows(DOCS / "ODD.md", odd_rows())
    replace_rows(DOCS / "results.md", results_rows())


if __name__ == "__main__":
    main()
