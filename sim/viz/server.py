"""`alliance-sim viz`: serve the browser page with Solara, on this machine only unless told otherwise.

Why a command rather than "run solara yourself": the page needs a few Solara settings to
work offline and quietly (its CDN proxy on, telemetry off, no browser opened, no version
check against PyPI), and a user should get a plain hint when the browser assets are not
cached yet, instead of a page stuck on "Loading app".
"""

from __future__ import annotations

import errno
import os
import socket
import sys
from pathlib import Path

from sim.model.scenario import builtin_scenarios, load_scenario

SCENARIO_ENV = "ALLIANCE_SIM_VIZ_SCENARIO"  # how the page learns --scenario
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
APP = "sim.viz.app:Page"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
FILL_COMMAND = "python -m sim.viz.offline_assets"
PORTS = (1, 65535)  # 0 ("any free port") is refused: the address printed must be the one served


class ServerError(ValueError):
    """A page that cannot be served as asked (a port out of range or in use)."""


def scenario_for_page(name_or_path: str) -> str:
    """The scenario as the page should name it: checked now, so a typo fails here and not in
    the browser; a file becomes an absolute path, since the server may run elsewhere."""
    load_scenario(name_or_path)
    return name_or_path if name_or_path in builtin_scenarios() else str(Path(name_or_path).resolve())


def server_env(scenario: str, base: dict[str, str]) -> dict[str, str]:
    """The environment Solara runs in."""
    return {
        **base,
        # Solara turns its CDN proxy off inside VS Code and similar; the page then asks the
        # public CDN directly and never uses the local cache.
        "SOLARA_ASSETS_PROXY": "true",
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "false",
        SCENARIO_ENV: scenario,
    }


def solara_command(host: str, port: int) -> list[str]:
    return [sys.executable, "-m", "solara", "run", APP, "--host", host, "--port", str(port),
            "--production", "--no-open", "--no-check-version", "--log-level", "warning"]


def checked_port(port: int) -> int:
    low, high = PORTS
    if not low <= port <= high:
        raise ServerError(f"--port {port} is not allowed; allowed: an integer from {low} to {high}")
    return port


def check_port_free(host: str, port: int) -> None:
    """Bind the address once, as the server will, so a port in use or a host that is not
    this machine's is one line here, not a traceback from inside Solara."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server does
            probe.bind(address)
    except socket.gaierror as error:
        raise ServerError(f"--host {host}: not an address of this machine ({error.strerror})") from None
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise ServerError(f"--port {port}: already in use on {host}; stop what listens there or "
                              "choose another port") from None
        raise ServerError(f"--host {host} --port {port}: cannot listen there ({error.strerror})") from None


def missing_assets() -> tuple[Path, int]:
    """Solara's asset cache dir and how many files the page needs that it lacks."""
    from sim.viz.offline_assets import default_cache_dir, missing_files, required_assets

    cache = default_cache_dir()
    return cache, sum(len(missing_files(cache, spec, paths)) for spec, paths in required_assets().items())


def serve(host: str, port: int, scenario_name: str) -> int:
    """Check the scenario and the assets, then become the Solara server (exec, so Ctrl-C and
    signals reach the server itself)."""
    port = checked_port(port)
    scenario = scenario_for_page(scenario_name)
    try:
        import altair  # noqa: F401
        import solara  # noqa: F401
    except ImportError as error:
        print(f"alliance-sim: error: the browser page needs the viz extra ({error.name} is missing); "
              "install it with: pip install -e '.[viz]'", file=sys.stderr)
        return 2
    check_port_free(host, port)
    cache, missing = missing_assets()
    if missing:
        print(f"alliance-sim viz: note: {missing} browser files are missing from Solara's asset cache "
              f"({cache}).\n  Solara fetches them from its public CDN on first use; without network the page "
              f"stays on 'Loading app'.\n  Fill the cache once (needs npm) with: {FILL_COMMAND}", file=sys.stderr)
    if host not in LOOPBACK:
        print(f"alliance-sim viz: warning: listening on {host}: anyone who can reach this address can "
              "use the page (it has no login)", file=sys.stderr)
    shown_name = scenario_name if scenario_name.isprintable() else repr(scenario_name)  # no raw escape codes
    print(f"alliance-sim viz: serving scenario {shown_name} at http://{host}:{port} "
          "(Ctrl-C stops)", flush=True)
    sys.stderr.flush()
    command = solara_command(host, port)
    os.execve(command[0], command, server_env(scenario, dict(os.environ)))
    return 0  # not reached: exec replaced this process
