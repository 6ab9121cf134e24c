"""The levers' acceptance criteria: the thresholds the open issue sets for each lever of the Hague
outcome, and the pass/fail verdict of each, computed from a lever's per-point table (one row per
setting of the lever: the `setting`, `deal_probability`, and over runs with a deal the means of
`core_target_pct` and `deadline_year`, with `core_target_pct_low`/`_high`, the 5th and 95th
percentile of the runs).

The verdicts are pure functions of those tables, so they are tested on small hand-made frames
and the experiment (`experiments/levers.py`) only feeds them its sweeps. A criterion that the
runs cannot measure (no deal at a setting it needs, no neighbouring settings) fails and says why:
an acceptance test that cannot see the effect has not seen it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

PRESSURE_CORE_MOVE = 0.5  # pp: the core must move at least this from no US pressure to the scenario's ...
PRESSURE_DEAL_CHANGE = 0.5  # ... or the deal probability change at least this (deals turned into failures, or back)
PRESSURE_STEP = 0.05  # the pressure step the jump limit is stated for
PRESSURE_MAX_JUMP = 0.3  # the largest change in deal probability allowed between pressures PRESSURE_STEP apart
DEMAND_LOW, DEMAND_HIGH = 2.0, 5.0  # % of GDP: the US demand's two ends ...
DEMAND_CORE_MOVE = 1.0  # ... between which the core must move at least this (pp)
DEADLINE_MAX_MOVE = 1.0  # years: the agreed deadline may move less than this as the window shifts
TOLERANCE = 1e-9  # float slack on every comparison with a threshold


@dataclass(frozen=True)
class Verdict:
    """One row of the pass/fail table: what is measured, against what, what the runs gave."""

    lever: str
    measure: str
    threshold: str
    value: float  # the number compared with the threshold (NaN when the runs give none)
    measured: str  # the value in words, with what it comes from
    passed: bool | None  # None: reported, not a criterion

    @property
    def outcome(self) -> str:
        if self.passed is None:
            return "reported"
        return "PASS" if self.passed else "FAIL"


def verdict_table(verdicts: list[Verdict]) -> pd.DataFrame:
    """The verdicts as the table the summary and the docs page print (and the experiment saves)."""
    return pd.DataFrame({"lever": [v.lever for v in verdicts], "measure": [v.measure for v in verdicts],
                         "threshold": [v.threshold for v in verdicts], "value measured": [v.measured for v in verdicts],
                         "pass/fail": [v.outcome for v in verdicts], "value": [v.value for v in verdicts]})


def _at(rows: pd.DataFrame, setting: float) -> pd.Series | None:
    """The row of one setting (None when the sweep did not run it)."""
    found = rows[np.isclose(rows["setting"].astype(float), setting)]
    return found.iloc[0] if len(found) else None


def _pct(value: float) -> str:
    return "no deal" if math.isnan(value) else f"{value:.2f}%"


def pressure_moves_the_outcome(rows: pd.DataFrame, lever: str, posture: float) -> Verdict:
    """From no US pressure (0) to the scenario's posture the core moves by PRESSURE_CORE_MOVE or more,
    or the deal probability changes by PRESSURE_DEAL_CHANGE or more: the issue asks that the two
    worlds differ ("the same" is no answer), and a world without pressure may end the talks with no
    new target (as the Washington summit of 2024 did) as well as one with too much."""
    threshold = (f"core moves >= {PRESSURE_CORE_MOVE:.2f} pp, or deal probability changes >= "
                 f"{PRESSURE_DEAL_CHANGE:.2f}")
    measure = f"Hague core and deal probability, pressure 0.00 -> {posture:.2f}"
    none, posed = _at(rows, 0.0), _at(rows, posture)
    if none is None or posed is None:
        missing = 0.0 if none is None else posture
        return Verdict(lever, measure, threshold, math.nan, f"not measured: no runs at pressure {missing:.2f}", False)
    move = float(posed["core_target_pct"] - none["core_target_pct"])
    change = float(posed["deal_probability"] - none["deal_probability"])
    moved = not math.isnan(move) and abs(move) >= PRESSURE_CORE_MOVE - TOLERANCE
    broke = abs(change) >= PRESSURE_DEAL_CHANGE - TOLERANCE
    core = (f"core {move:+.2f} pp ({_pct(none['core_target_pct'])} -> {_pct(posed['core_target_pct'])})"
            if not math.isnan(move) else
            f"core not comparable ({_pct(none['core_target_pct'])} -> {_pct(posed['core_target_pct'])})")
    measured = f"{core}; deal probability {none['deal_probability']:.2f} -> {posed['deal_probability']:.2f}"
    return Verdict(lever, measure, threshold, move, measured, moved or broke)


def pressure_jumps(rows: pd.DataFrame) -> list[tuple[float, float, float]]:
    """The changes in deal probability between neighbouring pressures PRESSURE_STEP apart:
    (lower, upper, change), in order of pressure."""
    ordered = rows.sort_values("setting")
    levels, probability = ordered["setting"].to_numpy(float), ordered["deal_probability"].to_numpy(float)
    return [(float(a), float(b), float(q - p)) for a, b, p, q in zip(levels, levels[1:], probability, probability[1:])
            if b - a <= PRESSURE_STEP + TOLERANCE]


def pressure_has_no_cliff(rows: pd.DataFrame, lever: str) -> Verdict:
    """No step of PRESSURE_STEP in US pressure changes the deal probability by more than PRESSURE_MAX_JUMP:
    a cliff would make the outcome hinge on a posture no one can measure that finely."""
    threshold = f"<= {PRESSURE_MAX_JUMP:.2f}"
    measure = f"largest jump in deal probability between pressures {PRESSURE_STEP:.2f} apart"
    steps = pressure_jumps(rows)
    if not steps:
        return Verdict(lever, measure, threshold, math.nan, f"not measured: no pressures {PRESSURE_STEP:.2f} apart",
                       False)
    low, high, change = max(steps, key=lambda step: abs(step[2]))
    measured = f"{abs(change):.2f} ({change:+.2f} from {low:.2f} to {high:.2f}; {len(steps)} steps)"
    return Verdict(lever, measure, threshold, abs(change), measured, abs(change) <= PRESSURE_MAX_JUMP + TOLERANCE)


def target_in_force(row: pd.Series, standing_pct: float) -> float:
    """The alliance's target after the talks at one setting, averaged over its runs: the core
    agreed where there is a deal, the standing target (`standing_pct`, the highest floor already
    pledged) where the talks end with none new. NaN with neither."""
    probability = float(row["deal_probability"])
    if probability <= 0.0:
        return standing_pct
    core = float(row["core_target_pct"])
    return probability * core + (1.0 - probability) * standing_pct if probability < 1.0 else core


def demand_moves_the_core(rows: pd.DataFrame, lever: str, standing_pct: float = math.nan) -> Verdict:
    """From a US demand of DEMAND_LOW to DEMAND_HIGH % of GDP the target in force moves by DEMAND_CORE_MOVE pp
    or more: what the US asks for should show in what the allies agree. Where the talks end with no new
    target, the target in force is the one standing (`target_in_force`; NaN: none, so not measured)."""
    threshold = f"moves >= {DEMAND_CORE_MOVE:.2f} pp"
    measure = f"Hague core (the standing target where no deal), demand {DEMAND_LOW:.1f}% -> {DEMAND_HIGH:.1f}%"
    low, high = _at(rows, DEMAND_LOW), _at(rows, DEMAND_HIGH)
    if low is None or high is None:
        return Verdict(lever, measure, threshold, math.nan, "not measured: the sweep lacks an end", False)
    before, after = target_in_force(low, standing_pct), target_in_force(high, standing_pct)
    move = after - before
    ends = f"{_in_force(low, before)} -> {_in_force(high, after)}"
    if math.isnan(move):
        return Verdict(lever, measure, threshold, move, f"not measured: {ends}", False)
    return Verdict(lever, measure, threshold, move, f"{move:+.2f} pp ({ends})", abs(move) >= DEMAND_CORE_MOVE - TOLERANCE)


def _in_force(row: pd.Series, target: float) -> str:
    """A target in force in words, saying when it is the standing one in some runs."""
    probability = float(row["deal_probability"])
    if probability >= 1.0:
        return _pct(target)
    if probability <= 0.0:
        return f"{_pct(target)}, no deal: the standing target"
    return f"{_pct(target)}, a deal in {probability:.0%} of runs"


def widest_half_width(rows: pd.DataFrame) -> float:
    """Half the widest 90% band of the core over the settings: the most that seeds alone spread it."""
    widths = (rows["core_target_pct_high"] - rows["core_target_pct_low"]).dropna()
    return float(widths.max() / 2) if len(widths) else math.nan


def headline_moves(rows: pd.DataFrame, lever: str, low: float, high: float, name: str) -> Verdict:
    """Reported, not a criterion: how far the headline (core plus related, over runs with a deal)
    moves between two settings, beside the core the criteria judge, since a lever may move what
    the allies count as related rather than their core."""
    measure = f"Hague headline (core + related), {name} {low:g} -> {high:g}"
    start, end = _at(rows, low), _at(rows, high)
    if start is None or end is None or "headline_pct" not in rows:
        return Verdict(lever, measure, "reported", math.nan, "not measured", None)
    move = float(end["headline_pct"] - start["headline_pct"])
    measured = (f"{move:+.2f} pp ({_pct(start['headline_pct'])} -> {_pct(end['headline_pct'])})"
                if not math.isnan(move) else "not comparable")
    return Verdict(lever, measure, "reported", move, measured, None)


def core_is_not_inert(rows: pd.DataFrame, lever: str, name: str) -> Verdict:
    """Across its sweep the core's mean moves by more than the half-width of its widest 90% band:
    a lever that moves the core less than the seeds do is inert."""
    with_deal = rows.dropna(subset=["core_target_pct"]).sort_values("setting")
    half = widest_half_width(with_deal)
    threshold = f"> widest 90% band's half-width ({half:.2f} pp)" if not math.isnan(half) else "> 90% band half-width"
    measure = f"range of the Hague core, {name} {rows['setting'].min():g} -> {rows['setting'].max():g}"
    if len(with_deal) < 2:
        return Verdict(lever, measure, threshold, math.nan, "not measured: fewer than two settings with a deal", False)
    core = with_deal["core_target_pct"]
    span = float(core.max() - core.min())
    lowest, highest = with_deal.loc[core.idxmin()], with_deal.loc[core.idxmax()]
    measured = (f"{span:.2f} pp ({core.min():.2f}% at {lowest['setting']:g} to {core.max():.2f}% at "
                f"{highest['setting']:g})" + _without_deal(rows))
    return Verdict(lever, measure, threshold, span, measured, span > half + TOLERANCE)


def _without_deal(rows: pd.DataFrame) -> str:
    """The settings where no run ended in a deal, which the core's range cannot see: said, not hidden."""
    missing = rows.loc[rows["core_target_pct"].isna(), "setting"].sort_values()
    if not len(missing):
        return ""
    return f"; no deal at {', '.join(f'{value:g}' for value in missing)}"


