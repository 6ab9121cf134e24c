"""The generated blocks of a Markdown page: what sits between `<!-- generated: NAME; ... -->` and
`<!-- /generated: NAME -->` is written by a script, everything else by hand. Replacing the blocks
leaves the rest of the page as it was, byte for byte, and comparing block by block names the
blocks that have drifted from what the script writes now, so a page's numbers can be checked
without re-reading its prose.

A block is placed once, by hand, where it belongs (its two marker lines); the script then only
ever rewrites what is between and including them, and refuses a page where a block is missing,
unclosed or doubled rather than guess where it should go.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

OPENING = re.compile(r"^<!-- generated: (?P<name>[\w-]+)[;\s][^\n]*-->$", re.MULTILINE)
CLOSING = "<!-- /generated: {name} -->"


class BlockError(ValueError):
    """A page whose markers cannot be read: a block missing, unclosed or present twice."""


@dataclass(frozen=True)
class Block:
    """One generated block: its name, the command that made it (said in its opening marker, so a
    reader of the page knows what to run instead of editing), and its Markdown."""

    name: str
    made_by: str
    body: str

    def text(self) -> str:
        """The block as it stands on the page, markers included. Blank lines around the body keep
        a table or a paragraph a block of its own in every Markdown renderer."""
        return (f"<!-- generated: {self.name}; {self.made_by}; edit the script, not this block -->\n\n"
                f"{self.body.strip()}\n\n{CLOSING.format(name=self.name)}")


def spans(page: str) -> dict[str, tuple[int, int]]:
    """Where each block stands on the page (start and end offsets, markers included), by name, in
    page order."""
    found: dict[str, tuple[int, int]] = {}
    for opening in OPENING.finditer(page):
        name = opening.group("name")
        if name in found:
            raise BlockError(f"generated block {name!r} appears twice")
        closing = CLOSING.format(name=name)
        end = page.find(closing, opening.end())
        if end < 0:
            raise BlockError(f"generated block {name!r} has no closing line {closing!r}")
        found[name] = (opening.start(), end + len(closing))
    return found


def blocks_in(page: str) -> dict[str, str]:
    """Each block's text on the page (markers included), by name, in page order."""
    return {name: page[start:end] for name, (start, end) in spans(page).items()}


def with_blocks(page: str, blocks: Iterable[Block]) -> str:
    """The page with each block's text put in place of the old; nothing outside them changes."""
    on_page = spans(page)
    replaced = []
    for block in blocks:
        if block.name not in on_page:
            raise BlockError(f"the page has no generated block {block.name!r}: place its two marker lines "
                             f"where it belongs, {block.text().splitlines()[0]!r} and "
                             f"{CLOSING.format(name=block.name)!r}")
        replaced.append((on_page[block.name], block.text()))
    for (start, end), text in sorted(replaced, reverse=True):  # from the end, so earlier offsets hold
        page = page[:start] + text + page[end:]
    return page


def stale_blocks(page: str, blocks: Iterable[Block]) -> list[str]:
    """The names of the blocks whose text on the page is not what the script writes now (a block
    missing from the page is stale too), and of blocks on the page the script no longer writes."""
    on_page = blocks_in(page)
    blocks = list(blocks)
    written = {block.name for block in blocks}
    stale = [block.name for block in blocks if on_page.get(block.name) != block.text()]
    return stale + [name for name in on_page if name not in written]
