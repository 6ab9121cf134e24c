"""Checking the model against history: the Hague 2025 and Wales 2014 cases, the hindcast of
2024 spending from 2014, the one-shot baselines, and the parameters fitted on one case
tested on the other.

Every figure is computed over several seeds with the batch engine; the record is in
`sim/analysis/history.py` and the 2024 spending estimates in the allies' data. The default protocol
gives the headline results; every protocol (`sim.model.parameters.Protocol`) is also run on both
cases, side by side (`Validation.protocols`). The table and the Markdown report are in
`sim/analysis/validation_report.py`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from pathlib import Path

import numpy as np

from sim.analysis import metrics
from sim.analysis.chain_validation import ChainCheck, check_chain
from sim.engines.batch import run_batch
from sim.data.loader import load_allies
from sim.analysis.history import HagueRecord, WalesRecord, WashingtonRecord
from sim.data.spending_record import load_spending_record
from sim.engines.model import AllianceModel
from sim.engines.outcome import Baselines, without_nan
from sim.model.parameters import NegotiationProtocol, Parameters
from sim.model.scenario import load_scenario

CALIBRATION_DIR = Path(__file__).resolve().parents[2] / "configs" / "calibration"
DEFAULT_SEEDS = tuple(range(10))


class Case(StrEnum):
    """What a fit was scored on (`experiments/calibrate.py --case`)."""

    HAGUE = "hague"
    WALES = "wales"
    BOTH = "both"


@dataclass(frozen=True)
class HagueResult:
    deal_share: float
    core_pct: float  # means over the runs with a deal
    total_pct: float
    deadline_year: float
    first_draft_deadline: int  # seed 0
    spain_flexibility_share: float
    flexibility_share: dict[str, float]  # ally -> share of runs carried with a side letter
    hawk_openings: dict[str, tuple[float, float]]  # ally -> (level, deadline), seed 0
    baselines: Baselines  # means over runs
    # the process, over every run (NaN when not measured):
    first_draft_deadline_mean: float = float("nan")  # the first draft's (or proposal's) deadline
    spain_holdout_share: float = float("nan")  # Spain given flexibility or still holding out at the end
    canada_signing_share: float = float("nan")  # a deal that Canada accepts without a side letter
    hawks_at_five_share: float = float("nan")  # front-line openings at >= 5% by 2030 or earlier
    mean_rounds: float = float("nan")  # rounds the talks take
    first_round_share: float = float("nan")  # runs that end in the first round
    before_summit_share: float = float("nan")  # runs concluded before the last round (the summit)


@dataclass(frozen=True)
class WashingtonResult:
    """The Washington 2024 case: how often the talks without US pressure set a new target."""

    deal_share: float
    new_target_share: float  # runs agreeing a core level above the reaffirmed 2% (the record: none)
    core_pct: float  # mean over the runs with a deal (NaN if none)


@dataclass(frozen=True)
class Hindcast:
    mae_pp: float
    spearman: float
    at_two_percent: float


@dataclass(frozen=True)
class HindcastTargets:
    """What the 2024 hindcast must reach, set before the model was checked against it."""

    mae_pp: float = 0.35
    spearman: float = 0.7
    at_two_percent_within: int = 3  # of the record's count

    def at_two_percent_range(self) -> tuple[int, int]:
        record = WalesRecord().allies_at_two_percent_2024
        return record - self.at_two_percent_within, record + self.at_two_percent_within

    def met_by(self, hindcast: Hindcast) -> bool:
        low, high = self.at_two_percent_range()
        return (hindcast.mae_pp <= self.mae_pp and hindcast.spearman >= self.spearman
                and low <= hindcast.at_two_percent <= high)

    def describe(self) -> str:
        low, high = self.at_two_percent_range()
        return f"MAE at most {self.mae_pp} pp, Spearman at least {self.spearman}, {low} to {high} allies at 2%"


@dataclass(frozen=True)
class HagueTargets:
    """What the Hague case must show: the package near the record and Spain flagged."""

    core_within_pct: float = 0.25
    deadline_within_years: float = 2.0
    spain_flexibility_share: float = 0.5  # Spain carried in at least this share of runs

    def met_by(self, result: HagueResult) -> bool:
        record = HagueRecord()
        return bool(abs(result.core_pct - record.core_pct) <= self.core_within_pct
                    and abs(result.deadline_year - record.deadline_year) <= self.deadline_within_years
                    and result.spain_flexibility_share >= self.spain_flexibility_share)


@dataclass(frozen=True)
class PathHindcast:
    """The 2015-2024 path from 2014 data, scored over every ally-year: the model (means over
    the runs whose paths reach the hindcast year) and the naive paths scored the same way."""

    model: metrics.PathScore
    no_change: metrics.PathScore
    everyone_to_two: metrics.PathScore  # below 2% jumps to 2% at once
    linear_to_two: metrics.PathScore  # below 2% moves to 2% in equal steps by 2024

    def naive_best_mae(self) -> float:
        return min(self.no_change.mae_pp, self.everyone_to_two.mae_pp, self.linear_to_two.mae_pp)


@dataclass(frozen=True)
class WalesResult:
    deal_share: float
    level_pct: float
    horizon_years: float
    baselines: Baselines  # means over runs
    hindcast: Hindcast  # means over the runs that reach the hindcast year
    hindcast_runs: int  # runs whose projection reaches the hindcast year (a path ends at its deadline)
    no_change: Hindcast
    everyone_to_two: Hindcast
    predicted_2024: list[float]  # seed 0, per ally in data order (NaN for Iceland)
    mean_predicted_2024: list[float]  # mean over the runs, per ally in data order
    path: PathHindcast | None = None
    every_ally_signs_share: float = float("nan")  # runs with a deal and no side letter (the record: every ally signed)
    flexibility_share: dict[str, float] = field(default_factory=dict)  # ally -> share of runs carried with a side letter


@dataclass(frozen=True)
class CrossFit:
    """Parameters fitted on one case, scored on both; and how many of that case's best fits
    meet the other case's targets (is a miss a fluke of the best fit, or what the case allows?)."""

    fitted_on: Case
    hague: HagueResult
    wales: WalesResult
    ensemble_size: int = 0
    ensemble_passing: int = 0  # of the best fits, those that meet the other case's targets

    @property
    def other_case(self) -> str:
        return Case.WALES if self.fitted_on == Case.HAGUE else Case.HAGUE


