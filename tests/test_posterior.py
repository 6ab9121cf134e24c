"""experiments/posterior.py: ABC-SMC on the history before the Hague (its --quick path)."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("pyabc")

from experiments import observation_error, posterior  # noqa: E402
from experiments.calibrate import SEARCH_SPACE  # noqa: E402
from sim.model.parameters import Parameters  # noqa: E402


def quick(out, *extra) -> dict:
    assert posterior.main(["--quick", "--quiet", "--out", str(out), *extra]) == 0
    return json.loads((out / posterior.OUTPUT).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def result(tmp_path_factory) -> dict:
    return quick(tmp_path_factory.mktemp("posterior"))


def test_the_same_seed_gives_the_same_posterior_whatever_the_workers(result, tmp_path):
    """Twice on two workers, then on one: the particles, weights and simulations are the same,
    since each simulation's seed is a function of (seed, generation, its number) alone."""
    again = quick(tmp_path / "again")
    alone = quick(tmp_path / "alone", "--workers", "1")
    for other in (again, alone):
        assert other["particles"] == result["particles"]
        assert other["weights"] == result["weights"]
        assert other["simulations"] == result["simulations"]
        assert other["predictive"] == result["predictive"]


def test_another_seed_gives_another_posterior(result, tmp_path):
    other = quick(tmp_path / "other", "--seed", "7")
    assert other["particles"] != result["particles"]


def test_output_schema(result):
    for key in ("method", "seed", "priors", "fixed", "parameters", "particles", "weights", "effective_sample_size",
                "simulations", "wall_seconds", "epsilons", "marginals", "predictive"):
        assert key in result, key
    settings = posterior.QUICK
    assert len(result["particles"]) == len(result["weights"]) == settings.smc.population
    assert all(len(row) == len(result["parameters"]) for row in result["particles"])
    assert sum(result["weights"]) == pytest.approx(1.0)
    assert 1.0 <= result["effective_sample_size"] <= settings.smc.population + 1e-9
    assert result["simulations"] >= settings.smc.population * result["generations"]
    assert set(result["marginals"]) == set(result["parameters"])
    check = result["predictive"]
    for key in ("hague_core_target_pct", "hague_deadline_year", "allies_at_2pct_2024", "allies_at_2pct_2024_model_only"):
        assert set(check[key]) == {"band", "record", "inside"}
    assert check["hague_core_target_pct"]["record"] == 3.5 and check["hague_deadline_year"]["record"] == 2035
    assert check["allies_at_2pct_2024"]["record"] == 23
    for key in ("path_coverage", "path_coverage_model_only"):
        for part in ("all", "fitted", "held_out"):
            assert 0.0 <= check[key][part]["share_inside"] <= 1.0
    assert check["observation_error"]["relative_sd"] == observation_error.measured().relative_sd


def test_the_predictive_check_reruns_from_a_written_posterior(result, tmp_path):
    """--predict-from reads the particles, weights and seed of a posterior.json and gives the
    check the fit gave, without fitting again."""
    written = tmp_path / "fit" / posterior.OUTPUT
    written.parent.mkdir()
    written.write_text(json.dumps(result), encoding="utf-8")
    again = quick(tmp_path / "again", "--predict-from", str(written))
    assert again["predictive"] == result["predictive"] and again["particles"] == result["particles"]


