"""The phases of a bundling run, each a function over the run's :class:`~optimiser.bundling.state.RunState`.

In order: :func:`~.warm_start.warm_start` (greedy, local search), :func:`~.improve.improve` (bundle
elimination, ruin and recreate, the bound process), :func:`~.cost.cost_phase` (CP-SAT's capacity and cost
phases, or the region search; with reduced-cost fixing in :mod:`.cost_fixing`), :func:`~.prove.prove`
(the lower bound) and :func:`~.finish.finish` (the result).
"""
