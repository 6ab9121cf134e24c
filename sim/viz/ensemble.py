"""Across many runs: the distribution behind the one run the page shows.

The model is stochastic, so one run is one draw. After each Reset (or a change of the number
of runs) the panel runs the same scenario and levers over seeds 0..N-1 on the batch engine
(`sim.engines.batch.run_batch`, which gives what the model gives, run for run) and shows the deal
probability, the spread of the core level and of the deadline, per ally the chance of holding
out, of a side letter and of keeping the pledge, and how the deal and its level move with US
pressure. The single run stays where it is, marked on the histograms once its talks end.

The numbers shown are plain functions of a `BatchResult` (tested in tests/test_viz_ensemble.py);
the component only runs them off the page's thread (`solara.lab.use_task`) and draws them.
Nothing is computed at import: every session's ensemble lives in its own hooks.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from enum import StrEnum

import altair as alt
import numpy as np
import pandas as pd
import solara
import solara.lab

from sim.engines.batch import run_batch
from sim.engines.outcome import BatchResult
from sim.model.parameters import parameter_fields
from sim.model.scenario import load_scenario
from sim.viz.cartogram import EMBED_OPTIONS, TILES
from sim.viz.controls import LEVERS
from sim.viz.errors import log_failure, short_error
from sim.viz.vegalite import AltairChart

DEFAULT_RUNS = 500
RUN_CHOICES = (100, 200, 500, 1000, 2000, 5000)
CURVE_POINTS = 21  # US pressure from its lowest to its highest value
CURVE_SEEDS = 50  # runs per point of the curve
CORE_BINS = 20  # about as many bins in the core level's histogram
NICE_STEPS_PP = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)  # the bins' widths on offer, percentage points
Z_95 = 1.959963984540054  # the normal quantile of a two-sided 95% interval
TILE_PX = 34  # smaller than the main map's tiles: this grid sits beside the histograms
SMALL_WIDTH, SMALL_HEIGHT = 170, 100
THIS_RUN_COLOUR = "#c62828"
NOT_AT_TABLE_COLOUR = "#f0f0f0"


# --- what the ensemble runs ------------------------------------------------------------------------

def ensemble_levers(model) -> dict:
    """The levers `model` was built with, as the page's controls hold them: the keyword
    arguments Reset passed (`Controls.model_arguments`) without the scenario and the seed.
    Read off the model, so moving a slider after Reset does not change what the panel shows."""
    return {lever.name: lever.shown(model.params) for lever in LEVERS}


def pressure_grid(points: int = CURVE_POINTS) -> np.ndarray:
    """`points` values of US pressure, evenly spaced over the range the model allows."""
    meta = parameter_fields()["us_pressure"].metadata
    return np.round(np.linspace(meta["low"], meta["high"], points), 10)


@dataclass(frozen=True, eq=False)
class Ensemble:
    """One computation: N runs at the levers, and the pressure curve around them."""

    scenario: str
    levers: dict
    result: BatchResult  # seeds 0..N-1, with per-ally arrays
    curve: pd.DataFrame  # pressure_curve's frame
    seconds: float  # wall time of the N runs (the curve not included)

    @property
    def runs(self) -> int:
        return len(self.result)


def compute_ensemble(scenario: str, levers: dict, runs: int, curve_points: int = CURVE_POINTS,
                     curve_seeds: int = CURVE_SEEDS) -> Ensemble:
    """Run seeds 0..runs-1 at `levers`, and `curve_seeds` seeds at each of `curve_points` US pressures."""
    base = load_scenario(scenario)
    start = time.perf_counter()
    result = run_batch(base, [levers] * runs, range(runs), per_ally=True)
    seconds = time.perf_counter() - start
    grid = pressure_grid(curve_points)
    pressures = np.repeat(grid, curve_seeds)
    sweep = run_batch(base, [{**levers, "us_pressure": float(p)} for p in pressures],
                      list(range(curve_seeds)) * curve_points)
    return Ensemble(scenario=scenario, levers=dict(levers), result=result,
                    curve=pressure_curve(pressures, sweep), seconds=seconds)


# --- the numbers shown (pure functions of a BatchResult) ------------------------------------------

@dataclass(frozen=True)
class Share:
    """`count` of `runs`, with its 95% Wilson score interval (Wilson 1927)."""

    count: int
    runs: int

    @property
    def value(self) -> float:
        return self.count / self.runs if self.runs else math.nan

    @property
    def interval(self) -> tuple[float, float]:
        if not self.runs:
            return math.nan, math.nan
        n, p, z2 = self.runs, self.value, Z_95 ** 2
        centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        half = Z_95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
        return max(0.0, centre - half), min(1.0, centre + half)

    def sentence(self) -> str:
        low, high = self.interval
        return (f"Deal in {self.value:.0%} of {self.runs} runs "
                f"({self.count} of {self.runs}; 95% interval {low:.0%} to {high:.0%})")


def deal_probability(result: BatchResult) -> Share:
    return Share(int(np.sum(result.deal)), len(result))


def bin_width(levels: np.ndarray, bins: int = CORE_BINS) -> float:
    """The narrowest of NICE_STEPS_PP that covers `levels` in at most about `bins` bins."""
    spread = float(np.max(levels) - np.min(levels)) if len(levels) else 0.0
    return next((step for step in NICE_STEPS_PP if step * bins >= spread), NICE_STEPS_PP[-1])


def core_histogram(result: BatchResult, width: float | None = None) -> pd.DataFrame:
    """The agreed core level in runs with a deal: one row per bin [start, end) holding runs;
    the bins' width is `bin_width`'s unless given."""
    levels = result.core_target_pct[result.deal]
    if not len(levels):
        return pd.DataFrame({"start": [], "end": [], "runs": []})
    width = width or bin_width(levels)
    index = np.floor(np.round(levels / width, 9)).astype(int)
    bins, counts = np.unique(index, return_counts=True)
    return pd.DataFrame({"start": np.round(bins * width, 10), "end": np.round((bins + 1) * width, 10),
                         "runs": counts})


def deadline_histogram(result: BatchResult) -> pd.DataFrame:
    """The agreed deadline year in runs with a deal: one row per year, with its runs."""
    years, counts = np.unique(result.deadline_year[result.deal].astype(int), return_counts=True)
    return pd.DataFrame({"year": years, "runs": counts})


def keeps_pledge(result: BatchResult) -> np.ndarray:
    """(runs x allies) which allies keep the pledge: the engines' own on-track flag
    (`sim.engines.outcome.measure`: a deal, no side letter, the core level reached by the deadline)."""
    if result.allies is None:
        raise ValueError("keeps_pledge needs per-ally results: run_batch(..., per_ally=True)")
    return result.allies.on_track


class AllyMeasure(StrEnum):
    """What the ally tiles show; the values are the selector's labels."""

    HOLDS_OUT = "holds out"
    SIDE_LETTER = "side letter"
    KEEPS = "keeps the pledge"


