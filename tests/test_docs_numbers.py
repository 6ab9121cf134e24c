"""README.md's generated blocks are what scripts/docs_numbers.py writes from the code today, so no
number in "What it finds" and "Checked against history" is older than the model; and the check
can fail: a number edited in a copy of the README is caught, and the prose outside the blocks
states no model result.

The blocks are compared as text, exactly: every run is a function of its seed alone
(`sim/model/streams.py`), and the same code gives the same text run after run (checked with
different hash seeds and thread settings), so a tolerance would only let a hand edit of the last
digit through. Computing the blocks takes one validation of 10 seeds, about 10 s.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from scripts import docs_numbers
from scripts.findings_blocks import SeedRun, implementation_sentence, talks_sentence
from scripts.generated_blocks import Block, BlockError, blocks_in, spans, stale_blocks, with_blocks
from scripts.history_blocks import misses_list, protocol_label, protocols_table
from scripts.readme_prose import number, pct, share
from sim.analysis.validation import Case
from sim.analysis.validation_report import SecretaryGeneralProposal
from scripts.record_checks import record_checks


@pytest.fixture(scope="module")
def sources() -> docs_numbers.Sources:
    return docs_numbers.compute_sources()


@pytest.fixture(scope="module")
def written(sources) -> list[Block]:
    return docs_numbers.blocks(sources)


@pytest.fixture(scope="module")
def page() -> str:
    return docs_numbers.README.read_text(encoding="utf-8")


def test_every_generated_block_of_the_readme_is_current(written, page):
    stale = stale_blocks(page, written)
    assert not stale, f"README.md's generated blocks {stale} are out of date: run {docs_numbers.COMMAND} (or make docs)"


def edited_number(text: str) -> str:
    """`text` with the last digit of its first decimal number changed."""
    found = re.search(r"\d+\.(\d+)", text)
    digit = found.end() - 1
    return text[:digit] + str((int(text[digit]) + 1) % 10) + text[digit + 1:]


@pytest.mark.parametrize("name", ["hague-seed-0", "validation-table", "protocols-table"])
def test_a_number_edited_by_hand_in_a_block_is_caught(written, page, name):
    current = with_blocks(page, written)  # a copy of the README as it should be, then one number edited
    start, end = spans(current)[name]
    edited = current[:start] + edited_number(current[start:end]) + current[end:]
    assert edited != current
    assert stale_blocks(current, written) == [] and stale_blocks(edited, written) == [name]


def test_the_check_command_fails_on_an_edited_copy_and_rewriting_mends_it(sources, written, page, tmp_path,
                                                                           monkeypatch):
    monkeypatch.setattr(docs_numbers, "compute_sources", lambda: sources)
    current = with_blocks(page, written)
    copy = tmp_path / "README.md"
    copy.write_text(current, encoding="utf-8")
    monkeypatch.setattr(docs_numbers, "README", copy)
    assert docs_numbers.main(["--check"]) == 0
    start, end = spans(current)["validation-table"]
    copy.write_text(current[:start] + edited_number(current[start:end]) + current[end:], encoding="utf-8")
    assert docs_numbers.main(["--check"]) == 1
    assert docs_numbers.main([]) == 0  # rewriting puts the number back, and nothing else moves
    assert copy.read_text(encoding="utf-8") == current


# --- the prose outside the blocks ------------------------------------------------------------------

SECTIONS = ("## What it finds", "## Checked against history")
#: The numbers the prose of those sections may type: the record's and the data's facts (the Hague's
#: 3.5% + 1.5% = 5%, the 2% guideline, the capability targets' 30%s) and the forecast's 90% band.
TYPED_FIGURES = {"3.5%", "1.5%", "5%", "2%", "30%", "90%"}
MODEL_LIKE = re.compile(r"\b\d+(?:\.\d+)?%|\b\d+\.\d{2,}\b")  # a share or level, or a figure to 2+ decimals


def section_prose(page: str) -> str:
    """The two sections, without their generated blocks and code examples."""
    start = page.index(SECTIONS[0])
    end = page.index("\n## ", page.index(SECTIONS[1]))
    text = page[start:end]
    for block in blocks_in(text).values():
        text = text.replace(block, "")
    return re.sub(r"```.*?```", "", text, flags=re.DOTALL)


def test_the_prose_of_the_two_sections_types_no_model_result(page):
    typed = set(MODEL_LIKE.findall(section_prose(page))) - TYPED_FIGURES
    assert not typed, f"numbers typed outside the generated blocks of README.md: {sorted(typed)}; put them in a block"


def test_the_two_sections_hold_every_block(written, page):
    start = page.index(SECTIONS[0])
    end = page.index("\n## ", page.index(SECTIONS[1]))
    assert list(blocks_in(page[start:end])) == [block.name for block in written]


# --- sentences written from the outcome ----------------------------------------------------------

def test_a_deal_with_a_side_letter_is_not_said_to_be_signed_by_every_ally(sources):
    run = sources.hague
    carried = replace(run, outcome=replace(run.outcome, deal=True, flexibility=["ESP", "BEL"]))
    sentence = talks_sentence("the Hague talks", carried)
    assert "every ally" not in sentence and "with a side letter for Spain and Belgium" in sentence
    assert "Spain and Belgium, carried with a side letter" in implementation_sentence(carried)


def test_talks_without_a_deal_say_so_and_name_the_holdouts(sources):
    run: SeedRun = sources.hague
    failed = replace(run, outcome=replace(run.outcome, deal=False, rounds=run.max_rounds, holdouts=["ESP", "CAN"],
                                          flexibility=[]))
    sentence = talks_sentence("the Hague talks", failed)
    assert sentence == (f"the Hague talks end without a deal at the summit (round {run.max_rounds}), "
                        "with Spain and Canada holding out.")
    assert "no new pledge" in implementation_sentence(failed)


def test_a_miss_fixed_leaves_the_list_of_misses_and_its_explanation_with_it(sources):
    v = sources.validation
    spain_carried = replace(v, hague=replace(v.hague, spain_flexibility_share=1.0))
    spain = next(check for check in record_checks(spain_carried) if check.pattern == "Spain's side letter")
    assert spain.met and spain.verdict == "meets"
    assert "Spain's side letter" not in misses_list(spain_carried)
    spain_missed = replace(v, hague=replace(v.hague, spain_flexibility_share=0.0))
    assert "*Spain's side letter*" in misses_list(spain_missed)


# --- the protocols side by side -------------------------------------------------------------------

def test_the_secretary_generals_draft_passing_costs_what_the_targets_cost():
    """The first draft tables the capability targets' cost (sim/model/requirement.py): at the
    Hague 2% / (1 - 0.3) x (1 + 1 x (0.8 - 0.5)) = 26/7 = 3.714%; at Wales (no shortfall, threat
    0.5) the guideline's 2%. Level error over both cases: |26/7 - 3.5| + |2 - 2| = 3/14 = 0.214."""
    proposal = SecretaryGeneralProposal.at_defaults()
    assert proposal.hague_core_pct == pytest.approx(26 / 7)
    assert proposal.wales_level_pct == pytest.approx(2.0)
    assert proposal.level_error() == pytest.approx(3 / 14)


