"""The chain of summits against the record: each summit's outcome, the 2015-2024 path the model
made on its own, and naive rules that use the same dated information (issue: history as a chain
of summits; the chain is `sim/engines/chain.py`).

The naive rules for a summit: "the Secretary General's proposal passes" (the capability targets'
cost at the summit's parameters, `capability_requirement`). For the path, from 2014's spending
alone: no change; every ally below 2% at 2% at once; every ally below 2% moving to 2% in equal
steps by 2024.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from sim.analysis import metrics
from sim.analysis.history import HagueRecord, VilniusRecord, WalesRecord
from sim.data.spending_record import load_spending_record
from sim.engines.chain import SUMMITS, History, StartingSpending, run_history, with_summits
from sim.model.requirement import capability_requirement
from sim.model.scenario import Scenario, load_scenario

VILNIUS_FLOOR_BAND = (1.8, 2.2)  # a floor this near the record's 2% counts as reproduced
CHAIN_MOST_RUNS = 0.8  # of the runs, for Vilnius's floor
CHAIN_AT_TWO_PERCENT = (20, 26)  # allies at 2% in 2024 (the record: 23)
FORECAST_BAND = (5, 95)  # percentiles of the 90% band over seeds


@dataclass(frozen=True)
class SummitCheck:
    """One summit of the chain over the runs: levels and deadlines are means over the runs with a
    deal, shares over all runs."""

    scenario: str
    record_core_pct: float
    record_deadline_year: int | None  # None for an enduring floor (Vilnius)
    deal_share: float
    core_pct: float
    core_range: tuple[float, float]  # lowest and highest over the runs with a deal
    deadline_year: float
    flexibility_share: dict[str, float]  # ally -> share of runs carried with a side letter
    proposal_passes_pct: float  # the naive rule: the Secretary General's proposal passes


@dataclass(frozen=True)
class ReviewCheck:
    """The last summit's review in the forecast (`chain.Review`): shares over all runs, the level
    and deadline as means over the runs that revised the path."""

    scenario: str
    year: int
    revised_share: float  # runs whose review agreed a new path; the others keep the summit's
    core_pct: float  # NaN where no run revised it
    deadline_year: float
    flexibility_share: dict[str, float]  # ally -> share of runs carried with a side letter


@dataclass(frozen=True)
class ChainCheck:
    """The chain against the record, over `runs` histories started from 2014 alone."""

    runs: int
    summits: list[SummitCheck]
    vilnius_floor_share: float  # runs whose Vilnius talks end in a floor within VILNIUS_FLOOR_BAND
    path: metrics.PathScore  # the chain's 2015-2024 path, each run scored, then averaged
    no_change: metrics.PathScore
    everyone_to_two: metrics.PathScore
    linear_to_two: metrics.PathScore
    at_two_percent_2024: float  # mean over runs
    # the path's error with each ally left out in turn (lowest, highest): how far one ally drives it
    leave_one_out_mae: tuple[float, float] = (float("nan"), float("nan"))
    # path[iso3][year] = {"mean", "p05", "p95"}: the chain's own years, 2014-2024 (the hindcast)
    path_bands: dict[str, dict[int, dict[str, float]]] = field(default_factory=dict)
    # forecast[iso3][year] = {"mean", "p05", "p95"}: the chain run from the record each summit knew
    forecast: dict[str, dict[int, dict[str, float]]] = field(default_factory=dict)
    review: ReviewCheck | None = None  # the forecast's review of the last summit, where one is held

    def naive_best_mae(self) -> float:
        return min(self.no_change.mae_pp, self.everyone_to_two.mae_pp, self.linear_to_two.mae_pp)


def check_chain(seeds, overrides: dict | None = None, forecast: bool = True) -> ChainCheck:
    """The chain over `seeds`, from 2014's spending and no pledge after 2014, against the record;
    with `forecast`, the forecast from the chain too (a second run of it, from the record)."""
    histories = run_history(seeds, overrides=overrides, review=None)  # the hindcast ends in 2024: no review to run
    record = WalesRecord()
    years = tuple(range(record.summit_year + 1, record.hindcast_year + 1))
    iso3 = histories[0].iso3
    spending = load_spending_record()
    actual = spending.path(iso3, years)
    start = spending.path(iso3, (record.summit_year,))[:, 0]
    paths = np.stack([history.spending_over(years) for history in histories])  # runs x allies x years
    scores = [metrics.path_score(path, actual, years) for path in paths]
    outcomes = with_summits(histories)
    forecasting = run_history(seeds, overrides=overrides, start=StartingSpending.RECORD) if forecast else []
    scenarios = {name: load_scenario(name) for name in SUMMITS}  # each file read once
    vilnius = outcomes.get(scenarios["vilnius2023"].name, [])
    low, high = VILNIUS_FLOOR_BAND
    return ChainCheck(
        runs=len(histories),
        summits=[summit_check(name, scenarios[name], outcomes[scenarios[name].name], overrides) for name in SUMMITS],
        vilnius_floor_share=float(np.mean([o.deal and low <= o.core_pct <= high for o in vilnius])) if vilnius else 0.0,
        path=metrics.PathScore(mae_pp=float(np.mean([s.mae_pp for s in scores])),
                               spearman=float(np.mean([s.spearman for s in scores])),
                               mae_by_year={year: float(np.mean([s.mae_by_year[year] for s in scores])) for year in years}),
        no_change=metrics.path_score(metrics.no_change_path(start, years), actual, years),
        everyone_to_two=metrics.path_score(metrics.everyone_to_two_percent_path(start, years), actual, years),
        linear_to_two=metrics.path_score(metrics.linear_to_two_percent_path(start, record.summit_year,
                                                                            record.hindcast_year, years), actual, years),
        at_two_percent_2024=float(np.mean([metrics.count_at_least(h.spending_in(record.hindcast_year))
                                           for h in histories])),
        leave_one_out_mae=leave_one_out(paths, actual),
        path_bands=band_table(histories, range(record.summit_year, record.hindcast_year + 1)),
        forecast=forecast_table(forecasting) if forecasting else {},
        review=review_check(forecasting),
    )


def review_check(histories: list[History]) -> ReviewCheck | None:
    """The review over the histories that held one (None if none did: no deal to review, or a
    deadline before the review's year)."""
    reviews = [history.review for history in histories if history.review is not None]
    if not reviews:
        return None
    revised = [review for review in reviews if review.deal]
    flexibility: dict[str, float] = {}
    for review in revised:
        for code in review.flexibility:
            flexibility[code] = flexibility.get(code, 0.0) + 1.0 / len(histories)
    return ReviewCheck(
        scenario=reviews[0].scenario, year=reviews[0].summit_year, revised_share=len(revised) / len(histories),
        core_pct=float(np.mean([r.core_pct for r in revised])) if revised else float("nan"),
        deadline_year=float(np.mean([r.deadline_year for r in revised])) if revised else float("nan"),
        flexibility_share=flexibility)


def leave_one_out(paths: np.ndarray, actual: np.ndarray) -> tuple[float, float]:
    """The path's mean absolute error over every ally-year but one ally's, for each ally with a
    record (averaged over runs): the lowest and the highest. A narrow range says no one ally
    makes the score."""
    errors = np.abs(paths - actual[None])  # runs x allies x years
    scored = ~np.isnan(errors)
    allies = [ally for ally in range(actual.shape[0]) if not np.all(np.isnan(actual[ally]))]
    maes = []
    for ally in allies:
        keep = np.ones(actual.shape[0], dtype=bool)
        keep[ally] = False
        per_run = [np.mean(errors[run][keep][scored[run][keep]]) for run in range(len(paths))]
        maes.append(float(np.mean(per_run)))
    return (min(maes), max(maes)) if maes else (float("nan"), float("nan"))


#: each summit's record: the level, and the deadline (None for an enduring floor)
RECORDED = MappingProxyType({
    "wales2014": (WalesRecord().level_pct, WalesRecord().summit_year + WalesRecord().horizon_years),
    "vilnius2023": (VilniusRecord().floor_pct, None),
    "hague2025": (HagueRecord().core_pct, HagueRecord().deadline_year)})


def summit_check(name: str, scenario: Scenario, outcomes, overrides: dict | None) -> SummitCheck:
    """A summit's outcomes over the runs against the record and "the Secretary General's
    proposal passes" (the capability targets' cost at the summit's parameters)."""
    deals = [o for o in outcomes if o.deal]
    flexibility: dict[str, float] = {}
    for outcome in deals:
        for code in outcome.flexibility:
            flexibility[code] = flexibility.get(code, 0.0) + 1.0 / len(outcomes)
    scenario = scenario.with_parameters(**overrides) if overrides else scenario
    core, deadline = RECORDED[name]
    levels = [o.core_pct for o in deals]
    return SummitCheck(
        scenario=scenario.name, record_core_pct=core, record_deadline_year=deadline,
        deal_share=len(deals) / len(outcomes),
        core_pct=float(np.mean(levels)) if deals else float("nan"),
        core_range=(min(levels), max(levels)) if deals else (float("nan"), float("nan")),
        deadline_year=float(np.mean([o.deadline_year for o in deals])) if deals else float("nan"),
        flexibility_share=flexibility,
        proposal_passes_pct=float(capability_requirement(scenario.params)))


def forecast_table(histories: list[History]) -> dict[str, dict[int, dict[str, float]]]:
    """Each ally's projected spending after the last summit of the chain, year by year to the
    deadline: the mean and the 90% band over the histories (forecast[iso3][year] = {"mean",
    "p05", "p95"}); a year past some runs' deadlines over the runs that reach it; Iceland, without
    armed forces, has no entry."""
    last_data_year = max(outcome.data_year for outcome in histories[0].summits)
    last_year = max(history.years[-1] for history in histories)
    return band_table(histories, range(last_data_year, last_year + 1))


def band_table(histories: list[History], years) -> dict[str, dict[int, dict[str, float]]]:
    """Each ally's spending in each of `years` over the histories: table[iso3][year] = {"mean",
    "p05", "p95"}, a year over the runs that reach it, an ally with no figure (Iceland) left out."""
    paths = np.stack([history.spending_over(years) for history in histories])  # runs x allies x years
    table: dict[str, dict[int, dict[str, float]]] = {}
    for ally, code in enumerate(histories[0].iso3):
        rows = {}
        for column, year in enumerate(years):
            values = paths[:, ally, column]
            values = values[~np.isnan(values)]
            if len(values):
                low, high = np.percentile(values, FORECAST_BAND)
                rows[int(year)] = {"mean": float(np.mean(values)), "p05": float(low), "p95": float(high)}
        if rows:
            table[code] = rows
    return table
