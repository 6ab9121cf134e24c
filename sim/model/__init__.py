"""The model: the allies' rules, and each step of a round of talks that combines them.

A round (simultaneous moves): allies perceive the threat (`perception`), update their positions
(`concession`), a draft is tabled by the scenario's protocol (`sim.protocols`), allies vote and
the alliance decides by consensus (`consensus`), and holdouts respond to pressure (`pressure`).
What an ally wants and can ratify is `win_set`; how much it weighs, `clout`; who argues
together, `caucuses`; the state the steps pass along, `state`; the years after the summit,
`implementation`.

Each rule and each step is written once, as a function over arrays, for whoever calls it:

- a Mesa agent passes its own row (`Alliance.row`, scalar state): `sim/engines/agents.py`;
- the Secretary General and the model pass the alliance (vectors over allies): `sim/engines/model.py`;
- the batch engine passes a block of runs (runs x allies, parameters as (runs, 1) columns):
  `sim/engines/batch.py`.

So the two engines share the behaviour, not copies of it. Reductions over the allies (the
draft, the decision, the share accepting) keep the allies axis with length 1, so their answer
broadcasts against the allies it came from. Nothing here keeps state; the only random numbers
are each run's draws (`streams.random_draws`), which the caller passes in.
"""
