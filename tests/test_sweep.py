"""`alliance-sim sweep` end to end: the files it writes, rows that match single runs, and
results that do not depend on how runs are batched."""

import json
import tomllib

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.engines.engine import Engine, run_mesa
from sim.sweeps.executors import ExecutorChoice
from sim.engines.model import AllianceModel
from sim.engines.outcome import ALLY_FIELDS, RUN_FIELDS, outcome_row
from sim.sweeps.results import load_results, read_metadata
from sim.model.scenario import load_scenario
from sim.sweeps.shards import ResultTable
from sim.sweeps.sweep import run_sweep
from sim.sweeps.spec import load_spec, parse_spec, specs_dir

ENGINES = ["mesa", "batch"]
IN_PROCESS = ExecutorChoice(workers=1)


def smoke(engine: str, **runs):
    """The smoke spec with some [runs] fields changed."""
    raw = tomllib.loads((specs_dir() / "smoke.toml").read_text(encoding="utf-8"))
    raw["runs"].update(engine=engine, **runs)
    return parse_spec(raw, "smoke (test)")


def table(out, kind=ResultTable.RUNS) -> pd.DataFrame:
    """A sweep's table without the code version, which names the commit and may move on."""
    frame = load_results(out, kind)
    return frame.drop(columns=["code_version"]) if "code_version" in frame else frame


@pytest.mark.parametrize("engine", ENGINES)
def test_cli_sweep_writes_one_row_per_run_and_its_metadata(tmp_path, capsys, engine):
    out = tmp_path / "smoke"
    assert main(["sweep", "smoke", "--out", str(out), "--engine", engine, "--workers", "1", "--quiet"]) == 0
    said = capsys.readouterr().out
    assert "sweep smoke: 9 runs" in said and f"engine {engine}" in said
    spec = load_spec("smoke").with_engine(engine)

    runs = load_results(out)
    assert list(runs.columns) == ["run_id", "seed", "point", "replicate", "us_pressure", "max_rounds",
                                  "code_version", *RUN_FIELDS]
    assert runs["run_id"].tolist() == list(range(9))
    assert runs["seed"].tolist() == [spec.seed_of(i) for i in range(9)]
    assert runs["us_pressure"].tolist() == [0.2] * 3 + [0.6] * 3 + [1.0] * 3
    assert set(runs["max_rounds"]) == {6} and (runs["rounds"] <= 6).all()
    assert runs["code_version"].str.startswith("0.").all()
    assert runs["deadline_year"][~runs["deal"]].isna().all()  # no deal, no deadline: null, not a sentinel
    assert (runs["deadline_year"][runs["deal"]] >= 2030).all()
    assert all(isinstance(codes, np.ndarray) for codes in runs["holdouts"])  # a list of ISO3 codes per run

    allies = load_results(out, "allies")
    assert list(allies.columns) == ["run_id", "iso3", *ALLY_FIELDS]
    assert len(allies) == 9 * 32 and allies["run_id"].is_monotonic_increasing
    holdouts = allies.groupby("run_id")["accepted"].apply(lambda a: int((~a).sum()))
    assert (holdouts.to_numpy() >= runs["n_holdouts"].to_numpy()).all()

    meta = read_metadata(out)
    assert meta["spec_hash"] == spec.digest() and meta["root_seed"] == 7 and meta["runs"] == 9
    assert meta["spec_text"] == (specs_dir() / "smoke.toml").read_text(encoding="utf-8")
    assert {"numpy", "pyarrow", "mesa"} <= set(meta["package_versions"])
    assert meta["code_version"].startswith("0.")
    json.dumps(meta)


def test_rows_are_the_single_runs_of_the_model(tmp_path):
    spec = smoke("mesa")
    run_sweep(spec, tmp_path / "s", executor=IN_PROCESS, progress=False)
    runs = load_results(tmp_path / "s")
    scenario = load_scenario("hague2025")
    for run_id in (0, 4, 8):
        expected = outcome_row(AllianceModel(scenario, rng=spec.seed_of(run_id), **spec.overrides(run_id)).run())
        got = runs.loc[run_id, list(RUN_FIELDS)].to_dict()
        assert {name: list(got[name]) for name in ("holdouts", "flexibility")} == \
               {name: expected[name] for name in ("holdouts", "flexibility")}, run_id
        numbers = {name: (None if pd.isna(value) else value) for name, value in got.items()
                   if name not in ("holdouts", "flexibility")}
        assert numbers == pytest.approx({name: value for name, value in expected.items() if name in numbers}), run_id


@pytest.mark.parametrize("engine", ENGINES)
def test_results_do_not_depend_on_batch_size(tmp_path, engine):
    for batch_size in (1, 4, 100):
        run_sweep(smoke(engine, batch_size=batch_size), tmp_path / str(batch_size), executor=IN_PROCESS,
                  progress=False)
    reference = table(tmp_path / "1")
    for batch_size in (4, 100):
        pd.testing.assert_frame_equal(table(tmp_path / str(batch_size)), reference)
        pd.testing.assert_frame_equal(table(tmp_path / str(batch_size), ResultTable.ALLIES),
                                      table(tmp_path / "1", ResultTable.ALLIES))
    assert len(ResultTable.RUNS.shards(tmp_path / "4")) == 3


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_returns_columns_per_run_and_ally(engine):
    spec = smoke(engine)
    overrides = [spec.overrides(i) for i in range(3)]
    seeds = [spec.seed_of(i) for i in range(3)]
    result = Engine(engine).run(spec.scenario, overrides, seeds, per_ally=True)
    assert len(result) == 3 and list(result.columns()) == list(RUN_FIELDS)
    assert len(result.iso3) == 32 and "USA" in result.iso3
    for name in ALLY_FIELDS:
        assert np.asarray(getattr(result.allies, name)).shape == (3, 32)
    alone = Engine(engine).run(spec.scenario, overrides[1:2], seeds[1:2])
    assert alone.rows()[0] == result.rows()[1]


def test_mesa_engine_checks_its_arguments():
    with pytest.raises(ValueError, match="2 sets of overrides but 1 seeds"):
        run_mesa("hague2025", [{}, {}], [1])


def test_progress_bar_reports_runs_on_stderr(tmp_path, capsys):
    run_sweep(smoke("mesa"), tmp_path / "s", executor=IN_PROCESS, progress=True)
    err = capsys.readouterr().err
    assert "9/9" in err and "run/s" in err