def combined_errors(hague: HagueResult, wales: WalesResult) -> dict[str, float]:
    """Absolute error on the Hague core level plus the Wales level, model against each baseline."""
    hague_record, wales_record = HagueRecord(), WalesRecord()
    errors = {"model": abs(hague.core_pct - hague_record.core_pct) + abs(wales.level_pct - wales_record.level_pct)}
    for name, predicted in asdict(hague.baselines).items():
        errors[name] = (abs(predicted - hague_record.core_pct)
                        + abs(getattr(wales.baselines, name) - wales_record.level_pct))
    return errors


@dataclass(frozen=True)
class ProtocolResult:
    """Both cases run under one protocol, everything else at its default; and, where the
    protocol has been fitted (`experiments/calibrate.py --protocol`), both cases under its fits
    on both cases together (`fitted_on = "both"`, in sample) and on each case alone (tested on
    the other, out of sample)."""

    protocol: str
    hague: HagueResult
    wales: WalesResult
    fits: list[CrossFit] = field(default_factory=list)
    chain: ChainCheck | None = None  # the chain of summits under this protocol

    def fit(self, fitted_on: Case) -> CrossFit | None:
        return next((fit for fit in self.fits if fit.fitted_on == fitted_on), None)

    def combined_errors(self) -> dict[str, float]:
        return combined_errors(self.hague, self.wales)


