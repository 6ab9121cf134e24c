"""The README's "Checked against history" blocks, written from one validation (`sim.analysis.validation.
validate`, what `alliance-sim validate --json` prints): the record against the model with a verdict
per pattern, the one-shot baselines, the 2015-2024 path, the misses, and the protocols side by side."""

from __future__ import annotations

from scripts.readme_prose import counted, joined, missing, number, pct, share, table
from scripts.record_checks import BASELINE_NAMES, Check, record_checks
from sim.analysis.history import HagueRecord, WalesRecord
from sim.analysis.validation import Case, CrossFit, HindcastTargets, ProtocolResult, Validation, combined_errors
from sim.analysis.validation_report import SecretaryGeneralProposal
from sim.model.parameters import Parameters


def seeds_label(v: Validation) -> str:
    return f"seed {v.seeds[0]}" if len(v.seeds) == 1 else f"seeds {v.seeds[0]}-{v.seeds[-1]}"


def validation_table(v: Validation) -> str:
    """Every pattern of the record with its target, the model's value and the verdict."""
    checks = record_checks(v)
    judged = [check for check in checks if check.met is not None]
    met = sum(check.met for check in judged)
    rows = [(check.pattern, check.record, check.target, check.model, check.verdict) for check in checks]
    return (f"{met} of {len(judged)} patterns met ({seeds_label(v)}; levels and deadlines are means over the runs "
            f"with a deal):\n\n"
            + table(("pattern", "record", "target", f"model ({len(v.seeds)} seeds)", "verdict"), rows))


def baselines_table(v: Validation) -> str:
    """The model's levels against the one-shot predictions from the opening positions."""
    h, w, errors = v.hague, v.wales, v.combined_errors()
    hb, wb = h.baselines, w.baselines
    rows = [
        ("Hague core level", f"{HagueRecord().core_pct}%", pct(h.core_pct), *(pct(getattr(hb, name)) for name in BASELINE_NAMES)),
        ("Wales level", f"{WalesRecord().level_pct:g}%", pct(w.level_pct), *(pct(getattr(wb, name)) for name in BASELINE_NAMES)),
        ("level error over both cases, pp", "0", number(errors["model"], 3),
         *(number(errors[name], 3) for name in BASELINE_NAMES)),
    ]
    return table(("case", "record", "model", *BASELINE_NAMES.values()), rows)


def path_paragraph(v: Validation) -> str:
    """The 2015-2024 path and the 2024 hindcast in words, against the naive paths."""
    w = v.wales
    if w.path is None or not w.hindcast_runs:
        return f"No run of Wales 2014 ({seeds_label(v)}) reaches 2024, so there is no hindcast to score."
    path = w.path
    naive = (path.no_change, path.everyone_to_two, path.linear_to_two)
    lowest = [year for year, error in path.model.mae_by_year.items()
              if error < min(score.mae_by_year[year] for score in naive)]
    years = len(path.model.mae_by_year)
    runs = "" if w.hindcast_runs == len(v.seeds) else f" (the {w.hindcast_runs} of {len(v.seeds)} runs that reach 2024)"
    return (f"The Wales hindcast from 2014 data ({seeds_label(v)}{runs}), scored over every ally-year of "
            f"{min(path.model.mae_by_year)}-{max(path.model.mae_by_year)}: mean absolute error "
            f"{number(path.model.mae_pp, 3)} pp and Spearman {number(path.model.spearman, 2)}, against "
            f"{number(path.no_change.mae_pp, 3)} pp for \"no change\", {number(path.everyone_to_two.mae_pp, 3)} for "
            f"\"everyone below 2% moves to 2%\" and {number(path.linear_to_two.mae_pp, 3)} for \"everyone below 2% "
            f"moves to 2% in equal steps\"; its error is the lowest of the four in {len(lowest)} of the {years} years. "
            f"In {WalesRecord().hindcast_year} alone: {number(w.hindcast.mae_pp, 2)} pp, Spearman "
            f"{number(w.hindcast.spearman, 2)} and {number(w.hindcast.at_two_percent, 1)} allies at 2% "
            f"(record {WalesRecord().allies_at_two_percent_2024}).")


def misses_list(v: Validation) -> str:
    """The patterns missed, each with the mechanism behind it where one is known."""
    missed: list[Check] = [check for check in record_checks(v) if check.met is False]
    if not missed:
        return "The model meets every pattern of the record the validation sets a target for."
    lines = [f"The model misses {counted(len(missed), 'pattern')} of the record:"]
    lines += [f"- *{check.pattern}* (target: {check.target}): {check.model}"
              + (f"; {check.why_missed}." if check.why_missed else ".") for check in missed]
    return "\n".join(lines)


