"""Altair charts on the page, built per session: no process-wide renderer is touched.

Solara's own `FigureAltair` takes the spec from `chart._repr_mimebundle_()` inside
`with alt.renderers.enable("mimetype")`. Altair's renderer registry is one object for the
whole process, and that context manager sets it and puts the previous renderer back on exit;
the page server renders every browser session in its own thread, so one session could put
the default renderer back while another was between the two steps, which then received the
default renderer's bare dict and failed with `KeyError: 0` (one tab in four, when four
opened at once). `chart.to_dict()` gives the same Vega-Lite spec (the mimetype bundle is that
dict) and only reads Altair's registries (the data transformer, the theme); nothing on the
page enables or changes them.
"""

from __future__ import annotations

import solara
import solara.widgets


def chart_spec(chart) -> dict:
    """The chart's Vega-Lite spec, as the mimetype renderer would give it, built from this chart only."""
    return chart.to_dict()


@solara.component
def AltairChart(chart):
    """Draws an Altair chart in this session (in place of `solara.FigureAltair`; see the module's note)."""
    return solara.widgets.VegaLite.element(spec=chart_spec(chart), listen_to_click=False, listen_to_hover=False)
