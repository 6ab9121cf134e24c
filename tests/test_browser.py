"""The browser page, end to end: `alliance-sim viz` serves it, Debian's Chromium drives it.

What a user does: open the page, watch the map and the plots, step the talks, move a lever,
reset, run to the summit. The server is the real command line entry point on a free
loopback port; the browser is /usr/bin/chromium driven by Playwright (no `playwright
install`, which downloads a browser from outside the package registries).

Set ALLIANCE_SIM_SKIP_BROWSER=1 to skip these tests; without Chromium they fail, because
CI installs it and a silent skip would hide a broken page.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import ROOT

from sim.model.scenario import load_scenario
from sim.viz.app import PAGE_TITLE

CHROMIUM = Path("/usr/bin/chromium")
SKIP_ENV = "ALLIANCE_SIM_SKIP_BROWSER"
SCREENSHOT = ROOT / "docs" / "img" / "viz.png"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 1100}  # the whole page, for the screenshot
SERVER_START_S = 120
PAGE_LOAD_MS = 90_000
WAIT_MS = 30_000
RUN_TO_END_MS = 60_000
# Console warnings every healthy page shows; anything else (and every error) fails the test.
BENIGN_WARNINGS = (
    # ipyvue meets solara's own navigator.vue, which has no module.exports, and loads that
    # component the older way instead. Every Solara 1.64 page shows it; it is harmless.
    "Failed to evaluate Vue script and find module.exports",
)
FINAL_HEADLINE = re.compile(r"^(Deal in round|No deal at the summit)")
HAGUE = load_scenario("hague2025")  # the page's default scenario
WALES = load_scenario("wales2014")


def under_way(round_: int, scenario=HAGUE) -> str:
    """The outcome panel's headline while the talks run."""
    return f"Talks under way: round {round_} of {scenario.params.max_rounds}"


pytestmark = [pytest.mark.skipif(os.environ.get(SKIP_ENV) == "1", reason=f"{SKIP_ENV}=1"), pytest.mark.slow]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _entry_point() -> str:
    """The installed `alliance-sim` next to this interpreter (the venv's), else on PATH."""
    beside = Path(sys.executable).parent / "alliance-sim"
    found = str(beside) if beside.exists() else shutil.which("alliance-sim")
    if found is None:
        pytest.fail("the alliance-sim command is not installed; run: pip install -e '.[test]'")
    return found


def _require_assets() -> None:
    """Fail with the fix, rather than with 404s, when Solara's asset cache is not filled."""
    from sim.viz.server import FILL_COMMAND, missing_assets

    cache, missing = missing_assets()
    if missing:
        pytest.fail(f"{missing} browser files are missing from Solara's asset cache {cache}; "
                    f"fill it with: {FILL_COMMAND}")


