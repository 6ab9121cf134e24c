"""The calibration (experiments/calibrate.py): what a fit on one case searches and holds, the
ABC-SMC fit on its --quick path (same seed, same fit), and where a fit is written."""

import json

import numpy as np
import pytest

from experiments import calibrate
from sim.model.parameters import Parameters
from sim.analysis.validation import Case


def test_a_hague_fit_holds_what_acts_after_the_summit_at_mid_range():
    space = calibrate.SEARCH_SPACE
    assert set(calibrate.searched(Case.WALES)) == set(calibrate.searched(Case.BOTH)) == set(space)
    assert set(calibrate.searched(Case.HAGUE)) == set(space) - set(calibrate.AFTER_THE_SUMMIT)
    assert calibrate.held(Case.HAGUE) == {"adjustment_rate": 0.15, "punctuation_rate": 0.3, "friction_pp": 0.75,
                                          "enforcement_rate": 1.0}  # (0 + 0.3) / 2, (0 + 0.6) / 2, (0 + 1.5) / 2, (0 + 2) / 2
    assert calibrate.held(Case.WALES) == {}


def test_fixing_the_inert_parameters_holds_them_at_their_defaults_and_searches_the_rest():
    """The posterior's screen finds, among others, `leverage` and `caucus_cohesion` inert; with
    `fix_inert` they are held at their defaults and not searched, while the Hague still holds what
    acts after the summit at mid-range (`adjustment_rate` is inert too, but acts after the summit,
    so the screen leaves it free and the Hague holds it at 0.15)."""
    inert = set(calibrate.inert_parameters())
    assert {"leverage", "caucus_cohesion"} <= inert and not inert & set(calibrate.AFTER_THE_SUMMIT)
    assert set(calibrate.searched(Case.WALES, fix_inert=True)) == set(calibrate.SEARCH_SPACE) - inert
    held = calibrate.held(Case.HAGUE, fix_inert=True)
    assert held["leverage"] == Parameters().leverage and held["adjustment_rate"] == 0.15
    assert set(held) == inert | set(calibrate.AFTER_THE_SUMMIT)


def quick_fit(tmp_path, name, *extra) -> dict:
    pytest.importorskip("pyabc")
    out = tmp_path / name
    calibrate.main(["--case", "hague", "--quick", "--out", str(out), *extra])
    return json.loads((out / "hague.json").read_text())


@pytest.fixture(scope="module")
def hague_fit(tmp_path_factory) -> dict:
    return quick_fit(tmp_path_factory.mktemp("calibrate"), "first")


def test_the_same_seed_gives_the_same_fit_whatever_the_workers(hague_fit, tmp_path):
    """Each simulation's seeds are a function of (seed, generation, its number) alone, and the
    rescoring on the fixed seeds is deterministic, so one worker gives what two gave (that
    another seed gives another posterior, the sampler's tests show: tests/test_posterior.py)."""
    alone = quick_fit(tmp_path, "alone", "--workers", "1")
    for key in ("loss", "parameters", "ensemble"):
        assert alone[key] == hague_fit[key], key
    assert alone["posterior"]["simulations"] == hague_fit["posterior"]["simulations"]


def test_a_quick_hague_fit_writes_what_validate_reads(hague_fit):
    """The point is the lowest loss on the fixed seeds among the particles, so no posterior
    draw beats it; the ensemble is ten draws, lowest loss first; the four parameters acting after
    the summit are held at mid-range in the point and in every draw; every fitted value is
    inside its prior."""
    quick = calibrate.QUICK
    assert hague_fit["case"] == "hague" and hague_fit["seeds"] == list(calibrate.SEEDS)
    assert set(hague_fit["parameters"]) == set(calibrate.SEARCH_SPACE)
    inert = calibrate.inert_parameters()  # held at their defaults: --fix-inert is the default
    assert hague_fit["held"] == {"adjustment_rate": 0.15, "punctuation_rate": 0.3, "friction_pp": 0.75,
                                 "enforcement_rate": 1.0,
                                 **{name: round(getattr(Parameters(), name), 4) for name in inert}}
    assert hague_fit["posterior"]["fixed_inert"] == list(inert)
    losses = [member["loss"] for member in hague_fit["ensemble"]]
    assert len(losses) == calibrate.ENSEMBLE_SIZE and losses == sorted(losses)
    assert hague_fit["loss"] <= losses[0]
    for values in [hague_fit["parameters"]] + [member["parameters"] for member in hague_fit["ensemble"]]:
        assert {name: values[name] for name in hague_fit["held"]} == hague_fit["held"]
        for name, (low, high) in calibrate.searched(Case.HAGUE).items():
            assert low - 1e-4 <= values[name] <= high + 1e-4, name
    run = hague_fit["posterior"]
    assert run["population"] == quick.smc.population and run["generations"] <= quick.smc.generations
    assert 1.0 <= run["effective_sample_size"] <= quick.smc.population
    assert run["simulations"] >= quick.smc.population
    assert set(run["marginals"]) == set(calibrate.searched(Case.HAGUE, fix_inert=True))
    assert hague_fit["refit"].startswith("python -m experiments.calibrate --case hague --population 80 --generations 2")
    assert hague_fit["refit"].endswith("--kernel global --seed 2025 --fix-inert --install")
    assert run["defaults_loss"] == pytest.approx(calibrate.score(
        {name: getattr(Parameters(), name) for name in calibrate.SEARCH_SPACE}, Case.HAGUE,
        np.zeros(32), np.zeros((32, len(calibrate.PATH_YEARS)))))  # the Hague's loss reads no Wales record


