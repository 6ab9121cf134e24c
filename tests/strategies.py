"""Reusable hypothesis strategies: valid model parameter overrides, seeds and batches of runs.

Built from the parameter table itself (`sim.model.parameters`), so a new parameter or a changed
range is covered without editing the tests. Every override drawn is accepted by
`Scenario.with_parameters` on the scenario it is drawn for.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache

from hypothesis import HealthCheck
from hypothesis import strategies as st

from sim.model.parameters import Parameters, parameter_fields
from sim.model.scenario import builtin_scenarios, load_scenario

SEEDS = st.integers(min_value=0, max_value=2**32 - 1)


def parameter_value(name: str) -> st.SearchStrategy:
    """Any allowed value of one parameter (its choices, or its whole range)."""
    spec = parameter_fields()[name]
    meta = spec.metadata
    if meta["choices"]:
        return st.sampled_from(meta["choices"])
    if spec.type in ("bool", bool):
        return st.booleans()
    if spec.type in ("int", int):
        return st.integers(min_value=meta["low"], max_value=meta["high"])
    return st.floats(min_value=meta["low"], max_value=meta["high"], allow_nan=False, allow_infinity=False)


@st.composite
def parameter_overrides(draw, base: Parameters | None = None, names: Iterable[str] | None = None,
                        narrowed: Mapping[str, st.SearchStrategy] | None = None, min_size: int = 0) -> dict:
    """A dict of overrides valid on `base` (default parameters if None): a random subset of
    `names` (default: every parameter), each drawn from `narrowed[name]` if given, else from
    its whole allowed range. Cross-field rules hold (the latest deadline is never before the
    earliest, the summit never before the data year)."""
    base = base or Parameters()
    narrowed = dict(narrowed or {})
    chosen = draw(st.lists(st.sampled_from(sorted(names or parameter_fields())), min_size=min_size, unique=True))
    values = {name: draw(narrowed.get(name, parameter_value(name))) for name in chosen}
    earliest = values.get("earliest_deadline_years", base.earliest_deadline_years)
    latest = values.get("latest_deadline_years", base.latest_deadline_years)
    if latest < earliest:
        values["earliest_deadline_years"], values["latest_deadline_years"] = latest, earliest
    data_year = values.get("data_year", base.data_year)
    summit_year = values.get("summit_year", base.summit_year)
    if summit_year < data_year:  # a summit is never before its data year: drawn again, from the data year on
        high = parameter_fields()["summit_year"].metadata["high"]
        values["summit_year"] = draw(narrowed.get("summit_year", st.integers(data_year, high)).filter(
            lambda year: year >= data_year))
    return values


#: Narrower ranges that keep a Mesa run short (tests that run the agent model many times).
QUICK_RUNS = {"max_rounds": st.integers(min_value=1, max_value=25), "threat_shock_round": st.integers(1, 25)}


def quick_overrides(base: Parameters | None = None, min_size: int = 0) -> st.SearchStrategy[dict]:
    """Overrides of every parameter over its whole range, except talks of at most 25 rounds."""
    return parameter_overrides(base=base, narrowed=QUICK_RUNS, min_size=min_size)


#: Health checks to suppress where each example runs whole negotiations.
SLOW_EXAMPLES = [HealthCheck.too_slow, HealthCheck.data_too_large]


@cache
def scenario(name: str):
    """A built-in scenario, loaded once."""
    return load_scenario(name)


@st.composite
def batches(draw, max_runs: int):
    """A built-in scenario and a list of (valid overrides, seed) runs on it."""
    name = draw(st.sampled_from(builtin_scenarios()))
    runs = draw(st.lists(st.tuples(quick_overrides(base=scenario(name).params), SEEDS), min_size=1,
                         max_size=max_runs))
    return name, [overrides for overrides, _ in runs], [seed for _, seed in runs]
