"""The negotiation as a whole: consensus, reproducibility, invariants and the historical cases."""

import dataclasses
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import SEEDS as ANY_SEED
from strategies import quick_overrides

from sim.engines.batch import run_batch
from sim.engines.model import AllianceModel
from sim.model.state import Package
from sim.model.parameters import NO_DEADLINE_NAMED, MediatorRule
from sim.model import pressure, reversion
from sim.model.requirement import capability_requirement
from sim.model.down_payment import down_payment
from sim.model.implementation import enforcement_share
from sim.model.win_set import LEVEL_CEILING_PCT, ramp
from sim.model.scenario import EscapeClause, load_scenario

SEEDS = range(5)
EASTERN_HAWKS = ("POL", "EST", "LVA", "LTU")


def run(scenario="hague2025", seed=0, **overrides):
    return AllianceModel(scenario, rng=seed, **overrides).run()


def allies_by_code(outcome):
    return {a.iso3: a for a in outcome.allies}


# --- consensus ----------------------------------------------------------------------------

def summit_with_holdouts(holdouts, **overrides):
    """A model stopped at its last round with exactly `holdouts` rejecting the draft."""
    model = AllianceModel("hague2025", rng=0, max_rounds=1, **overrides)
    model.round = 1
    model.secretary_general.draft_package()
    for ally in model.allies:
        ally.stance = dataclasses.replace(ally.stance, accepted=ally.facts.iso3 not in holdouts)
    model.decide()
    return model


def test_all_accept_means_a_deal():
    model = summit_with_holdouts(set())
    assert model.deal is True and model.flexibility == []


def test_one_blocker_blocks_without_flexibility():
    model = summit_with_holdouts({"ESP"}, allow_flexibility=False)
    assert model.deal is False
    assert model.outcome().holdouts == ["ESP"]


def test_one_blocker_gets_a_side_letter_when_flexibility_is_allowed():
    model = summit_with_holdouts({"ESP"}, allow_flexibility=True)
    assert model.deal is True
    assert model.outcome().flexibility == ["ESP"]


def test_too_many_holdouts_or_a_us_veto_sink_the_deal():
    assert summit_with_holdouts({"ESP", "BEL", "ITA", "CAN"}, max_flexibility_holdouts=3).deal is False
    assert summit_with_holdouts({"USA"}).deal is False


def spain_alone_out(max_rounds, **overrides):
    """A model after its first round's vote with Spain alone rejecting a 3.5% draft by 2035."""
    model = AllianceModel("hague2025", rng=0, max_rounds=max_rounds, **overrides)
    model.round = 1
    model.draft = Package(3.5, 1.5, 2035)
    for ally in model.allies:
        ally.stance = dataclasses.replace(ally.stance, accepted=ally.facts.iso3 != "ESP")
    return model


def test_a_blocker_before_the_summit_keeps_the_talks_going():
    model = spain_alone_out(5, early_settlement=False)
    model.decide()
    assert model.running and model.deal is None
    spain = next(a for a in model.allies if a.facts.iso3 == "ESP")
    assert spain.rejections == 1 and spain.stance.ramp_widening > 0


def test_the_secretary_general_settles_early_only_when_no_round_left_can_win_the_holdout():
    """Spain opens ratifying well under what 3.5% core and 1.5% related by 2035 ask of its
    budget from 1.28% ((3.5 + related_cost_share x 1.5 - 1.28) / 10 pp a year). Where pressure
    widens win-sets slowly (0.005 pp a year a round at full pressure, against the default's
    0.08), the four rounds left cannot close that gap, so with early settlement the talks end
    now with its side letter. With 100 rounds left they could: the talks go on."""
    slow = {"expansion_rate_pct": 0.005, "consensus_stake_pct": 3.0}  # (it prefers the draft to no agreement)
    model = spain_alone_out(5, **slow)
    spain = next(a for a in model.allies if a.facts.iso3 == "ESP")
    per_round = float(pressure.widening_per_round(spain.facts, model.params, model.share_accepting()))
    asked = 3.5 + model.params.related_cost_share * 1.5
    assert spain.ramp_pct + 4 * per_round < (asked - spain.facts.start_pct) / 10 <= spain.ramp_pct + 99 * per_round
    settled = spain_alone_out(5, **slow)
    settled.decide()
    assert not settled.running and settled.deal and [a.facts.iso3 for a in settled.flexibility] == ["ESP"]
    patient = spain_alone_out(100, **slow)
    patient.decide()
    assert patient.running and patient.deal is None


