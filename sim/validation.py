"""Checking the model against history: the Hague 2025 and Wales 2014 cases, the hindcast of
2024 spending from 2014, the one-shot baselines, and the parameters fitted on one case
tested on the other.

Every figure is computed over several seeds with the batch engine; the record is in
`sim/history.py` and the 2024 spending estimates in the allies' data.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from sim import metrics
from sim.batch import run_batch
from sim.data.loader import load_allies
from sim.history import HagueRecord, WalesRecord
from sim.model import AllianceModel
from sim.outcome import Baselines, without_nan
from sim.scenario import load_scenario

CALIBRATION_DIR = Path(__file__).resolve().parent.parent / "configs" / "calibration"
DEFAULT_SEEDS = tuple(range(10))


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


@dataclass(frozen=True)
class CrossFit:
    """Parameters fitted on one case, scored on both; and how many of that case's best fits
    meet the other case's targets (is a miss a fluke of the best fit, or what the case allows?)."""

    fitted_on: str
    hague: HagueResult
    wales: WalesResult
    ensemble_size: int = 0
    ensemble_passing: int = 0  # of the best fits, those that meet the other case's targets

    @property
    def other_case(self) -> str:
        return "wales" if self.fitted_on == "hague" else "hague"


@dataclass(frozen=True)
class Validation:
    seeds: tuple[int, ...]
    hague: HagueResult
    wales: WalesResult
    cross: list[CrossFit] = field(default_factory=list)

    def combined_errors(self) -> dict[str, float]:
        """Absolute error on the Hague core level plus the Wales level, model against each baseline."""
        hague, wales = HagueRecord(), WalesRecord()
        errors = {"model": abs(self.hague.core_pct - hague.core_pct) + abs(self.wales.level_pct - wales.level_pct)}
        for name, predicted in asdict(self.hague.baselines).items():
            errors[name] = abs(predicted - hague.core_pct) + abs(getattr(self.wales.baselines, name) - wales.level_pct)
        return errors

    def to_dict(self) -> dict:
        """A JSON-ready dict: NaN (a case without a deal) becomes None."""
        data = asdict(self)
        data["combined_errors"] = self.combined_errors()
        return without_nan(data)


def _baselines(result) -> Baselines:
    return Baselines(weighted_mean=float(np.mean(result.baseline_weighted_mean)),
                     weighted_median=float(np.mean(result.baseline_weighted_median)),
                     nash=float(np.mean(result.baseline_nash)))


def mean_with_deal(values, deal) -> float:
    """The mean over the runs with a deal (NaN if none had one)."""
    return float(np.mean(values[deal])) if deal.any() else float("nan")


def hague_case(overrides: dict, seeds) -> HagueResult:
    record = HagueRecord()
    result = run_batch(load_scenario("hague2025"), [overrides] * len(seeds), list(seeds))
    deal = result.deal.astype(bool)
    carried = [set(f.split(";")) - {""} for f in result.flexibility]
    codes = sorted(set().union(*carried)) if carried else []
    model = AllianceModel("hague2025", rng=seeds[0], **overrides)
    openings = {a.profile.iso3: (a.initial_position_pct, a.initial_deadline_position)
                for a in model.allies if a.profile.iso3 in record.hawks}
    model.step()
    return HagueResult(
        deal_share=float(deal.mean()),
        core_pct=mean_with_deal(result.core_target_pct, deal),
        total_pct=mean_with_deal(result.core_target_pct + result.related_target_pct, deal),
        deadline_year=mean_with_deal(result.deadline_year.astype(float), deal),
        first_draft_deadline=int(model.draft.deadline_year),
        spain_flexibility_share=float(np.mean(["ESP" in c for c in carried])),
        flexibility_share={code: float(np.mean([code in c for c in carried])) for code in codes},
        hawk_openings=openings,
        baselines=_baselines(result),
    )


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
    runs = [_hindcast(row, actual) for row in predicted if not np.all(np.isnan(row))]  # some paths end before 2024
    return WalesResult(
        deal_share=float(deal.mean()),
        level_pct=mean_with_deal(result.core_target_pct, deal),
        horizon_years=mean_with_deal(result.deadline_year.astype(float) - record.summit_year, deal),
        baselines=_baselines(result),
        hindcast=Hindcast(mae_pp=_mean_of(h.mae_pp for h in runs), spearman=_mean_of(h.spearman for h in runs),
                          at_two_percent=_mean_of(h.at_two_percent for h in runs)),
        hindcast_runs=len(runs),
        no_change=_hindcast(metrics.no_change_hindcast(start), actual),
        everyone_to_two=_hindcast(metrics.everyone_to_two_percent_hindcast(start), actual),
        predicted_2024=[float(v) for v in predicted[0]],
        mean_predicted_2024=[float(v) for v in mean_over_runs(predicted)],
    )


