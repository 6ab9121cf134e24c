"""Every output of both engines against the fingerprint stored in tests/baselines/fingerprint.json
(`scripts/fingerprint.py`): a refactor must leave it unchanged. A change that moves results on
purpose refreshes it, and says so in its commit:

    .venv/bin/python scripts/fingerprint.py > tests/baselines/fingerprint.json
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import fingerprint  # noqa: E402


def test_every_output_matches_the_stored_fingerprint():
    stored = json.loads((ROOT / "tests" / "baselines" / "fingerprint.json").read_text())
    changed = fingerprint.differences(stored, fingerprint.fingerprint())
    assert not changed, "outputs changed:\n" + "\n".join(changed)