def test_an_ally_that_prefers_no_agreement_is_out_of_reach_however_many_rounds_are_left():
    """With the defaults Spain signs no more than its ideal plus what the US's threat makes no
    agreement cost it (docs/ODD.md 7.4c), less than 3.5% core and 1.5% related ask of its
    budget; pressure in the rounds widens its ramp, not that limit, so even with 100 rounds left
    the Secretary General settles now, with its side letter."""
    patient = spain_alone_out(100)
    spain = next(a for a in patient.allies if a.facts.iso3 == "ESP")
    limit = reversion.signing_limit(spain.facts, patient.params, spain.circumstances, spain.stance.ideal)
    assert limit < 3.5 + patient.params.related_cost_share * 1.5
    patient.decide()
    assert not patient.running and patient.deal and [a.facts.iso3 for a in patient.flexibility] == ["ESP"]


def test_where_holdouts_cannot_be_won_the_side_letters_make_the_deal():
    """Hague, seed 0, with pressure 0.5 widening win-sets slowly (0.005 pp a year a round):
    Spain cannot be won. With flexibility it is carried (before the summit); without it the
    talks go on to the summit, the drafts move, and they fail with Spain holding out."""
    slow = {"expansion_rate_pct": 0.005, "us_pressure": 0.5}
    carried, failed = run(**slow), run(allow_flexibility=False, **slow)
    assert carried.deal and sorted(carried.flexibility) == ["ESP"]
    assert not failed.deal and "ESP" in failed.holdouts


# --- reproducibility ------------------------------------------------------------------------

def test_same_seed_same_result():
    first, second = run(seed=7).to_dict(), run(seed=7).to_dict()
    assert first == second


def test_different_seeds_differ():
    a, b = run(seed=1), run(seed=2)
    assert [x.initial_position_pct for x in a.allies] != [x.initial_position_pct for x in b.allies]


# --- the Hague case -------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_hague_deal_close_to_the_record(seed):
    outcome = run(seed=seed)
    assert outcome.deal
    assert 3.0 <= outcome.core_target_pct <= 4.0
    assert outcome.core_target_pct + outcome.related_target_pct == pytest.approx(5.0, abs=0.1)
    assert 2030 <= outcome.deadline_year <= 2036


def test_hague_hawks_open_high_and_early():
    allies = allies_by_code(run())
    for code in EASTERN_HAWKS:
        assert allies[code].initial_position_pct >= 4.0, code
        assert allies[code].initial_deadline <= 2031, code
    assert all(allies["ESP"].initial_position_pct < allies[code].initial_position_pct - 1.5 for code in EASTERN_HAWKS)


def test_hague_baselines_are_reported_and_differ_where_the_talks_matter():
    outcome = run()
    b = outcome.baselines
    assert all(1.0 < v < 6.0 for v in (b.weighted_mean, b.weighted_median, b.nash))
    # the opening positions, US-weighted, point above what the laggards can ratify
    assert b.weighted_mean - outcome.core_target_pct > 0.2
    assert b.weighted_median - outcome.core_target_pct > 0.2


def test_iceland_votes_without_a_spending_target():
    outcome = run()
    iceland = allies_by_code(outcome)["ISL"]
    assert iceland.accepted and iceland.votes
    assert iceland.trajectory == {}
    as_json = next(a for a in outcome.to_dict()["allies"] if a["iso3"] == "ISL")
    assert as_json["start_pct"] is None and as_json["final_position_pct"] is None


@pytest.mark.parametrize("adjustment_rate", [0.0, 0.1])
def test_trajectories_start_from_the_data_and_never_fall(adjustment_rate):
    outcome = run(adjustment_rate=adjustment_rate)
    for ally in outcome.allies:
        if not ally.trajectory:
            continue
        years = sorted(ally.trajectory)
        assert years[0] == 2024 and years[-1] == outcome.deadline_year
        values = [ally.trajectory[y] for y in years]
        assert values[0] == pytest.approx(ally.start_pct)
        assert all(b >= a - 1e-12 for a, b in zip(values, values[1:]))
        if adjustment_rate == 0.0:  # the pledge alone never takes an ally past its target
            target = ally.final_position_pct if ally.flexibility else outcome.core_target_pct
            assert values[-1] <= max(target, ally.start_pct) + 1e-9


