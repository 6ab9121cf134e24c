"""What the capability targets cost (sim/model/requirement.py) and the first draft built on it."""

import numpy as np
import pytest

from sim.model.requirement import capability_cost, capability_requirement, force_requirement
from sim.model.scenario import load_scenario


def test_the_force_asked_grows_with_the_threat_above_the_guidelines():
    assert force_requirement(0.5, 0.5, 1.0) == pytest.approx(1.0)
    assert force_requirement(0.8, 0.5, 1.0) == pytest.approx(1.3)  # the 2025 targets: 30% above the previous
    assert force_requirement(0.2, 0.5, 1.0) == pytest.approx(0.7)


def test_the_hague_and_wales_costs_worked_by_hand():
    # Hague: 2 / (1 - 0.3) x 1.3 = 3.714; Wales: 2 / 1 x 1 = 2
    assert capability_cost(0.8, 2.0, 0.5, 1.0, 0.3) == pytest.approx(2.0 / 0.7 * 1.3)
    assert capability_cost(0.5, 2.0, 0.5, 1.0, 0.0) == pytest.approx(2.0)
    assert capability_requirement(load_scenario("hague2025").params) == pytest.approx(3.7142857)
    assert capability_requirement(load_scenario("wales2014").params) == pytest.approx(2.0)


def test_the_requirement_rises_with_the_threat_and_the_shortfall():
    threats = np.linspace(0.0, 1.0, 11)
    costs = capability_cost(threats, 2.0, 0.5, 1.0, 0.3)
    assert np.all(np.diff(costs) > 0)
    assert capability_cost(0.8, 2.0, 0.5, 1.0, 0.5) > capability_cost(0.8, 2.0, 0.5, 1.0, 0.3)


def test_the_first_draft_is_the_requirement_and_later_drafts_follow_the_positions():
    from sim.engines.model import AllianceModel
    model = AllianceModel("hague2025", rng=0)
    model.step()
    assert model.datacollector.get_model_vars_dataframe()["draft_core_pct"].iloc[-1] == pytest.approx(3.7142857)
    model.step()
    assert model.draft.core_pct != pytest.approx(3.7142857)