@dataclass
class Server:
    """A running `alliance-sim viz`: its address and the file its output goes to."""

    url: str
    log_path: Path
    process: subprocess.Popen

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def serve_page(workdir: Path):
    """`alliance-sim viz` on a free loopback port, its output in workdir/server.log; stopped on exit."""
    _require_assets()
    port = _free_port()
    env = {**os.environ,
           # this checkout's code, whichever checkout the installed command was installed from
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/",  # a cache miss fails at once, never goes online
           "PYTHONUNBUFFERED": "1"}
    log_path = workdir / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([_entry_point(), "viz", "--host", "127.0.0.1", "--port", str(port)],
                                   cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True)
    server = Server(f"http://127.0.0.1:{port}", log_path, process)
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:  # /readyz answers once the app module has been imported
            if process.poll() is not None:
                pytest.fail(f"alliance-sim viz exited with {process.returncode}:\n{server.log()}")
            try:
                with urllib.request.urlopen(server.url + "/readyz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"alliance-sim viz not ready after {SERVER_START_S} s:\n{server.log()}")
            time.sleep(0.25)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    with serve_page(tmp_path_factory.mktemp("viz-server")) as server:  # solara reads a .env in its cwd
        yield server.url


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's Chromium (apt-get install -y chromium), "
                    f"or set {SKIP_ENV}=1 to skip the browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Session:
    """One browser tab on the page, with everything the browser complained about."""

    page: object
    problems: list[str] = field(default_factory=list)

    def watch(self) -> None:
        page = self.page
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("requestfailed", lambda request: self.problems.append(f"request failed: {request.url}"))
        page.on("response", lambda response: response.status >= 400
                and self.problems.append(f"HTTP {response.status}: {response.url}"))

    def _console(self, message) -> None:
        if message.type == "error" or (message.type == "warning"
                                       and not any(text in message.text for text in BENIGN_WARNINGS)):
            self.problems.append(f"console {message.type}: {message.text}")

    def open(self, url: str) -> None:
        self.page.goto(url, wait_until="domcontentloaded")
        self.button("Step").wait_for(state="visible", timeout=PAGE_LOAD_MS)
        self.page.get_by_text("Loading app").wait_for(state="hidden", timeout=WAIT_MS)
        self.map_label("ESP").wait_for(timeout=WAIT_MS)

    def button(self, name: str):
        return self.page.get_by_role("button", name=name, exact=True)

    def map_label(self, iso3: str):
        return self.page.locator(".alliance-map svg.marks text").filter(has_text=re.compile(f"^{iso3}$"))

    def headline(self) -> str:
        return self.page.locator(".alliance-headline").inner_text().strip()

    def outcome_text(self) -> str:
        return self.page.locator(".alliance-outcome").inner_text()

    def rounds_svg(self) -> str:
        return self.page.locator(".alliance-rounds svg.marks").first.inner_html()

    def wait_for(self, condition, what: str, timeout_ms: int = WAIT_MS) -> None:
        deadline = time.monotonic() + timeout_ms / 1000
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.1)

    def run_to_summit(self) -> str:
        """Press Play and wait for the final headline; return the outcome panel's text."""
        self.button("▶").click()
        self.wait_for(lambda: FINAL_HEADLINE.match(self.headline()), "the talks to end", RUN_TO_END_MS)
        # the headline and the rows below it may reach the browser in separate updates
        self.wait_for(lambda: "Allies on track" in self.outcome_text(), "the outcome's rows")
        return self.outcome_text()

    def assert_clean(self) -> None:
        assert not self.problems, "the browser reported:\n" + "\n".join(self.problems)


@pytest.fixture
def session(browser, server_url):
    context = browser.new_context(viewport=VIEWPORT)
    tab = Session(context.new_page())
    tab.watch()
    tab.open(server_url)
    yield tab
    context.close()


def test_page_shows_the_map_the_plots_and_the_outcome(session):
    for iso3 in ("USA", "ESP", "POL", "EST", "TUR", "ISL"):
        assert session.map_label(iso3).count() == 1, f"{iso3} missing from the map"
    assert session.page.locator(".alliance-map svg.marks text").filter(
        has_text=re.compile(r"^\d+\.\d\d$")).count() == 31  # every position but Iceland's
    rounds = session.page.locator(".alliance-rounds svg.marks").first
    for title in ("Draft level (% of GDP)", "Draft deadline (year)", "Spread of positions (sd, pp)",
                  "Allies accepting (%)"):
        assert rounds.locator("text").filter(has_text=title).count() == 1, f"no panel {title!r}"
    assert session.headline() == under_way(0)
    assert "weighted mean" in session.outcome_text()
    assert "Projected once the talks end" in session.page.locator(".alliance-pledge").inner_text()
    session.wait_for(lambda: session.page.title() == PAGE_TITLE, "the tab's title")  # not Solara's "Solara"
    session.page.get_by_text("Vote on the draft").click()  # the map's colour toggle
    session.page.locator(".alliance-map svg.marks text").filter(has_text="no draft yet").wait_for(timeout=WAIT_MS)
    session.assert_clean()


def test_step_advances_the_round_and_redraws_the_plots(session):
    before = session.rounds_svg()
    session.button("Step").click()
    counter = session.page.locator(".alliance-round-counter")  # in place of Mesa's "Time: 1.0"
    session.wait_for(lambda: counter.inner_text().strip() == f"Round 1 of {HAGUE.params.max_rounds}",
                     "the round counter under the controller")
    assert session.page.get_by_text(re.compile(r"^Time: ")).count() == 0
    session.wait_for(lambda: session.headline() == under_way(1), "round 1 in the panel")
    session.wait_for(lambda: session.rounds_svg() != before, "the round plots to change")
    assert "Rejecting the draft" in session.outcome_text()
    session.assert_clean()


