"""The layers point down: the batch engine needs no Mesa, and no module of the package imports
another in a circle (DESIGN.md, "Architecture")."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import mesa

from sim.engines.model import AllianceModel
from sim.model.parameters import parameter_fields

PACKAGE = Path(__file__).resolve().parent.parent / "sim"


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
