"""How much each ally weighs in the talks: its clout (economic weight), how much the issue
matters to it, and the leverage its vetoes give it under consensus. The Secretary General
weighs the allies so in a draft, a caucus weighs its members so in its line and its bloc
vote, and the challenge protocol takes it as each ally's capability.
"""

from __future__ import annotations

from sim.model.alliance import Alliance
from sim.model.perception import urgency
from sim.model.state import Stance


def salience(urgency):
    """How much the issue matters to an ally, 0.5..1: never nothing, since every ally at the
    table votes on it, and more the more urgent (Bueno de Mesquita 1994)."""
    return 0.5 + 0.5 * urgency


def bargaining_weight(clout, salience, rejections, leverage):
    """The Secretary General's weight for each ally: clout x salience (Bueno de Mesquita 1994;
    Thomson et al. 2006), raised for every round the ally has rejected, because under
    consensus a holdout's veto is its leverage (Putnam 1988: a narrow win-set is a
    bargaining advantage)."""
    return clout * salience * (1.0 + leverage * rejections)


def mediator_weights(alliance: Alliance, params, stance: Stance):
    """The Secretary General's weight for each ally: clout x salience, raised by its vetoes."""
    return bargaining_weight(alliance.clout, salience(urgency(alliance, params, stance.threat)), stance.rejections,
                             params.leverage)
