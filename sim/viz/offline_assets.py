"""Fill Solara's CDN cache from the npm registry, so SolaraViz pages load offline.

Why this file exists: a Solara page loads its browser code (the Vue/Vuetify app
bundle, requirejs, fonts, and on demand vega for Altair charts, vue-grid-layout for
Mesa's draggable component grid, katex and mermaid for Markdown) through Solara's own
server under ``/_solara/cdn/``. The server fetches each file once from a public CDN
and caches it on disk. Where that CDN cannot be reached (CI, closed networks) the page
never loads. The same files ship in the npm packages of the same names, so this
module fetches them with ``npm pack`` and writes them where Solara looks first::

    <cache dir>/<package>@<version as written in the URL>/<path inside the package>

The packages and versions are read from the installed Solara's own templates and Vue
files, so a Solara upgrade changes what is fetched without editing this file.

Usage: ``python -m sim.viz.offline_assets [--cache-dir DIR] [--force] [--list]``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import posixpath
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

__all__ = [
    "OfflineAssetsError",
    "default_cache_dir",
    "fill_cache",
    "main",
    "missing_files",
    "required_assets",
]

# Where solara writes asset URLs: the page template uses {{cdn}}/..., Vue components
# use ${this.getCdn()}/... . Group 1 is "<package>@<version>", group 2 the file path.
_ASSET_URL = re.compile(
    r"(?:\{\{\s*cdn\s*\}\}|\$\{this\.getCdn\(\)\})/"
    r"((?:@[\w.-]+/)?[\w.-]+@[\w.+-]+)/"
    r"([^\"'`\s)<>]+)"
)
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+?)\1\s*\)""")
_WIDGETS_MAJOR = re.compile(r"\{\{\s*ipywidget_major_version\s*\}\}")
# The page template has a Vue 2 and a Vue 3 branch, picked by ipyvue's major version.
_VUE3_ONLY = "@widgetti/solara-vuetify3-app"
_VUE2_ONLY = "@widgetti/solara-vuetify-app"


class OfflineAssetsError(RuntimeError):
    """Raised when the cache cannot be filled (npm missing, a package not fetchable)."""


