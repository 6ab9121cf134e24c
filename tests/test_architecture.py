"""The layers point down, and the code stays readable and standing alone (docs/design.md,
"Architecture"): the model packages import no engine, sweep, analysis, page or command line,
and the engines none of the last four; the batch engine needs no Mesa; no module imports
another in a circle; no module grows past `MAX_LINES` unless it is listed with its reason;
and no docstring or comment cites the design notes by their old name."""

from __future__ import annotations

import ast
import io
import subprocess
import sys
import tokenize
from pathlib import Path

import mesa
import pytest
from conftest import PACKAGE, ROOT

from sim.engines.model import AllianceModel
from sim.model.parameters import parameter_fields

#: Package -> the packages it must not import, at load time or inside a function.
LAYERS = {
    "sim.model": ("sim.engines", "sim.sweeps", "sim.analysis", "sim.viz", "sim.cli"),
    "sim.protocols": ("sim.engines", "sim.sweeps", "sim.analysis", "sim.viz", "sim.cli"),
    "sim.data": ("sim.engines", "sim.sweeps", "sim.analysis", "sim.viz", "sim.cli"),
    "sim.engines": ("sim.sweeps", "sim.analysis", "sim.viz", "sim.cli"),
}

MAX_LINES = 450
#: Modules allowed over MAX_LINES, with the reason. Tighten it: remove an entry once its module
#: is split (the test below fails on an entry that is no longer needed).
LONG_MODULES: dict[str, str] = {}

#: Where the project's own text lives: none of it may cite the design notes by their old name.
OWN_TEXT = ("sim", "tests", "experiments", "benchmarks")
OLD_DESIGN_NOTES = "DESIGN" + ".md"  # spelled apart, so that this file does not cite it either


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_at_load(path: Path) -> set[str]:
    """The package's modules a module imports when it is loaded (not inside functions)."""
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sim"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("sim"))
    return found


def test_no_module_imports_another_in_a_circle():
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph = {name: {target for target in imports_at_load(path) if target in modules and target != name}
             for name, path in modules.items()}
    done, on_path = set(), []

    def visit(name):
        if name in on_path:
            raise AssertionError("import cycle: " + " -> ".join(on_path[on_path.index(name):] + [name]))
        if name in done:
            return
        on_path.append(name)
        for target in sorted(graph[name]):
            visit(target)
        on_path.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)


def test_the_batch_engine_and_the_sweeps_need_no_mesa():
    code = "import sys, sim.engines.batch, sim.engines.engine, sim.sweeps.sweep; assert 'mesa' not in sys.modules, 'mesa was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_model_takes_one_keyword_per_parameter_so_mesa_tools_can_build_it():
    import inspect

    signature = inspect.signature(AllianceModel.__init__)
    assert set(parameter_fields()) <= set(signature.parameters)
    assert not any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    assert "scenario" not in signature.parameters  # Mesa's Model.scenario is another thing
    results = mesa.batch_run(AllianceModel, parameters={"scenario_name": "wales2014", "us_pressure": [0.2, 0.8]},
                             rng=[0], number_processes=1, data_collection_period=-1, display_progress=False)
    runs = {row["RunId"]: (row["us_pressure"], row["round"]) for row in results}  # one row per ally and run
    direct = [(pressure, AllianceModel("wales2014", rng=0, us_pressure=pressure).run().rounds) for pressure in (0.2, 0.8)]
    assert sorted(runs.values()) == direct
    built = AllianceModel("wales2014", rng=0, us_pressure=0.2)
    assert built.params.us_pressure == 0.2 and built.params.data_year == 2014


def imports_anywhere(path: Path, source: str | None = None) -> set[str]:
    """Every module of the package a module imports (its text: `source`, else the file's), at
    load time or inside a function, relative imports resolved."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8") if source is None else source)):
        if isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1]) if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name == "sim" or name.startswith("sim.")}


def forbidden_imports(package: str, forbidden: tuple[str, ...]) -> list[str]:
    directory = PACKAGE.parent.joinpath(*package.split("."))
    return [f"{module_name(path)} imports {target}" for path in sorted(directory.rglob("*.py"))
            for target in sorted(imports_anywhere(path))
            if any(target == layer or target.startswith(layer + ".") for layer in forbidden)]


@pytest.mark.parametrize("package", sorted(LAYERS))
def test_lower_layers_import_nothing_from_higher_ones(package):
    wrong = forbidden_imports(package, LAYERS[package])
    assert not wrong, "a lower layer imports a higher one:\n" + "\n".join(wrong)


def test_the_import_walk_sees_imports_inside_functions_and_relative_ones():
    source = "def late():\n    from sim.viz.pledge import pledge_chart\n    from ..engines import batch\n"
    found = imports_anywhere(PACKAGE / "model" / "probe.py", source)
    assert {"sim.viz.pledge", "sim.engines.batch"} <= found


def test_no_module_is_longer_than_the_limit_unless_listed_with_its_reason():
    lengths = {path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
               for path in PACKAGE.rglob("*.py")}
    too_long = {name: lines for name, lines in lengths.items() if lines > MAX_LINES and name not in LONG_MODULES}
    assert not too_long, f"modules over {MAX_LINES} lines (split them, or list them with a reason): {too_long}"
    assert all(reason.strip() for reason in LONG_MODULES.values())
    no_longer_needed = sorted(name for name in LONG_MODULES if lengths.get(name, 0) <= MAX_LINES)
    assert not no_longer_needed, f"now within {MAX_LINES} lines, remove from LONG_MODULES: {no_longer_needed}"


def comments_and_docstrings(path: Path) -> list[tuple[int, str]]:
    """(line, text) of every comment and docstring of a Python file."""
    source = path.read_text(encoding="utf-8")
    found = [(token.start[0], token.string) for token in tokenize.generate_tokens(io.StringIO(source).readline)
             if token.type == tokenize.COMMENT]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                found.append((body[0].lineno, body[0].value.value))
    return found


def test_no_docstring_or_comment_cites_the_old_design_notes():
    """The design notes are docs/design.md; the project must stand alone."""
    citing = [f"{path.relative_to(ROOT)}:{line}" for top in OWN_TEXT for path in sorted((ROOT / top).rglob("*.py"))
              for line, text in comments_and_docstrings(path) if OLD_DESIGN_NOTES in text]
    assert not citing, f"cite docs/design.md instead of {OLD_DESIGN_NOTES}: {citing}"