def table_cells(text: str) -> dict[str, list[str]]:
    """A Markdown table's rows by their first cell: the other cells, stripped."""
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in text.splitlines()]
    return {row[0]: row[1:] for row in rows}


def test_the_protocols_table_sets_each_protocol_beside_the_one_shot_predictions(sources):
    v = sources.validation
    cells = table_cells(protocols_table(v))
    header = cells["Hague 2025 and Wales 2014"]
    protocols = len(v.protocols)
    assert header[1:1 + protocols] == [protocol_label(name) for name in v.protocols]
    assert header[1 + protocols:] == ["Secretary General's draft passes", "weighted mean", "weighted median", "Nash"]
    one_shot = slice(1 + protocols, None)
    assert cells["Hague core level, deadline"][one_shot] == [
        pct(26 / 7), *(pct(getattr(v.hague.baselines, name)) for name in ("weighted_mean", "weighted_median", "nash"))]
    assert cells["Wales level, horizon"][one_shot] == [
        "2.00%", *(pct(getattr(v.wales.baselines, name)) for name in ("weighted_mean", "weighted_median", "nash"))]
    errors = v.combined_errors()
    assert cells["level error over both cases, pp"][one_shot] == [
        "0.214", *(number(errors[name], 3) for name in ("weighted_mean", "weighted_median", "nash"))]
    # the rounds: each protocol's mean and its share of talks ending in round 1; a one-shot model takes one
    rounds = cells["Hague rounds (mean; ending in round 1)"]
    assert rounds[1:1 + protocols] == [f"{number(r.hague.mean_rounds, 1)}; {share(r.hague.first_round_share)}"
                                       for r in v.protocols.values()]
    assert rounds[one_shot] == ["1; 100%"] * 4
    # out of sample: Wales under each protocol's fit on the Hague alone, "not fitted" where none is shipped
    out_of_sample = next(row for label, row in cells.items() if label.startswith("Wales deal, level, horizon;"))
    for cell, result in zip(out_of_sample[1:1 + protocols], v.protocols.values()):
        fit = result.fit(Case.HAGUE)
        assert (cell == "not fitted") == (fit is None)
        if fit is not None and fit.wales.deal_share:
            assert cell.startswith(f"{number(fit.wales.deal_share)}, {pct(fit.wales.level_pct)}, ")
    assert all(row[one_shot] in (["-"] * 4, [""] * 4) for label, row in cells.items()
               if label not in ("Hague 2025 and Wales 2014", "Hague core level, deadline", "Wales level, horizon",
                                "level error over both cases, pp", "Hague rounds (mean; ending in round 1)")
               and not label.startswith("---"))