def default_cache_dir() -> Path:
    """The cache dir solara itself uses here (honours SOLARA_ASSETS_PROXY_CACHE_DIR)."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def _solara_sources() -> list[Path]:
    """Solara files that name CDN assets: the page template and its components."""
    import solara

    root = Path(solara.__file__).parent
    files = [root / "server" / "templates" / "solara.html.j2"]
    for sub in ("components", "widgets", "lab"):
        for pattern in ("*.vue", "*.py"):
            files.extend(sorted((root / sub).rglob(pattern)))
    return [f for f in files if f.is_file()]


def required_assets() -> dict[str, list[str]]:
    """Map each "<package>@<version>" the installed solara requests to its files.

    URLs whose version is computed in the browser (``echarts@${version}``) cannot be
    known here and are left out; no Mesa page uses them.
    """
    import ipyvue
    import ipywidgets
    from solara.server import settings

    widgets_major = ipywidgets.__version__.split(".")[0]
    vue3 = ipyvue.__version__.startswith("3")  # the same test solara's server makes
    assets: dict[str, set[str]] = {}

    def add(spec: str, path: str) -> None:
        if "${" in spec + path or "{{" in spec + path:
            return
        name = spec.rsplit("@", 1)[0]
        if name == (_VUE2_ONLY if vue3 else _VUE3_ONLY):
            return
        assets.setdefault(spec, set()).add(path)

    for source in _solara_sources():
        text = _WIDGETS_MAJOR.sub(
            widgets_major, source.read_text(encoding="utf-8", errors="replace")
        )
        for spec, path in _ASSET_URL.findall(text):
            add(spec, path)
    if settings.assets.fontawesome_enabled:
        spec, _, path = settings.assets.fontawesome_path.lstrip("/").partition("/")
        add(spec, path)
    return {spec: sorted(paths) for spec, paths in sorted(assets.items())}


def _css_refs(css: str, css_path: str) -> list[str]:
    """Package-relative paths of the files (fonts, images) a stylesheet points to."""
    refs = []
    for _, url in _CSS_URL.findall(css):
        url = url.strip().split("#", 1)[0].split("?", 1)[0]
        if not url or url.startswith(("data:", "http:", "https:", "//", "/")):
            continue
        ref = posixpath.normpath(posixpath.join(posixpath.dirname(css_path), url))
        if not ref.startswith("../"):
            refs.append(ref)
    return refs


def missing_files(cache_dir: Path, spec: str, paths: Iterable[str]) -> list[str]:
    """Files of one package (and fonts its cached CSS uses) absent from the cache."""
    base = Path(cache_dir) / spec
    missing = []
    for path in paths:
        target = base / path
        if not target.is_file():
            missing.append(path)
        elif path.endswith(".css"):
            css = target.read_text(encoding="utf-8", errors="replace")
            missing.extend(
                ref for ref in _css_refs(css, path) if not (base / ref).is_file()
            )
    return missing


def _run_npm_pack(
    npm: str, specs: list[str], workdir: Path
) -> subprocess.CompletedProcess:
    """Run one `npm pack` of the specs in workdir, turning a hang into an error."""
    cmd = [npm, "pack", "--json", "--ignore-scripts", *specs]
    try:
        return subprocess.run(
            cmd, cwd=workdir, capture_output=True, text=True, timeout=900, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise OfflineAssetsError(
            f"`{' '.join(cmd)}` timed out after {exc.timeout} s"
        ) from exc


def _npm_pack(npm: str, specs: list[str], workdir: Path) -> dict[str, Path]:
    """Download the tarballs of the package specs from the npm registry into workdir.

    One npm call for all (npm's start-up dominates); if it fails, each spec is tried
    alone so the error names the package that cannot be fetched.
    """
    proc = _run_npm_pack(npm, specs, workdir)
    if proc.returncode != 0:
        for spec in specs:
            single = _run_npm_pack(npm, [spec], workdir)
            if single.returncode != 0:
                detail = [
                    line
                    for line in (single.stderr or single.stdout).strip().splitlines()
                    if line.strip()
                ]
                raise OfflineAssetsError(
                    f"could not fetch {spec!r} from the npm registry "
                    f"(`npm pack {spec}` exited {single.returncode}):\n  "
                    + "\n  ".join(detail[-12:])
                )
        raise OfflineAssetsError(
            f"`npm pack {' '.join(specs)}` failed:\n{proc.stderr.strip()}"
        )
    try:
        entries = json.loads(proc.stdout)
    except ValueError as exc:
        raise OfflineAssetsError(
            f"`npm pack --json` printed no JSON: {proc.stdout[:500]!r}"
        ) from exc
    if not isinstance(entries, list) or len(entries) != len(specs):
        raise OfflineAssetsError(
            f"`npm pack` reported {entries!r:.500} for {len(specs)} specs"
        )
    tarballs = {}
    # npm answers in the order it was asked
    for spec, entry in zip(specs, entries, strict=True):
        tarball = workdir / entry.get("filename", "")
        if entry.get("name") != spec.rsplit("@", 1)[0] or not tarball.is_file():
            raise OfflineAssetsError(
                f"`npm pack {spec}` gave {entry.get('id')!r} ({tarball})"
            )
        tarballs[spec] = tarball
    return tarballs


def _index(tar: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    """Index the regular files of an npm tarball by their path inside the package."""
    members = {}
    for member in tar.getmembers():
        if member.isfile():
            # npm tarballs put everything under one top folder, usually "package/"
            inner = member.name.split("/", 1)[1] if "/" in member.name else member.name
            members[posixpath.normpath(inner)] = member
    return members


def _pick_files(
    members: dict[str, tarfile.TarInfo],
    tar: tarfile.TarFile,
    spec: str,
    paths: list[str],
) -> dict[str, str]:
    """Choose cache path -> package path: the wanted files, their fonts and lazy chunks.

    A ``.min.`` file the package lacks (the CDN minifies on the fly) is served from the
    unminified file. Webpack bundles load chunks named ``<id>.<bundle name>`` next to
    themselves, and stylesheets load fonts by relative URL; both are taken along.
    """
    chosen: dict[str, str] = {}
    todo = list(paths)
    while todo:
        path = todo.pop()
        if path in chosen:
            continue
        source = path
        if source not in members and ".min." in source:
            source = source.replace(".min.", ".", 1)
        if source not in members:
            raise OfflineAssetsError(
                f"{spec} on the npm registry has no file {path!r} (solara asks for it)"
            )
        chosen[path] = source
        folder, name = posixpath.split(source)
        if source.endswith(".js"):
            for other in members:
                other_folder, other_name = posixpath.split(other)
                if other_folder == folder and other_name.endswith("." + name):
                    todo.append(other)
        elif source.endswith(".css"):
            css = (
                tar.extractfile(members[source])
                .read()
                .decode("utf-8", errors="replace")
            )
            todo.extend(ref for ref in _css_refs(css, source) if ref in members)
    return chosen


def _write_atomic(target: Path, data: bytes) -> None:
    """Write a file so it only ever exists complete, as solara's own cache does."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.parent / f".{target.name}.{os.getpid()}.tmp"
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def _install(tarball: Path, cache_dir: Path, spec: str, paths: list[str]) -> int:
    """Copy the needed files out of one tarball into the cache; return their count."""
    base = (cache_dir / spec).resolve()
    # random access into a .tgz decompresses from the start each time: unpack it once
    plain = tarball.with_suffix(".tar")
    with gzip.open(tarball, "rb") as src, open(plain, "wb") as dst:
        shutil.copyfileobj(src, dst)
    with tarfile.open(plain, "r:") as tar:
        members = _index(tar)
        chosen = _pick_files(members, tar, spec, paths)
        # files solara names go last: once they exist, what they load exists too
        order = sorted(chosen, key=lambda p: p in paths)
        for cache_path in order:
            target = (base / cache_path).resolve()
            if base not in target.parents:
                raise OfflineAssetsError(
                    f"refusing to write outside the cache: {target}"
                )
            _write_atomic(target, tar.extractfile(members[chosen[cache_path]]).read())
    return len(chosen)


def fill_cache(
    cache_dir: Path | str | None = None,
    *,
    force: bool = False,
    npm: str = "npm",
    log: Callable[[str], None] = print,
) -> list[str]:
    """Put every asset the installed solara needs into its CDN cache.

    Packages whose files are all present are skipped, so repeated runs cost no
    network. Returns the package specs that were fetched.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    assets = required_assets()
    todo = {
        spec: paths
        for spec, paths in assets.items()
        if force or missing_files(cache, spec, paths)
    }
    if not todo:
        log(f"solara CDN cache complete at {cache} ({len(assets)} packages)")
        return []
    npm_path = shutil.which(npm)
    if npm_path is None:
        raise OfflineAssetsError(
            f"{npm!r} not found on PATH; it fetches {', '.join(todo)} from the npm "
            "registry (Debian: apt-get install npm)"
        )
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="solara-cdn-") as tmp:
        tarballs = _npm_pack(npm_path, list(todo), Path(tmp))
        for spec, paths in todo.items():
            count = _install(tarballs[spec], cache, spec, paths)
            log(f"cached {spec}: {count} files (from {tarballs[spec].name})")
    log(f"solara CDN cache filled at {cache}")
    return list(todo)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; exits 1 with a message when filling fails."""
    parser = argparse.ArgumentParser(
        prog="python -m sim.viz.offline_assets",
        description="Fill Solara's CDN asset cache from the npm registry, "
        "so pages load without the CDN.",
    )
    parser.add_argument(
        "--cache-dir", type=Path, default=None, help="default: the dir solara uses here"
    )
    parser.add_argument(
        "--force", action="store_true", help="fetch again even when files are present"
    )
    parser.add_argument(
        "--list",
        action="store_true",
        help="print the needed files and exit, fetching nothing",
    )
    args = parser.parse_args(argv)
    cache = args.cache_dir if args.cache_dir is not None else default_cache_dir()
    if args.list:
        print(f"cache dir: {cache}")
        for spec, paths in required_assets().items():
            missing = missing_files(cache, spec, paths)
            for path in dict.fromkeys([*paths, *missing]):
                state = "missing" if path in missing else "present"
                print(f"{state}  {spec}/{path}")
        return 0
    try:
        fill_cache(cache, force=args.force)
    except OfflineAssetsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