def test_posterior_draws_are_distinct_and_skip_particles_without_weight():
    """Weights [0, 0.5, 0.5, 0]: only particles 1 and 2 can be drawn, each once."""
    assert calibrate.posterior_draws(np.array([0.0, 0.5, 0.5, 0.0]), 10, seed=3) == [1, 2]


def test_loss_distance_is_the_loss():
    assert calibrate.loss_distance({"loss": np.array([2.5])}, {"loss": np.zeros(1)}) == 2.5


def test_refining_the_defaults_is_refused_with_the_reason(capsys):
    with pytest.raises(SystemExit) as stop:
        calibrate.main(["--case", "both", "--from-defaults"])
    assert stop.value.code == 2 and "use the record twice" in capsys.readouterr().err


def test_a_bad_budget_is_refused_with_one_message(capsys):
    with pytest.raises(SystemExit) as stop:
        calibrate.main(["--case", "hague", "--population", "1"])
    assert stop.value.code == 2 and "--population 1" in capsys.readouterr().err
    with pytest.raises(SystemExit) as stop:
        calibrate.main(["--case", "hague", "--generations", "0"])
    assert stop.value.code == 2 and "--generations 0" in capsys.readouterr().err


def _small_fit():
    values = {name: getattr(Parameters(), name) for name in calibrate.SEARCH_SPACE}
    return calibrate.Fit(case=Case.HAGUE, protocol=calibrate.NegotiationProtocol.MEDIATOR, loss=9.9,
                         values=values, ensemble=[(9.9, values)], held={})


def test_a_fit_goes_to_results_unless_installed(tmp_path, monkeypatch, capsys):
    """By default a fit, even one worse than the shipped one, is written to results/calibration/,
    not into configs/calibration/ where `alliance-sim validate` reads it; --install writes it there."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(calibrate, "calibrate", lambda *args, **kwargs: _small_fit())
    installed = tmp_path / "configs" / "calibration"
    monkeypatch.setattr(calibrate, "INSTALL_DIR", installed)
    calibrate.main(["--case", "hague"])
    written = tmp_path / "results" / "calibration" / "hague.json"
    assert json.loads(written.read_text())["loss"] == 9.9 and not installed.exists()
    assert "--install" in capsys.readouterr().out
    calibrate.main(["--case", "hague", "--install"])
    assert json.loads((installed / "hague.json").read_text())["refit"].endswith("--install")
    with pytest.raises(SystemExit) as stop:
        calibrate.main(["--case", "hague", "--install", "--out", str(tmp_path / "elsewhere")])
    assert stop.value.code == 2


def test_the_shipped_fits_show_the_command_that_installs_them():
    for path in calibrate.INSTALL_DIR.glob("*.json"):
        assert json.loads(path.read_text())["refit"].endswith(" --install"), path.name


def test_the_abc_distance_orders_the_pledges_due_before_2024():
    """A Wales window that ends six years after the summit gives a deadline before 2024 in every
    run (as the random search's Hague-only fits did, docs/ODD.md 9): calibrate's loss charges
    each run the flat 100, the ABC's graded distance adds the level's and the deadline's misses,
    so it is above 100, and tells apart two such sets the flat charge cannot (the same with a
    faster ramp under threat)."""
    values, seeds = {"latest_deadline_years": 6}, (0, 1)
    record_2024, record_path = np.zeros(32), np.zeros((32, len(calibrate.PATH_YEARS)))
    flat = calibrate.wales_loss(values, record_2024, record_path, seeds)
    graded = calibrate.wales_loss(values, record_2024, record_path, seeds, graded=True)
    assert flat == calibrate.NO_HINDCAST_COST and graded > flat
    other = {**values, "ramp_threat_pct": 0.4}
    assert calibrate.wales_loss(other, record_2024, record_path, seeds) == calibrate.NO_HINDCAST_COST
    assert calibrate.wales_loss(other, record_2024, record_path, seeds, graded=True) not in (graded, flat)


def test_the_defaults_are_the_installed_both_case_fit():
    """`sim/model/parameters.py`'s fitted defaults are the point of `configs/calibration/both.json`
    (written to four decimals), which an ABC-SMC run made: its refit command says how."""
    installed = json.loads(calibrate.calibration_file(Case.BOTH).read_text(encoding="utf-8"))
    assert installed["posterior"]["method"].startswith("ABC-SMC")
    defaults = Parameters()
    for name, value in installed["parameters"].items():
        assert getattr(defaults, name) == pytest.approx(value, abs=5e-5), name
