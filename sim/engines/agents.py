"""The negotiators: 32 allies and the Secretary General.

Each method is one step of a round, applied to the agent's own row: it calls the step's
single definition in `sim/model/negotiation.py`, which the batch engine runs for many runs at once.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.protocols import challenge

from sim.model import negotiation, rules
from sim.model.alliance import Alliance
from sim.model.caucuses import Caucus, CaucusLine
from sim.model.negotiation import Stance


class Ally(mesa.Agent):
    """One ally: perceives the threat, holds a position, votes on drafts, bends under pressure."""

    def __init__(self, model, seat: int, facts: Alliance, peer_row: np.ndarray, preference_draw: float,
                 expansion_draws: np.ndarray):
        super().__init__(model)
        self.seat = seat  # its row in the alliance's arrays
        self.facts = facts
        self.peer_row = peer_row  # how much each ally's reading of the threat weighs with this one
        self.expansion_draws = expansion_draws  # this ally's random factor on win-set growth, per round
        self.standing = negotiation.standing(facts, model.params, preference_draw)
        self.stance: Stance = negotiation.open_stance(facts, model.params, self.standing)
        self.opening: Stance = self.stance

    # --- one round ---
    def perceive(self):
        """Read the threat: own reading mixed with the neighbours' readings of the last round."""
        m = self.model
        self.stance = negotiation.perceive(self.facts, m.params, self.standing, self.stance, m.threat_level,
                                           m.last_round_threats, self.peer_row)

    def update_position(self):
        """Follow shifts in the ideal, concede toward the last draft, move toward the caucus's
        line, stay in the win-set."""
        m = self.model
        self.stance = negotiation.update_position(self.facts, m.params, self.standing, self.stance, m.draft,
                                                  self.caucus_line())

    @property
    def caucus(self) -> Caucus:
        """The group it argues with (formed once every ally has taken its standing)."""
        return Caucus(int(self.model.caucus_codes[self.seat]))

    def caucus_line(self) -> CaucusLine:
        """What its caucus argues this round (NaN in none)."""
        lines = self.model.caucus_lines
        return CaucusLine(level=float(lines.level[self.seat]), deadline=float(lines.deadline[self.seat]))

    def propose(self):
        """Recognised to propose: table the package nearest its own position that every member
        can ratify."""
        m = self.model
        mine = np.array([ally is self for ally in m.allies])
        m.draft = negotiation.propose_package(m.alliance, m.params, m.standings(), m.stances(), mine).item()

    def answer_challenges(self):
        """Challenged by the others: take the offer it must accept that moves it least, on the
        level and on the deadline, within its win-set."""
        m = self.model
        self.stance = challenge.answer_challenges(self.facts, m.params, self.standing, self.stance, m.challenges,
                                                    seat=self.seat)

    def table_forecast(self):
        """The median voter after the challenges: table the forecast, the weighted median of the
        positions."""
        m = self.model
        m.draft = challenge.forecast_package(m.alliance, m.params, m.stances()).item()

    def vote(self):
        """Accept the draft if it fits the domestic win-set."""
        self.stance = negotiation.vote(self.facts, self.model.params, self.standing, self.stance, self.model.draft)

    def stand_with_caucus(self):
        """Vote no with its caucus, if the caucus rejects the draft as a bloc."""
        self.stance = negotiation.stand_with_caucus(self.stance, bool(self.model.caucus_vetoes[self.seat]))

    def respond_to_pressure(self, share_accepting: float):
        """A holdout spends political capital under US and peer pressure, and gains leverage."""
        m = self.model
        self.stance = negotiation.respond_to_pressure(self.facts, m.params, self.stance, share_accepting,
                                                      self.expansion_draws[m.round - 1])

    def own_spending_ideal(self, threat_level: float) -> float:
        """What it would spend on its own in a given threat environment, after the summit."""
        return float(negotiation.own_spending_ideal(self.facts, self.model.params, self.standing, threat_level))

    # --- what it shows (plain numbers for the page, the tables and the outcome) ---
    @property
    def threat(self) -> float:
        return float(self.stance.threat)

    @property
    def fiscal(self) -> float:
        return float(self.standing.fiscal)

    @property
    def noise_pct(self) -> float:
        return float(self.standing.noise)

    @property
    def position_pct(self) -> float:
        return float(self.stance.position)

    @property
    def deadline_position(self) -> float:
        return float(self.stance.deadline_position)

    @property
    def accepted(self) -> bool:
        return bool(self.stance.accepted)

    @property
    def rejections(self) -> int:
        return int(self.stance.rejections)

    @property
    def initial_position_pct(self) -> float:
        return float(self.opening.position)

    @property
    def initial_deadline_position(self) -> float:
        return float(self.opening.deadline_position)

    @property
    def ramp_pct(self) -> float:
        return float(negotiation.ramp(self.model.params, self.standing, self.stance))

    @property
    def salience(self) -> float:
        return float(rules.salience(negotiation.urgency(self.facts, self.model.params, self.stance.threat)))


class SecretaryGeneral(mesa.Agent):
    """The mediator: no vote; drafts the package each round from the allies' positions."""

    def draft_package(self):
        """Put a draft on the table, by the mediator rule of the scenario."""
        m = self.model
        m.draft = negotiation.draft_package(m.params.mediator_rule, m.alliance, m.params, m.stances()).item()

    def holdouts_beyond_reach(self, share_accepting: float) -> np.ndarray:
        """The holdouts no round left before the summit can win, reckoned from the capitals'
        reports and, where caucuses vote as blocs, from the caucuses (a mask over the allies)."""
        m = self.model
        return negotiation.out_of_reach(m.alliance, m.params, m.standings(), m.stances(), m.draft, share_accepting,
                                        m.round, m.caucus_codes)
