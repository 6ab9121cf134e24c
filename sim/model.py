"""The Mesa model: the round schedule, the consensus rule, implementation and data collection.

One run is one negotiation toward a summit. Each round (simultaneous moves): allies perceive
threat, update their positions, the Secretary General drafts a package, allies vote, and the
alliance decides by consensus; holdouts then respond to pressure. At the last round the
summit may carry a few holdouts with side letters. After a deal, each ally's yearly spending
is projected to the deadline.
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd

from sim import rules
from sim.agents import Ally, AllyProfile, Package, SecretaryGeneral, apply_rule
from sim.data.loader import AllyFacts
from sim.outcome import AllyResult, Baselines, Outcome
from sim.parameters import MediatorRule
from sim.scenario import DEFAULT_SCENARIO, Scenario, load_scenario

ON_TRACK_TOLERANCE_PCT = 0.05


def ally_profiles(facts: AllyFacts, params) -> list[AllyProfile]:
    """Each ally's fixed facts for this scenario's data year and summit."""
    start = facts.spending_pct(params.data_year)
    exposure = rules.exposure(facts.distance_to_moscow_km, facts.borders_russia,
                              params.proximity_reference_km, params.proximity_decay_km)
    votes = facts.accession_year <= params.summit_year
    at_table = votes & facts.has_forces
    clout = np.where(at_table, facts.gdp_usd_bn, 0.0) / np.sum(np.where(at_table, facts.gdp_usd_bn, 0.0))
    return [
        AllyProfile(iso3=facts.iso3[i], name=facts.name[i], start_pct=float(start[i]),
                    gdp_usd_bn=float(facts.gdp_usd_bn[i]), debt_pct_gdp=float(facts.debt_pct_gdp[i]),
                    deficit_pct_gdp=float(facts.deficit_pct_gdp[i]), eu_member=bool(facts.eu_member[i]),
                    exposure=float(exposure[i]), is_us=facts.iso3[i] == "USA",
                    bears_cost=bool(facts.has_forces[i]), votes=bool(votes[i]), clout=float(clout[i]))
        for i in range(facts.count)
    ]


def random_draws(rng: np.random.Generator, allies: int, rounds: int) -> tuple[np.ndarray, np.ndarray]:
    """A run's only random numbers, drawn in a fixed order: each ally's domestic preference
    shock (standard normal), then the factor on its win-set growth for every round
    (uniform 0.5..1.5). The batch engine draws the same, in the same order."""
    preference = rng.standard_normal(allies)
    expansion = rng.uniform(0.5, 1.5, size=(rounds, allies))
    return preference, expansion


class AllianceModel(mesa.Model):
    """The allies negotiating a defence-spending package.

    `scenario` is a built-in scenario name, a TOML path or a Scenario; any keyword in
    `overrides` replaces that model parameter (see `sim/parameters.py`), so tools that
    pass flat keyword arguments (SolaraViz, `mesa.batch_run`) can set every lever.
    """

    def __init__(self, scenario: str | Scenario = DEFAULT_SCENARIO, rng=None, **overrides):
        super().__init__(rng=rng)
        base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
        self.scenario_spec = base.with_parameters(**overrides) if overrides else base
        self.params = self.scenario_spec.params
        self.seed = int(rng) if isinstance(rng, (int, np.integer)) else None
        facts = self.scenario_spec.allies()
        profiles = ally_profiles(facts, self.params)
        peers = rules.peer_weights(facts.capital_lat, facts.capital_lon, self.params.peer_distance_km)
        preference, expansion = random_draws(self.rng, len(profiles), self.params.max_rounds)

        self.allies = [
            Ally(self, profile, peers[i], self.params.noise_sd_pct * preference[i], expansion[:, i])
            for i, profile in enumerate(profiles)
        ]
        self.secretary_general = SecretaryGeneral(self)
        self.round = 0
        self.draft: Package | None = None
        self.deal: bool | None = None
        self.flexibility: list[Ally] = []
        self.package: Package | None = None
        self.trajectories: dict[str, dict[int, float]] = {}
        self.initial_weights = self._weights()

        self.datacollector = mesa.DataCollector(
            model_reporters={
                "round": "round",
                "draft_core_pct": lambda m: m.draft.core_pct if m.draft else np.nan,
                "draft_related_pct": lambda m: m.draft.related_pct if m.draft else np.nan,
                "draft_deadline": lambda m: m.draft.deadline_year if m.draft else np.nan,
                "position_spread_pct": lambda m: m.position_spread(),
                "share_accepting": lambda m: m.share_accepting() if m.draft else np.nan,
            },
            agenttype_reporters={Ally: {
                "iso3": lambda a: a.profile.iso3,
                "position_pct": "position_pct",
                "deadline_position": "deadline_position",
                "accepted": "accepted",
                "threat": "threat",
                "fiscal_pressure": "fiscal",
            }},
        )
        self.datacollector.collect(self)

    # --- the schedule ---
    def step(self):
        """One round of talks."""
        self.round += 1
        previous_threats = np.array([ally.threat for ally in self.allies])
        threat_level = self.threat_level_in(self.round)
        for ally in self.allies:
            ally.perceive(threat_level, previous_threats)
        for ally in self.allies:
            ally.update_position(self.draft)
        self.draft = self.secretary_general.draft_package(self.allies)
        for ally in self.allies:
            ally.vote(self.draft)
        self.decide()
        self.datacollector.collect(self)

    def decide(self):
        """Consensus: a deal when every member accepts; one blocker blocks. At the summit,
        a few holdouts may be carried with side letters; otherwise no deal."""
        holdouts = [a for a in self.members if not a.accepted]
        if not holdouts:
            self.conclude(deal=True, flexibility=[])
        elif self.round >= self.params.max_rounds:
            us = [a for a in self.members if a.profile.is_us]
            us_accepts = all(a.accepted for a in us)
            carried = rules.flexibility_allowed(np.array([not a.accepted for a in self.members]), us_accepts,
                                                self.params.allow_flexibility, self.params.max_flexibility_holdouts)
            self.conclude(deal=bool(carried), flexibility=holdouts if carried else [])
        else:
            share = self.share_accepting()
            for ally in self.allies:
                ally.respond_to_pressure(self.round - 1, share)

    def conclude(self, deal: bool, flexibility: list[Ally]):
        self.running = False
        self.deal = deal
        self.flexibility = flexibility
        self.package = self.draft if deal else None
        self.trajectories = self.project_spending()

    def run(self) -> Outcome:
        """Run to the end of the talks and return the outcome."""
        while self.running:
            self.step()
        return self.outcome()

    # --- what the model knows about itself ---
    @property
    def members(self) -> list[Ally]:
        return [ally for ally in self.allies if ally.profile.votes]

    def threat_level_in(self, round_index: int) -> float:
        p = self.params
        shock = p.threat_shock if round_index >= p.threat_shock_round else 0.0
        return float(np.clip(p.threat_level + shock, 0.0, 1.0))

    def share_accepting(self) -> float:
        members = self.members
        return sum(a.accepted for a in members) / len(members)

    def position_spread(self) -> float:
        """Standard deviation of the positions of the allies at the table (pp of GDP)."""
        levels = [a.position_pct for a in self.allies if a.profile.clout > 0]
        return float(np.std(levels))

    def _weights(self) -> np.ndarray:
        return rules.mediator_weights(np.array([a.profile.clout for a in self.allies]),
                                      np.array([a.salience for a in self.allies]),
                                      np.array([a.rejections for a in self.allies]), self.params.leverage)

    def baselines(self) -> Baselines:
        """What the one-shot models predict from the initial positions and weights."""
        levels = np.array([a.initial_position_pct for a in self.allies])
        starts = np.array([a.profile.start_pct for a in self.allies])
        predict = {rule: float(apply_rule(rule, levels, self.initial_weights, np.where(np.isnan(starts), levels, starts)))
                   for rule in MediatorRule}
        return Baselines(weighted_mean=predict[MediatorRule.COMPROMISE],
                         weighted_median=predict[MediatorRule.MEDIAN], nash=predict[MediatorRule.NASH])

    # --- implementation after the summit ---
    def targets(self) -> np.ndarray:
        """Each ally's target: the package's core level, or, without a deal or with a side
        letter, its own final position."""
        own = np.array([a.position_pct for a in self.allies])
        if not self.deal:
            return own
        return np.array([own[i] if a in self.flexibility else self.package.core_pct
                         for i, a in enumerate(self.allies)])

    def horizon(self) -> int:
        if self.package is not None:
            return self.package.deadline_year
        return self.draft.deadline_year if self.draft else self.params.latest_deadline

    def project_spending(self) -> dict[str, dict[int, float]]:
        """Each ally's yearly spending from the data year to the deadline: the faster of the
        pledge's path (in the years the ally keeps it) and its own adjustment toward what the
        year's threat calls for."""
        p = self.params
        targets = self.targets()
        horizon = self.horizon()
        talks_level = self.threat_level_in(self.round)
        trajectories = {}
        for ally, target in zip(self.allies, targets):
            if not ally.profile.bears_cost:
                trajectories[ally.profile.iso3] = {}
                continue
            spending = ally.profile.start_pct
            path = {p.data_year: spending}
            for year in range(p.data_year + 1, horizon + 1):
                level = rules.threat_level_in_year(year, talks_level, p.threat_event_year, p.threat_event_level)
                own_ideal = ally.own_spending_ideal(float(level))
                pledged = rules.yearly_step(spending, target, horizon - year + 1, ally.ramp_pct,
                                            ally.fiscal, p.compliance_drag)
                kept = pledged if rules.keeps_pledge(own_ideal, target, p.self_enforcing_pledges) else spending
                own = rules.adjust_toward_ideal(spending, own_ideal, p.adjustment_rate)
                spending = float(max(kept, own))
                path[year] = spending
            trajectories[ally.profile.iso3] = path
        return trajectories

    def outcome(self) -> Outcome:
        if self.running:
            raise RuntimeError("the talks are still running; call run() or step() until running is False")
        targets = self.targets()
        end = {code: path[max(path)] if path else np.nan for code, path in self.trajectories.items()}
        gdp = np.array([a.profile.gdp_usd_bn for a in self.allies])
        start = np.nan_to_num(np.array([a.profile.start_pct for a in self.allies]))
        final = np.nan_to_num(np.array([end[a.profile.iso3] for a in self.allies]))
        is_us = np.array([a.profile.is_us for a in self.allies])
        on_track = {a.profile.iso3: bool(self.deal and a.profile.bears_cost and a not in self.flexibility
                                         and end[a.profile.iso3] >= t - ON_TRACK_TOLERANCE_PCT)
                    for a, t in zip(self.allies, targets)}
        package = self.package
        return Outcome(
            scenario=self.scenario_spec.name,
            seed=self.seed,
            deal=bool(self.deal),
            core_target_pct=package.core_pct if package else None,
            related_target_pct=(package.related_pct if package and self.params.split_enabled else None),
            deadline_year=package.deadline_year if package else None,
            rounds=self.round,
            holdouts=[a.profile.iso3 for a in self.members if not a.accepted],
            flexibility=[a.profile.iso3 for a in self.flexibility],
            baselines=self.baselines(),
            us_share_before=float(np.sum(start * gdp * is_us) / np.sum(start * gdp)),
            us_share_after=float(np.sum(final * gdp * is_us) / np.sum(final * gdp)),
            allies_on_track=sum(on_track.values()),
            extra_spending_usd_bn=float(np.sum((final - start) * gdp) / 100.0),
            allies=[self._ally_result(a, on_track[a.profile.iso3]) for a in self.allies],
        )

    def rounds_table(self) -> pd.DataFrame:
        """One row per round: the draft, the spread of positions, the share accepting."""
        return self.datacollector.get_model_vars_dataframe().reset_index(drop=True)

    def allies_table(self) -> pd.DataFrame:
        """One row per ally and round: position, deadline, vote, threat, fiscal pressure."""
        table = self.datacollector.get_agenttype_vars_dataframe(Ally).reset_index()
        table = table.rename(columns={"Step": "round"}).drop(columns=["AgentID"])
        table["round"] = table["round"].astype(int)
        return table[["round", "iso3", "position_pct", "deadline_position", "accepted", "threat", "fiscal_pressure"]]

    def _ally_result(self, ally: Ally, on_track: bool) -> AllyResult:
        return AllyResult(
            iso3=ally.profile.iso3, name=ally.profile.name, start_pct=ally.profile.start_pct,
            initial_position_pct=ally.initial_position_pct, final_position_pct=ally.position_pct,
            initial_deadline=ally.initial_deadline_position, final_deadline=ally.deadline_position,
            accepted=ally.accepted, flexibility=ally in self.flexibility, votes=ally.profile.votes, on_track=on_track,
            threat=ally.threat, fiscal_pressure=ally.fiscal,
            trajectory=self.trajectories.get(ally.profile.iso3, {}),
        )
