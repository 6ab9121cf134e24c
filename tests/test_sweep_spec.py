"""Sweep specs: every bad input gets one clear line, samplers and seeds behave as documented."""

import hashlib
import json
import time
import tomllib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.engines.engine import Engine
from sim.model.parameters import MediatorRule
from sim.sweeps.sampling import MAX_GRID_STEPS, MAX_SAMPLED_VALUES, SamplerMethod
from sim.sweeps.seeds import run_seed
from sim.sweeps.spec import SweepSpecError, builtin_specs, load_spec, parse_spec, specs_dir

GOOD = """
name = "t"
scenario = "hague2025"
[runs]
replicates = 2
seed = 11
[sampler]
method = "grid"
[parameters]
us_pressure = { low = 0.0, high = 1.0, steps = 3 }
"""

# (what is wrong, the spec text, words the message must contain)
BAD_SPECS = [
    ("not TOML", "name = ", ["not valid TOML"]),
    ("unknown top-level field", 'colour = "red"\n' + GOOD, ["unknown field colour", "allowed:", "parameters"]),
    ("unknown runs field", GOOD.replace("seed = 11", "seed = 11\nworkers = 4"),
     ["runs.workers", "allowed:", "replicates"]),
    ("no replicates", GOOD.replace("replicates = 2", "replicates = 0"),
     ["runs.replicates = 0", "allowed: an integer from 1"]),
    ("negative seed", GOOD.replace("seed = 11", "seed = -1"), ["runs.seed = -1", "allowed: an integer from 0"]),
    ("unknown engine", GOOD.replace("seed = 11", 'seed = 11\nengine = "gpu"'),
     ["runs.engine = 'gpu'", "allowed: batch, mesa"]),
    ("batch size zero", GOOD.replace("seed = 11", "seed = 11\nbatch_size = 0"), ["runs.batch_size = 0", "allowed"]),
    ("per_ally not a bool", GOOD.replace("seed = 11", 'seed = 11\nper_ally = "yes"'),
     ["runs.per_ally", "allowed: true or false"]),
    ("unknown sampler", GOOD.replace('method = "grid"', 'method = "random"'),
     ["sampler.method = 'random'", "allowed: grid, list, latin_hypercube, sobol"]),
    ("samples on a grid", GOOD.replace('method = "grid"', 'method = "grid"\nsamples = 8'),
     ["sampler.samples", "latin_hypercube and sobol"]),
    ("sobol samples not a power of two", GOOD.replace('method = "grid"', 'method = "sobol"\nsamples = 100')
     .replace(", steps = 3", ""), ["sampler.samples = 100", "power of two"]),
    ("unknown parameter", GOOD + "warp_speed = 9\n", ["parameters.warp_speed is unknown", "known parameters:"]),
    ("value out of range", GOOD + "threat_level = 2.0\n",
     ["parameters.threat_level = 2.0", "allowed: a number from 0 to 1"]),
    ("range beyond the bounds", GOOD.replace("high = 1.0", "high = 1.5"),
     ["parameters.us_pressure.high = 1.5", "allowed: a number from 0 to 1"]),
    ("range upside down", GOOD.replace("low = 0.0, high = 1.0", "low = 0.8, high = 0.2"),
     ["parameters.us_pressure.high", "below low", "allowed: high >= low"]),
    ("grid range without steps", GOOD.replace(", steps = 3", ""), ["parameters.us_pressure.steps", "allowed: an integer >= 1"]),
    ("steps on a Latin hypercube", GOOD.replace('method = "grid"', 'method = "latin_hypercube"'),
     ["parameters.us_pressure.steps", "only for sampler.method"]),
    ("unknown range key", GOOD.replace("steps = 3", "steps = 3, step = 0.5"),
     ["parameters.us_pressure.step is unknown", "allowed: low, high, steps"]),
    ("range on a switch", GOOD + "eu_escape_clause = { low = 0, high = 1, steps = 2 }\n",
     ["parameters.eu_escape_clause cannot be a range", "allowed: a list of values"]),
    ("unknown mediator rule", GOOD + 'mediator_rule = ["compromise", "mean"]\n',
     ["parameters.mediator_rule = 'mean'", "allowed: one of compromise, median, nash"]),
    ("wrong type", GOOD + 'max_rounds = "many"\n', ["parameters.max_rounds = 'many'", "allowed: an integer"]),
    ("repeated value", GOOD + "max_rounds = [4, 4]\n", ["parameters.max_rounds", "distinct values"]),
    ("empty list", GOOD + "max_rounds = []\n", ["parameters.max_rounds = []", "allowed"]),
    ("deadline window closing before it opens", GOOD + "earliest_deadline_years = [10]\nlatest_deadline_years = [4, 12]\n",
     ["parameters", "latest_deadline_years", "earliest_deadline_years"]),
    ("unknown scenario", GOOD.replace('"hague2025"', '"atlantis"'), ["field scenario", "atlantis", "built-in"]),
    ("list without points", GOOD.replace('method = "grid"', 'method = "list"'),
     ["field parameters is not used", "[[points]]"]),
    ("list with no points at all", GOOD.split("[parameters]")[0].replace('method = "grid"', 'method = "list"'),
     ["field points is missing", "[[points]]"]),
    ("bad point", GOOD.split("[parameters]")[0].replace('method = "grid"', 'method = "list"')
     + "[[points]]\nus_pressure = 0.5\n[[points]]\nus_pressure = 7\n",
     ["points[1].us_pressure = 7", "allowed: a number from 0 to 1"]),
    ("points on a grid", GOOD + "[[points]]\nus_pressure = 0.5\n", ["field points is only for", "list"]),
    ("nothing to sample", GOOD.replace('method = "grid"', 'method = "latin_hypercube"')
     .replace("{ low = 0.0, high = 1.0, steps = 3 }", "0.5"), ["nothing to sample", "allowed"]),
]
CLI_CASES = BAD_SPECS[:6] + BAD_SPECS[-5:]


