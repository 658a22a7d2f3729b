"""Lower bounds on the cost, valid for the instance as stated, and what they let the solver drop.

:mod:`.lp` (LP relaxation), :mod:`.lagrange` (the Lagrangian relaxation with exact per-anchor knapsacks),
:mod:`.farpairs` (the left-out pairs of a large instance as far copies), :mod:`.subgradient` (the price
search), :mod:`.fixing` (reduced-cost fixing), :mod:`.instance_bounds` (which bound applies where) and
:mod:`.background` (the bound of a large instance in a second process).
"""
