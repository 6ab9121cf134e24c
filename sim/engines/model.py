"""The Mesa model: the round schedule, the consensus rule, implementation and data collection.

One run is one negotiation toward a summit. Each round (simultaneous moves): allies perceive
threat, update their positions, the Secretary General drafts a package, allies vote, and the
alliance decides by consensus; holdouts then respond to pressure. At the last round the
summit may carry a few holdouts with side letters. After a deal, each ally's yearly spending
is projected to the deadline. Every step is defined once, in `sim.model` (and the protocols'
own in `sim.protocols`); here is only the schedule.
"""

from __future__ import annotations

import dataclasses
import inspect

import mesa
import numpy as np
import pandas as pd

from sim.engines.agents import Ally, SecretaryGeneral
from sim.model import concession, consensus, implementation, perception, us_actor
from sim.model.alliance import Alliance
from sim.model.caucuses import CaucusLine, form_caucuses
from sim.model.state import Circumstances, Decision, Package, Stance
from sim.model.streams import random_draws
from sim.protocols import challenge, exchange, mediator
from sim.protocols.agenda_setter import recognised
from sim.engines.outcome import (ALLY_ROUND_FIELDS, ROUND_FIELDS, AllyResult, Baselines, BatchResult, Measures,
                                 Outcome, measure, run_outcomes)
from sim.engines.schema import RUN_OUTCOMES
from sim.model.parameters import MediatorRule, NegotiationProtocol, parameter_fields
from sim.model.scenario import DEFAULT_SCENARIO, Scenario, load_scenario


SECRETARY_GENERAL = "SG"  # `tabled_by` when the Secretary General drafted


