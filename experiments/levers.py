"""The levers' acceptance test: does each lever of the model move its Hague outcome as the open
issue demands? Six sweeps, one per lever, each over its range with the other parameters at the
scenario's values, and a pass/fail table against the issue's thresholds
(`experiments/lever_criteria.py`):

  US pressure       0 to 1 in steps of 0.05, under every protocol (mediator, agenda_setter,
                    baron_ferejohn, challenge, exchange):
                    from no pressure to the 2025 posture the core moves >= 0.5 pp or the deal
                    probability falls >= 0.5; no step of 0.05 jumps the deal probability by > 0.3
  US demand         2% to 5% of GDP: the core moves >= 1 pp
  related spending  0% to 3% of GDP countable: the core moves by more than its 90% band's half-width
  threat            0.2 to 1.0: the core's fitted slope moves it by more than that half-width
  deadline window   earliest and latest deadline shifted -3..+3 years together: the Hague
                    deadline moves < 1 year (the same reported for Wales 2014)

It measures the model as it is: a FAIL is a finding, the harness for the next change.

    .venv/bin/python -m experiments.levers                            # configs/sweeps/levers_*.toml, 40 seeds
    .venv/bin/python -m experiments.levers --docs docs/levers.md      # and regenerate the docs page
    .venv/bin/python -m experiments.levers --quick                    # 3-6 settings x 4 seeds per lever

Writes to results/experiments/levers/ (results/experiments/levers_quick/ with --quick): sweep/<spec>/
(each lever's sweep results directory), levers_summary.parquet (one row per lever, protocol and
setting), levers_criteria.parquet (the pass/fail table), levers.png and summary.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from experiments import lever_criteria as criteria
from experiments.aggregate import share, spread, summary_table, with_spread
from experiments.common import (RUNS_DIR, USER_ERRORS, Experiment, Findings, SweepRun, add_output_flags,
                                add_sweep_flags, argument_parser, default_out, finish, guarded)
from experiments.figures import band, interval_note, pyplot
from experiments.lever_report import docs_page, summary
from sim.model.parameters import NegotiationProtocol, Parameters

NAME = "levers"
CRITERIA_TABLE = f"{NAME}_criteria.parquet"
QUICK_RUNS = {"replicates": 4, "batch_size": 12}


@dataclass(frozen=True)
class Lever:
    """One lever's sweep: the spec it runs, the parameter it moves, and how tables and plots name it."""

    key: str  # the lever's name in the tables
    title: str  # the lever in words
    experiment: Experiment  # its spec (configs/sweeps/<name>.toml) and quick version
    column: str  # the parameter the sweep moves
    axis: str  # the figure's x label
    relative: bool = False  # the setting is the shift from the scenario's own value (the deadline window)


def _quick_window(shifts: tuple[int, ...] = (-3, 0, 3)) -> dict:
    """The quick deadline sweep: the default window (sim/model/parameters.py) shifted to its ends and not at all."""
    window = Parameters()
    return {"runs": QUICK_RUNS, "points": [{"earliest_deadline_years": window.earliest_deadline_years + shift,
                                            "latest_deadline_years": window.latest_deadline_years + shift}
                                           for shift in shifts]}


LEVERS = (
    Lever("us_pressure", "US pressure", Experiment("levers_us_pressure", {
        "runs": QUICK_RUNS, "parameters": {"us_pressure": [0.0, 0.5, 0.85, 0.9, 0.95, 1.0]}}),
          "us_pressure", "US pressure (0 mild request, 1 credible threat to leave)"),
    Lever("us_demand", "US demand", Experiment("levers_us_demand", {
        "runs": QUICK_RUNS, "parameters": {"us_demand_pct": [2.0, 3.5, 5.0]}}),
          "us_demand_pct", "US demand (% of GDP)"),
    Lever("related_cap", "Related-spending capacity", Experiment("levers_related_cap", {
        "runs": QUICK_RUNS, "parameters": {"related_cap_pct": [0.0, 1.5, 3.0]}}),
          "related_cap_pct", "related spending allies can count (% of GDP)"),
    Lever("threat", "Threat", Experiment("levers_threat", {
        "runs": QUICK_RUNS, "parameters": {"threat_level": [0.2, 0.6, 1.0]}}),
          "threat_level", "threat level (0 calm, 1 open war on the border)"),
    Lever("deadline_hague", "Deadline window", Experiment("levers_deadline_hague", _quick_window()),
          "earliest_deadline_years", "deadline window shifted (years)", relative=True),
    Lever("deadline_wales", "Deadline window (Wales 2014)", Experiment("levers_deadline_wales", _quick_window()),
          "earliest_deadline_years", "deadline window shifted (years)", relative=True),
)
BY = ["protocol", "setting"]


def options(argv) -> argparse.Namespace:
    flags = argument_parser(NAME, __doc__)
    add_output_flags(flags, NAME)
    add_sweep_flags(flags)
    flags.add_argument("--docs", type=Path, help="also write the docs page (the pass/fail table and what it "
                                                 "checks) to this file, e.g. docs/levers.md")
    args = flags.parse_args(argv)
    args.out = args.out or default_out(NAME, args.quick)
    return args


# --- from sweeps to tables ------------------------------------------------------------------------

def settings(lever: Lever, sweep: SweepRun) -> pd.DataFrame:
    """The sweep's runs with the lever's `setting` (its value, or its shift from the scenario's own)
    and the `protocol` they ran under, so every lever's table has the same columns."""
    params = sweep.spec.scenario.params
    runs = sweep.runs
    setting = runs[lever.column].astype(float)
    if lever.relative:
        setting = setting - float(getattr(params, lever.column))
    protocol = runs["protocol"].astype(str) if "protocol" in runs else str(params.protocol.value)
    return runs.assign(setting=setting, protocol=protocol)


def lever_table(lever: Lever, sweep: SweepRun) -> pd.DataFrame:
    """One row per protocol and setting: deal probability, core, headline (core plus related) and
    deadline with their 90% bands."""
    runs = settings(lever, sweep)
    runs = runs.assign(headline_pct=runs["core_target_pct"] + runs["related_target_pct"])
    table = with_spread(summary_table(runs, BY), runs[runs["deal"]], BY, "headline_pct")
    table = table.sort_values(["protocol", "setting"], key=_protocol_order, kind="stable", ignore_index=True)
    table.insert(0, "parameter", lever.column)
    table.insert(0, "scenario", sweep.spec.scenario.name)
    table.insert(0, "lever", lever.key)
    return table


def _protocol_order(column: pd.Series) -> pd.Series:
    """Protocols in the order the model declares them (the mediator, the default, first); other columns as they are."""
    if column.name != "protocol":
        return column
    return column.map({protocol.value: rank for rank, protocol in enumerate(NegotiationProtocol)})


def standing_target(scenario) -> float:
    """The highest floor the scenario's standing pledges set in its summit year for a founding
    member: the target that stays in force if the talks agree none (the Vilnius 2% at the Hague)."""
    return float(scenario.ledger.floor_pct(scenario.params.summit_year, 1949))


def verdicts(tables: dict[str, pd.DataFrame], posture: float, standing_pct: float = float("nan")) -> list[criteria.Verdict]:
    """Each lever against its criteria, in the order of the issue; US pressure once per protocol.
    `standing_pct` is the target already pledged, in force where the talks end with no new one."""
    found = []
    pressure = tables["us_pressure"]
    for protocol, rows in pressure.groupby("protocol", sort=False):
        name = f"US pressure ({protocol})"
        found += [criteria.pressure_moves_the_outcome(rows, name, posture), criteria.pressure_has_no_cliff(rows, name)]
        if protocol == NegotiationProtocol.MEDIATOR.value:
            found.append(criteria.headline_moves(rows, name, 0.0, posture, "pressure"))
    found.append(criteria.demand_moves_the_core(tables["us_demand"], "US demand", standing_pct))
    found.append(criteria.headline_moves(tables["us_demand"], "US demand", criteria.DEMAND_LOW, criteria.DEMAND_HIGH,
                                         "demand"))
    found.append(criteria.core_is_not_inert(tables["related_cap"], "Related-spending capacity", "related_cap_pct"))
    found.append(criteria.core_follows_the_lever(tables["threat"], "Threat", "threat_level"))
    found.append(criteria.deadline_holds(tables["deadline_hague"], "Deadline window", "Hague"))
    found.append(criteria.deadline_holds(tables["deadline_wales"], "Deadline window (Wales 2014)", "Wales",
                                         criterion=False))
    return found


# --- the figure -----------------------------------------------------------------------------------

def plot(runs: dict[str, pd.DataFrame], defaults: dict[str, float], seeds: int):
    """One panel per lever (US pressure two: deal probability and core), means with 90% bands;
    a dotted line at the scenario's own setting."""
    plt = pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(14, 8))
    axes = axes.ravel()
    lever = {item.key: item for item in LEVERS}
    pressure = runs["us_pressure"]
    for protocol, group in pressure.groupby("protocol"):
        band(axes[0], share(group, ["setting"], "deal"), "setting", label=protocol)
        band(axes[1], spread(group[group["deal"]], ["setting"], "core_target_pct"), "setting", label=protocol)
    axes[0].set_ylabel("probability of a deal (share of runs)")
    axes[0].set_ylim(-0.02, 1.02)
    axes[1].set_ylabel("core target (% of GDP, runs with a deal)")
    for ax in axes[:2]:
        ax.set_xlabel(lever["us_pressure"].axis)
        ax.axvline(defaults["us_pressure"], color="0.6", ls=":", lw=1)
    axes[0].legend(title="protocol", fontsize=8)
    for ax, key in zip(axes[2:5], ("us_demand", "related_cap", "threat")):
        frame = runs[key]
        band(ax, spread(frame[frame["deal"]], ["setting"], "core_target_pct"), "setting", color="black")
        ax.set_xlabel(lever[key].axis)
        ax.set_ylabel("core target (% of GDP, runs with a deal)")
        ax.axvline(defaults[key], color="0.6", ls=":", lw=1)
    for key, label in (("deadline_hague", "Hague 2025"), ("deadline_wales", "Wales 2014")):
        frame = runs[key]
        band(axes[5], spread(frame[frame["deal"]], ["setting"], "deadline_year"), "setting", label=label)
    axes[5].set_xlabel(lever["deadline_hague"].axis)
    axes[5].set_ylabel("deadline (year, runs with a deal)")
    axes[5].axvline(0.0, color="0.6", ls=":", lw=1)
    axes[5].legend(fontsize=8)
    for ax, key in zip(axes, ("us_pressure", "us_pressure", "us_demand", "related_cap", "threat", "deadline_hague")):
        ax.set_title(lever[key].title, fontsize=10)
        ax.grid(alpha=0.3)
    fig.suptitle("The levers of the Hague 2025 outcome; dotted lines: the scenario's own setting\n"
                 f"{interval_note(seeds)}", fontsize=10)
    return fig


# --- the whole experiment -------------------------------------------------------------------------

def analyse(sweeps: dict[str, SweepRun], seconds: float) -> tuple[Findings, pd.DataFrame]:
    """The per-point table, the verdicts, the figure and the summary from the six finished sweeps."""
    by_lever = {lever.key: lever for lever in LEVERS}
    tables = {key: lever_table(by_lever[key], sweep) for key, sweep in sweeps.items()}
    runs = {key: settings(by_lever[key], sweep) for key, sweep in sweeps.items()}
    posture = float(sweeps["us_pressure"].spec.scenario.params.us_pressure)
    found = criteria.verdict_table(verdicts(tables, posture, standing_target(sweeps["us_demand"].spec.scenario)))
    defaults = {key: 0.0 if by_lever[key].relative else float(getattr(sweep.spec.scenario.params, by_lever[key].column))
                for key, sweep in sweeps.items()}
    seeds = int(min(frame.groupby(BY).size().min() for frame in runs.values()))
    table = pd.concat(tables.values(), ignore_index=True)
    metas = [sweep.meta for sweep in sweeps.values()]
    text = summary(found, table, metas, {key: by_lever[key].title for key in tables}, seconds)
    return Findings(table, plot(runs, defaults, seeds), text), found


def check_docs_target(path: Path | None) -> None:
    """Refuse, before any run, a docs page that could not be written at the end."""
    if path is not None and not path.parent.is_dir():
        raise NotADirectoryError(f"--docs {path}: its directory {path.parent} does not exist")
    if path is not None and path.is_dir():
        raise IsADirectoryError(f"--docs {path} is a directory; give the page's file name, e.g. {path / 'levers.md'}")


def run(args: argparse.Namespace) -> None:
    check_docs_target(args.docs)
    started = time.perf_counter()
    sweeps = {lever.key: lever.experiment.run(args, args.out / RUNS_DIR / lever.experiment.name) for lever in LEVERS}
    findings, found = analyse(sweeps, time.perf_counter() - started)
    finish(args.out, NAME, findings)
    found.to_parquet(args.out / CRITERIA_TABLE, index=False)
    written = [args.out / CRITERIA_TABLE]
    if args.docs is not None:
        args.docs.write_text(docs_page(found, findings.table, [sweep.meta for sweep in sweeps.values()],
                                           args.quick), encoding="utf-8")
        written.append(args.docs)
    failed = int((found["pass/fail"] == "FAIL").sum())
    judged = int(found["pass/fail"].isin(["PASS", "FAIL"]).sum())
    print("wrote " + ", ".join(str(path) for path in written))
    print(f"{NAME}: {judged - failed} of {judged} criteria pass, {failed} fail "
          f"({time.perf_counter() - started:.0f} s)")


def main(argv=None) -> int:
    args = options(argv)
    return guarded(NAME, lambda: run(args), USER_ERRORS + (NotADirectoryError, IsADirectoryError))


if __name__ == "__main__":
    sys.exit(main())
