"""The examples (`examples/`) run as their README says, small (`--quick`), and find what the
model is known to do: no deal under high US pressure (PRIM, EMA workbench);
US pressure driving the deal and the threat driving the core level (Sobol', SALib)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / name), *args], check=False, capture_output=True,
                          text=True, timeout=120, cwd=EXAMPLES.parent)
    assert done.returncode == 0, done.stderr
    return done.stdout


def load_example(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{Path(name).stem}", EXAMPLES / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def limits(output: str, lever: str) -> tuple[float, float]:
    """A lever's min and max in the first box of the PRIM table the EMA example prints."""
    match = re.search(rf"^{lever}\s+(-?[0-9.]+)\s+(-?[0-9.]+)", output, flags=re.MULTILINE)
    assert match, f"no limits for {lever} in:\n{output}"
    return float(match.group(1)), float(match.group(2))


def test_the_ema_workbench_example_finds_no_deal_under_high_pressure():
    """No deal is rare (the summit carries a few holdouts, the US presses laggards by name) and
    concentrated where the US presses hardest: its demand then becomes a floor that the
    laggards cannot all ratify in time (docs/ODD.md, section 10)."""
    pytest.importorskip("ema_workbench")
    output = run_example("ema_workbench_model.py", "--quick")
    share = re.search(r"^300 experiments; no deal in (\d+)% of them$", output, flags=re.MULTILINE)
    assert share and 3 <= int(share.group(1)) <= 50, output
    assert "Boxes where no deal is concentrated" in output
    pressure = limits(output, "us_pressure")
    assert pressure[0] >= 0.4 and pressure[1] > 0.95, output


def test_the_ema_workbench_adapter_is_simulate():
    pytest.importorskip("ema_workbench")
    from sim.api import OUTCOME_FIELDS, simulate

    example = load_example("ema_workbench_model.py")
    model = example.ema_model()
    assert [u.name for u in model.uncertainties] == [*example.LEVERS, "seed"]
    assert [o.name for o in model.outcomes] == list(OUTCOME_FIELDS)
    assert example.alliance(seed=3, us_pressure=0.5) == simulate({"us_pressure": 0.5}, seed=3)


def test_the_salib_example_finds_what_drives_the_deal_and_the_level():
    output = run_example("salib_sobol.py", "--quick")
    assert "448 design points x 8 seeds = 3584 runs" in output
    assert "Sobol' indices of deal_probability (64 base rows)" in output
    assert "Sobol' indices of core_target_pct" in output
    results = load_example("salib_sobol.py").analyse(base_rows=64, seeds=8)
    deal, core = results["deal_probability"], results["core_target_pct"]
    assert list(deal.columns) == ["S1", "S1_conf", "ST", "ST_conf", "base_rows"]
    assert deal["ST"].idxmax() == "us_pressure"
    assert core["ST"].idxmax() == "threat_level"
    assert 0 < core["base_rows"].iloc[0] <= deal["base_rows"].iloc[0] == 64