MEASURE_SCHEMES = {AllyMeasure.HOLDS_OUT: "reds", AllyMeasure.SIDE_LETTER: "purples", AllyMeasure.KEEPS: "greens"}


def ally_shares(result: BatchResult) -> pd.DataFrame:
    """Per ally (in `result.iso3` order), the share of all runs in which it holds out against
    the last draft, gets a side letter, and keeps the pledge. An ally without armed forces
    (Iceland) has nothing to spend: NaN for keeping the pledge."""
    spending = result.allies.spending_at_end() if result.allies is not None else None
    kept = keeps_pledge(result)
    no_forces = np.all(np.isnan(spending), axis=0)
    return pd.DataFrame({
        "iso3": list(result.iso3),
        str(AllyMeasure.HOLDS_OUT): result.holdouts.mean(axis=0),
        str(AllyMeasure.SIDE_LETTER): result.flexibility.mean(axis=0),
        str(AllyMeasure.KEEPS): np.where(no_forces, np.nan, kept.mean(axis=0)),
    })


def pressure_curve(pressures: np.ndarray, result: BatchResult) -> pd.DataFrame:
    """Per US pressure (run i at `pressures[i]`): the runs, the deal probability and the mean
    core level of the runs with a deal (NaN where none has one)."""
    frame = pd.DataFrame({"us_pressure": np.asarray(pressures, dtype=float), "deal": result.deal,
                          "core": np.where(result.deal, result.core_target_pct, np.nan)})
    grouped = frame.groupby("us_pressure", sort=True)
    return pd.DataFrame({"runs": grouped["deal"].size(), "deal_probability": grouped["deal"].mean(),
                         "core_pct": grouped["core"].mean()}).reset_index()


