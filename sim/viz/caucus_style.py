"""How the page names and marks the caucuses, the same on the map and in the "This round" panel.

The colours are chosen apart from the vote colours (green, red, purple, greys) and from the
position scale (yellow-green-blue), and each caucus has its own badge shape too, so a member
reads as a member on a tile of any colour, and without colour vision.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.model.caucuses import Caucus


@dataclass(frozen=True)
class CaucusStyle:
    """A caucus's name on the page, its colour, and its badge's shape (a Vega-Lite symbol)."""

    label: str
    colour: str
    shape: str
    ink: str  # the label colour on a tile filled with `colour`


STYLES = {
    Caucus.FRONT_LINE: CaucusStyle("Front line", "#f28e2b", "triangle-up", "#222222"),
    Caucus.FISCAL: CaucusStyle("Fiscal caucus", "#4e79a7", "diamond", "#ffffff"),
    Caucus.NONE: CaucusStyle("No caucus", "#e0e0e0", "circle", "#222222"),
}