class AllianceModel(mesa.Model):
    """The allies negotiating a defence-spending package.

    `scenario_name` is a built-in scenario name, a TOML path or a `Scenario`; every model
    parameter (see `sim/model/parameters.py`) is a keyword of its own, None meaning the scenario's
    value, so tools that pass flat keyword arguments (Mesa's model controller, `mesa.batch_run`)
    set every lever on this class itself. Pass `rng=` a seed for a reproducible run: the run's
    random numbers are then a function of that integer alone, as in the batch engine; with no
    seed, or a numpy Generator, one integer is drawn from it and used as the seed.
    """

    def __init__(self, scenario_name: str | Scenario = DEFAULT_SCENARIO, *, rng=None, **parameters):
        super().__init__(rng=rng)
        base = scenario_name if isinstance(scenario_name, Scenario) else load_scenario(scenario_name)
        changes = {name: value for name, value in parameters.items() if value is not None}
        self.scenario_spec = base.with_parameters(**changes) if changes else base
        self.scenario_name = scenario_name if isinstance(scenario_name, str) else base.name
        self.params = p = self.scenario_spec.params
        self.seed = int(rng) if isinstance(rng, (int, np.integer)) else None
        # The run's numbers are a function of one integer (`streams.random_draws`): the seed
        # itself, or, given no seed or a Generator, one integer drawn from Mesa's `self.rng`.
        self.draws_key = self.seed if self.seed is not None else int(self.rng.integers(0, 2**63))
        facts = self.scenario_spec.allies()
        self.alliance = Alliance.of(facts, p.data_year, p.summit_year)
        peers = perception.peer_weights(facts.capital_lat, facts.capital_lon, p.peer_distance_km)
        draws = random_draws(self.draws_key, self.alliance.iso3, p.max_rounds)
        for i in range(self.alliance.count):
            Ally(self, i, self.alliance.row(i), peers[i], draws.preference[i], draws.widening_factor[:, i])
        self.recognition_draws = draws.recognition
        self.allies = self.agents_by_type[Ally]
        self.settle_us_floor()
        circumstances = self.circumstances()
        self.caucus_codes = form_caucuses(self.alliance, p, circumstances.fiscal)
        self.caucus_lines: CaucusLine | None = None
        self.caucus_vetoes = np.zeros(self.alliance.count, dtype=bool)  # whose caucus rejected the draft as a bloc
        self.secretary_general = SecretaryGeneral(self)
        self.round = 0
        self.threat_level = float(p.threat_level)
        self.last_round_threats = np.array(self.allies.get("threat"))
        self.draft: Package | None = None
        self.challenges: challenge.Challenges | None = None  # this round's, under the challenge protocol
        self.exchanges: exchange.Exchanges | None = None  # this round's, under the exchange protocol
        self.continuation: np.ndarray | None = None  # each ally's continuation value, under baron_ferejohn
        self.tabled_by: str | None = None  # who tabled the draft on the table: an ally's ISO3 code, or "SG"
        self.deal: bool | None = None
        self.flexibility: list[Ally] = []
        self.package: Package | None = None
        self.projection: implementation.Projection | None = None
        self.trajectories: dict[str, dict[int, float]] = {}
        self.final: dict | None = None  # the run's outcome as a flat row, once the talks have ended

        # Per round, the round's reporters; per run, the outcome's scalar fields (named by the
        # outcome schema, None until the talks end), so `mesa.batch_run` rows carry the outcome.
        # The agent reporters are read from every agent; the Secretary General's are None.
        self.datacollector = mesa.DataCollector(
            model_reporters={
                "round": "round",
                "draft_core_pct": lambda m: m.draft.core_pct if m.draft else np.nan,
                "draft_related_pct": lambda m: m.draft.related_pct if m.draft else np.nan,
                "draft_deadline": lambda m: m.draft.deadline_year if m.draft else np.nan,
                "position_spread_pct": lambda m: m.position_spread(),
                "share_accepting": lambda m: m.share_accepting() if m.draft else np.nan,
                **{name: _outcome_reporter(name) for name in OUTCOME_REPORTERS},
            },
            agent_reporters={
                "iso3": "iso3",
                "position_pct": "position_pct",
                "deadline_position": "deadline_position",
                "accepted": "accepted",
                "threat": "threat",
                "fiscal_pressure": "fiscal",
            },
        )
        self.datacollector.collect(self)

    # --- the schedule ---
    def step(self):
        """One round of talks: simultaneous moves, so every ally perceives last round's readings.
        Once the talks have ended (`running` is False) it does nothing, so stepping by hand
        until then, or past it, gives what `run()` gives."""
        if not self.running:
            return
        self.round += 1
        self.threat_level = float(perception.threat_level_in_round(self.round, self.params))
        self.last_round_threats = np.array(self.allies.get("threat"))
        self.allies.do("perceive")
        self.caucus_lines = concession.caucus_lines(self.alliance, self.params, self.caucus_codes, self.stances())
        self.allies.do("update_position")
        self.table_package()
        self.allies.do("vote")
        self.caucus_vetoes = consensus.caucus_vetoes(self.alliance, self.params, self.caucus_codes, self.stances())
        self.allies.do("stand_with_caucus")
        self.decide()
        self.datacollector.collect(self)

    def table_package(self):
        """The protocol: the Secretary General drafts a single text, the ally recognised this
        round proposes (as an agenda setter, or buying votes at their continuation values under
        Baron-Ferejohn), or allies challenge each other and the forecast (the weighted median
        level and deadline) is tabled, in the name of the ally at the median level, or allies
        trade positions and the expected outcome is tabled, in the name of the ally nearest it."""
        if self.params.protocol is NegotiationProtocol.AGENDA_SETTER:
            proposer = self.proposer()
            proposer.propose()
            self.tabled_by = proposer.facts.iso3
        elif self.params.protocol is NegotiationProtocol.BARON_FEREJOHN:
            proposer = self.proposer()
            proposer.buy_votes()
            self.tabled_by = proposer.facts.iso3
        elif self.params.protocol is NegotiationProtocol.CHALLENGE:
            self.challenges = challenge.challenges(self.alliance, self.params, self.stances(), self.draft)
            self.allies.do("answer_challenges")
            median_voter = self.median_voter()
            median_voter.table_forecast()
            self.tabled_by = median_voter.facts.iso3
        elif self.params.protocol is NegotiationProtocol.EXCHANGE:
            self.exchanges = exchange.exchanges(self.alliance, self.params, self.circumstances(), self.stances())
            self.allies.do("make_exchange")
            tabler = self.nearest_to_outcome()
            tabler.table_expected_outcome()
            self.tabled_by = tabler.facts.iso3
        else:
            self.secretary_general.draft_package()
            self.tabled_by = SECRETARY_GENERAL

    def settle_us_floor(self):
        """The US sets the headline it holds out for from the allies' opening stances
        (`us_actor.settle`): every ally has reported where it stands before it does."""
        settled = us_actor.settle(self.alliance, self.params, self.circumstances(), self.stances())
        for ally in self.allies:
            ally.circumstances = dataclasses.replace(
                ally.circumstances, reservation_total=float(settled.reservation_total[ally.seat]),
                floor=float(settled.floor[ally.seat]), us_headline=float(settled.us_headline[ally.seat]))

    def proposer(self) -> Ally:
        """The ally recognised to propose this round (by clout, from the run's own draw)."""
        chosen = recognised(self.alliance, self.recognition_draws[self.round - 1])
        return self.allies[int(np.argmax(chosen))]

    def median_voter(self) -> Ally:
        """The ally holding the weighted median of the level, after this round's challenges."""
        return self.allies[int(np.argmax(challenge.median_voter(self.alliance, self.params, self.stances())))]

    def nearest_to_outcome(self) -> Ally:
        """The ally whose level is nearest the expected level, after this round's exchanges."""
        return self.allies[int(np.argmax(exchange.nearest_to_outcome(self.alliance, self.params, self.circumstances(),
                                                                     self.stances())))]

    def decide(self):
        """Consensus on the draft: conclude (a deal, side letters, or no deal at the summit),
        or press the holdouts and talk on."""
        share = self.share_accepting()
        beyond_reach = self.secretary_general.holdouts_beyond_reach(share)
        decision = consensus.decide(self.alliance, self.params, self.votes(), self.round, beyond_reach)
        if decision.concluded.item():
            self.conclude(decision)
        else:
            self.allies.do("respond_to_pressure", share)

    def conclude(self, decision: Decision):
        self.running = False
        self.deal = bool(decision.deal.item())
        self.flexibility = [ally for ally, carried in zip(self.allies, decision.flexibility) if carried]
        self.package = self.draft if self.deal else None
        self.projection = self.project_spending()
        self.trajectories = self.paths(self.projection)
        self.final = self.result().rows()[0]

    def run(self) -> Outcome:
        """Run to the end of the talks and return the outcome."""
        while self.running:
            self.step()
        return self.outcome()

    # --- what the model knows about itself ---
    @property
    def members(self) -> list[Ally]:
        return [ally for ally in self.allies if ally.facts.votes]

    def votes(self) -> np.ndarray:
        return np.array(self.allies.get("accepted"), dtype=bool)

    def stances(self) -> Stance:
        """Every ally's stance, as vectors over the allies."""
        return _stacked(Stance, [ally.stance for ally in self.allies])

    def circumstances(self) -> Circumstances:
        return _stacked(Circumstances, [ally.circumstances for ally in self.allies])

    def share_accepting(self) -> float:
        return float(consensus.share_accepting(self.alliance, self.votes()).item())

    def position_spread(self) -> float:
        """Standard deviation of the positions of the allies at the table (pp of GDP)."""
        levels = [a.position_pct for a in self.allies if a.facts.at_table]
        return float(np.std(levels))

    def baselines(self) -> Baselines:
        """What the one-shot models predict from the initial positions and weights."""
        opening = _stacked(Stance, [ally.opening for ally in self.allies])
        predict = {rule: float(mediator.baselines(rule, self.alliance, self.params, opening)) for rule in MediatorRule}
        return Baselines.of(predict)

    # --- implementation after the summit ---
    def flexibility_mask(self) -> np.ndarray:
        return np.array([ally in self.flexibility for ally in self.allies], dtype=bool)

    def project_spending(self) -> implementation.Projection:
        """Each ally's yearly spending from the data year to the deadline (the last draft's,
        without a deal)."""
        p = self.params
        stances = self.stances()
        target = implementation.targets(bool(self.deal), self.flexibility_mask(), self.draft.core_pct,
                                        stances.position)
        return implementation.project_spending(
            self.alliance, p, self.circumstances(), stances, target, self.draft.deadline_year,
            perception.threat_level_in_round(self.round, p), p.data_year, self.scenario_spec.ledger)

    def paths(self, projection: implementation.Projection) -> dict[str, dict[int, float]]:
        """Each ally's projected path as {year: % of GDP}, empty for an ally without forces."""
        years = range(projection.first_year, projection.first_year + projection.trajectory.shape[-1])
        return {ally.facts.iso3: ({year: float(value) for year, value in zip(years, path) if not np.isnan(value)}
                                    if ally.facts.bears_cost else {})
                for ally, path in zip(self.allies, projection.trajectory)}

    def measures(self) -> Measures:
        """What the run's end means for the alliance (`measure`, as the batch engine computes it)."""
        if self.running:
            raise RuntimeError("the talks are still running; call run() or step() until running is False")
        return measure(self.alliance, np.array([bool(self.deal)]), self.flexibility_mask(), self.projection)

    def result(self, measures: Measures | None = None) -> BatchResult:
        """This run as a one-run `BatchResult`, its outcome filled by `run_outcomes` as the
        batch engine fills its runs'; the seed column holds the integer the run's numbers
        come from (`draws_key`), so the run can be repeated with it."""
        measures = measures if measures is not None else self.measures()
        outcomes = run_outcomes(self.alliance, self.params, bool(self.deal), self.draft, self.round, self.votes(),
                                self.flexibility_mask(), self.baselines(), measures)
        return BatchResult.of(outcomes, scenario=self.scenario_spec.name, iso3=tuple(self.alliance.iso3),
                              seed=np.array([self.draws_key]))

    def outcome(self) -> Outcome:
        measures = self.measures()
        return Outcome.of_row(self.scenario_spec.name, self.seed, self.result(measures).rows()[0],
                              [self._ally_result(a, bool(on_track)) for a, on_track in zip(self.allies, measures.on_track)])

    def rounds_table(self) -> pd.DataFrame:
        """One row per round: the draft, the spread of positions, the share accepting (the
        outcome's columns, the same in every row, are left out: see `outcome()`)."""
        return self.datacollector.get_model_vars_dataframe().reset_index(drop=True)[list(ROUND_FIELDS)]

    def allies_table(self) -> pd.DataFrame:
        """One row per ally and round: position, deadline, vote, threat, fiscal pressure (the
        agent reporters' table, `datacollector.get_agent_vars_dataframe()`, without the
        Secretary General's rows, which hold None)."""
        table = self.datacollector.get_agent_vars_dataframe().reset_index()
        ally_ids = {ally.unique_id for ally in self.allies}
        table = table[table["AgentID"].isin(ally_ids)].reset_index(drop=True)
        table = table.rename(columns={"Step": "round"}).drop(columns=["AgentID"])
        table = table.astype({"round": int, "iso3": str, "position_pct": float, "deadline_position": float,
                              "accepted": bool, "threat": float, "fiscal_pressure": float})
        return table[list(ALLY_ROUND_FIELDS)]

    def _ally_result(self, ally: Ally, on_track: bool) -> AllyResult:
        return AllyResult(
            iso3=ally.facts.iso3, name=ally.facts.name, start_pct=ally.facts.start_pct,
            initial_position_pct=ally.initial_position_pct, final_position_pct=ally.position_pct,
            initial_deadline=ally.initial_deadline_position, final_deadline=ally.deadline_position,
            accepted=ally.accepted, flexibility=ally in self.flexibility, votes=ally.facts.votes, on_track=on_track,
            threat=ally.threat, fiscal_pressure=ally.fiscal,
            trajectory=self.trajectories.get(ally.facts.iso3, {}),
        )


