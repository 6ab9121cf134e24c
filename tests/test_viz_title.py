"""The browser tab is titled after the model, not Solara's default "Solara"."""

import solara
from solara.components.title import TitleWidget

from sim.viz.app import PAGE_TITLE, Page


def test_the_page_sets_the_tabs_title():
    _, rc = solara.render(Page(), handle_error=False)
    try:
        titles = rc.find(TitleWidget)
        titles.assert_single()
        assert titles.widget.title == PAGE_TITLE
        assert PAGE_TITLE.startswith("alliance-sim") and "Solara" not in PAGE_TITLE
    finally:
        rc.close()