# --- the markers, on a page made by hand -----------------------------------------------------------

HAND_PAGE = """# Title

Typed prose, 1.23 and all.

<!-- generated: one; made by hand; edit the script, not this block -->

old

<!-- /generated: one -->

More typed prose.
<!-- generated: two; made by hand -->
old two
<!-- /generated: two -->
Tail.
"""


def test_writing_the_blocks_changes_nothing_outside_them():
    new = with_blocks(HAND_PAGE, [Block("two", "made by a test", "new two"), Block("one", "made by a test", "new")])
    assert blocks_in(new)["one"] == Block("one", "made by a test", "new").text()
    outside = [HAND_PAGE[:spans(HAND_PAGE)["one"][0]], HAND_PAGE[spans(HAND_PAGE)["one"][1]:spans(HAND_PAGE)["two"][0]],
               HAND_PAGE[spans(HAND_PAGE)["two"][1]:]]
    assert [new[:spans(new)["one"][0]], new[spans(new)["one"][1]:spans(new)["two"][0]], new[spans(new)["two"][1]:]] \
        == outside
    assert stale_blocks(new, [Block("one", "made by a test", "new"), Block("two", "made by a test", "new two")]) == []


def test_a_block_missing_unclosed_doubled_or_unknown_is_refused_or_reported():
    with pytest.raises(BlockError, match="no generated block 'three'"):
        with_blocks(HAND_PAGE, [Block("three", "made by a test", "x")])
    with pytest.raises(BlockError, match="no closing line"):
        blocks_in(HAND_PAGE.replace("<!-- /generated: two -->", ""))
    with pytest.raises(BlockError, match="appears twice"):
        blocks_in(HAND_PAGE + HAND_PAGE[HAND_PAGE.index("<!-- generated: two"):])
    assert stale_blocks(HAND_PAGE, [Block("one", "made by a test", "old")]) == ["one", "two"]
