"""Write docs/api.md, the reference of the Python API, from the code's own signatures and
docstrings, so the page cannot say something the code does not. `tests/test_api_reference.py`
fails when the committed page is not what this script writes.

    .venv/bin/python scripts/api_reference.py          # rewrite docs/api.md
    .venv/bin/python scripts/api_reference.py --check  # status 1 if docs/api.md is out of date

What is public is chosen here (`SECTIONS`), not guessed from names: the entry points the README
and examples/ import. The standard library's `inspect` does the reading; a documentation tool
(pdoc, mkdocstrings) would add a dependency and a site to build for one page.
"""

from __future__ import annotations

import argparse
import enum
import importlib
import inspect
import pprint
import re
import sys
from dataclasses import dataclass
from pathlib import Path

PAGE = Path(__file__).resolve().parent.parent / "docs" / "api.md"
WIDTH = 100  # a signature longer than this is written one parameter a line
COMMAND = ".venv/bin/python scripts/api_reference.py"


@dataclass(frozen=True)
class Entry:
    """One documented object: `module.name`, and for a class the members shown under it."""

    module: str
    name: str
    members: tuple[str, ...] = ()

    @property
    def path(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass(frozen=True)
class Section:
    """A part of the page: its title, a line on what it is for, its entries, and the module
    whose docstring (the contract its entries share) comes first, if any."""

    title: str
    intro: str
    entries: tuple[Entry, ...]
    module_doc: str | None = None


SECTIONS = (
    Section("Parameters in, outcomes out", "The model as a function: parameters and a seed in, the run's outcomes "
            "out as plain scalars, one run or a whole design at a time on the batch engine.",
            (Entry("sim.api", "simulate"), Entry("sim.api", "simulate_many"), Entry("sim.api", "seed_list"),
             Entry("sim.api", "OUTCOME_FIELDS"), Entry("sim.api", "SEED_COLUMN"), Entry("sim.api", "MAX_RUNS")),
            module_doc="sim.api"),
    Section("Outcomes for tools that cannot take NaN", "A run without a deal has no level or deadline (NaN); "
            "SALib takes NaN silently, so its outcomes go through `defined_outcome`.",
            (Entry("sim.api", "defined_outcome"), Entry("sim.api", "MISSING_RULES"))),
    Section("EMA workbench", "The model for EMA workbench 3: a `Model`'s function, an evaluator that runs a whole "
            "design in one call to the batch engine, and an experiments table PRIM can read under pandas 3.",
            (Entry("sim.api", "EMAFunction"), Entry("sim.api", "BatchEvaluator", ("evaluate_experiments",)),
             Entry("sim.api", "prim_ready"))),
    Section("Scenarios and parameters", "A scenario is a TOML file (or a built-in name) with the parameters of "
            "`Parameters` and the allies' facts; docs/ODD.md, section 8, lists every parameter with its range.",
            (Entry("sim.model.scenario", "load_scenario"),
             Entry("sim.model.scenario", "Scenario", ("with_parameters", "allies")),
             Entry("sim.model.scenario", "ScenarioCache", ("scenario",)),
             Entry("sim.model.scenario", "DEFAULT_SCENARIO"), Entry("sim.model.scenario", "ScenarioError"),
             Entry("sim.model.parameters", "Parameters"), Entry("sim.model.parameters", "ParameterError"),
             Entry("sim.model.parameters", "parameter_fields"))),
    Section("The Mesa model and the batch engine", "The same runs two ways: one inspectable Mesa model, or many "
            "runs at once as arrays (`tests/test_engine_equivalence.py` pins them together).",
            (Entry("sim.engines.model", "AllianceModel", ("step", "run", "result", "rounds_table", "allies_table")),
             Entry("sim.engines.batch", "run_batch"),
             Entry("sim.engines.outcome", "BatchResult", ("rows", "columns", "to_pandas", "to_arrow")))),
    Section("Sweeps and their results", "A sweep spec names what varies; a sweep writes its runs to a results "
            "directory as Parquet shards, which `load_results` reads (docs/results.md lists the columns).",
            (Entry("sim.sweeps.spec", "load_spec"), Entry("sim.sweeps.sweep", "run_sweep"),
             Entry("sim.sweeps.results", "load_results"), Entry("sim.sweeps.results", "MissingTableError"))),
)

#: What the page says for an object whose docstring is missing in code this script may not
#: change; `tests/test_api_reference.py` asks for an entry's removal once the docstring exists.
FALLBACK_DOCS = {
    "sim.model.scenario.load_scenario": "The scenario `name_or_path` names: a built-in scenario's name (a file of "
                                        "`configs/`, e.g. `\"wales2014\"`) or the path of a TOML file. A mistake in "
                                        "the file raises `ScenarioError` naming the file and the field.",
    "sim.model.scenario.Scenario": "A scenario as loaded: its name and description, its `Parameters`, the allies' "
                                   "facts it overrides (`[allies.ISO3]`), its standing pledges and its escape "
                                   "clause. Made by `load_scenario`; changed with `with_parameters`.",
}


# --- reading the code -----------------------------------------------------------------------------

def resolve(entry: Entry) -> object:
    return getattr(importlib.import_module(entry.module), entry.name)


def own_doc(obj: object) -> str | None:
    """The object's docstring, or None where it has none of its own (a dataclass's generated
    one, a class's inherited one, a constant's type's)."""
    if not (inspect.isclass(obj) or inspect.isroutine(obj) or isinstance(obj, property)):
        return None
    if inspect.isclass(obj) and "__doc__" not in vars(obj):
        return None
    doc = inspect.getdoc(obj)
    if not doc or (inspect.isclass(obj) and doc.startswith(f"{obj.__name__}(")):
        return None
    return doc


def constant_comment(module: str, name: str) -> str | None:
    """The `#:` comment lines just above `name = ...` in the module's source."""
    lines = inspect.getsource(importlib.import_module(module)).splitlines()
    for index, line in enumerate(lines):
        if re.match(rf"{re.escape(name)}\s*(:[^=]*)?=", line):
            comments = []
            while index > 0 and lines[index - 1].startswith("#:"):
                index -= 1
                comments.insert(0, lines[index][2:].strip())
            return " ".join(comments) or None
    return None


def shown_default(value: object) -> str:
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    text = repr(value)
    if " at 0x" in text:
        raise ValueError(f"default {text} would change from one run to the next; give it a repr")
    return text


def parameters_collapsed(signature: inspect.Signature) -> tuple[list[inspect.Parameter], bool]:
    """The signature's parameters, those named after the model's parameters left out when it
    takes them all (AllianceModel, Parameters): the page says `**parameters` for them."""
    from sim.model.parameters import parameter_fields

    names = set(parameter_fields())
    kept = [p for p in signature.parameters.values() if p.name not in names]
    return (kept, True) if len(signature.parameters) - len(kept) == len(names) else (list(signature.parameters.values()), False)


def signature_text(name: str, obj: object) -> str | None:
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return None
    parameters, collapsed = parameters_collapsed(signature)
    parts, star_written = [], False
    for index, p in enumerate(parameters):
        if p.kind is p.KEYWORD_ONLY and not star_written:
            parts.append("*")
        star_written = star_written or p.kind in (p.KEYWORD_ONLY, p.VAR_POSITIONAL)
        text = {p.VAR_POSITIONAL: f"*{p.name}", p.VAR_KEYWORD: f"**{p.name}"}.get(p.kind, p.name)
        if p.annotation is not p.empty:
            text += ": " + (p.annotation if isinstance(p.annotation, str) else inspect.formatannotation(p.annotation))
        if p.default is not p.empty:
            text += (" = " if p.annotation is not p.empty else "=") + shown_default(p.default)
        parts.append(text)
        if p.kind is p.POSITIONAL_ONLY and (index + 1 == len(parameters)
                                             or parameters[index + 1].kind is not p.POSITIONAL_ONLY):
            parts.append("/")
    if collapsed:
        parts.append("**parameters")
    if parts and parts[0] in ("self", "cls"):
        parts = parts[1:]
    returned = signature.return_annotation
    tail = "" if returned is signature.empty or inspect.isclass(obj) else \
        " -> " + (returned if isinstance(returned, str) else inspect.formatannotation(returned))
    line = f"{name}({', '.join(parts)}){tail}"
    if len(line) <= WIDTH:
        return line
    return f"{name}(\n" + "".join(f"    {part},\n" for part in parts) + f"){tail}"


# --- writing markdown -----------------------------------------------------------------------------

def markdown(doc: str) -> str:
    """A docstring as markdown: doctest lines and indented examples become fenced code (a bare
    `>>>` would read as a quote), everything else stays as written."""
    out: list[str] = []
    fence = None  # "doctest" or "indented" while inside a code block

    def close() -> None:  # the fence goes before the blank lines that ended the block
        blanks = 0
        while out and not out[-1].strip():
            out.pop()
            blanks += 1
        out.extend(["```"] + [""] * blanks)

    previous_blank = True
    for line in doc.splitlines():
        if fence == "doctest" and not line.strip() or fence == "indented" and line.strip() \
                and not line.startswith("    "):
            close()
            fence = None
        if fence is None and line.startswith(">>>"):
            out.append("```python")
            fence = "doctest"
        elif fence is None and line.startswith("    ") and previous_blank:
            out.append("```python")
            fence = "indented"
        out.append(line[4:] if fence == "indented" else line)
        previous_blank = not line.strip()
    if fence is not None:
        close()
    return "\n".join(out).strip("\n")


def member_block(entry: Entry, owner: object, member: str) -> list[str]:
    attribute = inspect.getattr_static(owner, member)
    obj = getattr(owner, member)
    kind = "property" if isinstance(attribute, property) else "method"
    signature = None if kind == "property" else signature_text(member, obj)
    doc = own_doc(attribute if kind == "property" else obj)
    if doc is None:
        raise ValueError(f"{entry.path}.{member} has no docstring; write one, or leave it out of SECTIONS")
    lines = [f"#### `{entry.name}.{member}`" + (" (property)" if kind == "property" else ""), ""]
    if signature:
        lines += ["```python", signature, "```", ""]
    return lines + [markdown(doc), ""]


def entry_block(entry: Entry) -> list[str]:
    obj = resolve(entry)
    lines = [f"### `{entry.path}`", "", f"`from {entry.module} import {entry.name}`", ""]
    if inspect.isclass(obj) or inspect.isroutine(obj):
        signature = signature_text(entry.name, obj)
        if inspect.isclass(obj) and signature is None:  # an exception: its base says what catches it
            signature = f"{entry.name}({', '.join(base.__name__ for base in obj.__bases__)})"
        if signature:
            lines += ["```python", ("class " if inspect.isclass(obj) else "") + signature, "```", ""]
        doc = own_doc(obj)
        fallback = FALLBACK_DOCS.get(entry.path)
        if doc is None and fallback is None:
            raise ValueError(f"{entry.path} has no docstring; write one (or, in code this script may not change, "
                             "add its words to FALLBACK_DOCS)")
        lines += [markdown(doc or fallback), ""]
        if signature and "**parameters" in signature:
            lines += ["`**parameters`: any of the model's parameters by name (the fields of `Parameters`; "
                      "docs/ODD.md, section 8).", ""]
        for member in entry.members:
            lines += member_block(entry, obj, member)
    else:
        value = pprint.pformat(obj, width=WIDTH - len(entry.name) - 3, compact=True, sort_dicts=False)
        lines += ["```python", f"{entry.name} = {value}", "```", ""]
        comment = constant_comment(entry.module, entry.name)
        if comment:
            lines += [comment, ""]
    return lines


def anchor(title: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")


def render() -> str:
    """The page, as this script writes it."""
    lines = ["# API reference", "",
             "The Python entry points, with their signatures and docstrings as the code has them: generated by "
             f"`scripts/api_reference.py` (`{COMMAND}` rewrites this page; `tests/test_api_reference.py` checks "
             "that it is current). The README's \"Parameters in, outcomes out\" shows them at work, "
             "`notebooks/study.ipynb` walks a small study, and `examples/` puts them in EMA workbench and SALib.",
             ""]
    lines += [f"- [{section.title}](#{anchor(section.title)}): "
              + ", ".join(f"`{entry.name}`" for entry in section.entries) for section in SECTIONS]
    lines.append("")
    for section in SECTIONS:
        lines += [f"## {section.title}", "", section.intro, ""]
        if section.module_doc:
            lines += [f"From `{section.module_doc}`:", "", markdown(inspect.getdoc(importlib.import_module(section.module_doc))), ""]
        for entry in section.entries:
            lines += entry_block(entry)
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"


def main(argv=None) -> int:
    flags = argparse.ArgumentParser(prog="scripts/api_reference.py", description=__doc__,
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
    flags.add_argument("--check", action="store_true", help="only say whether docs/api.md is current (status 1 if not)")
    args = flags.parse_args(argv)
    page = render()
    if args.check:
        current = PAGE.exists() and PAGE.read_text(encoding="utf-8") == page
        print("docs/api.md is current" if current else f"docs/api.md is out of date: run {COMMAND}")
        return 0 if current else 1
    PAGE.write_text(page, encoding="utf-8")
    print(f"wrote docs/api.md ({page.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