def core_slope(rows: pd.DataFrame) -> float:
    """The least-squares slope of the core's mean on the setting (pp per unit), over settings with a deal."""
    with_deal = rows.dropna(subset=["core_target_pct"])
    if len(with_deal) < 2:
        return math.nan
    return float(np.polyfit(with_deal["setting"].to_numpy(float), with_deal["core_target_pct"].to_numpy(float), 1)[0])


def core_follows_the_lever(rows: pd.DataFrame, lever: str, name: str) -> Verdict:
    """The core's fitted line moves across the sweep by more than the half-width of its widest 90%
    band; the slope is the finding, the fitted move its test against the seeds' spread."""
    slope = core_slope(rows)
    half = widest_half_width(rows.dropna(subset=["core_target_pct"]))
    low, high = float(rows["setting"].min()), float(rows["setting"].max())
    threshold = f"fitted move > widest 90% band's half-width ({half:.2f} pp)" if not math.isnan(half) \
        else "fitted move > 90% band half-width"
    measure = f"slope of the Hague core on {name}, {low:g} -> {high:g}"
    if math.isnan(slope):
        return Verdict(lever, measure, threshold, math.nan, "not measured: fewer than two settings with a deal", False)
    move = slope * (high - low)
    measured = f"{slope:+.2f} pp per unit ({move:+.2f} pp across the sweep)" + _without_deal(rows)
    return Verdict(lever, measure, threshold, slope, measured, abs(move) > half + TOLERANCE)


