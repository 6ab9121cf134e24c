"""The page's safety nets, without a browser: a failing part shows one line; the charts use no
global renderer; a protocol error's log record is one line."""

from __future__ import annotations

import logging
import threading

import altair as alt
import h11
import solara

from sim.engines.model import AllianceModel
from sim.viz.cartogram import ColourBy, cartogram_chart
from sim.viz.errors import Guarded
from sim.viz.server_log import OneLineProtocolErrors
from sim.viz.vegalite import chart_spec


def _texts(widget, found: list[str]) -> list[str]:
    for child in getattr(widget, "children", None) or []:
        found.append(child) if isinstance(child, str) else _texts(child, found)
    for name in ("value", "label"):
        if isinstance(text := getattr(widget, name, None), str) and text:
            found.append(text)
    return found


@solara.component
def Failing():
    raise KeyError(0)


@solara.component
def Working():
    solara.Text("drawn")


@solara.component
def TwoParts():
    with solara.Column():
        with Guarded("The map"):
            Failing()
        with Guarded("The plots"):
            Working()


def test_a_failing_part_shows_one_line_and_the_rest_of_the_page_goes_on():
    box, _ = solara.render(TwoParts(), handle_error=False)
    texts = _texts(box, [])
    assert "The map could not be shown (KeyError). The server's log has the details." in texts
    assert "drawn" in texts and "Try again" in texts
    assert not any("Traceback" in text or ".py" in text for text in texts)


def test_the_chart_spec_is_the_mimetype_bundles_and_ignores_the_global_renderer():
    chart = cartogram_chart(AllianceModel("hague2025", rng=0), ColourBy.POSITION)
    with alt.renderers.enable("mimetype"):
        bundle = chart._repr_mimebundle_()[0]
    (expected,) = (spec for key, spec in bundle.items() if key.startswith("application/vnd.vegalite.v"))
    assert alt.renderers.active == "default"
    results, errors = [], []

    def build():
        try:
            for _ in range(5):
                results.append(chart_spec(chart))
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    def flip():  # what another session's FigureAltair would do meanwhile
        for _ in range(200):
            with alt.renderers.enable("mimetype"):
                pass

    threads = [threading.Thread(target=build) for _ in range(4)] + [threading.Thread(target=flip)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(results) == 20 and all(spec == expected for spec in results)


def test_a_protocol_errors_record_is_one_line_and_others_keep_their_traceback():
    def record(exception: BaseException) -> logging.LogRecord:
        try:
            raise exception
        except BaseException as raised:
            return logging.LogRecord("uvicorn.error", logging.ERROR, __file__, 1, "Exception in ASGI application",
                                     None, (type(raised), raised, raised.__traceback__))

    protocol = record(h11.LocalProtocolError("can't handle event type Response when role=SERVER and state=MUST_CLOSE"))
    assert OneLineProtocolErrors().filter(protocol)
    formatted = logging.Formatter().format(protocol)
    assert "\n" not in formatted and "Traceback" not in formatted
    assert formatted.startswith("Exception in ASGI application: LocalProtocolError: can't handle event type Response")

    own = record(KeyError(0))
    assert OneLineProtocolErrors().filter(own)
    assert "Traceback" in logging.Formatter().format(own)  # the page's own errors keep theirs
