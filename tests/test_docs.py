"""The documentation stays true to the code: ODD's parameter table matches sim/model/parameters.py,
configs/sweeps/README.md lists the spec files there, and the `simulate` call the README and
examples/README show prints what the code prints."""

import math
import re

import pytest
from conftest import DOCS, ROOT

from sim.model.parameters import Parameters, allowed, parameter_fields, shown
from sim.sweeps.spec import specs_dir

ODD = DOCS / "ODD.md"


def odd_parameter_rows() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in ODD.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\| `(\w+)` \| ([^|]+) \| ([^|]+) \|", line)
        if match:
            rows[match.group(1)] = (match.group(2).strip(), match.group(3).strip())
    return rows


def test_every_parameter_is_documented_with_its_default():
    rows, defaults = odd_parameter_rows(), Parameters()
    assert set(rows) == set(parameter_fields()), "docs/ODD.md section 8 lists other parameters than the code"
    for name, (default, _) in rows.items():
        assert default == shown(getattr(defaults, name)), f"{name}: ODD says {default}, code says {getattr(defaults, name)}"


def test_documented_ranges_match_the_code():
    for name, (_, documented) in odd_parameter_rows().items():
        code = allowed(name)
        numbers = re.findall(r"-?[0-9.]+", documented)
        assert all(n in code for n in numbers), f"{name}: ODD says {documented}, code allows {code}"


def test_the_sweeps_readme_lists_every_spec_exactly_once():
    """configs/sweeps/README.md's table has one row per spec file in configs/sweeps/, and no other."""
    folder = specs_dir()
    rows = re.findall(r"^\| `([\w-]+\.toml)` \|", (folder / "README.md").read_text(encoding="utf-8"), re.MULTILINE)
    files = sorted(path.name for path in folder.glob("*.toml"))
    assert sorted(rows) == files, f"README rows {sorted(rows)}, spec files {files}"


SHOWN_CALL = re.compile(r"^(simulate\((.*)\))\n# (\{.*\})$", re.MULTILINE)


@pytest.mark.parametrize("page", ["README.md", "examples/README.md"])
def test_the_simulate_example_shows_what_simulate_returns(page):
    """Each value shown is the value returned: written whole, or its first digits then `...`."""
    from sim.api import simulate  # noqa: F401  (the shown call names it)

    found = SHOWN_CALL.search((ROOT / page).read_text(encoding="utf-8"))
    assert found, f"{page}: no `simulate(...)` line followed by its `# {{...}}` result"
    returned = eval(found.group(1))  # the page's own call, as a reader would type it
    shown = dict(re.findall(r"'(\w+)': ([^,}]+)", found.group(3)))
    assert shown, f"{page}: no values in {found.group(3)}"
    for name, text in shown.items():
        value = returned[name]
        written = repr(value) if not (isinstance(value, float) and math.isnan(value)) else "nan"
        if text.endswith("..."):
            assert written.startswith(text[:-3]), f"{page}: {name} shown as {text}, simulate gives {written}"
        else:
            assert written == text, f"{page}: {name} shown as {text}, simulate gives {written}"
