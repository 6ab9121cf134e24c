"""scripts/snapshot_outputs.py, the last-bit comparison a pure refactor is held to: it finds a
change in any leaf, and only beyond its tolerance."""

import importlib.util

import numpy as np
from conftest import ROOT


def snapshot_module():
    spec = importlib.util.spec_from_file_location("snapshot_outputs", ROOT / "scripts" / "snapshot_outputs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_identical_dumps_compare_equal_and_any_change_is_found():
    snapshot = snapshot_module()
    before = {"case": {"rows": [{"deal": True, "core": 3.5, "codes": ["ESP"]}], "path": np.array([[1.0, np.nan]])}}
    same = {"case": {"rows": [{"deal": True, "core": 3.5, "codes": ["ESP"]}], "path": np.array([[1.0, np.nan]])}}
    found, compared, largest = snapshot.differences(before, same)
    assert found == [] and compared == 4 and largest == 0.0
    moved = {"case": {"rows": [{"deal": True, "core": 3.5 + 1e-9, "codes": ["ESP", "CAN"]}],
                      "path": np.array([[1.0, 2.0]])}}
    found, _, largest = snapshot.differences(before, moved)
    assert len(found) == 3 and largest == np.inf  # the core, the codes and a NaN become a number
    within = {"case": {"rows": [{"deal": True, "core": 3.5 + 1e-13, "codes": ["ESP"]}], "path": np.array([[1.0, np.nan]])}}
    assert snapshot.differences(before, within)[0] == []
