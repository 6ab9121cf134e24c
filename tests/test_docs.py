"""The documentation stays true to the code: ODD's parameter table matches sim/model/parameters.py,
and configs/sweeps/README.md lists the spec files there."""

import re

from conftest import DOCS

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