def test_exposed_allies_spend_beyond_the_pledge_on_their_own():
    outcome = run()
    allies, deadline = allies_by_code(outcome), outcome.deadline_year
    poland, spain = allies["POL"], allies["ESP"]
    assert poland.trajectory[deadline] > outcome.core_target_pct + 0.5  # Poland climbs past the pledge, toward its ideal
    assert spain.trajectory[deadline] <= outcome.core_target_pct + 1e-9  # Spain, far from the front, no further than it


def test_a_threat_event_after_the_summit_raises_spending_but_not_the_deal():
    calm = run("wales2014", threat_event_year=0)
    invaded = run("wales2014")  # the scenario's 2022 event
    assert calm.core_target_pct == invaded.core_target_pct and calm.deadline_year == invaded.deadline_year
    spend = lambda o: sum(a.trajectory[2024] for a in o.allies if a.trajectory)  # noqa: E731
    assert spend(invaded) > spend(calm) + 1.0


@pytest.mark.parametrize("scenario", ["hague2025", "wales2014"])
def test_on_track_allies_are_those_without_side_letters_that_reach_the_core_level(scenario):
    outcome = run(scenario)
    assert outcome.deal and outcome.allies_on_track == sum(a.on_track for a in outcome.allies)
    for ally in outcome.allies:
        if not ally.trajectory or ally.flexibility:
            assert not ally.on_track
            continue
        reached = ally.trajectory[outcome.deadline_year] >= outcome.core_target_pct - 0.05
        assert ally.on_track == reached, ally.iso3


def test_a_pledge_above_an_allys_own_ideal_is_not_kept_until_the_threat_rises():
    """Self-enforcement alone (no US enforcement): France signs the Wales pledge, lets it slip
    while the threat is that of 2014, and comes back to it after the 2022 invasion; the
    Vilnius floor then pulls it toward 2% at its parliament's pace at least. The 2022 budget was
    passed before the invasion, so France comes back from 2023."""
    seed = 10  # a run whose draws leave France wanting less than 2% at the 2014 threat
    model = AllianceModel("wales2014", rng=seed, enforcement_rate=0.0)
    model.run()
    outcome = model.outcome()
    france = next(a for a in model.allies if a.facts.iso3 == "FRA")
    target, path = outcome.core_target_pct, model.trajectories["FRA"]
    assert outcome.deadline_year == 2024 and france not in model.flexibility
    # France wants less than 2% at the 2014 threat (0.5) and more after the 2022 invasion (0.8).
    assert france.own_spending_ideal(0.5) < target <= france.own_spending_ideal(0.8)
    assert all(path[year] == path[2014] for year in range(2015, 2023))  # signed, not kept
    # back on the path after the invasion, toward the Vilnius floor at its parliament's pace at
    # least (faster where its own adjustment toward what the 2022 threat calls for outruns it)
    assert path[2023] > path[2022]
    assert path[2024] >= min(max(target, 2.0), path[2023] + france.ramp_pct) - 1e-9
    kept_anyway = run("wales2014", seed, enforcement_rate=0.0, self_enforcing_pledges=False)
    assert allies_by_code(kept_anyway)["FRA"].trajectory[2018] > path[2018] + 0.02


def test_us_pressure_moves_an_ally_a_share_of_the_way_along_a_pledge_it_would_let_slip():
    """With enforcement, France creeps toward the pledge before 2022 by the enforced share of
    each year's step: more than nothing, far less than keeping the pledge (seed 10, a run in
    which France wants less than the pledge at the 2014 threat)."""
    alone = run("wales2014", 10, enforcement_rate=0.0)
    pressed = run("wales2014", 10, enforcement_rate=1.0)
    kept = run("wales2014", 10, self_enforcing_pledges=False)
    paths = [allies_by_code(outcome)["FRA"].trajectory[2021] for outcome in (alone, pressed, kept)]
    assert paths[0] < paths[1] < paths[2]


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(["hague2025", "wales2014"]), seed=ANY_SEED, data=st.data())
def test_keeping_every_pledge_never_spends_less_than_keeping_only_the_wanted_ones(name, seed, data):
    """Each year's step rises with last year's spending, so an ally that skips the pledge in
    some years can never end a year above the same ally keeping it every year."""
    overrides = data.draw(quick_overrides(base=load_scenario(name).params))  # valid on the scenario drawn
    def paths(self_enforcing):
        changes = {**overrides, "self_enforcing_pledges": self_enforcing}
        return run_batch(load_scenario(name), [changes], [seed], per_ally=True).allies.trajectory_pct

    wanted, every = paths(True), paths(False)
    assert np.array_equal(np.isnan(wanted), np.isnan(every))  # the talks, and so the years, are the same
    assert np.all(np.nan_to_num(wanted) <= np.nan_to_num(every) + 1e-12)


