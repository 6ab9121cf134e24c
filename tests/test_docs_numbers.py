"""The generated blocks of README.md and docs/ODD.md are what scripts/docs_numbers.py writes from
the code today, so no number in README's "Experiments", "What it finds" and "Checked against
history", nor in ODD's section 10, is older than the model; and the check can fail: a number
edited in a copy of a page is caught, and the prose outside the blocks of those sections states
no model result.

The blocks are compared as text, exactly: every run is a function of its seed alone
(`sim/model/streams.py`), and the same code gives the same text run after run (checked with
different hash seeds and thread settings), so a tolerance would only let a hand edit of the last
digit through. Computing the blocks takes one validation of 10 seeds and the experiments' sweeps
(the US pressure sweep and its arms, the implementation rules, the caucus blocs), about 15 s.
"""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

import pandas as pd

from scripts import docs_numbers
from scripts.experiment_blocks import deal_runs_words
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
def odd_written(sources) -> list[Block]:
    return docs_numbers.odd_blocks(sources)


@pytest.fixture(scope="module")
def page() -> str:
    return docs_numbers.README.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def odd_page() -> str:
    return docs_numbers.ODD.read_text(encoding="utf-8")


def test_every_generated_block_of_the_readme_is_current(written, page):
    stale = stale_blocks(page, written)
    assert not stale, f"README.md's generated blocks {stale} are out of date: run {docs_numbers.COMMAND} (or make docs)"


def test_every_generated_block_of_the_odd_is_current(odd_written, odd_page):
    stale = stale_blocks(odd_page, odd_written)
    assert not stale, f"docs/ODD.md's generated blocks {stale} are out of date: run {docs_numbers.COMMAND} (or make docs)"


def edited_number(text: str) -> str:
    """`text` with the last digit of its first decimal number changed."""
    found = re.search(r"\d+\.(\d+)", text)
    digit = found.end() - 1
    return text[:digit] + str((int(text[digit]) + 1) % 10) + text[digit + 1:]


@pytest.mark.parametrize("name", ["hague-seed-0", "validation-table", "protocols-table", "compliance-rules",
                                  "us-pressure-sweep", "posture-arms", "caucus-blocs", "us-pressure-buys"])
def test_a_number_edited_by_hand_in_a_block_is_caught(written, page, name):
    current = with_blocks(page, written)  # a copy of the README as it should be, then one number edited
    start, end = spans(current)[name]
    edited = current[:start] + edited_number(current[start:end]) + current[end:]
    assert edited != current
    assert stale_blocks(current, written) == [] and stale_blocks(edited, written) == [name]


@pytest.mark.parametrize("name", ["odd-hague-defaults", "odd-levers", "odd-implementation", "us-pressure-buys"])
def test_a_number_edited_by_hand_in_an_odd_block_is_caught(odd_written, odd_page, name):
    current = with_blocks(odd_page, odd_written)
    start, end = spans(current)[name]
    edited = current[:start] + edited_number(current[start:end]) + current[end:]
    assert edited != current
    assert stale_blocks(current, odd_written) == [] and stale_blocks(edited, odd_written) == [name]


def test_the_check_command_fails_on_an_edited_copy_and_rewriting_mends_it(sources, written, odd_written, page,
                                                                           odd_page, tmp_path, monkeypatch):
    monkeypatch.setattr(docs_numbers, "compute_sources", lambda: sources)
    copies = {}
    for attribute, text, blocks in (("README", page, written), ("ODD", odd_page, odd_written)):
        copies[attribute] = (tmp_path / f"{attribute}.md", with_blocks(text, blocks))
        copies[attribute][0].write_text(copies[attribute][1], encoding="utf-8")
        monkeypatch.setattr(docs_numbers, attribute, copies[attribute][0])
    assert docs_numbers.main(["--check"]) == 0
    for attribute, name in (("README", "validation-table"), ("ODD", "odd-hague-defaults")):
        copy, current = copies[attribute]
        start, end = spans(current)[name]
        copy.write_text(current[:start] + edited_number(current[start:end]) + current[end:], encoding="utf-8")
        assert docs_numbers.main(["--check"]) == 1
        assert docs_numbers.main([]) == 0  # rewriting puts the number back, and nothing else moves
        assert copy.read_text(encoding="utf-8") == current