@dataclass(frozen=True)
class ThisRun:
    """The single run the page shows, once its talks have ended, to mark on the histograms."""

    deal: bool
    core_pct: float | None
    deadline_year: int | None


def this_run(model) -> ThisRun | None:
    """The page's run as the histograms mark it; None while its talks go on."""
    if model.running:
        return None
    package = model.package
    if not model.deal or package is None:
        return ThisRun(False, None, None)
    return ThisRun(True, float(package.core_pct), int(package.deadline_year))


# --- the charts -------------------------------------------------------------------------------------

def _title(text: str) -> alt.Title:
    return alt.Title(text, fontSize=12, anchor="start")


def _with_mark(chart: alt.Chart, value: float | None) -> alt.Chart | alt.LayerChart:
    if value is None:
        return chart
    rule = alt.Chart(pd.DataFrame({"x": [value]})).mark_rule(color=THIS_RUN_COLOUR, strokeWidth=2).encode(x="x:Q")
    return alt.layer(chart, rule)


def histograms_chart(result: BatchResult, run: ThisRun | None) -> alt.HConcatChart:
    """The core level and the deadline over the runs with a deal; this run's values in red."""
    deals = int(np.sum(result.deal))
    core = core_histogram(result)
    # with no deal there is nothing to bin: fixed, empty axes, or Vega warns of an infinite extent
    empty_x = {} if deals else {"scale": alt.Scale(domain=[0, 1])}
    empty_y = {} if deals else {"scale": alt.Scale(domain=[0, 1])}
    core_chart = alt.Chart(core, title=_title(f"Core level (% of GDP), {deals} deals")).mark_bar(
        color="#4c78a8").encode(
        x=alt.X("start:Q", title=None, bin="binned", axis=alt.Axis(format=".2f"), **empty_x), x2="end:Q",
        y=alt.Y("runs:Q", title="runs", **empty_y),
        tooltip=[alt.Tooltip("start:Q", format=".2f", title="from"), alt.Tooltip("end:Q", format=".2f", title="to"),
                 "runs:Q"]).properties(width=SMALL_WIDTH, height=SMALL_HEIGHT)
    years = deadline_histogram(result).assign(start=lambda f: f["year"] - 0.4, end=lambda f: f["year"] + 0.4)
    marked = run if run is not None and run.deal else None
    shown = [*years["year"], *([marked.deadline_year] if marked else [])]
    span = [min(shown) - 1.5, max(shown) + 1.5] if shown else [0, 1]  # a lone year is a bar, not the whole width
    deadline_chart = alt.Chart(years, title=_title("Deadline (year)")).mark_rect(color="#72b7b2").encode(
        x=alt.X("start:Q", title=None, axis=alt.Axis(format="d", tickMinStep=1),
                scale=alt.Scale(domain=span, nice=False)),
        x2="end:Q", y=alt.Y("runs:Q", title=None, **empty_y), y2=alt.datum(0), tooltip=["year:Q", "runs:Q"]).properties(
        width=SMALL_WIDTH, height=SMALL_HEIGHT)
    return alt.hconcat(_with_mark(core_chart, marked and marked.core_pct),
                       _with_mark(deadline_chart, marked and marked.deadline_year), spacing=16).properties(
        usermeta={"embedOptions": EMBED_OPTIONS})