# --- the Wales case -------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_wales_pledges_about_two_percent_within_a_decade(seed):
    outcome = run("wales2014", seed=seed)
    assert outcome.deal
    assert 1.8 <= outcome.core_target_pct <= 2.2
    assert 2022 <= outcome.deadline_year <= 2026
    assert outcome.related_target_pct is None


def test_wales_table_excludes_later_members():
    allies = allies_by_code(run("wales2014"))
    assert not allies["FIN"].votes and not allies["SWE"].votes and not allies["MKD"].votes
    assert allies["POL"].votes


# --- the levers move the outcome the way a domain expert expects ------------------------------

def mean_outcome(scenario, **overrides):
    outcomes = [run(scenario, seed, **overrides) for seed in range(10)]
    deals = [o for o in outcomes if o.deal]
    return {
        "deal_share": len(deals) / len(outcomes),
        "core": np.mean([o.core_target_pct for o in deals]) if deals else np.nan,
        "deadline": np.mean([o.deadline_year for o in deals]) if deals else np.nan,
        "holdouts": np.mean([len(o.holdouts) for o in outcomes]),
        "extra_spending": np.mean([o.extra_spending_usd_bn for o in deals]) if deals else np.nan,
    }


@pytest.mark.slow
def test_more_us_pressure_raises_the_level_or_speeds_the_deal():
    relaxed, pressed = mean_outcome("us_relaxed"), mean_outcome("hague2025")
    assert pressed["core"] > relaxed["core"] + 0.1
    assert pressed["deadline"] <= relaxed["deadline"]


@pytest.mark.slow
def test_a_ceasefire_breaks_the_talks_and_an_escalation_raises_the_level():
    """A ceasefire during the talks lowers what every ally wants, so the draft the capability
    targets price is more than many sign rather than have no agreement (docs/ODD.md 7.4c): the
    talks end with fewer deals; an escalation raises the level."""
    base = mean_outcome("hague2025")
    ceasefire = mean_outcome("ceasefire")
    assert ceasefire["deal_share"] < base["deal_share"] and ceasefire["holdouts"] > base["holdouts"]
    assert mean_outcome("escalation")["core"] > base["core"]


def test_lower_threat_lowers_the_level_and_then_ends_the_talks():
    """At a threat a little lower than 2025's the allies agree less; much lower, the US's 5%
    headline asks more than the laggards sign and there is no deal."""
    calm, lower, tense = (mean_outcome("hague2025", threat_level=level) for level in (0.5, 0.7, 0.8))
    assert lower["deal_share"] > 0 and lower["core"] < tense["core"]
    assert calm["deal_share"] < lower["deal_share"]


@pytest.mark.slow
def test_the_eu_escape_clause_raises_what_the_alliance_commits_to():
    """The clause as the 16 allies asked for it (the Hague scenario) against no clause: a higher
    core target and more extra spending. Eased for every EU ally (Spain, Italy and France too),
    the core rises further."""
    hague = load_scenario("hague2025")
    without = mean_outcome(dataclasses.replace(hague, escape_clause=EscapeClause()))
    asked, everyone = mean_outcome(hague), mean_outcome("eu_escape_clause")
    assert asked["core"] > without["core"] and asked["extra_spending"] > without["extra_spending"]
    assert everyone["core"] > asked["core"]


def test_without_the_split_the_5_percent_demand_breaks_consensus():
    assert mean_outcome("no_split")["deal_share"] < mean_outcome("hague2025")["deal_share"]


# --- invariants over any valid scenario -------------------------------------------------------

