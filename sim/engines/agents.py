"""The negotiators: 32 allies and the Secretary General.

Each method is one step of a round, applied to the agent's own row: it calls the step's
single definition in `sim.model` (or in the protocol's module of `sim.protocols`), which the
batch engine runs for many runs at once.
"""

from __future__ import annotations

import mesa
import numpy as np

from sim.model import clout, concession, consensus, opening, perception, pressure, win_set
from sim.model.alliance import Alliance
from sim.model.caucuses import Caucus, CaucusLine
from sim.model.parameters import NegotiationProtocol
from sim.model.state import Stance
from sim.protocols import agenda_setter, baron_ferejohn, challenge, exchange, mediator


def _fact(name: str) -> property:
    """A read-only attribute of an ally that gives one of its facts (`Ally.facts`), so that
    Mesa's tools read it as any agent attribute: `model.allies.get("iso3")`,
    `model.agents.select(lambda a: a.iso3 == "ESP")`."""
    return property(lambda ally: getattr(ally.facts, name), doc=f"The ally's `{name}` (`Alliance.{name}`).")


class Ally(mesa.Agent):
    """One ally: perceives the threat, holds a position, votes on drafts, bends under pressure.

    Its facts (`facts`, an `Alliance` row) are read-only attributes of its own as well
    (`FACTS`: `ally.iso3`, `ally.name`, `ally.votes`, ...), so filters and `get` over the
    agents need no `.facts`."""

    iso3 = _fact("iso3")
    name = _fact("name")
    start_pct = _fact("start_pct")
    gdp_usd_bn = _fact("gdp_usd_bn")
    debt_pct_gdp = _fact("debt_pct_gdp")
    deficit_pct_gdp = _fact("deficit_pct_gdp")
    eu_member = _fact("eu_member")
    escape_clause = _fact("escape_clause")
    distance_to_moscow_km = _fact("distance_to_moscow_km")
    borders_russia = _fact("borders_russia")
    is_us = _fact("is_us")
    bears_cost = _fact("bears_cost")
    votes = _fact("votes")
    clout = _fact("clout")
    accession_year = _fact("accession_year")
    us_reliance = _fact("us_reliance")
    exports_to_us_pct_gdp = _fact("exports_to_us_pct_gdp")
    allied_effort_pct = _fact("allied_effort_pct")
    us_effort_pct = _fact("us_effort_pct")
    at_table = property(lambda ally: bool(ally.facts.at_table), doc="Whether it sits at the table (`Alliance.at_table`).")

    FACTS = ("iso3", "name", "start_pct", "gdp_usd_bn", "debt_pct_gdp", "deficit_pct_gdp", "eu_member",
             "escape_clause", "distance_to_moscow_km", "borders_russia", "is_us", "bears_cost", "votes", "clout",
             "accession_year", "us_reliance", "exports_to_us_pct_gdp", "allied_effort_pct", "us_effort_pct", "at_table")

    def __init__(self, model, seat: int, facts: Alliance, peer_row: np.ndarray, preference_draw: float,
                 widening_factors: np.ndarray):
        super().__init__(model)
        self.seat = seat  # its row in the alliance's arrays
        self.facts = facts
        self.peer_row = peer_row  # how much each ally's reading of the threat weighs with this one
        self.widening_factors = widening_factors  # this ally's random factor on its ramp widening, per round
        self.circumstances = opening.circumstances_of(facts, model.params, preference_draw, model.scenario_spec.ledger)
        self.stance: Stance = opening.open_stance(facts, model.params, self.circumstances)
        self.opening: Stance = self.stance

    # --- one round ---
    def perceive(self):
        """Read the threat: own reading mixed with the neighbours' readings of the last round."""
        m = self.model
        self.stance = perception.perceive(self.facts, m.params, self.circumstances, self.stance, m.threat_level,
                                          m.last_round_threats, self.peer_row)

    def update_position(self):
        """Follow shifts in the ideal, concede toward the last draft, move toward the caucus's
        line, stay in the win-set."""
        m = self.model
        self.stance = concession.update_position(self.facts, m.params, self.circumstances, self.stance, m.draft,
                                                 self.caucus_line())

    @property
    def caucus(self) -> Caucus:
        """The group it argues with (formed once every ally knows its circumstances)."""
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
        m.draft = agenda_setter.propose_package(m.alliance, m.params, m.circumstances(), m.stances(), mine).item()

    def buy_votes(self):
        """Recognised to propose under Baron-Ferejohn: table the level nearest its own position
        that buys every vote it needs at its continuation value (`baron_ferejohn.propose`)."""
        m = self.model
        mine = np.array([ally is self for ally in m.allies])
        proposal = baron_ferejohn.propose(m.alliance, m.params, m.circumstances(), m.stances(), mine, m.round)
        m.draft, m.continuation = proposal.package.item(), proposal.continuation

    def answer_challenges(self):
        """Challenged by the others: take the offer it must accept that moves it least, on the
        level and on the deadline, within its win-set."""
        m = self.model
        self.stance = challenge.answer_challenges(self.facts, m.params, self.circumstances, self.stance, m.challenges,
                                                  seat=self.seat)

    def table_forecast(self):
        """The median voter after the challenges: table the forecast, the weighted median of the
        positions."""
        m = self.model
        m.draft = challenge.forecast_package(m.alliance, m.params, m.circumstances(), m.stances()).item()

    def make_exchange(self):
        """Trade with its partner of this round, if it has one: give ground on the issue it cares
        less about, toward the partner's position, by as much as leaves both equally better off;
        stay within its win-set."""
        m = self.model
        self.stance = exchange.make_exchange(self.facts, m.params, self.circumstances, self.stance, m.exchanges,
                                             seat=self.seat)

    def table_expected_outcome(self):
        """Nearest the expected outcome after the exchanges: table it, the capability x salience
        weighted mean of the levels and of the deadlines."""
        m = self.model
        m.draft = exchange.expected_package(m.alliance, m.params, m.circumstances(), m.stances()).item()

    def vote(self):
        """Accept the draft if it fits the domestic win-set; under Baron-Ferejohn, only if it is
        also worth at least what waiting for the next proposal is worth (`accept_or_wait`)."""
        m = self.model
        self.stance = consensus.vote(self.facts, m.params, self.circumstances, self.stance, m.draft)
        if m.params.protocol is NegotiationProtocol.BARON_FEREJOHN:
            self.stance = baron_ferejohn.accept_or_wait(self.facts, m.params, self.circumstances, self.stance, m.draft,
                                                        m.continuation[self.seat], self.facts.iso3 == m.tabled_by)

    def stand_with_caucus(self):
        """Vote no with its caucus, if the caucus rejects the draft as a bloc."""
        self.stance = consensus.stand_with_caucus(self.stance, bool(self.model.caucus_vetoes[self.seat]))

    def respond_to_pressure(self, share_accepting: float):
        """A holdout spends political capital under US and peer pressure, and gains leverage."""
        m = self.model
        self.stance = pressure.respond_to_pressure(self.facts, m.params, self.stance, share_accepting,
                                                   self.widening_factors[m.round - 1])

    def own_spending_ideal(self, threat_level: float) -> float:
        """What it would spend on its own in a given threat environment, after the summit."""
        return float(win_set.own_spending_ideal(self.facts, self.model.params, self.circumstances, threat_level))

    # --- what it shows (plain numbers for the page, the tables and the outcome) ---
    @property
    def threat(self) -> float:
        return float(self.stance.threat)

    @property
    def fiscal(self) -> float:
        return float(self.circumstances.fiscal)

    @property
    def noise_pct(self) -> float:
        return float(self.circumstances.noise)

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
        return float(win_set.ramp(self.model.params, self.circumstances, self.stance))

    @property
    def salience(self) -> float:
        return float(clout.salience(perception.urgency(self.facts, self.model.params, self.stance.threat)))