# --- the protocols side by side ------------------------------------------------------------------

def protocol_label(name: str) -> str:
    return f"{name} (default)" if name == Parameters().protocol.value else name


def level_and_deadline(hague) -> str:
    return "no deal" if missing(hague.core_pct) else f"{pct(hague.core_pct)} by {number(hague.deadline_year, 1)}"


def chain_cell(result: ProtocolResult) -> str:
    """The chain under a protocol: Vilnius's floor, the Hague from the chain's 2024, the path."""
    c = result.chain
    if c is None:
        return "not run"
    hague = c.summits[-1]
    deal = "no deal" if not hague.deal_share else f"{pct(hague.core_pct)} by {number(hague.deadline_year, 1)}"
    return f"{share(c.vilnius_floor_share)}; {deal}; {number(c.path.mae_pp, 3)}"


def path_cell(wales, seeds: int) -> str:
    if wales.path is None or not wales.hindcast_runs:
        return "no run reaches 2024"
    note = "" if wales.hindcast_runs == seeds else f" ({wales.hindcast_runs} of {seeds} runs)"
    return number(wales.path.model.mae_pp, 3) + note


def level_error_cell(result: ProtocolResult) -> str:
    if missing(result.hague.core_pct):
        return "no Hague deal"
    if missing(result.wales.level_pct):
        return "no Wales deal"
    return number(result.combined_errors()["model"], 3)


def both_fit_cell(fit: CrossFit | None, seeds: int) -> str:
    """Both cases under a fit on both (in sample): the level error, the Hague's core and deadline,
    and the 2015-2024 path's error."""
    if fit is None:
        return "not fitted"
    error = ("no Hague deal" if missing(fit.hague.core_pct) else "no Wales deal" if missing(fit.wales.level_pct)
             else number(combined_errors(fit.hague, fit.wales)["model"], 3))
    return f"{error}; {level_and_deadline(fit.hague)}; {path_cell(fit.wales, seeds)}"


def wales_fit_cell(fit: CrossFit | None) -> str:
    if fit is None:
        return "not fitted"
    h = fit.hague
    return "no deal" if not h.deal_share else f"{number(h.deal_share)}, {pct(h.core_pct)}, {number(h.deadline_year, 1)}"


def rounds_cell(hague) -> str:
    return f"{number(hague.mean_rounds, 1)}; {share(hague.first_round_share)}"


def hague_fit_cell(fit: CrossFit | None, seeds: int) -> str:
    """Wales under a fit on the Hague alone: the pledge (share of runs with a deal, level,
    horizon) and the 2024 hindcast's and the 2015-2024 path's errors, where a run reaches 2024."""
    if fit is None:
        return "not fitted"
    w = fit.wales
    if not w.deal_share:
        return "no deal"
    pledge = f"{number(w.deal_share)}, {pct(w.level_pct)}, {number(w.horizon_years, 1)}"
    if w.path is None or not w.hindcast_runs:
        return f"{pledge}; no run reaches 2024"
    note = "" if w.hindcast_runs == seeds else f" ({w.hindcast_runs} of {seeds} runs)"
    return f"{pledge}; {number(w.hindcast.mae_pp, 3)} / {number(w.path.model.mae_pp, 3)}{note}"