@dataclass(frozen=True)
class Validation:
    seeds: tuple[int, ...]
    hague: HagueResult
    wales: WalesResult
    cross: list[CrossFit] = field(default_factory=list)
    # forecast[iso3][year] = {"mean", "p05", "p95"}: projected core spending, % of GDP, from the
    # chain of summits (`chain_validation.forecast_table`)
    forecast: dict[str, dict[int, dict[str, float]]] = field(default_factory=dict)
    # protocol name -> both cases under that protocol (the default protocol's equal `hague` and `wales`)
    protocols: dict[str, ProtocolResult] = field(default_factory=dict)
    washington: WashingtonResult | None = None
    chain: ChainCheck | None = None  # Wales 2014 -> Vilnius 2023 -> the Hague 2025 as one history

    def combined_errors(self) -> dict[str, float]:
        """Absolute error on the Hague core level plus the Wales level, model against each baseline."""
        return combined_errors(self.hague, self.wales)

    def to_dict(self) -> dict:
        """A JSON-ready dict: NaN (a case without a deal) becomes None."""
        data = asdict(self)
        data["combined_errors"] = self.combined_errors()
        for name, result in self.protocols.items():
            data["protocols"][name]["combined_errors"] = result.combined_errors()
        return without_nan(data)


def _baselines(result) -> Baselines:
    return Baselines(weighted_mean=float(np.mean(result.baseline_weighted_mean)),
                     weighted_median=float(np.mean(result.baseline_weighted_median)),
                     nash=float(np.mean(result.baseline_nash)))


def mean_with_deal(values, deal) -> float:
    """The mean over the runs with a deal (NaN if none had one)."""
    return float(np.mean(values[deal])) if deal.any() else float("nan")


HAWK_LEVEL_PCT = 5.0  # the front-line allies asked for "5% quickly" (HagueRecord.hawks):
HAWK_BY_YEAR = 2030  # at least this level, by this year or earlier


def _ally_share(result, code: str, mask: np.ndarray) -> float:
    """The share of runs where `mask` (runs x allies) holds for the ally `code` (NaN if absent)."""
    if code not in result.iso3 or not len(result):
        return float("nan")
    return float(mask[:, list(result.iso3).index(code)].mean())


def first_rounds(overrides: dict, seeds) -> tuple[list[float], list[dict[str, tuple[float, float]]]]:
    """Each run's first draft's (or first proposal's) deadline, and the front-line allies'
    openings (level, deadline), from the Mesa model stepped once per seed."""
    hawks = HagueRecord().hawks
    deadlines, openings = [], []
    for seed in seeds:
        model = AllianceModel("hague2025", rng=seed, **overrides)
        openings.append({a.facts.iso3: (a.initial_position_pct, a.initial_deadline_position)
                         for a in model.allies if a.facts.iso3 in hawks})
        model.step()
        deadlines.append(float(model.draft.deadline_year))
    return deadlines, openings


def hague_case(overrides: dict, seeds) -> HagueResult:
    seeds = list(seeds)
    scenario = load_scenario("hague2025")
    result = run_batch(scenario, [overrides] * len(seeds), seeds)
    deal = result.deal.astype(bool)
    carried = dict(zip(result.iso3, result.flexibility.mean(axis=0))) if len(result) else {}
    deadlines, openings = first_rounds(overrides, seeds)
    hawk_openings = [level >= HAWK_LEVEL_PCT and deadline <= HAWK_BY_YEAR
                     for run in openings for level, deadline in run.values()]
    side_letter = result.flexibility.astype(bool)
    return HagueResult(
        deal_share=float(deal.mean()),
        core_pct=mean_with_deal(result.core_target_pct, deal),
        total_pct=mean_with_deal(result.core_target_pct + result.related_target_pct, deal),
        deadline_year=mean_with_deal(result.deadline_year, deal),
        first_draft_deadline=int(deadlines[0]),
        spain_flexibility_share=float(carried.get("ESP", np.nan)),
        flexibility_share={code: float(share) for code, share in sorted(carried.items()) if share > 0},
        hawk_openings=openings[0],
        baselines=_baselines(result),
        first_draft_deadline_mean=float(np.mean(deadlines)),
        spain_holdout_share=_ally_share(result, "ESP", side_letter | result.holdouts.astype(bool)),
        canada_signing_share=_ally_share(result, "CAN", deal[:, None] & ~side_letter),
        hawks_at_five_share=float(np.mean(hawk_openings)) if hawk_openings else float("nan"),
        mean_rounds=float(np.mean(result.rounds)),
        first_round_share=float(np.mean(result.rounds == 1)),
        before_summit_share=float(np.mean(result.rounds < scenario.with_parameters(**overrides).params.max_rounds)),
    )