class SecretaryGeneral(mesa.Agent):
    """The mediator: no vote; drafts the package each round from the allies' positions.

    It has an ally's facts (`Ally.FACTS`) and per-round readings as attributes too, all None
    but its name, so a filter or a reporter over all the agents (`model.agents`) reads
    it without failing; `model.allies` holds the allies alone."""

    name = "Secretary General"
    votes = bears_cost = at_table = is_us = eu_member = borders_russia = escape_clause = None
    iso3 = start_pct = gdp_usd_bn = debt_pct_gdp = deficit_pct_gdp = distance_to_moscow_km = None
    clout = accession_year = us_reliance = exports_to_us_pct_gdp = allied_effort_pct = us_effort_pct = None
    position_pct = deadline_position = accepted = threat = fiscal = None

    def draft_package(self):
        """Put a draft on the table: first what the capability targets cost, then by the mediator
        rule of the scenario over the positions."""
        m = self.model
        m.draft = mediator.draft_package(m.params.mediator_rule, m.alliance, m.params, m.circumstances(),
                                         m.stances(), first=m.draft is None).item()

    def holdouts_beyond_reach(self, share_accepting: float) -> np.ndarray:
        """The holdouts no round left before the summit can win, reckoned from the capitals'
        reports and, where caucuses vote as blocs, from the caucuses (a mask over the allies)."""
        m = self.model
        return consensus.out_of_reach(m.alliance, m.params, m.circumstances(), m.stances(), m.draft, share_accepting,
                                      m.round, m.caucus_codes)