def pressure_chart(curve: pd.DataFrame, current: float) -> alt.HConcatChart:
    """Deal probability and mean core level against US pressure; the current pressure in red."""
    x = alt.X("us_pressure:Q", title="US pressure", scale=alt.Scale(domain=[0, 1]))
    seeds = int(curve["runs"].iloc[0]) if len(curve) else 0
    base = alt.Chart(curve).mark_line(point=alt.OverlayMarkDef(size=16)).properties(
        width=SMALL_WIDTH, height=SMALL_HEIGHT)
    tooltip = [alt.Tooltip("us_pressure:Q", format=".2f"), alt.Tooltip("deal_probability:Q", format=".0%"),
               alt.Tooltip("core_pct:Q", format=".2f", title="core % GDP")]
    deal = base.encode(x=x, y=alt.Y("deal_probability:Q", title=None, axis=alt.Axis(format="%"),
                                    scale=alt.Scale(domain=[0, 1])), tooltip=tooltip).properties(
        title=_title(f"Deal probability ({seeds} seeds a point)"))
    # with no deal at any pressure there is no level to plot: fixed, empty axes, or Vega warns of an
    # infinite extent
    any_deal = bool(np.isfinite(curve["core_pct"].to_numpy(dtype=float)).any()) if len(curve) else False
    core_scale = alt.Scale(zero=False) if any_deal else alt.Scale(domain=[0, 1])
    core = base.transform_filter("isValid(datum.core_pct)").encode(
        x=x, y=alt.Y("core_pct:Q", title=None, scale=core_scale), tooltip=tooltip).properties(
        title=_title("Core level of the deals (mean, %)"))
    return alt.hconcat(_with_mark(deal, current), _with_mark(core, current), spacing=16).properties(
        usermeta={"embedOptions": EMBED_OPTIONS})


def ally_grid_chart(shares: pd.DataFrame, measure: AllyMeasure, absent: frozenset[str] = frozenset()) -> alt.LayerChart:
    """The allies on the map's tile layout (`cartogram.TILES`), coloured by the share of runs in
    which each `measure`s; faded: not at the table; grey: nothing to show (no armed forces)."""
    places = {tile.iso3: tile for tile in TILES}
    frame = shares.assign(col=[places[code].col for code in shares["iso3"]],
                          row=[places[code].row for code in shares["iso3"]],
                          share=shares[str(measure)],
                          at_table=[code not in absent for code in shares["iso3"]])
    frame["label"] = [("-" if math.isnan(value) else f"{value:.0%}") for value in frame["share"]]
    cols, rows = max(t.col for t in TILES) + 1, max(t.row for t in TILES) + 1
    x_scale, y_scale = alt.Scale(domain=[0, cols]), alt.Scale(domain=[rows, 0])
    tooltip = [alt.Tooltip("iso3:N", title="ally")] + [alt.Tooltip(f"{m}:Q", format=".0%") for m in AllyMeasure]
    base = alt.Chart(frame).transform_calculate(col_end="datum.col + 0.92", row_end="datum.row + 0.92").encode(
        x=alt.X("col:Q", scale=x_scale, axis=None), x2="col_end:Q",
        y=alt.Y("row:Q", scale=y_scale, axis=None), y2="row_end:Q", tooltip=tooltip)
    empty = base.mark_rect(color=NOT_AT_TABLE_COLOUR)
    fill = base.transform_filter("isValid(datum.share)").mark_rect().encode(
        color=alt.Color("share:Q", title=f"share of runs: {measure}",
                        scale=alt.Scale(scheme=MEASURE_SCHEMES[measure], domain=[0, 1]),
                        legend=alt.Legend(orient="bottom", format="%", gradientLength=180, titleLimit=260)),
        opacity=alt.condition(alt.datum.at_table, alt.value(1.0), alt.value(0.3)))
    text = alt.Chart(frame).transform_calculate(cx="datum.col + 0.46", cy="datum.row + 0.46").encode(
        x=alt.X("cx:Q", scale=x_scale, axis=None), y=alt.Y("cy:Q", scale=y_scale, axis=None),
        color=alt.condition("isValid(datum.share) && datum.share > 0.55", alt.value("#ffffff"), alt.value("#222222")),
        tooltip=tooltip)
    iso3 = text.mark_text(fontWeight="bold", fontSize=9, dy=-5).encode(text="iso3:N")
    share = text.mark_text(fontSize=8, dy=6).encode(text="label:N")
    return alt.layer(empty, fill, iso3, share).properties(
        width=cols * TILE_PX, height=rows * TILE_PX, usermeta={"embedOptions": EMBED_OPTIONS},
    ).configure_view(strokeWidth=0)


