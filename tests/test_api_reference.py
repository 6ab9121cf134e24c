"""docs/api.md is what scripts/api_reference.py writes from the code today, so the reference
cannot drift from the signatures and docstrings; every public name of `sim.api` is on it."""

import importlib.util
import sys

import pytest
from conftest import DOCS, ROOT

import sim.api as api


@pytest.fixture(scope="module")
def reference():
    spec = importlib.util.spec_from_file_location("api_reference", ROOT / "scripts" / "api_reference.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_the_committed_page_is_what_the_script_writes(reference):
    assert (DOCS / "api.md").read_text(encoding="utf-8") == reference.render(), \
        f"docs/api.md is out of date: run {reference.COMMAND}"


def test_every_public_name_of_the_api_is_documented(reference):
    documented = {entry.path for section in reference.SECTIONS for entry in section.entries}
    public = {f"sim.api.{name}" for name in [*api.__all__, "BatchEvaluator"]}
    assert public <= documented, f"not on docs/api.md: {sorted(public - documented)}"


def test_words_written_for_a_missing_docstring_go_once_the_docstring_exists(reference):
    entries = {entry.path: entry for section in reference.SECTIONS for entry in section.entries}
    for path in reference.FALLBACK_DOCS:
        assert reference.own_doc(reference.resolve(entries[path])) is None, \
            f"{path} has a docstring now: remove it from FALLBACK_DOCS in scripts/api_reference.py"


def test_doctests_and_indented_examples_become_code_blocks(reference):
    doc = "Runs once.\n\n>>> f(1)\n2\n\nSay:\n\n    f(2)\n    f(3)\n\nThe end."
    assert reference.markdown(doc) == ("Runs once.\n\n```python\n>>> f(1)\n2\n```\n\nSay:\n\n"
                                       "```python\nf(2)\nf(3)\n```\n\nThe end.")


def test_a_long_signature_is_written_one_parameter_a_line_and_model_parameters_as_one(reference):
    from sim.engines.model import AllianceModel

    assert reference.signature_text("AllianceModel", AllianceModel) == \
        "AllianceModel(scenario_name: str | Scenario = 'hague2025', *, rng=None, **parameters)"
    lines = reference.signature_text("simulate", api.simulate).splitlines()
    assert lines[0] == "simulate(" and lines[-1] == ") -> dict[str, float]" and "    *," in lines
