"""Bundling optimiser: group sites into tender packages (capacitated clustering with CP-SAT).

Data (:mod:`.instance`, :mod:`.units`) -> model (:mod:`.model`) -> solve (:mod:`.solve` runs the phases of
:mod:`.phases` over one :class:`~.state.RunState`, with :mod:`.heuristics` and :mod:`.bounds`) -> result
(:mod:`.result`).

Public API: :func:`solve_bundling`, :class:`BundlingInstance`, :class:`Site`, :func:`parse_instance`,
:func:`load_instance`, :class:`InstanceError`, :class:`BundlingResult`, :class:`Bundle`, :class:`Unbundled`,
:class:`SolveStatus` (a result's status), :class:`BundlingProgress` (live progress of a run).
"""

from optimiser.bundling.instance import BundlingInstance, InstanceError, Site, load_instance, parse_instance
from optimiser.bundling.progress import BundlingProgress
from optimiser.bundling.result import Bundle, BundlingResult, Unbundled
from optimiser.bundling.solve import RECOMMENDED_BUNDLE_COST_M, solve_bundling
from optimiser.status import SolveStatus

__all__ = [
    "RECOMMENDED_BUNDLE_COST_M",
    "Bundle",
    "BundlingInstance",
    "BundlingProgress",
    "BundlingResult",
    "InstanceError",
    "Site",
    "SolveStatus",
    "Unbundled",
    "load_instance",
    "parse_instance",
    "solve_bundling",
]
