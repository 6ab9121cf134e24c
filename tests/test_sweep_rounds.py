"""Per-round output of a sweep (`per_round = true`, Mesa engine only): the rounds and
allies-by-round tables are the model's own tables run for run, they resume like the other
shards, and asking the batch engine for them is refused with one clear line."""

import shutil
import tomllib

import pandas as pd
import pytest

from sim.cli import main
from sim.engines.engine import Engine
from sim.sweeps.executors import ExecutorChoice
from sim.engines.model import AllianceModel
from sim.engines.outcome import ALLY_ROUND_FIELDS, ROUND_FIELDS
from sim.sweeps.results import DAMAGED_DIR, MissingTableError, load_results, read_metadata
from sim.model.scenario import ScenarioError, load_scenario
from sim.sweeps.shards import ResultTable
from sim.sweeps.sweep import run_sweep
from sim.sweeps.spec import SweepSpecError, load_spec, parse_spec, specs_dir

IN_PROCESS = ExecutorChoice(workers=1)
#: 2 pressure levels x 2 replicates, four rounds, one run per batch: four batches, each small.
ROUNDS_SPEC = """
name = "rounds"
scenario = "hague2025"
[runs]
replicates = 2
seed = 11
engine = "mesa"
batch_size = 1
per_round = true
[parameters]
us_pressure = [0.3, 0.9]
max_rounds = 4
"""


def rounds_spec(**runs):
    raw = tomllib.loads(ROUNDS_SPEC)
    raw["runs"].update(runs)
    return parse_spec(raw, "rounds (test)")


def per_round_tables(out):
    return load_results(out, ResultTable.ROUNDS), load_results(out, ResultTable.ALLIES_BY_ROUND)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """One uninterrupted per-round sweep, shared by the tests that only read it."""
    out = tmp_path_factory.mktemp("rounds") / "reference"
    run_sweep(rounds_spec(), out, executor=IN_PROCESS, progress=False)
    return out


def test_per_round_tables_have_a_row_per_run_and_round_and_ally(reference):
    runs = load_results(reference)
    rounds, allies = per_round_tables(reference)
    assert list(rounds.columns) == ["run_id", *ROUND_FIELDS]
    assert list(allies.columns) == ["run_id", *ALLY_ROUND_FIELDS]
    assert rounds["run_id"].unique().tolist() == allies["run_id"].unique().tolist() == list(range(4))
    per_run = rounds.groupby("run_id").size()
    assert (per_run.to_numpy() == runs["rounds"].to_numpy() + 1).all()  # round 0 is the opening positions
    assert not rounds.duplicated(["run_id", "round"]).any()
    assert not allies.duplicated(["run_id", "round", "iso3"]).any()
    members = len(load_scenario("hague2025").allies().iso3)
    assert (allies.groupby("run_id").size().to_numpy() == per_run.to_numpy() * members).all()
    meta = read_metadata(reference)
    assert meta["per_round"] is True and meta["engine"] == "mesa"