valid_overrides = st.fixed_dictionaries({
    "threat_level": st.floats(0.0, 1.0),
    "us_pressure": st.floats(0.0, 1.0),
    "us_demand_pct": st.floats(0.0, 10.0),
    "threat_shock": st.floats(-1.0, 1.0),
    "max_rounds": st.integers(1, 20),
    "mediator_rule": st.sampled_from(list(MediatorRule)),
    "allow_flexibility": st.booleans(),
    "split_enabled": st.booleans(),
    "related_cap_pct": st.floats(0.0, 5.0),
    "eu_escape_clause": st.booleans(),
    "leverage": st.floats(0.0, 10.0),
    "concession_rate": st.floats(0.0, 1.0),
    "noise_sd_pct": st.floats(0.0, 2.0),
    "data_year": st.sampled_from([2014, 2018, 2023, 2024]),
})


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_overrides, st.integers(0, 2**31 - 1))
def test_any_valid_scenario_runs_and_keeps_its_invariants(overrides, seed):
    model = AllianceModel("hague2025", rng=seed, **overrides)
    outcome = model.run()
    allies, rounds = model.allies_table(), model.rounds_table()
    positions = allies["position_pct"].dropna()
    assert positions.between(0.0, LEVEL_CEILING_PCT).all()
    at_table = {a.facts.iso3 for a in model.allies if a.facts.clout > 0}
    cost = float(capability_requirement(model.params))  # the Secretary General's own position
    horizon = model.params.summit_year + model.params.threat_horizon_years  # and his own date (the first draft's)
    own_date = horizon if model.params.threat_horizon_years < NO_DEADLINE_NAMED else np.nan
    for _, row in rounds.iloc[1:].iterrows():
        these = allies[(allies["round"] == row["round"]) & allies["iso3"].isin(at_table)]["position_pct"]
        assert min(these.min(), cost) - 1e-9 <= row["draft_core_pct"] <= max(these.max(), cost) + 1e-9
        deadlines = allies[(allies["round"] == row["round"]) & allies["iso3"].isin(at_table)]["deadline_position"]
        assert np.fmin(deadlines.min(), own_date) - 0.5 <= row["draft_deadline"] <= deadlines.max() + 0.5
    p = model.params
    if outcome.deal:
        assert p.earliest_deadline <= outcome.deadline_year <= p.latest_deadline
        assert len(outcome.flexibility) <= p.max_flexibility_holdouts
        assert not outcome.flexibility or p.allow_flexibility
    assert outcome.rounds <= p.max_rounds
    assert 0.0 <= outcome.us_share_before <= 1.0
    # what measures the deal's implementation exists exactly when there is a deal
    implementation = (outcome.us_share_after, outcome.allies_on_track, outcome.extra_spending_usd_bn)
    assert all(value is not None for value in implementation) == outcome.deal
    assert all(value is None for value in implementation) == (not outcome.deal)
    if outcome.deal:
        assert 0.0 <= outcome.us_share_after <= 1.0


def test_round_tables_have_one_row_per_round_and_ally():
    model = AllianceModel("hague2025", rng=0)
    outcome = model.run()
    assert len(model.rounds_table()) == outcome.rounds + 1  # round 0 is the opening
    assert len(model.allies_table()) == 32 * (outcome.rounds + 1)
    assert set(model.allies_table().columns) == {"round", "iso3", "position_pct", "deadline_position",
                                                 "accepted", "threat", "fiscal_pressure"}


def test_the_protocol_decides_who_tables_the_draft():
    from sim.protocols import agenda_setter
    from sim.engines.model import SECRETARY_GENERAL

    mediated = AllianceModel("hague2025", rng=0)
    mediated.step()
    assert mediated.tabled_by == SECRETARY_GENERAL
    proposed = AllianceModel("hague2025", rng=0, protocol="agenda_setter")
    proposed.step()
    chosen = agenda_setter.recognised(proposed.alliance, proposed.recognition_draws[0])
    assert proposed.tabled_by == proposed.alliance.iso3[int(np.argmax(chosen))]
    assert proposed.tabled_by != SECRETARY_GENERAL
    challenged = AllianceModel("hague2025", rng=0, protocol="challenge")
    challenged.step()  # the median voter tables its own position (the votes then move weights, not positions)
    tabler = challenged.alliance.iso3.index(challenged.tabled_by)
    assert challenged.draft.core_pct == challenged.stances().position[tabler]
    assert challenged.tabled_by != SECRETARY_GENERAL


# --- stepping by hand (Mesa's idiom) gives what run() gives ------------------------------------


