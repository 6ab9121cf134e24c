"""The validation report: the cases of `sim/analysis/validation.py` as a text table, and as a Markdown
report with its figures (predicted against actual 2024 spending, the projected paths, and a
quick Sobol' analysis).

Kept apart from the cases, which the calibration and the experiments import too: the report
only shows what the cases measured, so its layout can change without touching a number.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sim.analysis import metrics
from sim.data.loader import NO_FORCES, load_allies
from sim.analysis.chain_validation import ChainCheck
from sim.analysis.history import HagueRecord, WalesRecord
from sim.data.spending_record import load_spending_record
from sim.engines.model import AllianceModel
from sim.model.requirement import capability_requirement
from sim.model.scenario import load_scenario
from sim.analysis.validation import (
    HAWK_BY_YEAR,
    HAWK_LEVEL_PCT,
    Case,
    HindcastTargets,
    ProtocolResult,
    Validation,
    WalesResult,
    combined_errors,
)


def _f(value, digits=2) -> str:
    return "-" if value is None or (isinstance(value, float) and np.isnan(value)) else f"{value:.{digits}f}"


def _runs_note(wales: WalesResult, seeds) -> str:
    """Says so when some runs' paths end before the hindcast year and so go unscored."""
    return "" if wales.hindcast_runs == len(seeds) else f" ({wales.hindcast_runs} of {len(seeds)} runs)"


def _span(values, digits: int) -> str:
    """'low-high', or one number when they are the same at this precision."""
    low, high = f"{min(values):.{digits}f}", f"{max(values):.{digits}f}"
    return low if low == high else f"{low}-{high}"


def washington_rows(v: Validation) -> list[tuple[str, ...]]:
    """The Washington 2024 case: talks without US pressure, which set no new target."""
    if v.washington is None:
        return []
    wa = v.washington
    return [("Washington 2024 (no US pressure)", "record", "model", "", "", ""),
            ("new target above 2% (share of runs)", "no", _f(wa.new_target_share), "", "", ""),
            ("core level if a deal, % GDP", "2.0 reaffirmed", _f(wa.core_pct), "", "", ""),
            ("", "", "", "", "", "")]


def chain_rows(c: ChainCheck | None) -> list[tuple[str, ...]]:
    """The chain of summits from 2014 alone: each summit against the record and the Secretary
    General's proposal, and the path against the naive paths."""
    if c is None:
        return []
    rows = [(f"Chain 2014-2025 ({c.runs} runs, no pledge after 2014)", "record", "model", "SG proposal", "", "")]
    for summit in c.summits:
        record = f"{summit.record_core_pct:g}" + (f" by {summit.record_deadline_year}" if summit.record_deadline_year
                                                  else ", a floor")
        rows.append((f"{summit.scenario}: core, deadline", record,
                     f"{_f(summit.core_pct)} by {_f(summit.deadline_year, 1)} ({summit.deal_share:.0%} deals)",
                     _f(summit.proposal_passes_pct), "", ""))
    if c.review is not None:
        r = c.review
        rows.append((f"{r.scenario} (forecast): core, deadline", "after the record",
                     f"{_f(r.core_pct)} by {_f(r.deadline_year, 1)} ({r.revised_share:.0%} revised)", "", "", ""))
    rows += [("Vilnius floor within 1.8-2.2% (share of runs)", "yes", _f(c.vilnius_floor_share), "", "", ""),
             ("path 2015-2024", "", "model", "no change", "all to 2%", "2% in steps"),
             ("mean absolute error, pp", "", _f(c.path.mae_pp, 3), _f(c.no_change.mae_pp, 3),
              _f(c.everyone_to_two.mae_pp, 3), _f(c.linear_to_two.mae_pp, 3)),
             ("  leaving one ally out: lowest-highest", "", "-".join(_f(x, 3) for x in c.leave_one_out_mae),
              "", "", ""),
             ("allies at 2% in 2024", str(WalesRecord().allies_at_two_percent_2024), _f(c.at_two_percent_2024, 1),
              "", "", ""),
             ("", "", "", "", "", "")]
    return rows