def _calibration(case: str) -> dict | None:
    path = CALIBRATION_DIR / f"{case}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def fitted_parameters(case: str) -> dict | None:
    fit = _calibration(case)
    return fit["parameters"] if fit else None


def fitted_ensemble(case: str) -> list[dict]:
    """The calibration's best fits on `case` (experiments/calibrate.py), best first."""
    fit = _calibration(case)
    return [member["parameters"] for member in fit.get("ensemble", [])] if fit else []


def meets_other_case(fitted_on: str, overrides: dict, seeds) -> bool:
    """Whether parameters fitted on one case meet the other case's targets."""
    if fitted_on == "hague":
        return HindcastTargets().met_by(wales_case(overrides, seeds).hindcast)
    return HagueTargets().met_by(hague_case(overrides, seeds))


def validate(seeds=DEFAULT_SEEDS) -> Validation:
    seeds = tuple(seeds)
    cross = []
    for case in ("hague", "wales"):
        fitted = fitted_parameters(case)
        if fitted is not None:
            ensemble = fitted_ensemble(case)
            cross.append(CrossFit(fitted_on=case, hague=hague_case(fitted, seeds), wales=wales_case(fitted, seeds),
                                  ensemble_size=len(ensemble),
                                  ensemble_passing=sum(meets_other_case(case, member, seeds) for member in ensemble)))
    return Validation(seeds=seeds, hague=hague_case({}, seeds), wales=wales_case({}, seeds), cross=cross)


# --- presentation --------------------------------------------------------------------------------

def _f(value, digits=2) -> str:
    return "-" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.{digits}f}"


def _runs_note(wales: WalesResult, seeds) -> str:
    """Says so when some runs' paths end before the hindcast year and so go unscored."""
    return "" if wales.hindcast_runs == len(seeds) else f" ({wales.hindcast_runs} of {len(seeds)} runs)"


