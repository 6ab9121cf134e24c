"""What many test files share: the repository's places, as constants (for module-level use,
`from conftest import ROOT`) and as fixtures, and the `slow` marker.

A test is marked `slow` when it takes more than a few seconds on a two-core machine;
`make test-fast` (`pytest -m "not slow"`) leaves those out, `make test` runs everything.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sim"
CONFIGS = ROOT / "configs"
DOCS = ROOT / "docs"
EXPERIMENTS = ROOT / "experiments"
BASELINES = ROOT / "tests" / "baselines"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's top directory."""
    return ROOT


@pytest.fixture(scope="session")
def configs_dir() -> Path:
    """The built-in scenarios (and, under sweeps/, the built-in sweep specs)."""
    return CONFIGS