def table_text(v: Validation) -> str:
    """The model against the record and the baselines, as a readable table."""
    h, w, hr, wr, targets = v.hague, v.wales, HagueRecord(), WalesRecord(), HindcastTargets()
    b, wb = h.baselines, w.baselines
    carried = ", ".join(f"{k} {s:.0%}" for k, s in sorted(h.flexibility_share.items(), key=lambda kv: -kv[1]))
    levels = [lv for lv, _ in h.hawk_openings.values()]
    deadlines = [dl for _, dl in h.hawk_openings.values()]
    hawks = (f"{'/'.join(h.hawk_openings)}: {_span(levels, 1)}% by {_span(deadlines, 0)}") if levels else "-"
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
        ("every ally signs, no side letter", "yes",
         _share(w.every_ally_signs_share) + "".join(f"; {k} {v:.0%}" for k, v in w.flexibility_share.items()),
         "", "", ""),
        ("", "", "", "", "", ""),
        *washington_rows(v),
        *chain_rows(v.chain),
        (f"2024 hindcast from 2014{_runs_note(w, v.seeds)}", "target", "model", "no change", "all to 2%", ""),
        ("mean absolute error, pp", f"<= {targets.mae_pp}", _f(w.hindcast.mae_pp, 3), _f(w.no_change.mae_pp, 3), _f(w.everyone_to_two.mae_pp, 3), ""),
        ("Spearman rank correlation", f">= {targets.spearman}", _f(w.hindcast.spearman, 3), _f(w.no_change.spearman, 3), _f(w.everyone_to_two.spearman, 3), ""),
        (f"allies at 2% (record {wr.allies_at_two_percent_2024})", "{} to {}".format(*targets.at_two_percent_range()), _f(w.hindcast.at_two_percent, 1), _f(w.no_change.at_two_percent, 0), _f(w.everyone_to_two.at_two_percent, 0), ""),
    ]
    if w.path is not None:
        rows += path_rows(w, v.seeds)
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
    text = aligned(rows)
    if v.protocols:  # its own block: one column per protocol, aligned on its own
        text += "\n\n" + aligned(protocol_rows(v.protocols, v.seeds))
    return text