def test_the_map_shows_the_caucuses_and_this_round_shows_the_draft_and_their_lines(session):
    legend = session.page.locator(".alliance-map svg.marks text")
    for label in ("Front line", "Fiscal caucus"):
        assert legend.filter(has_text=re.compile(f"^{label}$")).count() == 1, f"no {label!r} in the map's legend"
    panel = session.page.locator(".alliance-this-round")
    assert "Nothing tabled yet" in panel.inner_text()
    session.button("Step").click()
    session.wait_for(lambda: session.headline() == under_way(1), "round 1 in the panel")
    tabled = panel.locator(".alliance-tabled")
    session.wait_for(lambda: re.match(r"^Tabled by the Secretary General \(single text\): \d+\.\d\d% core"
                                      r".* by 20\d\d$", tabled.inner_text().strip()), "the tabled draft's numbers")
    lines = panel.locator(".alliance-caucus-line")
    assert lines.count() == 2
    front, fiscal = (lines.nth(i).inner_text().strip() for i in range(2))
    assert re.match(r"^Front line \(\d+: .*POL.*\): argues \d+\.\d\d% by 20\d\d$", front), front
    assert re.match(r"^Fiscal caucus \(\d+: .*ESP.*\): argues \d+\.\d\d% by 20\d\d$", fiscal), fiscal
    # round 1's holdouts, each with its exports to the US and the widening it gained
    pressed = panel.locator(".alliance-pressed")
    pressed.wait_for(timeout=WAIT_MS)
    assert "exports to the US (% of GDP)" in pressed.inner_text() and "bp of GDP a year" in pressed.inner_text()
    assert re.search(r"\bESP\s+\d+\.\d\d\s+\d+\.\d\d\s+\d+\.\d\d\s+\d+\.\d\d\s+[\d,]+\b", pressed.inner_text())
    session.button("Caucus").click()  # the map's colour toggle
    session.page.get_by_text(re.compile("^Each ally's caucus, formed at the opening")).wait_for(timeout=WAIT_MS)
    session.assert_clean()


def test_the_us_the_split_s_cost_and_the_targets_show(session):
    from sim.engines.model import AllianceModel
    from sim.viz.capability_targets import summary_line, targets
    from sim.viz.split_cost import budgets, cost_row, draft_costs

    expected = AllianceModel("hague2025", rng=0)  # the page's first model: the Hague, seed 0
    us = session.page.locator(".alliance-us")
    assert "holds out for a headline (core + related) of 5.00%" in us.locator(".alliance-us-stand").inner_text()
    posture = us.locator(".alliance-us-posture").inner_text()
    assert "read from the record of 2025-06-23" in posture and "Marco Rubio" in posture and "2032" in posture
    targets_section = session.page.locator(".alliance-targets")
    summary = summary_line(targets(expected))
    assert summary in targets_section.inner_text()
    session.button("Step").click()
    expected.step()
    session.wait_for(lambda: us.locator(".alliance-us-vote").inner_text().startswith("On round 1's draft"),
                     "the US's vote on round 1's draft")
    table = session.page.locator(".alliance-split-cost-table")
    table.wait_for(timeout=WAIT_MS)
    first = table.locator("tbody tr").first.inner_text().split()
    assert first == list(cost_row(draft_costs(expected)[0], budgets(expected)))
    targets_section.get_by_text(summary).click()  # open the section
    areas = targets_section.locator(".alliance-targets-area")
    areas.first.wait_for(timeout=WAIT_MS)
    assert "Air and missile defence" in targets_section.inner_text() and areas.count() == 5
    session.assert_clean()


def test_us_pressure_changes_the_outcome(session, tmp_path):
    default = session.run_to_summit()
    assert session.button("Step").is_disabled()
    pledge = session.page.locator(".alliance-pledge svg.marks").first
    kept = re.search(r"Allies on track\s+(\d+)", default).group(1)  # the outcome panel's count
    pledge.locator("text").filter(has_text=re.compile(f"; {kept} allies keep it$")).wait_for(timeout=WAIT_MS)
    assert pledge.locator("text").filter(has_text=re.compile(r"^POL$")).count() == 1
    session.page.screenshot(path=str(tmp_path / "viz.png"))
    assert (tmp_path / "viz.png").read_bytes()[:4] == b"\x89PNG"
    if os.environ.get("ALLIANCE_SIM_UPDATE_SCREENSHOT") == "1":  # refresh the README's picture on purpose
        session.page.screenshot(path=str(SCREENSHOT))

    pressure = session.page.get_by_role("slider", name="US pressure")
    pressure.focus()
    pressure.press("Home")  # the slider's minimum, 0
    session.wait_for(lambda: pressure.get_attribute("aria-valuenow") == "0", "US pressure at 0")
    session.button("Reset").click()
    session.wait_for(lambda: session.headline() == under_way(0), "a fresh model")
    relaxed = session.run_to_summit()
    assert relaxed != default, "the outcome panel is the same with and without US pressure"
    assert pressure.get_attribute("aria-valuenow") == "0"  # Reset kept the lever where it was put
    session.assert_clean()


