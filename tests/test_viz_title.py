"""The browser tab is titled after the model, not Solara's default "Solara"; under the
controller the page counts rounds, not Mesa's "Time: 11.0"."""

import solara
from solara.components.title import TitleWidget

from sim.engines.model import AllianceModel
from sim.viz.app import PAGE_TITLE, Page, RoundCounter


def test_the_page_sets_the_tabs_title():
    _, rc = solara.render(Page(), handle_error=False)
    try:
        titles = rc.find(TitleWidget)
        titles.assert_single()
        assert titles.widget.title == PAGE_TITLE
        assert PAGE_TITLE.startswith("alliance-sim") and "Solara" not in PAGE_TITLE
    finally:
        rc.close()


def test_the_counter_under_the_controller_says_the_round_and_stops_with_the_talks():
    model = AllianceModel("hague2025", rng=0)
    for _ in range(3):
        model.step()
    box, rc = solara.render(RoundCounter(model), handle_error=False)
    try:
        assert box.children[0].children == ["Round 3 of 12"]
    finally:
        rc.close()
    model.run()
    ended = model.round
    model.step()  # Mesa's step counter goes on; the talks do not
    assert model.time > ended
    box, rc = solara.render(RoundCounter(model), handle_error=False)
    try:
        assert box.children[0].children == [f"Round {ended} of 12"]
    finally:
        rc.close()
