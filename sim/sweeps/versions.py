"""Which code computed a sweep: the package version, git's description of the checkout, and
the versions of the libraries that shape the numbers, recorded with every results directory."""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path

VERSIONED_PACKAGES = ("alliance-sim", "mesa", "numpy", "pandas", "pyarrow", "scipy", "dask", "distributed")

def code_version() -> str:
    """The package version, with `git describe` when the code is a git checkout."""
    import sim

    root = Path(sim.__file__).resolve().parent.parent
    try:
        described = subprocess.run(["git", "describe", "--always", "--dirty", "--tags"], cwd=root,
                                   capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return sim.__version__
    tag = described.stdout.strip()
    return f"{sim.__version__}+{tag}" if described.returncode == 0 and tag else sim.__version__


def package_versions() -> dict[str, str]:
    versions = {}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions
