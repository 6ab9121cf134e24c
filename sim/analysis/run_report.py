"""Turning one run into things people read: a text summary, Parquet tables and a figure."""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas is loaded by whoever builds the tables; the command line starts faster without it
    import pandas as pd
    import pyarrow as pa

    from sim.engines.outcome import Outcome
    from sim.model.scenario import Scenario

EASTERN_FLANK = ("POL", "EST", "LVA", "LTU", "FIN")
# One colour per ally carried with a side letter (warm colours, apart from the flank's blue,
# the US purple and the others' grey); cycled if more allies get one.
FLEXIBILITY_COLOURS = ("tab:red", "tab:orange", "tab:brown", "tab:pink", "tab:olive", "gold", "darkred", "tab:cyan")


def plural(count: int, noun: str) -> str:
    """'1 round', '12 rounds': a count with its noun in the right number."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}%"


def summary_text(outcome: Outcome) -> str:
    """A readable account of the run: the package, who held out, the baselines, each ally."""
    lines = [f"Scenario: {outcome.scenario}   seed: {outcome.seed}"]
    if outcome.deal:
        total = outcome.core_target_pct + (outcome.related_target_pct or 0.0)
        split = (f" core + {_pct(outcome.related_target_pct)} defence-related = {_pct(total)} in total"
                 if outcome.related_target_pct is not None else " core defence")
        lines.append(f"Deal after {plural(outcome.rounds, 'round')}: {_pct(outcome.core_target_pct)}{split}, "
                     f"by {outcome.deadline_year}")
    else:
        lines.append(f"No deal after {plural(outcome.rounds, 'round')}; holdouts: {', '.join(outcome.holdouts) or 'none'}")
    lines.append(f"Flexibility (side letters): {', '.join(outcome.flexibility) or 'none'}")
    b = outcome.baselines
    lines.append(f"Baselines from the opening positions: weighted mean {_pct(b.weighted_mean)}, "
                 f"weighted median {_pct(b.weighted_median)}, Nash bargaining {_pct(b.nash)}")
    if outcome.deal:
        lines.append(f"US share of alliance spending: {outcome.us_share_before:.1%} now, "
                     f"{outcome.us_share_after:.1%} at the deadline (projected)")
        lines.append(f"Allies on track for the target: {outcome.allies_on_track}; "
                     f"extra spending at the deadline: {outcome.extra_spending_usd_bn:,.0f} USD bn a year (2024 GDP)")
    else:
        lines.append(f"US share of alliance spending: {outcome.us_share_before:.1%} now; no pledge to implement")
    lines.append("")
    lines.append(f"{'ally':<5} {'start':>6} {'opening':>8} {'by':>5} {'final':>6} {'by':>5} "
                 f"{'threat':>6} {'fiscal':>6}  vote")
    for a in outcome.allies:
        vote = "accepts" if a.accepted else "rejects"
        if a.flexibility:
            vote += " (flexibility)"
        if not a.votes:
            vote = "not at the table"
        if a.start_pct is None or a.start_pct != a.start_pct:
            vote += " (no armed forces)"
        lines.append(f"{a.iso3:<5} {_num(a.start_pct):>6} {_num(a.initial_position_pct):>8} "
                     f"{a.initial_deadline:>5.0f} {_num(a.final_position_pct):>6} {a.final_deadline:>5.0f} "
                     f"{a.threat:>6.2f} {a.fiscal_pressure:>6.2f}  {vote}")
    return "\n".join(lines)


def _num(value: float | None) -> str:
    return "-" if value is None or value != value else f"{value:.2f}"


def check_out_dir(out: Path, names: tuple[str, ...]) -> None:
    """Refuse to overwrite earlier results: a run never destroys what was computed before."""
    existing = [name for name in names if (out / name).exists()]
    if existing:
        raise FileExistsError(f"{out}: already holds {', '.join(existing)}; choose another --out directory "
                              "or move the old results away")


class OutputError(Exception):
    """An output directory that cannot take the results; the message names it and the reason."""


def os_reason(error: OSError) -> str:
    """An OSError in words, without the '[Errno N]' prefix (pyarrow's too, whose number is
    inside its message: 'Error writing bytes to file. Detail: [errno 28] ...')."""
    number = error.errno or next((int(n) for n in re.findall(r"\[errno (\d+)\]", str(error), re.I)), None)
    words = error.strerror or (os.strerror(number) if number else str(error))
    return words + (f": {error.filename}" if error.filename else "")


_reason = os_reason


class OutputDir:
    """A results directory claimed for one command, written all at once or not at all.

    Entering checks, before anything is computed, that the directory can be created and
    written, that it holds no earlier results, and locks it, so a second command aimed at the
    same directory refuses at once instead of mixing its files with ours. Files are written
    into a hidden staging directory inside it and moved into place only when all are written;
    a failure (a full disk, a crash) leaves nothing under the final names, and a directory
    this command created is removed again if it stays empty. The lock (flock on the directory)
    ends with the process, so a killed run never leaves a stale one.
    """

    def __init__(self, path: Path, names: tuple[str, ...], option: str = "--out"):
        self.path = Path(path)
        self.names = names  # files that mark earlier results; names[0] is moved into place last
        self.option = option
        self._created = False
        self._lock: int | None = None
        self._stage: Path | None = None

    def __enter__(self) -> OutputDir:
        try:
            self._claim()
        except BaseException:
            self._release()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self._release()

    def _fail(self, why: str) -> OutputError:
        return OutputError(f"{self.option} {self.path}: {why}")

    def _claim(self) -> None:
        try:
            self.path.mkdir(parents=True)
            self._created = True
        except FileExistsError:
            if not self.path.is_dir():
                raise self._fail("is a file, not a directory; choose a directory for the results") from None
        except OSError as error:
            raise self._fail(f"cannot create the directory ({_reason(error)})") from None
        try:
            self._lock = _lock_directory(self.path)
        except OSError as error:
            raise self._fail(f"cannot be opened ({_reason(error)})") from None
        if self._lock is None:
            raise self._fail("another alliance-sim command is writing into this directory; "
                             "wait for it to finish or choose another directory")
        check_out_dir(self.path, self.names)
        try:
            self._stage = Path(tempfile.mkdtemp(dir=self.path, prefix=".partial-"))
        except OSError as error:
            raise self._fail(f"cannot be written ({_reason(error)})") from None

    def write(self, writer) -> list[Path]:
        """Call `writer(staging_dir)`, which returns the paths it wrote, then move them all
        into place; the paths returned are the final ones."""
        try:
            written = writer(self._stage)
            self._commit()
        except OSError as error:
            raise self._fail(f"cannot write the results ({_reason(error)}); nothing was written") from None
        return [self.path / Path(p).relative_to(self._stage) for p in written]

    def _commit(self) -> None:
        """Move every staged file into place, the main one last, never over an existing file."""
        staged = sorted(self._stage.iterdir(), key=lambda p: (p.name == self.names[0], p.name))
        clashes = [p.name for p in staged if (self.path / p.name).exists()]
        if clashes:
            raise FileExistsError(f"{self.path}: already holds {', '.join(clashes)}; choose another "
                                  f"{self.option} directory or move the old results away")
        moved = []
        try:
            for item in staged:
                os.replace(item, self.path / item.name)
                moved.append(self.path / item.name)
        except OSError:
            for path in moved:
                path.unlink(missing_ok=True)
            raise

    def _release(self) -> None:
        if self._stage is not None:
            shutil.rmtree(self._stage, ignore_errors=True)
            self._stage = None
        if self._created:
            try:
                self.path.rmdir()  # only if still empty: a failed first run leaves no directory behind
            except OSError:
                pass
        if self._lock is not None:
            os.close(self._lock)  # closing the descriptor drops the flock
            self._lock = None


def _lock_directory(path: Path) -> int | None:
    """An open descriptor holding an exclusive flock on `path`, or None if another process
    holds it. Where the file system cannot lock a directory, the claim goes ahead unlocked."""
    handle = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(handle)
        return None
    except OSError:
        pass  # no locks here (some network file systems): still staged, just not exclusive
    return handle


RUN_FILES = ("outcome.json", "rounds.parquet", "allies_by_round.parquet", "convergence.png")
RUN_KEY = "run"  # outcome.json's key for what computed the run (`run_record`)


def run_record(scenario: Scenario, seed: int | None, draws_key: int) -> dict:
    """What a run's numbers depend on, as a sweep records it in `_sweep.json`: the scenario's
    name, effective parameters and ally overrides, the seed, SHA-256 digests of the ally data
    and the parameters (`sim.sweeps.inputs`), and the code and library versions
    (`sim.sweeps.versions`)."""
    import dataclasses
    import sys
    import time

    from sim.sweeps.inputs import SweepInputs
    from sim.sweeps.versions import code_version, package_versions

    inputs = SweepInputs.of(scenario)
    return {
        "scenario": scenario.name, "seed": seed, "draws_key": draws_key,
        "parameters": json.loads(json.dumps(dataclasses.asdict(scenario.params), default=str)),
        "allies": scenario.ally_overrides,
        **({"pledges": [dataclasses.asdict(pledge) for pledge in scenario.ledger.pledges]}
           if scenario.ledger.pledges else {}),
        "inputs": {"ally_data_sha256": inputs.ally_data, "parameters_sha256": inputs.parameters},
        "code_version": code_version(), "package_versions": package_versions(),
        "python": sys.version.split()[0], "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def table_schema(kind: str) -> pa.Schema:
    """The schema of a run's round table ("rounds" or "allies_by_round"): the sweep's shard
    schema for it (`sim.sweeps.shards.COLUMN_DOCS`) without the run id, so fixed types and
    each field's `unit` and `description` as Parquet field metadata."""
    from sim.sweeps.shards import ResultTable

    schema = ResultTable(kind).schema
    return schema.remove(schema.get_field_index("run_id"))


