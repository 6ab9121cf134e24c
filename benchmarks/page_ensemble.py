"""How long the browser page takes to show the ensemble panel's deal probability.

Starts `alliance-sim viz` on a free loopback port (as tests/test_browser.py does: Solara's
asset CDN pointed at a dead local port, wait for /readyz), opens the page in Debian's
headless Chromium through Playwright, and, for each repetition, in a fresh browser context:

- load: from the start of the page's navigation to the first ensemble's deal probability
  (`.alliance-ensemble-deal`) in the page;
- reset: moves US pressure down by (repetition + 1) steps, clicks Reset, and times from the
  click to the panel showing the deal probability of the ensemble at the new pressure (its
  levers line names the new value and "computing ..." is gone). That is the 500 runs
  (the panel's default) plus the pressure curve (21 pressures x 50 seeds), the round trips,
  and the panel's drawing up to the deal line.

Both are measured on the browser's clock (`performance.now()`, the click taken from a
capture-phase listener, the end from a check on every animation frame), so Playwright's own
round trips are not counted. The server runs in its own process group and is stopped (SIGTERM,
then SIGKILL) whatever happens.

    .venv/bin/python -m benchmarks.page_ensemble [--repeat 5]

Target (the issue): the ensemble ready within 1 s of Reset.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 1100}
SERVER_START_S = 120
PAGE_LOAD_MS = 90_000
WAIT_MS = 60_000
TARGET_RESET_S = 1.0

# Record the time of every click on the Reset button, before the page's own handlers run.
RESET_LISTENER = """
() => {
  window.__resetClicks = [];
  document.addEventListener('click', (event) => {
    const button = event.target.closest && event.target.closest('button');
    if (button && button.textContent.trim() === 'Reset') window.__resetClicks.push(performance.now());
  }, true);
}
"""

# performance.now() once the panel shows a deal line for an ensemble at US pressure `want`
# (null `want`: any ensemble); checked on every animation frame.
ENSEMBLE_SHOWN = r"""
(want) => {
  const panel = document.querySelector('.alliance-ensemble');
  if (!panel || panel.querySelector('.alliance-ensemble-pending')) return false;
  const deal = panel.querySelector('.alliance-ensemble-deal');
  if (!deal || !/^Deal in \d+% of \d+ runs/.test(deal.textContent.trim())) return false;
  if (want !== null) {
    const shown = /US pressure ([0-9.eE+-]+)[,;]/.exec(panel.textContent);
    if (!shown || Math.abs(Number(shown[1]) - want) > 1e-9) return false;
  }
  return performance.now();
}
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def entry_point() -> str:
    beside = Path(sys.executable).parent / "alliance-sim"
    if not beside.exists():
        sys.exit(f"{beside} not found: run this with the project's virtualenv (.venv/bin/python)")
    return str(beside)


def start_server(workdir: Path, port: int) -> tuple[subprocess.Popen, Path]:
    env = {**os.environ, "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/", "PYTHONUNBUFFERED": "1"}
    log_path = workdir / "server.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen([entry_point(), "viz", "--host", "127.0.0.1", "--port", str(port)],
                                  cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
    return server, log_path


