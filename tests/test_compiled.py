"""The challenge protocol's compiled loops (`sim.compiled`) give numpy's numbers bit for bit.

The loops restate `rules.weighted_median`, `rules.weighted_distance`, `rules.status_quo_drift`
and the pair rules (`prevail_probability`, `challenge_utility`, `challenge_classes`,
`offered_move`, `least_move`) as one pass per run; here they are run as plain Python (always)
and compiled (where numba is installed) on drawn alliances, ties, absent allies and allies with
no support included, against the numpy path, and whole runs of the batch engine are compared
with the switch on and off.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sim import challenge, compiled, rules
from sim.batch import run_batch

LEVELS = st.sampled_from([0.0, -0.0, 1.0, 1.5, 2.0, 2.0, 3.5, 5.0])  # few values: ties are common
SPREAD = st.floats(0.0, 10.0, allow_nan=False, allow_infinity=False)
EXTREMES = st.sampled_from([np.inf, -np.inf])  # never in the model, but numpy's answer is defined


@st.composite
def alliances(draw):
    """(runs, allies) positions, weights, salience, who is at the table and the status quo: the
    absent allies with no weight and, some of them, no position (NaN), as in Wales 2014."""
    runs, allies = draw(st.integers(1, 4)), draw(st.integers(1, 9))
    shape = (runs, allies)
    positions = draw(hnp.arrays(float, shape, elements=st.one_of(LEVELS, SPREAD, EXTREMES)
                                if draw(st.booleans()) else st.one_of(LEVELS, SPREAD)))
    weights = draw(hnp.arrays(float, shape, elements=st.one_of(st.just(0.0), st.floats(0.01, 2.0))))
    at_table = draw(hnp.arrays(bool, allies))
    weights = np.where(at_table, weights, 0.0)
    positions = np.where(at_table | draw(hnp.arrays(bool, allies)), positions, np.nan)
    salience = draw(hnp.arrays(float, shape, elements=st.floats(0.5, 1.0)))
    status_quo = draw(st.one_of(st.just(np.nan), st.one_of(LEVELS, SPREAD),  # one value, or each run's
                                hnp.arrays(float, st.sampled_from([(1, 1), (runs, 1)]),
                                           elements=st.one_of(LEVELS, SPREAD))))
    return positions, weights, salience, at_table, status_quo


@contextmanager
def numpy_path():
    """The numpy path, numba installed or not."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(compiled.SWITCH, "0")
        yield


def loops_to_check() -> list[compiled.Loops]:
    return [compiled.PLAIN] + ([compiled.COMPILED] if compiled.COMPILED is not None else [])


def assert_identical(got, expected):
    np.testing.assert_array_equal(got, expected, strict=True)  # NaN where NaN, every bit of every number


@settings(max_examples=150, deadline=None)
@given(alliances())
def test_the_loops_give_numpys_contenders_and_settlements(alliance):
    """Bit for bit, down to degenerate alliances (nobody weighs anything: every P_ij is 1/2)."""
    positions, weights, salience, at_table, status_quo = alliance
    with numpy_path(), np.errstate(all="ignore"):
        expected = challenge.contenders(positions, weights, salience, at_table, status_quo)
        settled = challenge.settle(expected, expected)
    for loops in loops_to_check():
        with np.errstate(all="ignore"):  # plain Python warns where numpy's arrays were told not to
            distance, to_forecast, drift = loops.contend(positions, weights, status_quo)
            settled_here = loops.settle(expected, rules.CHALLENGE_STATUS_QUO_HOLDS)
        assert_identical(distance, expected.distance)
        assert_identical(to_forecast, expected.to_forecast)
        assert_identical(drift, expected.drift)
        assert_identical(settled_here, settled)


@settings(max_examples=300, deadline=None)
@given(hnp.arrays(float, st.integers(1, 40), elements=st.one_of(LEVELS, st.just(np.nan), EXTREMES, SPREAD)))
def test_the_loops_sort_as_numpys_stable_argsort(keys):
    """NaN last, -0.0 and 0.0 equal, ties in the allies' order, from any starting order; the
    plain Python sort as well as the compiled one."""
    sorts = [getattr(compiled.sort_stably, "py_func", compiled.sort_stably), compiled.sort_stably]
    for sort in sorts:
        for start in (np.arange(len(keys)), np.arange(len(keys))[::-1].copy()):
            np.testing.assert_array_equal(sort(keys, start), np.argsort(keys, kind="stable"))


def test_the_hand_derived_round_settles_the_same_in_the_loops():
    """The three allies of `test_negotiation`'s hand-derived trace (hawk 4.0, laggard 1.5, US
    5.0; weights 0.2, 0.15, 0.375; salience 1, 0.5, 0.75): the laggard is compelled to the
    hawk's 4.0 (the least of its two forced moves), the hawk and the US counter to 4 + 30/59."""
    positions = np.array([[4.0, 1.5, 5.0]])
    weights, salience = np.array([[0.2, 0.15, 0.375]]), np.array([[1.0, 0.5, 0.75]])
    for loops in loops_to_check():
        distance, to_forecast, drift = loops.contend(positions, weights, np.nan)
        np.testing.assert_allclose(distance, [[0.75, 1.8125, 0.725]])
        assert (drift == 0.5).all()  # nothing on the table yet
        parties = challenge.Contenders(position=positions, distance=distance, salience=salience,
                                       to_forecast=to_forecast, drift=drift, at_table=np.ones((1, 3), bool))
        np.testing.assert_allclose(loops.settle(parties, rules.CHALLENGE_STATUS_QUO_HOLDS),
                                   [[4 + 30 / 59, 4.0, 4 + 30 / 59]])


def test_the_switch_turns_the_compiled_loops_off(monkeypatch):
    monkeypatch.setenv(compiled.SWITCH, "0")
    assert compiled.compiled_loops() is None
    monkeypatch.setenv(compiled.SWITCH, "1")
    assert compiled.compiled_loops() is compiled.COMPILED


@pytest.mark.skipif(compiled.COMPILED is None, reason="numba is not installed: only the numpy path runs")
@pytest.mark.parametrize("name", ["hague2025", "wales2014"])
def test_whole_runs_are_the_same_with_and_without_the_compiled_loops(name):
    overrides = [{"protocol": "challenge", "us_pressure": pressure} for pressure in np.linspace(0.0, 1.0, 12)]
    seeds = list(range(len(overrides)))
    with_loops = run_batch(name, overrides, seeds, per_ally=True)
    with numpy_path():
        without = run_batch(name, overrides, seeds, per_ally=True)
    for column in ("deal", "core_target_pct", "deadline_year", "rounds", "holdouts", "flexibility"):
        assert_identical(getattr(with_loops, column), getattr(without, column))
    assert_identical(with_loops.allies.final_position_pct, without.allies.final_position_pct)
    assert_identical(with_loops.allies.trajectory_pct, without.allies.trajectory_pct)
