"""The experiments' figures read as they should: series drawn side by side keep their bands apart
(hatched, not blended), categories are points with error bars (no line between them), and a
figure of many panels is a grid, not a row."""

import numpy as np
import pandas as pd
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from experiments import mediator_rules, protocols
from experiments.figures import band, points, series_style


def stats(xs, mean=1.0):
    return pd.DataFrame({"x": xs, "mean": mean, "low": mean - 0.5, "high": mean + 0.5})


def runs(by: str, values, pressures) -> pd.DataFrame:
    """A small table of runs, as a sweep gives them, for the plots."""
    rng = np.random.default_rng(0)
    rows = [{by: value, "us_pressure": pressure, "deal": bool(seed % 3), "core_target_pct": 3.5 + rng.normal(0, 0.1),
             "deadline_year": 2035.0, "rounds": 10, "n_holdouts": seed % 2, "baseline_weighted_mean": 4.0,
             "baseline_weighted_median": 4.5, "baseline_nash": 4.2}
            for value in values for pressure in pressures for seed in range(4)]
    return pd.DataFrame(rows)


def test_a_second_series_band_is_hatched_in_its_colour_over_a_clear_background():
    ax = Figure().subplots()
    band(ax, stats([0, 1, 2]), "x", **series_style(0))
    band(ax, stats([0, 1, 2]), "x", **series_style(1))
    first, second = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert not first.get_hatch() and first.get_facecolor()[0][3] < 0.3  # a light fill
    assert second.get_hatch() and (len(second.get_facecolor()) == 0 or second.get_facecolor()[0][3] == 0)  # no fill
    assert series_style(0)["color"] != series_style(1)["color"]


def test_categories_are_points_with_error_bars_and_no_line():
    ax = Figure().subplots()
    drawn = points(ax, stats([0.4, 0.9, 1.0]), "x", {0.4: 0.0, 0.9: 1.0, 1.0: 2.0}, offset=0.2)
    line = drawn.lines[0]
    assert line.get_linestyle() == "None" and list(line.get_xdata()) == [0.2, 1.2, 2.2]


def test_mediator_rules_puts_the_rules_side_by_side_at_each_pressure_level():
    table = runs("mediator_rule", ["compromise", "median", "nash"], [0.4, 0.9, 1.0])
    table["versus_baseline_pp"] = table["core_target_pct"] - mediator_rules.baseline_of(table)
    fig = mediator_rules.plot(table, seeds=4)
    first = fig.axes[0]
    assert [tick.get_text() for tick in first.get_xticklabels()] == ["0.4\n(light)", "0.9\n(strong)",
                                                                    "1\n(the Hague's, maximal)"]
    assert all(line.get_linestyle() == "None" for line in first.lines)


def test_protocols_is_a_grid_with_the_legend_in_its_own_cell():
    fig = protocols.plot(runs("protocol", ["mediator", "agenda_setter", "challenge"], [0.0, 0.5, 0.9, 1.0]), seeds=4)
    rows = {round(ax.get_position().y0, 2) for ax in fig.axes if ax.get_visible()}
    assert len(rows) == 2  # two rows of panels, not five in a row
    legend_cells = [ax for ax in fig.axes if not ax.axison and ax.get_legend() is not None]
    assert len(legend_cells) == 1