NEW_TARGET_MARGIN_PCT = 0.05  # a deal this far above the reaffirmed floor counts as a new target


def washington_case(overrides: dict, seeds) -> WashingtonResult:
    result = run_batch(load_scenario("washington2024"), [overrides] * len(seeds), list(seeds))
    deal = result.deal.astype(bool)
    new_target = deal & (np.nan_to_num(result.core_target_pct) > WashingtonRecord().floor_pct + NEW_TARGET_MARGIN_PCT)
    return WashingtonResult(deal_share=float(deal.mean()), new_target_share=float(new_target.mean()),
                            core_pct=mean_with_deal(result.core_target_pct, deal))


def _hindcast(predicted: np.ndarray, actual: np.ndarray) -> Hindcast:
    return Hindcast(mae_pp=metrics.mean_absolute_error(predicted, actual),
                    spearman=metrics.spearman(predicted, actual),
                    at_two_percent=float(metrics.count_at_least(predicted)))


def _mean_of(values) -> float:
    """The mean of the defined values, NaN (without a warning) if there are none."""
    defined = [v for v in values if not np.isnan(v)]
    return float(np.mean(defined)) if defined else float("nan")


def mean_over_runs(values: np.ndarray) -> np.ndarray:
    """Mean over runs per ally, NaN (without a warning) for an ally with no value in any run."""
    counts = np.sum(~np.isnan(values), axis=0)
    return np.where(counts > 0, np.nansum(values, axis=0) / np.maximum(counts, 1), np.nan)


def wales_case(overrides: dict, seeds) -> WalesResult:
    record = WalesRecord()
    facts = load_allies()
    actual, start = facts.spending_2024_pct, facts.spending_2014_pct
    result = run_batch(load_scenario("wales2014"), [overrides] * len(seeds), list(seeds), per_ally=True)
    deal = result.deal.astype(bool)
    predicted = result.allies.spending_in(record.hindcast_year)
    scored = [run for run, row in enumerate(predicted) if not np.all(np.isnan(row))]  # some paths end before 2024
    runs = [_hindcast(predicted[run], actual) for run in scored]
    return WalesResult(
        deal_share=float(deal.mean()),
        level_pct=mean_with_deal(result.core_target_pct, deal),
        horizon_years=mean_with_deal(result.deadline_year - record.summit_year, deal),
        baselines=_baselines(result),
        hindcast=Hindcast(mae_pp=_mean_of(h.mae_pp for h in runs), spearman=_mean_of(h.spearman for h in runs),
                          at_two_percent=_mean_of(h.at_two_percent for h in runs)),
        hindcast_runs=len(runs),
        no_change=_hindcast(metrics.no_change_hindcast(start), actual),
        everyone_to_two=_hindcast(metrics.everyone_to_two_percent_hindcast(start), actual),
        predicted_2024=[float(v) for v in predicted[0]],
        mean_predicted_2024=[float(v) for v in mean_over_runs(predicted)],
        path=path_hindcast(result, scored, facts.iso3, start),
        every_ally_signs_share=float(np.mean(deal & ~result.flexibility.astype(bool).any(axis=1))),
        flexibility_share={code: float(share) for code, share in zip(result.iso3, result.flexibility.mean(axis=0))
                           if share > 0},
    )


def path_hindcast(result, scored: list[int], iso3, start) -> PathHindcast:
    """Every ally-year from the year after the summit to the hindcast year, against NATO's
    June 2024 series; each run scored on its own, then averaged."""
    record = WalesRecord()
    years = tuple(range(record.summit_year + 1, record.hindcast_year + 1))
    actual = load_spending_record().path(iso3, years)
    paths = result.allies.spending_over(years)
    scores = [metrics.path_score(paths[run], actual, years) for run in scored]
    model = metrics.PathScore(mae_pp=_mean_of(s.mae_pp for s in scores), spearman=_mean_of(s.spearman for s in scores),
                              mae_by_year={year: _mean_of(s.mae_by_year[year] for s in scores) for year in years})
    return PathHindcast(
        model=model,
        no_change=metrics.path_score(metrics.no_change_path(start, years), actual, years),
        everyone_to_two=metrics.path_score(metrics.everyone_to_two_percent_path(start, years), actual, years),
        linear_to_two=metrics.path_score(metrics.linear_to_two_percent_path(
            start, record.summit_year, record.hindcast_year, years), actual, years),
    )


