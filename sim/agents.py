"""The negotiators: 32 allies and the Secretary General.

Each method is one step of a round and reads as the rule it applies; the rules themselves
live in `sim/rules.py`, shared with the batch engine.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from sim import rules
from sim.parameters import MediatorRule, Parameters


@dataclass(frozen=True)
class AllyProfile:
    """An ally's fixed facts, as the model uses them."""

    iso3: str
    name: str
    start_pct: float  # spending in the scenario's data year; NaN without armed forces
    gdp_usd_bn: float
    debt_pct_gdp: float
    deficit_pct_gdp: float
    eu_member: bool
    exposure: float  # 0..1, see rules.exposure
    is_us: bool
    bears_cost: bool  # has armed forces, so a spending target costs it something
    votes: bool  # a member at the summit (joined no later than the summit year)
    clout: float  # share of the GDP of the allies at the table; 0 for those not at it


@dataclass(frozen=True)
class Package:
    """A draft on the table: core level, defence-related level and deadline year."""

    core_pct: float
    related_pct: float
    deadline_year: int

    @property
    def total_pct(self) -> float:
        return self.core_pct + self.related_pct


class Ally(mesa.Agent):
    """One ally: perceives threat and fiscal pressure, holds a position, votes on drafts."""

    def __init__(self, model, profile: AllyProfile, peer_row: np.ndarray, noise_pct: float,
                 expansion_draws: np.ndarray):
        super().__init__(model)
        self.profile = profile
        self.peer_row = peer_row
        self.noise_pct = noise_pct
        self.expansion_draws = expansion_draws
        p: Parameters = model.params
        self.fiscal = float(rules.fiscal_pressure(profile.debt_pct_gdp, profile.deficit_pct_gdp,
                                                  p.escape_room_pct if (p.eu_escape_clause and profile.eu_member) else 0.0))
        self.reservation_total = float(rules.us_reservation_total(p.us_pressure, p.us_demand_pct, profile.is_us))
        self.floor_pct = float(rules.core_floor(self.reservation_total, p.related_cap_pct, p.split_enabled))
        self.threat = self.own_threat(p.threat_level)
        self.expansion_pct = 0.0
        self.rejections = 0
        self.accepted = False
        self.ideal_pct = self.current_ideal()
        self.position_pct = self.ideal_pct
        self.initial_position_pct = self.position_pct
        self.deadline_preference = float(rules.preferred_deadline(self.urgency, p.earliest_deadline, p.latest_deadline))
        self.deadline_position = self.deadline_preference
        self.initial_deadline_position = self.deadline_position

    # --- what the ally perceives ---
    def own_threat(self, threat_level: float) -> float:
        p = self.model.params
        fear = rules.abandonment_fear(p.us_pressure, self.profile.exposure, p.abandonment_weight, self.profile.is_us)
        return float(rules.threat_perception(threat_level, self.profile.exposure, p.shared_threat, fear))

    @property
    def urgency(self) -> float:
        """The US's urgency is its own pressure; everyone else's is the threat it perceives."""
        return self.model.params.us_pressure if self.profile.is_us else self.threat

    @property
    def salience(self) -> float:
        return 0.5 + 0.5 * self.urgency

    @property
    def ramp_pct(self) -> float:
        p = self.model.params
        base = rules.ratifiable_ramp(self.threat, self.fiscal, p.ramp_base_pct, p.ramp_threat_pct)
        return float(base + self.expansion_pct)

    def current_ideal(self) -> float:
        p = self.model.params
        if self.profile.is_us:
            return float(np.clip(p.us_demand_pct + self.noise_pct, 0.0, rules.LEVEL_CEILING_PCT))
        return float(rules.shocked_ideal(self.profile.start_pct, self.threat, self.fiscal, p.need_scale_pct,
                                         p.fiscal_drag, self.noise_pct))

    def own_spending_ideal(self, threat_level: float) -> float:
        """What the ally would spend on its own in a given threat environment (after the
        summit; the US included, whose position in the talks is its demand on others)."""
        p = self.model.params
        return float(rules.shocked_ideal(self.profile.start_pct, self.own_threat(threat_level), self.fiscal,
                                         p.need_scale_pct, p.fiscal_drag, self.noise_pct))

    def ceiling_at(self, deadline: float) -> float:
        return float(rules.win_set_ceiling(self.profile.start_pct, self.ramp_pct, deadline, self.model.params.summit_year))

    # --- one round ---
    def perceive(self, threat_level: float, previous_threats: np.ndarray):
        """Read the threat (own reading mixed with the neighbours' last readings)."""
        own = self.own_threat(threat_level)
        self.threat = float(rules.peer_influence(own, previous_threats, self.peer_row, self.model.params.peer_weight))

    def update_position(self, draft: Package | None):
        """Follow shifts in the ideal, concede toward the last draft, stay in the win-set."""
        p = self.model.params
        ideal = self.current_ideal()
        shifted = self.position_pct + (ideal - self.ideal_pct)
        self.ideal_pct = ideal
        if draft is None:
            level = shifted
            wanted = self.deadline_preference
        else:
            level = rules.concede(shifted, draft.core_pct, rules.concession_share(p.concession_rate, self.urgency))
            self.deadline_preference = float(rules.concede(self.deadline_preference, draft.deadline_year,
                                                           p.concession_rate))
            wanted = max(self.deadline_preference,
                         rules.needed_deadline(draft.core_pct, self.profile.start_pct, self.ramp_pct, p.summit_year))
        self.deadline_position = float(np.clip(wanted, p.earliest_deadline, p.latest_deadline))
        if self.profile.bears_cost:
            level = min(max(level, self.floor_pct), self.ceiling_at(self.deadline_position))
        self.position_pct = float(np.clip(level, 0.0, rules.LEVEL_CEILING_PCT))

    def vote(self, draft: Package):
        """Accept if the package fits the domestic win-set."""
        self.accepted = bool(rules.accepts(draft.core_pct, draft.related_pct, draft.deadline_year,
                                           self.ceiling_at(draft.deadline_year), self.reservation_total,
                                           self.profile.bears_cost))

    def respond_to_pressure(self, round_index: int, share_accepting: float):
        """A holdout spends political capital under US and peer pressure, and gains leverage."""
        if self.accepted:
            return
        p = self.model.params
        pressure = rules.holdout_pressure(p.us_pressure, share_accepting, p.peer_weight)
        self.expansion_pct = float(rules.expand_ramp(self.expansion_pct, True, pressure, p.expansion_rate_pct,
                                                     self.expansion_draws[round_index]))
        self.rejections += 1