def levers_line(scenario: str, levers: dict, runs: int) -> str:
    """What the ensemble holds fixed, in words."""
    def word(value) -> str:
        return ("yes" if value else "no") if isinstance(value, bool) else str(value)

    shown = ", ".join(f"{lever.label} {word(levers[lever.name])}" for lever in LEVERS)
    return f"{scenario}: {shown}; seeds 0 to {runs - 1}."


# --- the panel ---------------------------------------------------------------------------------------

@solara.component
def EnsembleView(ensemble: Ensemble, run: ThisRun | None, current_pressure: float, absent: frozenset[str]):
    """The computed ensemble: the deal probability, the histograms, the allies and the curve."""
    measure = solara.use_reactive(AllyMeasure.HOLDS_OUT)
    result = ensemble.result
    histograms = solara.use_memo(lambda: histograms_chart(result, run), [ensemble, run])
    curve = solara.use_memo(lambda: pressure_chart(ensemble.curve, current_pressure), [ensemble, current_pressure])
    shares = solara.use_memo(lambda: ally_shares(result), [ensemble])
    grid = solara.use_memo(lambda: ally_grid_chart(shares, measure.value, absent), [shares, measure.value, absent])
    solara.Text(deal_probability(result).sentence(), classes=["alliance-ensemble-deal"],
                style={"font-size": "15px", "font-weight": "500"})
    solara.Text(f"{levers_line(ensemble.scenario, ensemble.levers, ensemble.runs)} "
                f"{ensemble.runs} runs took {ensemble.seconds:.2f} s.", style={"font-size": "12px", "color": "#666"})
    with solara.Columns([1, 1]):
        with solara.Column(gap="4px"):
            with solara.Div(classes=["alliance-ensemble-histograms"]):
                AltairChart(histograms)
            solara.Text("Red line: this run's deal, once its talks end.",
                        style={"font-size": "12px", "color": "#666"})
            with solara.Div(classes=["alliance-ensemble-pressure"]):
                AltairChart(curve)
            solara.Text(f"The same levers at {CURVE_POINTS} US pressures; red line: the pressure now.",
                        style={"font-size": "12px", "color": "#666"})
        with solara.Column(gap="4px", classes=["alliance-ensemble-allies"]):
            solara.ToggleButtonsSingle(value=measure, values=list(AllyMeasure), dense=True)
            AltairChart(grid)
            solara.Text("Share of all runs, per ally. Holds out: rejects the last draft. Keeps the pledge: a deal, "
                        "no side letter, and at the core level by the deadline. Faded: not at the table.",
                        style={"font-size": "12px", "color": "#666"})


@solara.component
def EnsemblePanel(model, run: ThisRun | None = None):
    """N runs at the levers `model` was built with, computed in a thread after each Reset (a new
    `model`) or a change of N; not on slider moves, not on steps (this component does not follow
    Mesa's update counter: `run` tells it when the talks end)."""
    runs = solara.use_reactive(DEFAULT_RUNS)
    scenario, levers = model.scenario_name, ensemble_levers(model)
    absent = solara.use_memo(lambda: frozenset(a.facts.iso3 for a in model.allies if not a.facts.votes), [model])
    n = runs.value
    task = solara.lab.use_task(lambda: compute_ensemble(scenario, levers, n), dependencies=[model, n],
                               raise_error=False)
    failure = task.exception if task.error else None
    solara.use_effect(lambda: log_failure("The ensemble", failure), [failure])
    with solara.Column(classes=["alliance-ensemble"], gap="6px"):
        with solara.Row(style={"align-items": "center"}):
            solara.Select("Runs", value=runs, values=list(RUN_CHOICES), style={"max-width": "120px"})
            solara.Text("the same scenario and levers as the run above, seeds 0 to N-1; recomputed on Reset",
                        style={"font-size": "12px", "color": "#666"})
        if task.pending or task.not_called:
            solara.Text(f"computing {n} runs…", classes=["alliance-ensemble-pending"])
            solara.ProgressLinear(True)
        elif task.error:
            solara.Error(short_error("The ensemble", task.exception))
        elif task.finished and task.value is not None:
            EnsembleView(task.value, run, model.params.us_pressure, absent)