def deadline_holds(rows: pd.DataFrame, lever: str, case: str, criterion: bool = True) -> Verdict:
    """As the deadline window shifts, the agreed deadline (its mean over runs with a deal) moves by less
    than DEADLINE_MAX_MOVE years: the deadline should come out of the talks, not be the window's
    position. `criterion` False reports the measure without judging it (the case the issue does not
    set a threshold for)."""
    threshold = f"< {DEADLINE_MAX_MOVE:.2f} year" + ("" if criterion else " (reported only)")
    low, high = float(rows["setting"].min()), float(rows["setting"].max())
    measure = f"range of the {case} deadline, window shifted {low:+g} -> {high:+g} years"
    with_deal = rows.dropna(subset=["deadline_year"]).sort_values("setting")
    if len(with_deal) < 2:
        return Verdict(lever, measure, threshold, math.nan, "not measured: fewer than two shifts with a deal",
                       False if criterion else None)
    deadline = with_deal["deadline_year"]
    span = float(deadline.max() - deadline.min())
    first, last = with_deal.iloc[0], with_deal.iloc[-1]
    within = span < DEADLINE_MAX_MOVE - TOLERANCE
    measured = (f"{span:.2f} years ({first['deadline_year']:.1f} at {first['setting']:+g}, "
                f"{last['deadline_year']:.1f} at {last['setting']:+g})"
                + ("" if criterion else f"; {'within' if within else 'outside'} the Hague threshold"))
    return Verdict(lever, measure, threshold, span, measured, within if criterion else None)
