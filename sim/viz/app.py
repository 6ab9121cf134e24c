"""The browser page: the alliance's levers, Mesa's model controller, the map, the plots and the outcome.

Served by `alliance-sim viz` (`solara run sim.viz.app:Page`). Nothing is built at import:
every browser session renders its own `Page`, and so gets its own model. Sessions render in
threads of one process, so they share nothing mutable: the charts are drawn without Altair's
process-wide renderer (`sim/viz/vegalite.py`), and an error inside a session shows as one
line in that session's page, not as a traceback (`sim/viz/errors.py`). Importing this module
in the server also keeps the HTTP library's tracebacks out of the server's log
(`sim/viz/server_log.py`).
"""

from __future__ import annotations

import os

import solara
from mesa.visualization.solara_viz import ModelController
from mesa.visualization.utils import update_counter

from sim.engines.model import AllianceModel
from sim.model.scenario import DEFAULT_SCENARIO
from sim.viz import server_log
from sim.viz.capability_targets import TargetsSection
from sim.viz.cartogram import Cartogram
from sim.viz.controls import DEFAULT_SEED, ControlPanel, use_controls
from sim.viz.ensemble import EnsemblePanel, this_run
from sim.viz.errors import Guarded
from sim.viz.pledge import PledgePlot
from sim.viz.plots import OutcomePanel, RoundPlots
from sim.viz.split_cost import SplitCostPanel
from sim.viz.this_round import ThisRoundPanel
from sim.viz.server import SCENARIO_ENV
from sim.viz.united_states import UnitedStatesPanel

TITLE = "The NATO allies negotiate their defence-spending target"
PAGE_TITLE = "alliance-sim: the allies' defence-spending talks"  # the browser tab's title (Solara's default: "Solara")
PLAY_INTERVAL_MS = 300  # slow enough to watch the allies move

server_log.install()


def starting_scenario() -> str:
    """The scenario `alliance-sim viz --scenario` asked for (the default otherwise)."""
    return os.environ.get(SCENARIO_ENV) or DEFAULT_SCENARIO


@solara.component
def Dashboard(model):
    """The main area: which scenario, the map beside the outcome, this round's draft, caucuses
    and named pressure, the US's stand beside what the drafts cost and what the targets cost,
    the rounds and the pledge below, then the same levers over many runs (recomputed only when
    `model` is replaced, on Reset)."""
    update_counter.get()
    spec = model.scenario_spec
    seed = "random" if model.seed is None else model.seed
    solara.Text(f"{spec.name} (seed {seed}): {' '.join(spec.description.split())}",
                classes=["alliance-scenario"], style={"font-size": "13px", "color": "#555"})
    with solara.Columns([3, 2]):
        with solara.Card("The allies' positions", margin=0), Guarded("The map"):
            Cartogram(model)
        with solara.Card("Where the talks stand", margin=0), Guarded("Where the talks stand"):
            OutcomePanel(model)
    with solara.Card("This round: the draft, the caucuses, the US pressing holdouts", margin=0):
        with Guarded("This round"):
            ThisRoundPanel(model)
    with solara.Card("The United States: what it asks, how hard it presses", margin=0), Guarded("The US"):
        UnitedStatesPanel(model)
    with solara.Card("What the drafts ask of budgets: the split's new money, and what the targets cost", margin=0):
        with Guarded("The split's cost"):
            SplitCostPanel(model)
        with Guarded("The capability targets"):
            TargetsSection(model)
    with solara.Card("Over the rounds", margin=0), Guarded("The plots over the rounds"):
        RoundPlots(model)
    with solara.Card("After the summit: who keeps the pledge", margin=0), Guarded("The pledge chart"):
        PledgePlot(model)
    with solara.Card("Across many runs: the distribution behind this run", margin=0), Guarded("The ensemble"):
        EnsemblePanel(model, this_run(model))


@solara.component
def RoundCounter(model):
    """The round the talks are in, under the controller: in place of Mesa's `ShowSteps`, whose
    "Time: 11.0" is Mesa's step counter as a float, and goes on counting after the talks end."""
    update_counter.get()
    solara.Text(f"Round {model.round} of {model.params.max_rounds}", classes=["alliance-round-counter"])


@solara.component
def Page():
    """One session's page; whatever fails inside it shows as one line, not a traceback."""
    solara.Title(PAGE_TITLE)
    with Guarded("The page"):
        PageContent()


@solara.component
def PageContent():
    """The page's content (not named `Layout`: Solara takes a module's `Layout` for its app layout). The model lives in a reactive variable made here, so Reset
    replaces it for this session only, and this page sees the replacement."""
    first = solara.use_memo(lambda: AllianceModel(starting_scenario(), rng=DEFAULT_SEED), [])
    model = solara.use_reactive(first)
    controls = use_controls(first)
    chosen, seed = controls.scenario.value, controls.seed.value
    solara.use_effect(lambda: controls.show_scenario(chosen), [chosen])
    solara.use_effect(lambda: controls.keep_seed_valid(model.value.seed), [seed])
    # follows the controls at every render, so Reset builds AllianceModel(**what they show)
    arguments = solara.use_reactive(controls.model_arguments(model.value.seed))
    play_interval = solara.use_reactive(PLAY_INTERVAL_MS)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    with solara.Sidebar(), solara.Column():
        ControlPanel(controls)
        with solara.Card("Run"):
            ModelController(model, model_parameters=arguments, play_interval=play_interval,
                            render_interval=render_interval, use_threads=use_threads)
            RoundCounter(model.value)
    with Guarded("The views"):
        Dashboard(model.value)