def table_text(v: Validation) -> str:
    """The model against the record and the baselines, as a readable table."""
    h, w, hr, wr, targets = v.hague, v.wales, HagueRecord(), WalesRecord(), HindcastTargets()
    b, wb = h.baselines, w.baselines
    carried = ", ".join(f"{k} {s:.0%}" for k, s in sorted(h.flexibility_share.items(), key=lambda kv: -kv[1]))
    levels = [lv for lv, _ in h.hawk_openings.values()]
    deadlines = [dl for _, dl in h.hawk_openings.values()]
    hawks = (f"{'/'.join(h.hawk_openings)}: {min(levels):.1f}-{max(levels):.1f}% by "
             f"{min(deadlines):.0f}-{max(deadlines):.0f}") if levels else "-"
    rows = [
        ("Hague 2025", "record", "model", "w. mean", "w. median", "Nash"),
        ("deal (share of runs)", "yes", _f(h.deal_share), "", "", ""),
        ("core level, % GDP", f">= {hr.core_pct}", _f(h.core_pct), _f(b.weighted_mean), _f(b.weighted_median), _f(b.nash)),
        ("total with related, % GDP", _f(hr.total_pct, 1), _f(h.total_pct), "", "", ""),
        ("deadline", str(hr.deadline_year), _f(h.deadline_year, 1), "", "", ""),
        ("first draft's deadline", str(hr.draft_deadline_year), str(h.first_draft_deadline), "", "", ""),
        ("Spain given flexibility", "yes", f"{h.spain_flexibility_share:.0%} of runs", "", "", ""),
        ("flexibility (share of runs)", "ESP; asked: SVK, BEL", carried or "none", "", "", ""),
        ("eastern hawks' openings", "5% quickly", hawks, "", "", ""),
        ("", "", "", "", "", ""),
        ("Wales 2014", "record", "model", "w. mean", "w. median", "Nash"),
        ("deal (share of runs)", "yes", _f(w.deal_share), "", "", ""),
        ("level, % GDP", _f(wr.level_pct, 1), _f(w.level_pct), _f(wb.weighted_mean), _f(wb.weighted_median), _f(wb.nash)),
        ("horizon, years", str(wr.horizon_years), _f(w.horizon_years, 1), "", "", ""),
        ("", "", "", "", "", ""),
        (f"2024 hindcast from 2014{_runs_note(w, v.seeds)}", "target", "model", "no change", "all to 2%", ""),
        ("mean absolute error, pp", f"<= {targets.mae_pp}", _f(w.hindcast.mae_pp, 3), _f(w.no_change.mae_pp, 3), _f(w.everyone_to_two.mae_pp, 3), ""),
        ("Spearman rank correlation", f">= {targets.spearman}", _f(w.hindcast.spearman, 3), _f(w.no_change.spearman, 3), _f(w.everyone_to_two.spearman, 3), ""),
        (f"allies at 2% (record {wr.allies_at_two_percent_2024})", "{} to {}".format(*targets.at_two_percent_range()), _f(w.hindcast.at_two_percent, 1), _f(w.no_change.at_two_percent, 0), _f(w.everyone_to_two.at_two_percent, 0), ""),
    ]
    errors = v.combined_errors()
    rows += [("", "", "", "", "", ""),
             ("level error, both cases, pp", "0", _f(errors["model"], 3), _f(errors["weighted_mean"], 3),
              _f(errors["weighted_median"], 3), _f(errors["nash"], 3))]
    for fit in v.cross:
        other = fit.other_case.capitalize()
        rows += [("", "", "", "", "", ""),
                 (f"fitted on {fit.fitted_on} only", "record", "model", "", "", ""),
                 ("Hague deal (share of runs)", "yes", f"{fit.hague.deal_share:.2f}", "", "", ""),
                 ("Hague core / deadline", "3.5 / 2035", f"{_f(fit.hague.core_pct)} / {_f(fit.hague.deadline_year, 1)}", "", "", ""),
                 ("Hague: Spain flexibility", "yes", f"{fit.hague.spain_flexibility_share:.0%}", "", "", ""),
                 ("Wales level / horizon", "2.0 / 10", f"{_f(fit.wales.level_pct)} / {_f(fit.wales.horizon_years, 1)}", "", "", ""),
                 (f"Wales hindcast MAE / Spearman / at 2%{_runs_note(fit.wales, v.seeds)}",
                  f"<={targets.mae_pp} / >={targets.spearman} / {wr.allies_at_two_percent_2024}",
                  f"{_f(fit.wales.hindcast.mae_pp, 3)} / {_f(fit.wales.hindcast.spearman, 3)} / {_f(fit.wales.hindcast.at_two_percent, 1)}",
                  "", "", ""),
                 (f"(out of sample: {other})", "", "", "", "", "")]
        if fit.ensemble_size:
            rows.append((f"{other} targets met by the best fits", "", f"{fit.ensemble_passing} of {fit.ensemble_size}",
                         "", "", ""))
    widths = [max(len(str(r[i])) for r in rows) for i in range(6)]
    return "\n".join("  ".join(str(c).ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in rows)


SOBOL_BASE_SAMPLES = 256  # a quick analysis for the report; experiments/sensitivity.py runs the full one
SOBOL_REPLICATES = 4
SOBOL_SEED = 1966


def sobol_section(out: Path) -> tuple[str, list[Path]]:
    """Sobol' indices of the Hague outcomes (sim/sensitivity.py), table and figure."""
    from sim.sensitivity import Response, SensitivityProblem, ranked, sensitivity_figure, sobol_analysis

    scenario = load_scenario("hague2025")
    problem = SensitivityProblem.around(scenario.params).with_dummy()
    table = sobol_analysis(scenario, problem, SOBOL_BASE_SAMPLES, SOBOL_SEED, SOBOL_REPLICATES)
    figure = sensitivity_figure(table, out / "sobol_indices.png")
    data = out / "sobol_indices.parquet"
    table.to_parquet(data, index=False)
    lines = ["## Global sensitivity (Hague 2025)", "",
             f"Sobol' indices with SALib over the batch engine: {SOBOL_BASE_SAMPLES} base samples x "
             f"{SOBOL_REPLICATES} seeds, each parameter within +-30% of its value (a quick version of "
             "`experiments/sensitivity.py`; see docs/sensitivity.md). Total-order index ST, top three:", ""]
    for response in Response:
        top = ranked(table, response).head(3)
        lines.append(f"- {response.label}: " + ", ".join(f"{r.parameter} {r.ST:.2f}" for r in top.itertuples()))
    return "\n".join(lines) + "\n\n![Sobol indices](sobol_indices.png)\n", [Path(figure), data]


def write_report(v: Validation, out: Path, sensitivity: bool = True) -> list[Path]:
    """Markdown report and figures: predicted against actual 2024 spending, trajectories, and
    (unless `sensitivity` is off) Sobol' indices."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    facts = load_allies()
    actual, start = facts.spending_2024_pct, facts.spending_2014_pct
    predicted = np.array(v.wales.predicted_2024)

    scatter = out / "hindcast_2024.png"
    fig, ax = plt.subplots(figsize=(6.5, 6))
    for values, label, marker in ((predicted, "model (seed 0)", "o"),
                                  (metrics.everyone_to_two_percent_hindcast(start), "naive: all to 2%", "x")):
        ax.scatter(actual, values, label=label, marker=marker, alpha=0.8)
    for code, a, p in zip(facts.iso3, actual, predicted):
        if not np.isnan(a):
            ax.annotate(code, (a, p), fontsize=7, xytext=(3, 2), textcoords="offset points")
    top = np.nanmax([np.nanmax(actual), np.nanmax(predicted)]) + 0.3
    ax.plot([0, top], [0, top], color="0.5", lw=1, ls="--", label="perfect")
    ax.set_xlabel("actual 2024 spending, % of GDP (NATO estimate, June 2024)")
    ax.set_ylabel("predicted 2024 spending from 2014, % of GDP")
    ax.set_title("Wales hindcast: each ally's 2024 spending")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(scatter, dpi=110)
    plt.close(fig)

    trajectories = out / "hindcast_trajectories.png"
    outcome = AllianceModel("wales2014", rng=v.seeds[0]).run()
    series = _nato_series()
    fig, axes = plt.subplots(4, 8, figsize=(16, 8), sharex=True, sharey=True)
    for ax, ally in zip(axes.flat, outcome.allies):
        if ally.trajectory:
            ax.plot(list(ally.trajectory), list(ally.trajectory.values()), color="tab:blue", label="model")
        if ally.iso3 in series:
            ax.plot(*zip(*sorted(series[ally.iso3].items())), color="black", lw=1, label="NATO")
        ax.axhline(2.0, color="0.7", lw=0.6, ls=":")
        ax.set_title(ally.iso3, fontsize=8)
        ax.tick_params(labelsize=6)
    axes.flat[0].legend(fontsize=6)
    fig.supxlabel("year")
    fig.supylabel("defence spending, % of GDP")
    fig.suptitle("Wales 2014: projected paths (model, seed 0; 2022 invasion as an exogenous event) and NATO's figures")
    fig.tight_layout()
    fig.savefig(trajectories, dpi=100)
    plt.close(fig)

    sobol_text, sobol_paths = sobol_section(out) if sensitivity else ("", [])
    report = out / "validation.md"
    report.write_text(
        "# Validation against the record\n\n"
        f"Seeds {v.seeds[0]}..{v.seeds[-1]}; means over runs (levels and deadlines over runs with a deal).\n"
        "Produced by `alliance-sim validate --out DIR`.\n\n```\n" + table_text(v) + "\n```\n\n"
        "![Hindcast](hindcast_2024.png)\n\n![Trajectories](hindcast_trajectories.png)\n\n" + sobol_text,
        encoding="utf-8")
    data = out / "validation.json"
    data.write_text(json.dumps(v.to_dict(), indent=2, default=float, allow_nan=False), encoding="utf-8")
    return [report, data, scatter, trajectories, *sobol_paths]


def _nato_series() -> dict[str, dict[int, float]]:
    """NATO's June 2024 series per ally (for plotting only; the model never reads it)."""
    import csv
    from importlib import resources

    path = Path(str(resources.files("sim.data").joinpath("defence_spending_2014_2024.csv")))
    series: dict[str, dict[int, float]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["vintage"] == "NATO_JUN2024" and row["defence_pct_gdp"]:
                series.setdefault(row["iso3"], {})[int(row["year"])] = float(row["defence_pct_gdp"])
    return series