def test_choosing_a_scenario_loads_its_levers_and_reset_runs_it(session):
    pressure = session.page.get_by_role("slider", name="US pressure")
    assert pressure.get_attribute("aria-valuenow") == f"{HAGUE.params.us_pressure:g}"
    session.page.locator(".v-select").filter(has_text="Scenario").click()
    session.page.get_by_role("option", name="wales2014").click()
    # Wales reads 1/3 from the US's statements of 2014, between two of the slider's steps of 0.05:
    # the slider shows the step nearest it
    session.wait_for(lambda: abs(float(pressure.get_attribute("aria-valuenow")) - WALES.params.us_pressure) <= 0.025,
                     "Wales 2014's US pressure")
    assert session.page.locator(".alliance-scenario").inner_text().startswith(HAGUE.name)  # not before Reset
    session.button("Reset").click()
    session.wait_for(lambda: session.page.locator(".alliance-scenario").inner_text().startswith(WALES.name),
                     "the Wales 2014 model")
    assert session.headline() == under_way(0, WALES)
    assert session.map_label("FIN").count() == 1  # on the map, though not at the table in 2014
    session.assert_clean()


def test_the_ensemble_panel_shows_the_deal_probability_and_its_histograms(session, tmp_path):
    panel = session.page.locator(".alliance-ensemble")
    deal = panel.locator(".alliance-ensemble-deal")
    deal.wait_for(timeout=RUN_TO_END_MS)  # "computing 500 runs…" until the runs are in
    assert re.match(r"^Deal in \d+% of 500 runs \(\d+ of 500; 95% interval \d+% to \d+%\)$", deal.inner_text().strip())
    histograms = panel.locator(".alliance-ensemble-histograms svg.marks").first
    histograms.locator("text").filter(has_text=re.compile(r"^Core level \(% of GDP\), \d+ deals$")).wait_for(
        timeout=WAIT_MS)
    assert histograms.locator("text").filter(has_text="Deadline (year)").count() == 1
    assert histograms.locator("g.mark-rect path").count() >= 2  # the bars of both histograms
    allies = panel.locator(".alliance-ensemble-allies svg.marks").first
    assert allies.locator("text").filter(has_text=re.compile(r"^POL$")).count() == 1
    panel.screenshot(path=str(tmp_path / "ensemble.png"))  # scrolls the panel into view
    assert ensemble_deals(deal) == expected_deals({})  # the batch engine's, same seeds

    rounds = session.page.get_by_role("slider", name="Summit deadline (rounds)")
    rounds.focus()
    rounds.press("Home")  # talks of a single round: no time to win the laggards
    session.wait_for(lambda: rounds.get_attribute("aria-valuenow") == "1", "one round")
    session.button("Reset").click()
    session.wait_for(lambda: deal.count() == 1 and ensemble_deals(deal) == expected_deals({"max_rounds": 1}),
                     "the ensemble of the new levers", RUN_TO_END_MS)
    assert expected_deals({"max_rounds": 1}) != expected_deals({})  # so the check above can fail
    session.assert_clean()


def ensemble_deals(deal) -> int:
    """The number of deals the panel reports ("Deal in 88% of 500 runs (440 of 500; ...)")."""
    return int(re.search(r"\((\d+) of 500", deal.inner_text()).group(1))


def expected_deals(levers: dict) -> int:
    """Deals in seeds 0..499 of the Hague scenario with these levers, computed here on the batch engine."""
    from sim.engines.batch import run_batch

    return int(run_batch(HAGUE, [levers] * 500, list(range(500))).deal.sum())


def test_each_browser_session_has_its_own_model(session, browser, server_url):
    session.button("Step").click()
    session.wait_for(lambda: session.headline() == under_way(1), "round 1 in tab A")
    context = browser.new_context(viewport=VIEWPORT)
    other = Session(context.new_page())
    other.watch()
    try:
        other.open(server_url)
        assert other.headline() == under_way(0)
        other.assert_clean()
    finally:
        context.close()
    assert session.headline() == under_way(1)
    session.assert_clean()
