"""The pledge panel's content, without a browser: each ally's standing at the deadline."""

import pytest

from sim.engines.model import AllianceModel
from sim.viz.pledge import PledgeStatus, pledge_chart, pledge_frame


@pytest.mark.parametrize("scenario, overrides", [("hague2025", {}), ("wales2014", {}), ("hague2025", {"max_rounds": 1})])
def test_standings_count_as_the_outcome_counts(scenario, overrides):
    outcome = AllianceModel(scenario, rng=0, **overrides).run()
    frame = pledge_frame(outcome)
    assert len(frame) == 31 and "ISL" not in set(frame["iso3"])  # Iceland has nothing to spend
    status = dict(zip(frame["iso3"], frame["status"]))
    if outcome.deal:
        assert sum(s == PledgeStatus.KEEPS for s in status.values()) == outcome.allies_on_track
        assert {code for code, s in status.items() if s == PledgeStatus.SIDE_LETTER} == set(outcome.flexibility)
        slipping = frame[frame["status"] == PledgeStatus.SLIPS]
        assert (slipping["end_pct"] < outcome.core_target_pct).all()
    else:
        assert set(status.values()) == {PledgeStatus.NO_DEAL}
    assert list(frame["end_pct"]) == sorted(frame["end_pct"], reverse=True)
    assert pledge_chart(outcome).to_dict()["title"]["text"].startswith("Core level" if outcome.deal else "No deal")


def test_the_hague_projection_has_allies_keeping_and_slipping():
    outcome = AllianceModel("hague2025", rng=0).run()
    status = dict(zip(*pledge_frame(outcome)[["iso3", "status"]].T.values))
    assert status["POL"] == PledgeStatus.KEEPS  # it wants more than the core level anyway
    assert status["FRA"] == PledgeStatus.SLIPS  # signed a level above its own ideal at today's threat


def test_the_pledge_chart_says_iceland_is_left_out():
    from sim.viz.pledge import pledge_chart

    title = pledge_chart(AllianceModel("hague2025", rng=0).run()).to_dict()["title"]
    assert "Iceland" in title["subtitle"] and "no armed forces" in title["subtitle"]
