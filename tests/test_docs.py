"""The documentation stays true to the code: ODD's parameter table matches sim/model/parameters.py."""

import re

from conftest import DOCS

from sim.model.parameters import Parameters, allowed, parameter_fields, shown

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