def write_table(frame: pd.DataFrame, kind: str, path: Path) -> None:
    """A run's round table as Parquet with its documented schema (`table_schema`); NaN is null."""
    schema = table_schema(kind)
    frame[schema.names].to_parquet(path, index=False, schema=schema)


def write_run(target: OutputDir, outcome: Outcome, rounds: pd.DataFrame, allies: pd.DataFrame,
              run: dict | None = None) -> list[Path]:
    """Write a run's outcome (with `run`, what computed it, under the key "run"), its
    round-by-round tables (with each column's unit and description) and the convergence
    figure into a claimed directory. Files are created as any program's are, so they follow
    the umask."""
    def write(stage: Path) -> list[Path]:
        paths = [stage / name for name in RUN_FILES]
        record = outcome.to_dict() | ({RUN_KEY: run} if run is not None else {})
        paths[0].write_text(json.dumps(record, indent=2), encoding="utf-8")
        write_table(rounds, "rounds", paths[1])
        write_table(allies, "allies_by_round", paths[2])
        convergence_figure(outcome, rounds, allies, paths[3])
        return paths

    return target.write(write)


def convergence_figure(outcome: Outcome, rounds: pd.DataFrame, allies: pd.DataFrame, path: Path) -> None:
    """Positions converging over rounds: each ally's level, the draft, and the share accepting."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_level, ax_deadline, ax_share) = plt.subplots(
        3, 1, figsize=(10.5, 9), sharex=True, gridspec_kw={"height_ratios": [3, 1.4, 1]})
    carried = [code for code in allies["iso3"].unique() if code in set(outcome.flexibility)]
    carried_colour = {code: FLEXIBILITY_COLOURS[i % len(FLEXIBILITY_COLOURS)] for i, code in enumerate(carried)}
    for code, group in allies.groupby("iso3", sort=False):
        if group["position_pct"].isna().all():
            continue
        if code in carried_colour:
            style = {"color": carried_colour[code], "lw": 1.8, "label": f"{code} (flexibility)", "zorder": 3}
        elif code in EASTERN_FLANK:
            style = {"color": "tab:blue", "lw": 1.2, "alpha": 0.8}
        elif code == "USA":
            style = {"color": "tab:purple", "lw": 1.6, "label": "USA"}
        else:
            style = {"color": "0.6", "lw": 0.8, "alpha": 0.7}
        ax_level.plot(group["round"], group["position_pct"], **style)
        ax_deadline.plot(group["round"], group["deadline_position"], **{k: v for k, v in style.items() if k != "label"})
    ax_level.plot([], [], color="tab:blue", label="eastern flank (POL, EST, LVA, LTU, FIN)")
    ax_level.plot([], [], color="0.6", label="other allies")
    ax_level.plot(rounds["round"], rounds["draft_core_pct"], color="black", lw=2.5, marker="o", label="draft core level")
    ax_level.set_ylabel("core level (% of GDP)")
    # Outside the axes, so it hides no line (the eastern flank's sit at the top right).
    ax_level.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    verdict = (f"deal: {outcome.core_target_pct:.2f}% core by {outcome.deadline_year}" if outcome.deal else "no deal")
    ax_level.set_title(f"{outcome.scenario}: positions over the rounds ({verdict})")
    ax_deadline.plot(rounds["round"], rounds["draft_deadline"], color="black", lw=2.5, marker="o")
    ax_deadline.set_ylabel("deadline (year)")
    ax_share.plot(rounds["round"], rounds["share_accepting"], color="tab:green", lw=2, marker="o")
    ax_share.set_ylim(0, 1.05)
    ax_share.set_ylabel("share accepting")
    ax_share.set_xlabel("round")
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png", bbox_inches="tight")
    plt.close(fig)