def wait_ready(server: subprocess.Popen, url: str, log_path: Path) -> float:
    """Seconds until /readyz answers 200."""
    start = time.monotonic()
    while True:
        if server.poll() is not None:
            raise RuntimeError(f"alliance-sim viz exited with {server.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - start
        except OSError:
            pass
        if time.monotonic() - start > SERVER_START_S:
            raise RuntimeError(f"alliance-sim viz not ready after {SERVER_START_S} s:\n{log_path.read_text()}")
        time.sleep(0.1)


def stop_server(server: subprocess.Popen) -> None:
    """SIGTERM the server's process group, SIGKILL it if it is still there after 15 s."""
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    except ProcessLookupError:
        pass


def one_repetition(browser, url: str, steps_down: int) -> dict:
    """Load the page in a fresh context, time the first ensemble, then lower US pressure by
    `steps_down` slider steps, Reset and time the new ensemble."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.add_init_script(f"({RESET_LISTENER})()")
        page.goto(url, wait_until="domcontentloaded", timeout=PAGE_LOAD_MS)
        load_ms = page.wait_for_function(ENSEMBLE_SHOWN, arg=None, polling="raf", timeout=PAGE_LOAD_MS).json_value()

        pressure = page.get_by_role("slider", name="US pressure")
        before = float(pressure.get_attribute("aria-valuenow"))
        pressure.focus()
        for _ in range(steps_down):
            pressure.press("ArrowLeft")
        want = round(before - 0.05 * steps_down, 10)
        deadline = time.monotonic() + WAIT_MS / 1000
        while abs(float(pressure.get_attribute("aria-valuenow")) - want) > 1e-9:
            if time.monotonic() > deadline:
                raise RuntimeError(f"US pressure did not reach {want}")
            time.sleep(0.05)

        page.get_by_role("button", name="Reset", exact=True).click()
        shown_ms = page.wait_for_function(ENSEMBLE_SHOWN, arg=want, polling="raf", timeout=WAIT_MS).json_value()
        clicks = page.evaluate("window.__resetClicks")
        if len(clicks) != 1:
            raise RuntimeError(f"expected one Reset click, the page saw {len(clicks)}")
        panel = page.locator(".alliance-ensemble").inner_text()
        took = re.search(r"(\d+) runs took ([0-9.]+) s", panel)
        return {"load_s": load_ms / 1000, "reset_s": (shown_ms - clicks[0]) / 1000, "pressure": want,
                "runs": int(took.group(1)), "runs_s": float(took.group(2))}
    finally:
        context.close()


def summary(values: list[float]) -> str:
    return f"{min(values):6.3f} {statistics.median(values):8.3f} {max(values):6.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="repetitions (a fresh browser context each)")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} not found: apt-get install -y chromium")
    from sim.viz.server import FILL_COMMAND, missing_assets

    cache, missing = missing_assets()
    if missing:
        sys.exit(f"{missing} browser files are missing from Solara's asset cache {cache}; fill it with: {FILL_COMMAND}")
    # a SIGTERM to this script unwinds through the finally blocks below, so the server stops too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    from playwright.sync_api import sync_playwright

    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="page-ensemble-") as tmp:  # solara reads a .env in its cwd
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server, log_path = start_server(Path(tmp), port)
        try:
            ready_s = wait_ready(server, url, log_path)
            print(f"server ready in {ready_s:.1f} s on {url}")
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                try:
                    for repetition in range(args.repeat):
                        row = one_repetition(browser, url, steps_down=repetition + 1)
                        rows.append(row)
                        print(f"  #{repetition + 1}: load -> first ensemble {row['load_s']:.3f} s; "
                              f"Reset (US pressure {row['pressure']:g}) -> ensemble {row['reset_s']:.3f} s "
                              f"({row['runs']} runs took {row['runs_s']:.2f} s on the server)", flush=True)
                finally:
                    browser.close()
        finally:
            stop_server(server)
    load_after = os.getloadavg()

    print()
    print(f"{len(rows)} repetitions, seconds           min   median    max")
    print(f"page load -> first ensemble         {summary([r['load_s'] for r in rows])}")
    print(f"Reset click -> new ensemble shown   {summary([r['reset_s'] for r in rows])}")
    print(f"  of which the N runs (server)      {summary([r['runs_s'] for r in rows])}")
    print(f"load average (1, 5, 15 min): before {' '.join(f'{x:.2f}' for x in load_before)}, "
          f"after {' '.join(f'{x:.2f}' for x in load_after)}; {os.cpu_count()} CPUs")
    median_reset = statistics.median(r["reset_s"] for r in rows)
    verdict = "within" if median_reset <= TARGET_RESET_S else "over"
    print(f"target: ready within {TARGET_RESET_S:g} s of Reset: median {median_reset:.3f} s, {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