def test_a_file_that_is_no_posterior_is_refused_with_one_message(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    assert posterior.main(["--quick", "--quiet", "--out", str(tmp_path / "o"), "--predict-from", str(bad)]) != 0
    assert "not a posterior written by experiments.posterior" in capsys.readouterr().err


def test_coverage_by_hand():
    """Three draws of one ally over PATH_YEARS at 1.0, 2.0 and 3.0 every year: the 90% band is
    [1.1, 2.9]. The record is 2.0 in the fitted years but 5.0 in 2023 and missing in 2024:
    every fitted year is inside, the held-out year outside, 8 of the 9 recorded years inside."""
    years = len(posterior.PATH_YEARS)
    path = np.stack([np.full((1, years), level) for level in (1.0, 2.0, 3.0)])
    record = np.full((1, years), 2.0)
    record[0, -2], record[0, -1] = 5.0, np.nan
    coverage = posterior.path_coverage(path, record)
    assert coverage["fitted"]["share_inside"] == 1.0 and coverage["fitted"]["ally_years"] == 8
    assert coverage["held_out"]["share_inside"] == 0.0 and coverage["held_out"]["ally_years"] == 1
    assert coverage["all"]["share_inside"] == pytest.approx(8 / 9)


def test_priors_are_calibrates_search_ranges_and_particles_stay_inside(result):
    """One prior for both ABC fits, and the ranges the screen that fixes the others varies over."""
    assert list(result["priors"]) == result["parameters"]
    for name, prior in result["priors"].items():
        assert prior["distribution"] == "uniform"
        assert (prior["low"], prior["high"]) == SEARCH_SPACE[name]
    particles = np.array(result["particles"])
    low = np.array([result["priors"][n]["low"] for n in result["parameters"]])
    high = np.array([result["priors"][n]["high"] for n in result["parameters"]])
    assert np.all((particles >= low) & (particles <= high))


def test_fixed_and_free_split_the_candidates(result):
    """Every candidate of calibrate's search is either fitted or fixed at its default, with its
    Sobol' total; the parameters acting after a summit are never fixed."""
    assert set(result["fixed"]) | set(result["parameters"]) == set(SEARCH_SPACE)
    assert not set(result["fixed"]) & set(result["parameters"])
    for name, entry in result["fixed"].items():
        assert entry["value"] == getattr(Parameters(), name)
        assert entry["sobol_total"] < 0.05
    assert {"adjustment_rate", "enforcement_rate"} <= set(result["parameters"])


def record(path) -> dict:
    return {"wales_deal": np.ones(1), "wales_level": np.array([2.0]), "wales_deadline": np.array([2024.0]),
            "wales_side_letters": np.zeros(1), "wales_path": np.array([path]), "washington_deal": np.zeros(1)}


def test_distance_on_a_hand_checked_case():
    """One ally, two years, record [1.0, 2.0]. Replicate 1 agrees 2.1% by 2026 with one side
    letter and the path [1.5, 2.0]: (0.1/0.1)^2 + (2/2)^2 + (MAE 0.25/0.25)^2 + 1 = 4.
    Replicate 2 has no Wales deal: 100. Mean 52; one Washington replicate of two agrees a new
    target the record does not have: 10 x 0.5 = 5. Distance 57."""
    simulated = {"wales_deal": np.array([1.0, 0.0]), "wales_level": np.array([2.1, np.nan]),
                 "wales_deadline": np.array([2026.0, np.nan]), "wales_side_letters": np.array([1.0, 0.0]),
                 "wales_path": np.array([[[1.5, 2.0]], [[np.nan, np.nan]]]), "washington_deal": np.array([1.0, 0.0])}
    assert posterior.distance(simulated, record([[1.0, 2.0]])) == pytest.approx(57.0)


def test_the_record_is_at_distance_zero_from_itself():
    observed = record([[1.0, 2.0], [np.nan, 1.5]])  # an ally without a record (NaN) is left out
    assert posterior.distance(observed, observed) == 0.0


def test_an_early_deadline_is_charged_by_its_own_term():
    """A pledge due in 2020 whose path, up to its end, is the record's: ((2020 - 2024) / 2)^2 = 4;
    the year after the deadline (NaN) is not scored."""
    simulated = record([[1.0, np.nan]]) | {"wales_deadline": np.array([2020.0])}
    assert posterior.distance(simulated, record([[1.0, 2.0]])) == pytest.approx(4.0)


def test_ks_from_a_uniform_prior_by_hand():
    """Two equal weights at 0.25 and 0.75 on [0, 1]: the weighted ECDF jumps 0 -> 0.5 -> 1
    where the prior's is 0.25 and 0.75, so the largest gap is 0.25."""
    assert posterior.ks_from_uniform(np.array([0.75, 0.25]), np.array([0.5, 0.5]), 0.0, 1.0) == pytest.approx(0.25)


def test_weighted_quantile_by_hand():
    """Weights 0.1, 0.2, 0.7 on 1, 2, 3: the cumulative 0.1, 0.3, 1.0 passes 0.5 at 3 and 0.2 at 2."""
    values, weights = np.array([3.0, 1.0, 2.0]), np.array([0.7, 0.1, 0.2])
    assert posterior.weighted_quantile(values, weights, 0.5) == 3.0
    assert posterior.weighted_quantile(values, weights, 0.2) == 2.0


def test_bad_workers_are_refused_with_one_message(capsys):
    with pytest.raises(SystemExit):
        posterior.main(["--quick", "--workers", "0"])
    assert "--workers 0" in capsys.readouterr().err


def test_a_stated_discrepancy_widens_the_observed_bands(result, tmp_path):
    """Half a point of GDP of model discrepancy on every draw's ally-year: the bands of the
    observed path can only hold more of the record here (the model-only bands are unchanged),
    and the sd is recorded."""
    written = tmp_path / "fit" / posterior.OUTPUT
    written.parent.mkdir()
    written.write_text(json.dumps(result), encoding="utf-8")
    wider = quick(tmp_path / "wider", "--predict-from", str(written), "--discrepancy-sd", "0.5")["predictive"]
    plain = result["predictive"]
    assert wider["discrepancy_sd_pp"] == 0.5 and plain["discrepancy_sd_pp"] == 0.0
    assert wider["path_coverage_model_only"] == plain["path_coverage_model_only"]
    assert wider["path_coverage"]["all"]["share_inside"] > plain["path_coverage"]["all"]["share_inside"]


def test_a_bad_discrepancy_is_refused_with_one_message(capsys):
    with pytest.raises(SystemExit):
        posterior.main(["--quick", "--discrepancy-sd", "-1"])
    assert "--discrepancy-sd -1.0" in capsys.readouterr().err


def test_the_discrepancy_is_sized_on_the_fitted_years_and_tested_on_the_held_out(result):
    """The quick posterior's check sizes a random walk on 2015-2022: its bands hold at least 90%
    of the fitted ally-years (the bisection stops just above), and the held-out years are
    reported, not sized; the count's band is reported with it."""
    sized = result["predictive"]["sized_discrepancy"]
    assert "not_sized" not in sized
    assert sized["sized_on"] == [2015, 2022] and sized["sd_per_root_year_pp"] >= 0
    assert sized["sd_pp"]["2024"] == pytest.approx(sized["sd_per_root_year_pp"] * 10 ** 0.5)
    coverage = sized["path_coverage"]
    assert coverage["fitted"]["share_inside"] >= 0.85  # drawn afresh: about the 90% it was sized to
    assert set(coverage) == {"all", "fitted", "held_out", "aim"}
    assert set(sized["allies_at_2pct_2024"]) == {"band", "record", "inside"}
