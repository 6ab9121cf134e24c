"""Packaging basics: the licence and the citation file are at the repository root, the
citation's version is the package's, and the package ships its `py.typed` marker."""

import tomllib
from pathlib import Path

import sim

ROOT = Path(__file__).resolve().parent.parent


def cff_fields(text: str) -> dict[str, str]:
    """CITATION.cff's top-level scalar fields (`key: value` at the start of a line), quotes
    stripped: enough YAML to check them without a YAML parser."""
    fields = {}
    for line in text.splitlines():
        if line[:1].isalpha() and ":" in line:
            key, value = line.split(":", 1)
            fields[key.strip()] = value.strip().strip('"').strip("'")
    return fields


def test_the_licence_is_mit_as_pyproject_says():
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License") and "Copyright (c) 2026 The alliance-sim authors" in licence
    assert tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["license"] == "MIT"


def test_the_citation_file_has_the_packages_version():
    text = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    fields = cff_fields(text)
    assert fields["cff-version"] == "1.2.0"
    assert fields["version"] == sim.__version__
    assert fields["license"] == "MIT"
    assert fields["title"] and fields["abstract"] and fields["message"]
    assert '  - name: "The alliance-sim authors"' in text.split("authors:", 1)[1].splitlines()[1]


def test_py_typed_is_in_the_package_and_declared_as_package_data():
    assert (Path(sim.__file__).parent / "py.typed").is_file()
    package_data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    assert "py.typed" in package_data["sim"]


def test_the_readme_names_the_distribution_and_the_import_package():
    head = "\n".join((ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:6])
    assert "`alliance-sim`" in head and "`sim`" in head
