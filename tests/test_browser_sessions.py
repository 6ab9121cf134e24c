"""The page under load and under abuse: many browser sessions at once, and a malformed request.

Many sessions: several tabs opening the page at the same moment render their charts at the
same moment, in threads of one server process. Nothing process-wide may be shared between
them (Altair's renderer registry was: one tab in four showed a `KeyError: 0` traceback), and
whatever goes wrong inside a session shows as a short message, never as a traceback or a
path of the server's files.

A malformed request: the client gets 400, the page keeps serving, and the server's log gets
one line for it, not a traceback of the HTTP library.

Same server command and Chromium as tests/test_browser.py (ALLIANCE_SIM_SKIP_BROWSER=1 skips).
"""

from __future__ import annotations

import os
import re
import socket
import time
import urllib.parse
import urllib.request

import pytest
from test_browser import (PAGE_LOAD_MS, SKIP_ENV, VIEWPORT, WAIT_MS, Session, browser, serve_page,  # noqa: F401
                          under_way)

pytestmark = [pytest.mark.skipif(os.environ.get(SKIP_ENV) == "1", reason=f"{SKIP_ENV}=1"), pytest.mark.slow]

TABS = 4  # browser contexts opening the page at once
TRIES = 2  # rounds of TABS tabs (the race showed in 1 tab of 4, in 2 tries of 2)
ROUNDS = 3  # steps each tab plays
# What must never reach the page: a traceback, an exception's name, a path of the server's files.
LEAK = re.compile(r'Traceback|KeyError|Error:|File "|site-packages|\.venv|\.py\b|(?:/[\w.@+-]+){2,}')
# A traceback in the server's log: its header, or a frame line.
LOG_TRACEBACK = re.compile(r'^Traceback \(most recent call last\)|^\s+File "', re.MULTILINE)
MALFORMED_CHUNKED_POST = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\nZZZ\r\nhello\r\n0\r\n\r\n")  # "ZZZ": no chunk size


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A server of its own, so its log holds only what these tests did."""
    with serve_page(tmp_path_factory.mktemp("viz-sessions")) as running:  # solara reads a .env in its cwd
        yield running


def page_text(tab: Session) -> str:
    return tab.page.locator("body").inner_text()


def leak(tab: Session) -> str | None:
    """The first thing on the page that should not be there, with what surrounds it."""
    text = page_text(tab)
    found = LEAK.search(text)
    return None if found is None else text[max(0, found.start() - 200):found.end() + 400]


def wait_loaded(tab: Session, name: str) -> None:
    """Until the page shows its Step button and its map, failing at once on a traceback."""
    deadline = time.monotonic() + PAGE_LOAD_MS / 1000
    while True:
        shown = leak(tab)
        assert shown is None, f"{name} shows:\n{shown}"
        if (tab.button("Step").count() == 1 and tab.page.get_by_text("Loading app").count() == 0
                and tab.map_label("ESP").count() == 1):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{name}: no page with its map after {PAGE_LOAD_MS / 1000:.0f} s:\n"
                                 f"{page_text(tab)[:1000]}")
        time.sleep(0.2)


@pytest.mark.parametrize("attempt", range(TRIES))
def test_many_tabs_at_once_each_get_their_own_page_and_no_traceback(server, browser, attempt):  # noqa: F811
    contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(TABS)]
    try:
        tabs = [Session(context.new_page()) for context in contexts]
        for tab in tabs:  # every tab asks for the page before any has it
            tab.watch()
            tab.page.goto(server.url, wait_until="commit")
        for number, tab in enumerate(tabs, 1):
            wait_loaded(tab, f"tab {number} of {TABS}")
        for round_ in range(1, ROUNDS + 1):
            for tab in tabs:  # every tab steps before any has its new round
                tab.button("Step").click()
            for number, tab in enumerate(tabs, 1):
                tab.wait_for(lambda: tab.headline() == under_way(round_) or leak(tab) is not None,
                             f"round {round_} in tab {number}")
                shown = leak(tab)
                assert shown is None, f"tab {number} of {TABS}, round {round_}, shows:\n{shown}"
        for number, tab in enumerate(tabs, 1):
            assert tab.map_label("ESP").count() == 1, f"tab {number}: no map"
            assert tab.page.locator(".alliance-map svg.marks text").filter(
                has_text=re.compile(r"^\d+\.\d\d$")).count() == 31, f"tab {number}: the map lacks positions"
            assert tab.page.locator(".alliance-rounds svg.marks").count() >= 1, f"tab {number}: no round plots"
            assert tab.headline() == under_way(ROUNDS)
            tab.assert_clean()
    finally:
        for context in contexts:
            context.close()
    log = server.log()
    assert not LOG_TRACEBACK.search(log), f"the server logged a traceback:\n{log[-3000:]}"


def raw_request(url: str, request: bytes, timeout: float = 10) -> bytes:
    """Send bytes as they are, read the answer until the server closes the connection."""
    address = urllib.parse.urlsplit(url)
    with socket.create_connection((address.hostname, address.port), timeout=timeout) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_a_malformed_chunked_post_gets_400_and_one_line_in_the_log(server):
    with urllib.request.urlopen(server.url + "/", timeout=10) as response:  # what a first visit logs, before
        assert response.status == 200
    time.sleep(0.5)
    before = len(server.log())
    answer = raw_request(server.url, MALFORMED_CHUNKED_POST)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    with urllib.request.urlopen(server.url + "/", timeout=10) as response:  # the page is still served
        assert response.status == 200
        assert b"<html" in response.read().lower()
    assert server.process.poll() is None, "the server exited"
    time.sleep(0.5)  # the log line may follow the answer
    logged = server.log()[before:]
    assert not LOG_TRACEBACK.search(logged), f"the server logged a traceback:\n{logged[:3000]}"
    assert not re.search(r'site-packages|File "', logged), logged[:3000]
    lines = [line for line in logged.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2, f"not a line or two for one bad request:\n{logged[:3000]}"
    assert any("ProtocolError" in line or "Invalid HTTP request" in line for line in lines), logged