# --- the prose outside the blocks ------------------------------------------------------------------

#: The guarded sections of each page: (heading, the heading that ends it), the blocks in them and
#: the prose around them.
README_SECTIONS = (("### Experiments", "### Benchmarks"), ("## What it finds", "## The data"))
ODD_SECTIONS = (("## 10. What the model shows and where it falls short", "## References"),)
#: The numbers the prose of those sections may type: the record's and the data's facts (the Hague's
#: 3.5% + 1.5% = 5%, the 2% guideline, the capability targets' 30%s) and the bands' 90%.
TYPED_FIGURES = {"3.5%", "1.5%", "5%", "2%", "30%", "90%"}
MODEL_LIKE = re.compile(r"\b\d+(?:\.\d+)?%|\b\d+\.\d{2,}\b")  # a share or level, or a figure to 2+ decimals


def sections(page: str, bounds) -> list[str]:
    return [page[page.index(start):page.index(end, page.index(start))] for start, end in bounds]


def section_prose(page: str, bounds) -> str:
    """The sections, without their generated blocks and code examples."""
    text = "".join(sections(page, bounds))
    for block in blocks_in(text).values():
        text = text.replace(block, "")
    return re.sub(r"```.*?```", "", text, flags=re.DOTALL)


def typed_results(page: str, bounds) -> set[str]:
    return set(MODEL_LIKE.findall(section_prose(page, bounds))) - TYPED_FIGURES


@pytest.mark.parametrize("which", ["README", "ODD"])
def test_the_prose_of_the_guarded_sections_types_no_model_result(page, odd_page, which):
    text, bounds = (page, README_SECTIONS) if which == "README" else (odd_page, ODD_SECTIONS)
    typed = typed_results(text, bounds)
    assert not typed, f"numbers typed outside the generated blocks of {which}: {sorted(typed)}; put them in a block"


def test_a_result_typed_in_the_experiments_prose_is_caught(page):
    """The guard reaches the "Experiments" paragraphs: a level typed after the caucus block is found."""
    at = page.index("### Benchmarks")
    typed = page[:at] + "Spain is flagged in 75% of runs, at 3.61%.\n\n" + page[at:]
    assert typed_results(typed, README_SECTIONS) == {"75%", "3.61%"}


@pytest.mark.parametrize("which", ["README", "ODD"])
def test_the_guarded_sections_hold_every_block(written, odd_written, page, odd_page, which):
    text, bounds, blocks = ((page, README_SECTIONS, written) if which == "README"
                            else (odd_page, ODD_SECTIONS, odd_written))
    inside = [name for part in sections(text, bounds) for name in blocks_in(part)]
    assert inside == [block.name for block in blocks]


def test_the_odd_blocks_stay_in_section_10(odd_page):
    """The lead edits the other sections; the script writes only in section 10."""
    (section,) = sections(odd_page, ODD_SECTIONS)
    assert list(blocks_in(odd_page)) == list(blocks_in(section))


def test_the_deal_shares_along_the_pressure_range_are_told_in_runs_of_levels():
    """Hand-made table: no deal at 0.0 and 0.1 (Wilson upper edges 0.06 and 0.05: the wider is
    quoted), half the runs at 0.2, every run at 0.3 and 0.4 (lower edges 0.94 and 0.90: the lower
    is quoted). The two ends read as ranges, the level between with its own band."""
    table = pd.DataFrame({"us_pressure": [0.3, 0.0, 0.1, 0.2, 0.4], "deal_probability": [1.0, 0.0, 0.0, 0.5, 1.0],
                          "deal_probability_low": [0.94, 0.0, 0.0, 0.3, 0.9],
                          "deal_probability_high": [1.0, 0.06, 0.05, 0.7, 1.0]})
    assert deal_runs_words(table) == ("no deal in any run from 0.00 to 0.10 (deal probability at most 0.06), "
                                      "a deal probability of 0.50 [0.30, 0.70] at 0.20 and "
                                      "a deal in every run from 0.30 to 0.40 (at least 0.90)")


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