@pytest.mark.parametrize("protocol", ["mediator", "agenda_setter", "challenge"])
@pytest.mark.parametrize("seed", [1, 7, 2025])
def test_stepping_by_hand_until_running_is_false_gives_the_runs_outcome(protocol, seed):
    """`while m.running: m.step()` is `run()`; once the talks have ended, `step()` does nothing."""
    expected = AllianceModel("hague2025", rng=seed, protocol=protocol).run()
    model = AllianceModel("hague2025", rng=seed, protocol=protocol)
    steps = 0
    while model.running:
        model.step()
        steps += 1
    assert steps == expected.rounds
    assert repr(model.outcome()) == repr(expected)  # repr: NaN (Iceland's spending) equals itself
    rounds_table = model.rounds_table()
    for _ in range(5):  # extra steps after the end change nothing
        model.step()
    assert model.round == expected.rounds
    assert repr(model.outcome()) == repr(expected)  # repr: NaN (Iceland's spending) equals itself
    assert model.rounds_table().equals(rounds_table)


def test_stepping_a_fixed_number_of_times_stops_where_the_talks_end():
    """Twelve steps (the summit) or forty give the run's outcome, not further rounds of talks."""
    expected = AllianceModel("hague2025", rng=1).run()
    for steps in (expected.rounds, 12, 40):
        model = AllianceModel("hague2025", rng=1)
        for _ in range(steps):
            model.step()
        assert not model.running and model.round == expected.rounds
        assert repr(model.outcome()) == repr(expected)  # repr: NaN (Iceland's spending) equals itself


def test_allies_with_equal_ties_to_the_us_share_their_rank_whatever_the_row_order():
    """`us_reliance` ranks allies; a tie (Spain and Turkey both export 1.22% of GDP to the US)
    shares the mean rank, so reversing the rows gives every ally the same reliance."""
    from sim.model.alliance import us_reliance

    exports, troops, gdp = np.array([1.0, 2.0, 2.0, 3.0, np.nan]), np.array([5.0, 1.0, 1.0, 0.0, np.nan]), np.ones(5)
    reliance = us_reliance(exports, troops, gdp)
    assert reliance[1] == reliance[2] and reliance[4] == 0.0
    np.testing.assert_array_equal(us_reliance(exports[::-1], troops[::-1], gdp)[::-1], reliance)
    # exports rank 0, 1.5, 1.5, 3 and troops per GDP 3, 1.5, 1.5, 0 (of 3): each ally's mean is a half
    np.testing.assert_array_equal(reliance, [0.5, 0.5, 0.5, 0.5, 0.0])


def test_at_the_hague_the_allies_behind_the_vilnius_floor_pay_part_of_it_down_in_2025():
    """A near-term move (`down_payment`; Fearon 1997, sinking costs): each ally's 2025 is at
    least what it decided at the talks, a share of its gap to the 2% it pledged at Vilnius set by
    the US's pressure and its reliance on the US. Where the US enforces at a rate of 1 (the
    ABC-SMC posterior's median is near it; the point is lower) and presses fully (the 2025
    posture), Belgium and Italy, each relying on the US at 0.867, pay at least that share of
    their gap to the floor in 2025 (no compliance drag), which their ordinary ramp would not
    carry them near from 1.3% and 1.5%."""
    model = AllianceModel("hague2025", rng=0, enforcement_rate=1.0)
    outcome = model.run()
    p, alliance, circumstances = model.params, model.alliance, model.circumstances()
    due = model.scenario_spec.ledger.floor_pct(2025, alliance.accession_year)
    decided = down_payment(np.asarray(alliance.start_pct), due,
                           enforcement_share(p.us_pressure, alliance.us_reliance, p.enforcement_rate),
                           circumstances.fiscal, p.compliance_drag)
    ordinary = np.asarray(alliance.start_pct) + ramp(p, circumstances, model.stances())
    by_code = allies_by_code(outcome)
    for ally, least in zip(outcome.allies, decided):
        if ally.trajectory:
            assert ally.trajectory[2025] >= least - 1e-9, ally.iso3
    for code in ("BEL", "ITA"):
        index = [a.iso3 for a in outcome.allies].index(code)
        start = alliance.start_pct[index]
        assert alliance.us_reliance[index] == pytest.approx(0.867, abs=1e-3)
        assert by_code[code].trajectory[2025] - start >= 0.866 * (2.0 - start)
        assert ordinary[index] < 2.0 - 0.1