class SecretaryGeneral(mesa.Agent):
    """The mediator: no vote; drafts the package each round from the allies' positions."""

    def draft_package(self, allies: list[Ally]) -> Package:
        p: Parameters = self.model.params
        weights = rules.mediator_weights(np.array([ally.profile.clout for ally in allies]),
                                         np.array([ally.salience for ally in allies]),
                                         np.array([ally.rejections for ally in allies]), p.leverage)
        levels = np.array([ally.position_pct for ally in allies])
        deadlines = np.array([ally.deadline_position for ally in allies])
        starts = np.array([ally.profile.start_pct for ally in allies])
        core = float(apply_rule(p.mediator_rule, levels, weights, starts))
        deadline = int(np.rint(apply_rule(p.mediator_rule, deadlines, weights, np.full_like(deadlines, p.latest_deadline))))
        related = float(rules.related_component(core, p.us_demand_pct, p.related_cap_pct, p.split_enabled))
        return Package(core_pct=core, related_pct=related, deadline_year=deadline)


def apply_rule(rule: MediatorRule, values, weights, disagreement):
    """The mediator's compromise rule, applied over the last axis."""
    if rule is MediatorRule.COMPROMISE:
        return rules.weighted_mean(values, weights)
    if rule is MediatorRule.MEDIAN:
        return rules.weighted_median(values, weights)
    return rules.nash_bargaining(values, weights, np.where(np.isnan(disagreement), values, disagreement))
