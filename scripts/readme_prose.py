"""How the README's generated blocks write a number, a share, a list of names and a table: one way
everywhere, so the same figure reads the same in every block, and a missing value (no deal, no run
reaching the year) says so in words instead of printing nan."""

from __future__ import annotations

import math
from collections.abc import Sequence


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value, digits: int = 2, absent: str = "-") -> str:
    return absent if missing(value) else f"{value:.{digits}f}"


def pct(value, digits: int = 2, absent: str = "no deal") -> str:
    """A level in % of GDP: '3.61%'."""
    return absent if missing(value) else f"{value:.{digits}f}%"


def share(value, absent: str = "-") -> str:
    """A share of runs in whole per cent: '90%'."""
    return absent if missing(value) else f"{value:.0%}"


def span(values: Sequence[float], digits: int) -> str:
    """'low-high', or one number when both print the same."""
    low, high = f"{min(values):.{digits}f}", f"{max(values):.{digits}f}"
    return low if low == high else f"{low}-{high}"


def joined(items: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """'1 run', '10 runs'."""
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
