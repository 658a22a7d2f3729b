"""Heuristics of bundling: each takes a valid solution (or none) and returns a valid one, never worse.

:mod:`.greedy` (the warm start), :mod:`.local_search` (shift and swap moves), :mod:`.eliminate` (fewer,
fuller bundles), :mod:`.recreate` (ruin and recreate) and :mod:`.lns` (CP-SAT on one region at a time).
"""