@pytest.mark.parametrize("run_id", [0, 3])
def test_per_round_rows_are_the_models_own_tables(reference, run_id):
    spec = rounds_spec()
    model = AllianceModel(load_scenario("hague2025"), rng=spec.seed_of(run_id), **spec.overrides(run_id))
    model.run()
    rounds, allies = per_round_tables(reference)
    for got, expected in ((rounds, model.rounds_table()), (allies, model.allies_table())):
        mine = got[got["run_id"] == run_id].drop(columns=["run_id"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, expected.reset_index(drop=True), check_dtype=False,
                                      check_exact=True)


def test_resume_recomputes_a_batch_whose_per_round_shards_are_missing_or_damaged(reference, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    (out / "rounds" / "rounds-000001.parquet").unlink()
    (out / "allies_by_round" / "allies_by_round-000002.parquet").write_bytes(b"not parquet")

    capsys.readouterr()
    report = run_sweep(rounds_spec(), out, executor=IN_PROCESS, resume=True, progress=False)
    err = capsys.readouterr().err
    assert report.already_done == 2 and report.computed == 2
    assert (f"damaged shard {out / 'runs' / 'runs-000001.parquet'}: its rounds table (rounds-000001.parquet) "
            "is missing") in err
    assert f"damaged shard {out / 'allies_by_round' / 'allies_by_round-000002.parquet'}: unreadable" in err
    aside = sorted(p.name.split(".parquet")[0] for p in (out / DAMAGED_DIR).iterdir())
    assert aside == ["allies_by_round-000002", "runs-000001"]
    for mine, theirs in zip(per_round_tables(out), per_round_tables(reference)):
        pd.testing.assert_frame_equal(mine, theirs)
    pd.testing.assert_frame_equal(load_results(out).drop(columns=["code_version"]),
                                  load_results(reference).drop(columns=["code_version"]))


def test_an_unfinished_batch_leaves_its_per_round_rows_out(reference, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    (out / "runs" / "runs-000003.parquet").unlink()  # the batch's extra shards were written, its run shard not
    rounds, allies = per_round_tables(out)
    assert rounds["run_id"].unique().tolist() == allies["run_id"].unique().tolist() == [0, 1, 2]


def test_the_example_per_round_spec_is_valid():
    spec = load_spec(specs_dir() / "rounds_smoke.toml")
    assert spec.per_round and spec.engine == Engine.MESA and spec.runs == 4


def test_without_per_round_no_extra_shards_and_the_hash_is_unchanged(tmp_path):
    plain = rounds_spec(per_round=False)
    assert "per_round" not in plain.canonical()  # sweeps started before the field keep their hash
    assert rounds_spec().digest() != plain.digest()
    run_sweep(plain, tmp_path / "out", executor=IN_PROCESS, progress=False)
    assert not ResultTable.ROUNDS.shards(tmp_path / "out")
    assert not ResultTable.ALLIES_BY_ROUND.shards(tmp_path / "out")
    with pytest.raises(MissingTableError, match="per_round = true"):  # not kept: said, not an empty frame
        load_results(tmp_path / "out", "rounds")


# --- the batch engine keeps no rounds -----------------------------------------------------------

@pytest.mark.parametrize("written", ['engine = "batch"\n', ""], ids=["batch", "default"])
def test_per_round_with_the_batch_engine_is_refused_by_the_spec(tmp_path, capsys, written):
    path = tmp_path / "bad.toml"
    path.write_text(ROUNDS_SPEC.replace('engine = "mesa"\n', written), encoding="utf-8")
    with pytest.raises(SweepSpecError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: field runs.per_round = true") and "\n" not in message
    assert 'runs.engine = "batch"' in message and 'allowed: per_round = true only with engine "mesa"' in message

    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"alliance-sim: error: {path}: field runs.per_round") and err.count("\n") == 1
    assert not (tmp_path / "out").exists()


def test_per_round_with_engine_batch_on_the_command_line_is_refused(tmp_path, capsys):
    path = tmp_path / "rounds.toml"
    path.write_text(ROUNDS_SPEC, encoding="utf-8")
    args = ["sweep", str(path), "--out", str(tmp_path / "out"), "--engine", "batch", "--workers", "1", "--quiet"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"alliance-sim: error: {path}: field runs.per_round = true is not allowed with "
                          "--engine batch; allowed: per_round = true only with engine \"mesa\"")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists()
    assert load_spec(path).with_engine("mesa").per_round  # the engine it already has is fine


def test_the_batch_engine_itself_refuses_per_round():
    with pytest.raises(ScenarioError, match="allowed with per_round: mesa"):
        Engine.BATCH.run("hague2025", [{}], [1], per_round=True)
    result = Engine.MESA.run("hague2025", [{"max_rounds": 2}], [1])
    assert result.per_round is None  # only on request: it is many rows per run