def calibration_file(case: Case | str, protocol: NegotiationProtocol | str = NegotiationProtocol.MEDIATOR) -> Path:
    """Where `experiments/calibrate.py` keeps a fit: `<case>.json` under the default protocol,
    `<case>-<protocol>.json` under another."""
    protocol = NegotiationProtocol(protocol)
    return CALIBRATION_DIR / (f"{case}.json" if protocol is NegotiationProtocol.MEDIATOR else f"{case}-{protocol}.json")


def _calibration(case: Case | str, protocol: NegotiationProtocol | str = NegotiationProtocol.MEDIATOR) -> dict | None:
    path = calibration_file(case, protocol)
    return json.loads(path.read_text()) if path.is_file() else None


def fitted_parameters(case: Case | str, protocol: NegotiationProtocol | str = NegotiationProtocol.MEDIATOR) -> dict | None:
    fit = _calibration(case, protocol)
    return fit["parameters"] if fit else None


def fitted_ensemble(case: Case | str) -> list[dict]:
    """The calibration's best fits on `case` (experiments/calibrate.py), best first."""
    fit = _calibration(case)
    return [member["parameters"] for member in fit.get("ensemble", [])] if fit else []


def meets_other_case(fitted_on: Case, overrides: dict, seeds) -> bool:
    """Whether parameters fitted on one case meet the other case's targets."""
    if fitted_on == Case.HAGUE:
        return HindcastTargets().met_by(wales_case(overrides, seeds).hindcast)
    return HagueTargets().met_by(hague_case(overrides, seeds))


def validate(seeds=DEFAULT_SEEDS) -> Validation:
    seeds = tuple(seeds)
    cross = []
    for case in (Case.HAGUE, Case.WALES):
        fitted = fitted_parameters(case)
        if fitted is not None:
            ensemble = fitted_ensemble(case)
            cross.append(CrossFit(fitted_on=case, hague=hague_case(fitted, seeds), wales=wales_case(fitted, seeds),
                                  ensemble_size=len(ensemble),
                                  ensemble_passing=sum(meets_other_case(case, member, seeds) for member in ensemble)))
    chain = check_chain(seeds)
    return Validation(seeds=seeds, hague=hague_case({}, seeds), wales=wales_case({}, seeds), cross=cross,
                      forecast=chain.forecast, protocols=by_protocol(seeds, chain),
                      washington=washington_case({}, seeds), chain=chain)


def by_protocol(seeds, default_chain: ChainCheck | None = None) -> dict[str, ProtocolResult]:
    """Both cases under each protocol, every other parameter at its default, and the chain of
    summits; and both cases under each of the protocol's own fits (on both cases, on the Hague
    alone, on Wales alone). `default_chain`, the chain at the defaults where the caller has it,
    serves the default protocol."""
    results = {}
    for protocol in NegotiationProtocol:
        overrides = {"protocol": protocol.value}
        fits = []
        for case in (Case.BOTH, Case.HAGUE, Case.WALES):
            fitted = fitted_parameters(case, protocol)
            if fitted is not None:
                values = {**fitted, **overrides}
                fits.append(CrossFit(fitted_on=case, hague=hague_case(values, seeds), wales=wales_case(values, seeds)))
        results[protocol.value] = ProtocolResult(protocol=protocol.value, hague=hague_case(overrides, seeds),
                                                 wales=wales_case(overrides, seeds), fits=fits,
                                                 chain=default_chain if default_chain is not None
                                                 and protocol is Parameters().protocol
                                                 else check_chain(seeds, overrides, forecast=False))
    return results