def write(tmp_path, text, name="spec.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def spec_from(text: str, **runs):
    raw = tomllib.loads(text)
    raw.setdefault("runs", {}).update(runs)
    return parse_spec(raw, "test")


@pytest.mark.parametrize("case, text, words", BAD_SPECS, ids=[case for case, _, _ in BAD_SPECS])
def test_bad_spec_gets_one_clear_line(tmp_path, case, text, words):
    path = write(tmp_path, text)
    with pytest.raises(SweepSpecError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    assert "\n" not in message
    for word in words:
        assert word in message, f"{case}: {word!r} not in {message!r}"


@pytest.mark.parametrize("case, text, words", CLI_CASES, ids=[case for case, _, _ in CLI_CASES])
def test_cli_exits_2_with_the_message_and_no_traceback(tmp_path, capsys, case, text, words):
    path = write(tmp_path, text)
    assert main(["sweep", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("alliance-sim: error: ") and err.count("\n") == 1
    assert "Traceback" not in err and words[0] in err
    assert not (tmp_path / "out").exists()


def test_cli_names_a_missing_spec_and_the_built_in_ones(tmp_path, capsys):
    assert main(["sweep", "no_such_sweep", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "no_such_sweep" in err and "smoke" in err and "us_pressure" in err


def test_shipped_specs_are_valid():
    names = set(builtin_specs())
    assert {"smoke", "us_pressure", "threat_shocks", "fiscal_rules", "mediator_rules"} <= names
    for name in names:
        spec = load_spec(name)
        assert spec.runs > 0 and spec.batch_count >= 1
        assert spec.engine == Engine.BATCH or spec.per_round  # the fast engine, unless per-round data is asked for


# --- samplers ------------------------------------------------------------------------------

def test_grid_is_every_combination_first_parameter_slowest():
    spec = spec_from(GOOD + 'mediator_rule = ["compromise", "nash"]\nmax_rounds = [4, 8, 12]\n')
    assert spec.sampler == SamplerMethod.GRID
    assert len(spec.design) == 3 * 2 * 3 and spec.runs == 18 * 2
    points = [spec.design.point(i) for i in range(len(spec.design))]
    assert points[0] == {"us_pressure": 0.0, "mediator_rule": MediatorRule.COMPROMISE, "max_rounds": 4}
    assert points[1]["max_rounds"] == 8 and points[3]["mediator_rule"] == MediatorRule.NASH
    assert [p["us_pressure"] for p in points[::6]] == [0.0, 0.5, 1.0]
    assert len({tuple(p.values()) for p in points}) == 18


def test_run_ids_map_to_design_points_and_replicates():
    spec = spec_from(GOOD, replicates=4)
    assert [spec.overrides(i)["us_pressure"] for i in range(12)] == [0.0] * 4 + [0.5] * 4 + [1.0] * 4
    assert [spec.replicate(i) for i in range(6)] == [0, 1, 2, 3, 0, 1]


def test_integer_grid_ranges_are_integers():
    spec = spec_from(GOOD.replace("us_pressure = { low = 0.0, high = 1.0, steps = 3 }",
                                  "max_rounds = { low = 2, high = 12, steps = 6 }"))
    assert spec.design.grid == ((2, 4, 6, 8, 10, 12),)


QMC = """
[runs]
seed = {seed}
[sampler]
method = "{method}"
samples = 64
[parameters]
us_pressure = {{ low = 0.25, high = 0.75 }}
max_rounds = {{ low = 3, high = 9 }}
mediator_rule = ["compromise", "median", "nash"]
threat_level = 0.6
"""


@pytest.mark.parametrize("method", ["latin_hypercube", "sobol"])
def test_qmc_samples_stay_in_bounds_and_are_reproducible(method):
    spec = spec_from(QMC.format(seed=5, method=method))
    points = [spec.design.point(i) for i in range(len(spec.design))]
    assert len(points) == 64
    pressure = np.array([p["us_pressure"] for p in points])
    rounds = [p["max_rounds"] for p in points]
    assert pressure.min() >= 0.25 and pressure.max() <= 0.75
    assert all(isinstance(r, int) and 3 <= r <= 9 for r in rounds) and set(rounds) == set(range(3, 10))
    assert {p["mediator_rule"] for p in points} == set(MediatorRule)
    assert {p["threat_level"] for p in points} == {0.6}
    again = spec_from(QMC.format(seed=5, method=method))
    assert again.design == spec.design and again.digest() == spec.digest()
    other = spec_from(QMC.format(seed=6, method=method))
    assert other.design != spec.design


def test_latin_hypercube_puts_one_point_in_each_stratum():
    spec = spec_from(QMC.format(seed=3, method="latin_hypercube"))
    pressure = np.array([spec.design.point(i)["us_pressure"] for i in range(64)])
    strata = np.floor((pressure - 0.25) / 0.5 * 64).astype(int)
    assert sorted(strata) == list(range(64))


def test_list_sampler_fills_unlisted_parameters_from_the_scenario(tmp_path):
    spec = load_spec(write(tmp_path, """
scenario = "hague2025"
[sampler]
method = "list"
[[points]]
us_pressure = 0.4
[[points]]
split_enabled = false
"""))
    assert spec.parameter_names == ("us_pressure", "split_enabled")
    assert spec.design.point(0) == {"us_pressure": 0.4, "split_enabled": True}
    assert spec.design.point(1) == {"us_pressure": 1.0, "split_enabled": False}  # the Hague reads 1.0 from the US statements


def test_scenario_path_is_read_relative_to_the_spec(tmp_path):
    write(tmp_path, '[parameters]\nus_pressure = 0.3\n', name="mine.toml")
    spec = load_spec(write(tmp_path, GOOD.replace('"hague2025"', '"mine.toml"')))
    assert spec.scenario.params.us_pressure == 0.3


# --- seeds --------------------------------------------------------------------------------

def test_run_seeds_come_from_the_root_by_run_id_alone():
    spec = spec_from(GOOD, replicates=5, batch_size=1)
    seeds = [spec.seed_of(i) for i in range(spec.runs)]
    assert len(set(seeds)) == spec.runs and all(0 <= s < 2**63 for s in seeds)
    children = np.random.SeedSequence(11).spawn(1)[0].spawn(spec.runs)
    assert seeds == [int(c.generate_state(1, np.uint64)[0] >> np.uint64(1)) for c in children]
    for batch_size in (2, 7, 1000):
        assert [spec_from(GOOD, replicates=5, batch_size=batch_size).seed_of(i) for i in range(spec.runs)] == seeds
    assert run_seed(12, 0) != run_seed(11, 0)


def test_common_random_numbers_share_seeds_across_design_points():
    spec = spec_from(GOOD, replicates=3, common_random_numbers=True)
    assert [spec.seed_of(i) for i in range(3)] == [spec.seed_of(i) for i in range(3, 6)]
    assert len({spec.seed_of(i) for i in range(3)}) == 3


def test_batches_cover_every_run_once():
    spec = spec_from(GOOD, replicates=5, batch_size=4)  # 15 runs
    batches = list(spec.batches())
    assert [len(b) for b in batches] == [4, 4, 4, 3] and spec.batch_count == 4
    assert [i for b in batches for i in b.run_ids] == list(range(15))


def test_the_hash_ignores_layout_but_not_content():
    spec = spec_from(GOOD)
    assert spec_from("# a comment\n" + GOOD.replace('name = "t"', 'name = "renamed"')).digest() == spec.digest()
    assert spec_from(GOOD, replicates=3).digest() != spec.digest()
    assert spec.with_engine(Engine.MESA).digest() != spec.digest()


def test_smoke_spec_is_small():
    spec = load_spec(specs_dir() / "smoke.toml")
    assert spec.runs <= 12 and spec.batch_count >= 3 and spec.per_ally


def test_cross_field_rules_are_checked_on_combinations_not_single_values():
    spec = spec_from(GOOD + "earliest_deadline_years = [3]\nlatest_deadline_years = [4, 12]\n")
    assert len(spec.design) == 3 * 2  # latest 4 is fine with earliest 3, though the scenario's earliest is 5
    with pytest.raises(SweepSpecError, match="design point .*earliest_deadline_years = 10, latest_deadline_years = 4"):
        spec_from(GOOD + "earliest_deadline_years = [10]\nlatest_deadline_years = [4, 12]\n")


@settings(max_examples=40, deadline=None)
@given(replicates=st.integers(1, 7), steps=st.integers(1, 6), batch_size=st.integers(1, 50),
       low=st.floats(0.0, 1.0), width=st.floats(0.0, 1.0))
def test_any_batching_covers_the_runs_once_with_the_same_seeds(replicates, steps, batch_size, low, width):
    high = min(low + width, 1.0)
    if steps > 1 and high == low:
        steps = 1
    text = GOOD.replace("low = 0.0, high = 1.0, steps = 3", f"low = {low!r}, high = {high!r}, steps = {steps}")
    spec = spec_from(text, replicates=replicates, batch_size=batch_size)
    unbatched = spec_from(text, replicates=replicates, batch_size=1)
    ids = [i for batch in spec.batches() for i in batch.run_ids]
    assert ids == list(range(spec.runs)) and spec.runs == replicates * len(spec.design)
    assert [spec.seed_of(i) for i in ids] == [unbatched.seed_of(i) for i in ids]
    values = [spec.overrides(i)["us_pressure"] for i in ids]
    assert all(low <= v <= high for v in values)


# --- designs: too large refused, built-in points and digests kept -----------------------------


@pytest.mark.parametrize("method, samples", [("latin_hypercube", 10**8), ("sobol", 2**23)])
def test_a_sampled_design_too_large_for_memory_is_refused_before_drawing(method, samples):
    """The issue's case: a Latin hypercube of 10^8 samples reached 11.4 GB while drawing."""
    raw = {"sampler": {"method": method, "samples": samples},
           "parameters": {"us_pressure": {"low": 0.0, "high": 1.0}}}
    started = time.monotonic()
    with pytest.raises(SweepSpecError) as refused:
        parse_spec(raw, "big.toml")
    message = str(refused.value)
    assert time.monotonic() - started < 1 and "\n" not in message
    assert f"sampler.samples = {samples} is too many to hold in memory" in message
    assert f"allowed: at most {MAX_SAMPLED_VALUES} values" in message


def test_a_grid_axis_too_long_to_keep_is_refused():
    raw = {"parameters": {"us_pressure": {"low": 0.0, "high": 1.0, "steps": 10**12}}}
    with pytest.raises(SweepSpecError, match=rf"steps = {10**12} is not allowed; allowed: .* <= {MAX_GRID_STEPS}"):
        parse_spec(raw, "long.toml")


#: Built-in specs before the lazy designs (HEAD 675ef6e): runs, first and last design point,
#: first and last run seed, and the sampled table's digest. They must never move: a change
#: here changes every existing sweep's rows. (The spec hashes also cover the scenario's
#: parameters, which move with the model; these do not.)
BUILTIN_DESIGNS = {
    'smoke': (9, {'us_pressure': 0.2, 'max_rounds': 6}, {'us_pressure': 1.0, 'max_rounds': 6}, 6716045083268726496, 1690407961062022205, None),
    'us_pressure': (840, {'us_pressure': 0.0}, {'us_pressure': 1.0}, 7321742964704065497, 6230276067264430832, None),
    'threat_shocks': (990, {'threat_shock': -0.5, 'threat_shock_round': 2}, {'threat_shock': 0.5, 'threat_shock_round': 10}, 4563621435906591598, 1259589235184663981, None),
    'fiscal_rules': (420, {'eu_escape_clause': False, 'escape_room_pct': 0.0}, {'eu_escape_clause': True, 'escape_room_pct': 3.0}, 5034311676600317577, 2922854948633217747, None),
    'mediator_rules': (360, {'mediator_rule': 'compromise', 'us_pressure': 0.4}, {'mediator_rule': 'nash', 'us_pressure': 1.0}, 6093118484019055769, 7105030921803578999, None),
    'sensitivity': (1024, {'shared_threat': 0.6875050190836192, 'abandonment_weight': 0.14418435841798782, 'peer_weight': 0.3513206890784204, 'need_scale_pct': 4.7374584171921015, 'fiscal_drag': 0.4372720833867788, 'concession_rate': 0.4306496491655707, 'leverage': 1.4155626241117716, 'expansion_rate_pct': 0.015755631504580377}, {'shared_threat': 0.6895387477241457, 'abandonment_weight': 0.21592186391353607, 'peer_weight': 0.04042323445901275, 'need_scale_pct': 5.686672953888774, 'fiscal_drag': 0.24296640008687975, 'concession_rate': 0.6797890204936266, 'leverage': 0.31953427381813526, 'expansion_rate_pct': 0.020561919528990984}, 6303505170278911127, 1585768159703638873, 'a671406444febc41e535f4ff7fc473f3be693dbc1023225fa2e6dd0fb232ebe8'),
    'million': (1000000, {'us_pressure': 0.9588805066793544}, {'us_pressure': 0.6079474629876254}, 3095235501369198119, 2150141238773604413, '5b96d452252f1cd5e2c4d61b5373c811b52a0882e9596d7250af4e94375121b6'),
}


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.slow) if name == "million" else name
                                  for name in sorted(BUILTIN_DESIGNS)])
def test_builtin_specs_keep_their_design_points_and_seeds(name):
    runs, first, last, first_seed, last_seed, table = BUILTIN_DESIGNS[name]
    spec = load_spec(name)
    plain = lambda point: {k: getattr(v, "value", v) for k, v in point.items()}
    assert spec.runs == runs and plain(spec.design.point(0)) == first
    assert plain(spec.design.point(len(spec.design) - 1)) == last
    assert (spec.seed_of(0), spec.seed_of(runs - 1)) == (first_seed, last_seed)
    assert spec.canonical()["design"].get("table_sha256") == table


def reference_table_digest(spec) -> str:
    """The design digest as computed before (one JSON text of the whole table)."""
    points = [[getattr(v, "value", v) for v in spec.design.point(i).values()] for i in range(len(spec.design))]
    return hashlib.sha256(json.dumps(points, separators=(",", ":")).encode()).hexdigest()


@pytest.mark.parametrize("name", ["sensitivity", pytest.param("million", marks=pytest.mark.slow), "hague_variants"])
def test_design_fingerprints_are_the_whole_table_digest(name):
    spec = load_spec(name)
    assert spec.design.table_sha256 == reference_table_digest(spec)


def test_grid_points_by_mixed_radix_match_numpy_order():
    spec = load_spec("mediator_rules")
    shape = tuple(len(values) for values in spec.design.grid)
    for index in range(len(spec.design)):
        position = np.unravel_index(index, shape)
        expected = {n: v[int(i)] for n, v, i in zip(spec.design.names, spec.design.grid, position)}
        assert spec.design.point(index) == expected