def protocols_table(v: Validation) -> str:
    """Both cases under each protocol at the defaults, beside the one-shot predictions (the
    Secretary General's first draft passing as tabled, and the weighted mean, weighted median
    and Nash bargaining solution of the opening positions); then each protocol under its own fit on
    both cases, and fitted on one case and tested on the other."""
    results = list(v.protocols.values())
    hr, wr, targets = HagueRecord(), WalesRecord(), HindcastTargets()
    naive = v.wales.path.naive_best_mae() if v.wales.path is not None else float("nan")
    chain_naive = v.chain.naive_best_mae() if v.chain is not None else float("nan")
    seeds = len(v.seeds)
    secretary_general = SecretaryGeneralProposal.at_defaults()
    hague_baselines, wales_baselines, errors = v.hague.baselines, v.wales.baselines, v.combined_errors()
    one_shots = 1 + len(BASELINE_NAMES)

    def row(label, record, cell, one_shot=("-",) * one_shots):
        return (label, record, *(cell(r) for r in results), *one_shot)

    def section(title):
        return (title, "", *("" for _ in results), *("" for _ in range(one_shots)))

    rows = [
        section("*at the defaults*"),
        row("Hague deal (share of runs)", "yes", lambda r: number(r.hague.deal_share)),
        row("Hague core level, deadline", f"{hr.core_pct}% by {hr.deadline_year}", lambda r: level_and_deadline(r.hague),
            (pct(secretary_general.hague_core_pct), *(pct(getattr(hague_baselines, name)) for name in BASELINE_NAMES))),
        row("first draft's deadline (mean)", str(hr.draft_deadline_year),
            lambda r: number(r.hague.first_draft_deadline_mean, 1)),
        row("Spain flagged / Canada signing", "yes / yes",
            lambda r: f"{share(r.hague.spain_holdout_share)} / {share(r.hague.canada_signing_share)}"),
        row("Hague rounds (mean; ending in round 1)", "", lambda r: rounds_cell(r.hague), ("1; 100%",) * one_shots),
        row("Wales level, horizon", f"{wr.level_pct}%, {wr.horizon_years} years",
            lambda r: f"{pct(r.wales.level_pct)}, {number(r.wales.horizon_years, 1)}",
            (pct(secretary_general.wales_level_pct), *(pct(getattr(wales_baselines, name)) for name in BASELINE_NAMES))),
        row("2015-2024 path MAE, pp", f"below {number(naive, 3)}", lambda r: path_cell(r.wales, seeds)),
        row("level error over both cases, pp", "0", level_error_cell,
            (number(secretary_general.level_error(), 3), *(number(errors[name], 3) for name in BASELINE_NAMES))),
        section("*the chain of summits from 2014, no pledge after 2014 given*"),
        row("Vilnius floor within 1.8-2.2% (share of runs); Hague core, deadline; 2015-2024 path MAE, pp",
            f"yes; {hr.core_pct}% by {hr.deadline_year}; below {number(chain_naive, 3)}", chain_cell),
        section("*under the protocol's own fit on both cases (in sample)*"),
        row("level error over both cases, pp; Hague core, deadline; 2015-2024 path MAE, pp",
            f"0; {hr.core_pct}% by {hr.deadline_year}; below {number(naive, 3)}",
            lambda r: both_fit_cell(r.fit(Case.BOTH), seeds)),
        section("*fitted on the Hague, tested on Wales*"),
        row("Wales deal, level, horizon; 2024 hindcast MAE / 2015-2024 path MAE, pp",
            f"yes, {wr.level_pct}%, {wr.horizon_years}; <= {targets.mae_pp} / below {number(naive, 3)}",
            lambda r: hague_fit_cell(r.fit(Case.HAGUE), seeds)),
        section("*fitted on Wales, tested on the Hague*"),
        row("Hague deal, level, deadline", f"yes, {hr.core_pct}%, {hr.deadline_year}",
            lambda r: wales_fit_cell(r.fit(Case.WALES))),
    ]
    header = ("Hague 2025 and Wales 2014", "record", *(protocol_label(r.protocol) for r in results),
              "Secretary General's draft passes", *BASELINE_NAMES.values())
    return table(header, rows)


def protocols_summary(v: Validation) -> str:
    """Which protocol comes closest to the record over both cases, against the one-shot
    predictions, and which reach no deal."""
    results = list(v.protocols.values())
    scored = sorted((r.combined_errors()["model"], r.protocol) for r in results
                    if not missing(r.hague.core_pct) and not missing(r.wales.level_pct))
    failing = [r.protocol for r in results if not r.hague.deal_share]
    parts = []
    if scored:
        error, best = scored[0]
        parts.append(f"Over both cases the {best} protocol comes closest to the record's levels "
                     f"(level error {error:.3f} pp" + (f"; {joined([f'{name} {e:.3f}' for e, name in scored[1:]])}"
                                                       if len(scored) > 1 else "") + ")")
        errors = v.combined_errors()
        one_shots = [("the Secretary General's draft passing as tabled", SecretaryGeneralProposal.at_defaults().level_error()),
                     *((label, errors[name]) for name, label in BASELINE_NAMES.items())]
        parts.append("of the one-shot predictions, " + joined([f"{label} {e:.3f}" for label, e in one_shots]))
    if failing:
        parts.append(f"the Hague talks end without a deal in every run under the {joined(failing)} "
                     f"protocol{'s' if len(failing) > 1 else ''}")
    return ("; ".join(parts) + f" ({seeds_label(v)}).") if parts else ""