#: The outcome fields the DataCollector reports for the run (every one with a scalar value;
#: the lists of holdouts and side letters are reported as their counts, as `sim.api` gives them).
OUTCOME_REPORTERS = tuple(spec.name for spec in RUN_OUTCOMES if spec.scalar_type is not None)


def _outcome_reporter(name: str):
    """A model reporter for one outcome field: None until the talks have ended."""
    return lambda m: None if m.final is None else m.final[name]


def _stacked(kind, states):
    """Per-ally state dataclasses as one of vectors over the allies."""
    return kind(**{field.name: np.array([getattr(state, field.name) for state in states])
                   for field in dataclasses.fields(kind)})


def _init_signature() -> inspect.Signature:
    """`AllianceModel.__init__` as tools read it: the scenario, one keyword per model
    parameter (from the parameter table, so none is missed) and the seed."""
    keyword = inspect.Parameter.KEYWORD_ONLY
    return inspect.Signature([
        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
        inspect.Parameter("scenario_name", inspect.Parameter.POSITIONAL_OR_KEYWORD, default=DEFAULT_SCENARIO,
                          annotation="str | Scenario"),
        *(inspect.Parameter(name, keyword, default=None, annotation=f"{field.type} | None")
          for name, field in parameter_fields().items()),
        inspect.Parameter("rng", keyword, default=None),
    ])


AllianceModel.__init__.__signature__ = _init_signature()
