"""The calibration's search (experiments/calibrate.py): what a fit on one case searches, what it
holds, and that it never starts from or settles on the defaults, which saw both cases."""

import json

import pytest

from experiments import calibrate
from sim.model.parameters import Parameters
from sim.analysis.validation import Case



def test_a_hague_fit_holds_what_acts_after_the_summit_at_mid_range():
    space = calibrate.SEARCH_SPACE
    assert set(calibrate.searched(Case.WALES)) == set(calibrate.searched(Case.BOTH)) == set(space)
    assert set(calibrate.searched(Case.HAGUE)) == set(space) - set(calibrate.AFTER_THE_SUMMIT)
    assert calibrate.held(Case.HAGUE) == {"adjustment_rate": 0.15, "enforcement_rate": 1.0}  # (0 + 0.3) / 2, (0 + 2) / 2
    assert calibrate.held(Case.WALES) == {}


def test_a_small_hague_fit_searches_around_its_own_candidates(tmp_path):
    fit = calibrate.calibrate(Case.HAGUE, candidates=3, refine=2, seed=7, workers=1, from_defaults=False)
    defaults = {name: getattr(Parameters(), name) for name in calibrate.SEARCH_SPACE}
    assert fit.values != defaults and all(values != defaults for _, values in fit.ensemble)
    assert {name: fit.values[name] for name in calibrate.AFTER_THE_SUMMIT} == fit.held
    assert len(fit.ensemble) == 5 and fit.loss == min(loss for loss, _ in fit.ensemble)
    written = json.loads(fit.to_json())
    assert written["held"] == fit.held and written["parameters"]["adjustment_rate"] == 0.15


def test_refining_the_defaults_is_for_a_fit_on_both_cases(capsys):
    with pytest.raises(SystemExit) as stop:
        calibrate.main(["--case", "hague", "--from-defaults"])
    assert stop.value.code == 2 and "fitted on both cases" in capsys.readouterr().err
    with pytest.raises(ValueError, match="fitted on both cases"):
        calibrate.calibrate(Case.WALES, candidates=1, refine=1, seed=0, workers=1, from_defaults=True)


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