def aligned(rows: list[tuple]) -> str:
    """Rows of cells as left-aligned columns, two spaces apart."""
    columns = max(len(r) for r in rows)
    rows = [tuple(r) + ("",) * (columns - len(r)) for r in rows]
    widths = [max(len(str(r[i])) for r in rows) for i in range(columns)]
    return "\n".join("  ".join(str(c).ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in rows)


def _share(value) -> str:
    return "-" if value is None or np.isnan(value) else f"{value:.0%}"


@dataclass(frozen=True)
class SecretaryGeneralProposal:
    """The outcome if the Secretary General's first draft passed as tabled: the level the
    capability targets in force cost (`requirement.capability_requirement`), which the mediator
    tables first (`mediator.draft_package`; Rutte, 14 February 2025), at each case's defaults.
    A one-shot benchmark beside the weighted mean, median and Nash: no bargaining at all."""

    hague_core_pct: float
    wales_level_pct: float

    @classmethod
    def at_defaults(cls) -> SecretaryGeneralProposal:
        return cls(hague_core_pct=float(capability_requirement(load_scenario("hague2025").params)),
                   wales_level_pct=float(capability_requirement(load_scenario("wales2014").params)))

    def level_error(self) -> float:
        """Absolute error on the Hague core level plus the Wales level, as `combined_errors`."""
        return (abs(self.hague_core_pct - HagueRecord().core_pct)
                + abs(self.wales_level_pct - WalesRecord().level_pct))


def protocol_rows(protocols: dict[str, ProtocolResult], seeds) -> list[tuple]:
    """Both cases under each protocol, one column per protocol: the outcome and the process
    against the record, and the level error against the one-shot baselines'."""
    results = list(protocols.values())
    hr, wr, targets = HagueRecord(), WalesRecord(), HindcastTargets()
    hawks = "/".join(sorted(hr.hawks))

    def row(label, record, cell):
        return (label, record, *(cell(r) for r in results))

    def errors(names):
        return lambda r: " / ".join(_f(r.combined_errors()[name], 3) for name in names)

    return [
        ("by protocol", "record", *(r.protocol for r in results)),
        ("Hague: deal (share of runs)", "yes", *(_f(r.hague.deal_share) for r in results)),
        row("Hague: core level, % GDP", f">= {hr.core_pct}", lambda r: _f(r.hague.core_pct)),
        row("Hague: deadline", str(hr.deadline_year), lambda r: _f(r.hague.deadline_year, 1)),
        row("Hague: first draft's deadline, seed 0 / mean", str(hr.draft_deadline_year),
            lambda r: f"{r.hague.first_draft_deadline} / {_f(r.hague.first_draft_deadline_mean, 1)}"),
        row("Hague: Spain side letter (share of runs)", "yes", lambda r: _share(r.hague.spain_flexibility_share)),
        row("Hague: Spain side letter or holding out", "yes", lambda r: _share(r.hague.spain_holdout_share)),
        row("Hague: Canada signs, no side letter", "yes", lambda r: _share(r.hague.canada_signing_share)),
        row(f"Hague: {hawks} open >= {HAWK_LEVEL_PCT:g}% by {HAWK_BY_YEAR}", "yes",
            lambda r: _share(r.hague.hawks_at_five_share)),
        row("Hague: rounds (mean; share ending in round 1)", "",
            lambda r: f"{_f(r.hague.mean_rounds, 1)}; {_share(r.hague.first_round_share)}"),
        row("Hague: concluded before the summit", "yes", lambda r: _share(r.hague.before_summit_share)),
        row("Wales: deal (share of runs)", "yes", lambda r: _f(r.wales.deal_share)),
        row("Wales: level, % GDP", _f(wr.level_pct, 1), lambda r: _f(r.wales.level_pct)),
        row("Wales: horizon, years", str(wr.horizon_years), lambda r: _f(r.wales.horizon_years, 1)),
        row("Wales: 2015-2024 path MAE, pp", "below the naive",
            lambda r: _f(r.wales.path.model.mae_pp if r.wales.path is not None else None, 3)
            + _runs_note(r.wales, seeds)),
        row("Wales: 2024 hindcast MAE / Spearman / at 2%",
            f"<={targets.mae_pp} / >={targets.spearman} / {wr.allies_at_two_percent_2024}",
            lambda r: f"{_f(r.wales.hindcast.mae_pp, 3)} / {_f(r.wales.hindcast.spearman, 3)} / "
                      f"{_f(r.wales.hindcast.at_two_percent, 1)}{_runs_note(r.wales, seeds)}"),
        row("level error, both cases, pp: model", "0", errors(["model"])),
        row("  one-shot: w. mean / w. median / Nash", "0", errors(["weighted_mean", "weighted_median", "nash"])),
        row("  one-shot: the Secretary General's first draft passes", "0",
            lambda r, error=SecretaryGeneralProposal.at_defaults().level_error(): _f(error, 3)),  # read once
        *fit_rows(results),
    ]


def fit_rows(results: list[ProtocolResult]) -> list[tuple]:
    """Each protocol under its own fits: on both cases (in sample), and on one case tested on
    the other (out of sample). A protocol not fitted shows "-"."""
    def fitted(case, cell):
        return lambda r: cell(r.fit(case)) if r.fit(case) is not None else "-"

    def row(label, record, cell):
        return (label, record, *(cell(r) for r in results))

    hr, targets = HagueRecord(), HindcastTargets()
    return [
        row("fitted on both: level error, pp", "0",
            fitted(Case.BOTH, lambda f: _f(combined_errors(f.hague, f.wales)["model"], 3))),
        row("fitted on both: Wales path MAE, pp", "below the naive",
            fitted(Case.BOTH, lambda f: _f(f.wales.path.model.mae_pp if f.wales.path else None, 3))),
        row("fitted on both: Hague core / deadline", f"{hr.core_pct} / {hr.deadline_year}",
            fitted(Case.BOTH, lambda f: f"{_f(f.hague.core_pct)} / {_f(f.hague.deadline_year, 1)}")),
        row("fitted on Hague: Wales path MAE, pp (out of sample)", "below the naive",
            fitted(Case.HAGUE, lambda f: _f(f.wales.path.model.mae_pp if f.wales.path else None, 3))),
        row("fitted on Hague: Wales 2024 MAE / Spearman (out of sample)",
            f"<={targets.mae_pp} / >={targets.spearman}",
            fitted(Case.HAGUE, lambda f: f"{_f(f.wales.hindcast.mae_pp, 3)} / {_f(f.wales.hindcast.spearman, 3)}")),
        row("fitted on Wales: Hague deal / core / deadline (out of sample)", f"yes / {hr.core_pct} / {hr.deadline_year}",
            fitted(Case.WALES, lambda f: f"{_f(f.hague.deal_share)} / {_f(f.hague.core_pct)} / "
                                      f"{_f(f.hague.deadline_year, 1)}")),
        row("fitted on Wales: Spain flagged / Canada signs (out of sample)", "yes / yes",
            fitted(Case.WALES, lambda f: f"{_share(f.hague.spain_holdout_share)} / {_share(f.hague.canada_signing_share)}")),
    ]


def path_rows(w: WalesResult, seeds) -> list[tuple]:
    """The 2015-2024 path, every ally-year, against the naive paths scored the same way."""
    path = w.path
    scores = (path.model, path.no_change, path.everyone_to_two, path.linear_to_two)
    rows = [("", "", "", "", "", ""),
            (f"2015-2024 path, every ally-year{_runs_note(w, seeds)}", "target", "model", "no change", "all to 2%",
             "to 2% in steps"),
            ("mean absolute error, pp", "below the naive", *(_f(s.mae_pp, 3) for s in scores)),
            ("Spearman rank correlation", "", *(_f(s.spearman, 3) for s in scores))]
    for year in path.model.mae_by_year:
        rows.append((f"  error in {year}, pp", "", *(_f(s.mae_by_year[year], 2) for s in scores)))
    return rows


SOBOL_BASE_SAMPLES = 256  # a quick analysis for the report; experiments/global_sensitivity.py runs the full one
SOBOL_REPLICATES = 4
SOBOL_SEED = 1966


def sobol_section(out: Path) -> tuple[str, list[Path]]:
    """Sobol' indices of the Hague outcomes (sim/analysis/sensitivity.py), table and figure."""
    from sim.analysis.sensitivity import Response, SensitivityProblem, ranked, sobol_analysis
    from sim.analysis.sensitivity_figure import sensitivity_figure

    scenario = load_scenario("hague2025")
    problem = SensitivityProblem.around(scenario.params).with_dummy()
    table = sobol_analysis(scenario, problem, SOBOL_BASE_SAMPLES, SOBOL_SEED, SOBOL_REPLICATES)
    figure = sensitivity_figure(table, out / "sobol_indices.png")
    data = out / "sobol_indices.parquet"
    table.to_parquet(data, index=False)
    lines = ["## Global sensitivity (Hague 2025)", "",
             (f"Sobol' indices with SALib over the batch engine: {SOBOL_BASE_SAMPLES} base samples x "
              f"{SOBOL_REPLICATES} seeds, each parameter within +-30% of its value (a quick version of "
              "`experiments/global_sensitivity.py`; see docs/sensitivity.md). Total-order index ST, top three; "
              "an index at or below the dummy factor's ST plus its 95% interval (the dummy is sampled "
              "like a parameter but changes nothing) cannot be told from noise and is marked so:"), ""]
    for response in Response:
        lines.append(f"- {response.label}: " + sobol_line(ranked(table, response)))
    return "\n".join(lines) + "\n\n![Sobol indices](sobol_indices.png)\n", [Path(figure), data]


def sobol_line(rows, top: int = 3) -> str:
    """One outcome's top parameters by ST, those not above the dummy's ST + interval marked
    "noise", then the dummy's own value and how many parameters are noise, e.g.
    'a 0.41, b 0.03 (noise); dummy 0.02 +- 0.01, so noise up to 0.03: 5 of 9 parameters ...'."""
    from sim.analysis.sensitivity import DUMMY

    dummy = rows[rows["parameter"] == DUMMY]
    floor = float((dummy["ST"] + dummy["ST_conf"]).iloc[0]) if len(dummy) else None
    shown = rows[rows["parameter"] != DUMMY].head(top)
    parts = [f"{r.parameter} {r.ST:.2f}" + (" (noise)" if floor is not None and r.ST <= floor else "")
             for r in shown.itertuples()]
    text = ", ".join(parts) or "no parameters"
    if floor is None:
        return text + " (no dummy factor: noise not measured)"
    d = dummy.iloc[0]
    factors = rows[rows["parameter"] != DUMMY]
    noise = int((factors["ST"] <= floor).sum())
    return (f"{text}; dummy {d['ST']:.2f} +- {d['ST_conf']:.2f}, so noise up to {floor:.2f}: "
            f"{noise} of {len(factors)} parameters cannot be told from noise")


def write_report(v: Validation, out: Path, sensitivity: bool = True) -> list[Path]:
    """Markdown report and figures: predicted against actual 2024 spending, trajectories, and
    (unless `sensitivity` is off) Sobol' indices."""
    out.mkdir(parents=True, exist_ok=True)
    scatter = hindcast_figure(v, out / "hindcast_2024.png")
    trajectories = trajectories_figure(v, out / "hindcast_trajectories.png")
    sobol_text, sobol_paths = sobol_section(out) if sensitivity else ("", [])
    report = out / "validation.md"
    report.write_text(report_markdown(v, sobol_text), encoding="utf-8")
    data = out / "validation.json"
    data.write_text(json.dumps(v.to_dict(), indent=2, default=float, allow_nan=False), encoding="utf-8")
    return [report, data, scatter, trajectories, *sobol_paths]


def report_markdown(v: Validation, sobol_text: str) -> str:
    """The report's text: the table, then the figures it links (written beside it)."""
    return ("# Validation against the record\n\n"
            f"Seeds {v.seeds[0]}..{v.seeds[-1]}; means over runs (levels and deadlines over runs with a deal).\n"
            "Produced by `alliance-sim validate --out DIR`.\n\n```\n" + table_text(v) + "\n```\n\n"
            "![Hindcast](hindcast_2024.png)\n\n![Trajectories](hindcast_trajectories.png)\n\n" + sobol_text)


def hindcast_figure(v: Validation, path: Path) -> Path:
    """Each ally's predicted 2024 spending against the actual, beside the naive all-to-2%
    hindcast, so the scatter shows which allies the model misses and by how much."""
    plt = _pyplot()
    facts = load_allies()
    actual, start = facts.spending_2024_pct, facts.spending_2014_pct
    predicted = np.array(v.wales.predicted_2024)
    fig, ax = plt.subplots(figsize=(6.5, 6))
    for values, label, marker in ((predicted, "model (seed 0)", "o"),
                                  (metrics.everyone_to_two_percent_hindcast(start), "naive: all to 2%", "x")):
        ax.scatter(actual, values, label=label, marker=marker, alpha=0.8)
    top = np.nanmax([np.nanmax(actual), np.nanmax(predicted)]) + 0.3
    ax.plot([0, top], [0, top], color="0.5", lw=1, ls="--", label="perfect")
    ax.set_xlabel("actual 2024 spending, % of GDP (NATO estimate, June 2024)")
    ax.set_ylabel("predicted 2024 spending from 2014, % of GDP")
    ax.set_title("Wales hindcast: each ally's 2024 spending\n"
                 f"(labelled: the model's misses larger than {LABEL_MISS_PP} pp)", fontsize=11)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    missed = [(code, a, p) for code, a, p in zip(facts.iso3, actual, predicted)
              if not (np.isnan(a) or np.isnan(p)) and abs(p - a) > LABEL_MISS_PP]
    label_points(ax, missed)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


LABEL_MISS_PP = 0.3  # the hindcast scatter names the allies the model misses by more than this
# Where a label may sit around its point (points right/up of it first), tried in this order.
LABEL_OFFSETS = ((3, 2), (3, -9), (-3, 2), (-3, -9), (3, 10), (-3, 10), (3, -17), (-3, -17), (8, 18), (8, -25))


def label_points(ax, points) -> None:
    """Name each point (code, x, y) beside it where the name overlaps no name already placed,
    no marker and no legend: each label tries the offsets of LABEL_OFFSETS in turn, the largest
    misses first; one that finds no free place is drawn with a thin leader line at the last."""
    renderer = ax.figure.canvas.get_renderer()
    legend = ax.get_legend()
    taken = [legend.get_window_extent(renderer)] if legend is not None else []
    markers = [ax.transData.transform((x, y)) for collection in ax.collections
               for x, y in collection.get_offsets() if np.isfinite(x) and np.isfinite(y)]
    for code, x, y in sorted(points, key=lambda point: -abs(point[2] - point[1])):
        for i, (dx, dy) in enumerate(LABEL_OFFSETS):
            last = i == len(LABEL_OFFSETS) - 1
            label = ax.annotate(code, (x, y), fontsize=7, xytext=(dx, dy), textcoords="offset points",
                                ha="left" if dx >= 0 else "right",
                                arrowprops={"arrowstyle": "-", "color": "0.5", "lw": 0.5} if last else None)
            box = label.get_window_extent(renderer).expanded(1.05, 1.1)
            clear = not any(box.overlaps(other) for other in taken) and not any(
                box.contains(*marker) for marker in markers)
            if clear or last:
                taken.append(box)
                break
            label.remove()


def trajectories_figure(v: Validation, path: Path) -> Path:
    """Each ally's projected path from 2014 (one run, the first seed) over NATO's own series,
    so the shape of the path is seen, not only where it ends in 2024."""
    plt = _pyplot()
    outcome = AllianceModel("wales2014", rng=v.seeds[0]).run()
    record = load_spending_record()
    series = {code: dict(zip(record.years, row)) for code, row in zip(record.iso3, record.pct)}
    fig, axes = plt.subplots(4, 8, figsize=(16, 8), sharex=True, sharey=True)
    for ax, ally in zip(axes.flat, outcome.allies):
        if ally.trajectory:
            ax.plot(list(ally.trajectory), list(ally.trajectory.values()), color="tab:blue", label="model")
        if ally.iso3 in series:
            ax.plot(*zip(*sorted(series[ally.iso3].items())), color="black", lw=1, label="NATO")
        if not ally.trajectory and ally.iso3 not in series:  # an empty panel says why
            ax.text(0.5, 0.5, "no armed forces" if ally.iso3 in NO_FORCES else "no data", transform=ax.transAxes, ha="center", va="center",
                    fontsize=7, color="0.4")
        ax.axhline(2.0, color="0.7", lw=0.6, ls=":")
        ax.set_title(ally.iso3, fontsize=8)
        ax.tick_params(labelsize=6)
    axes.flat[0].legend(fontsize=6)
    fig.supxlabel("year")
    fig.supylabel("defence spending, % of GDP")
    fig.suptitle("Wales 2014: projected paths (model, seed 0; 2022 invasion as an exogenous event) and NATO's figures")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _pyplot():
    """pyplot on the file-only backend, so the report is written on machines with no display."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
