"""The status of an optimiser run, shared by bundling and award, and how CP-SAT's statuses map onto it.

The values are the strings of the command-line contract (optimiser/README.md) and of what the application
stores with a run, so they never change; a :class:`SolveStatus` compares equal to its string.
"""

from __future__ import annotations

from enum import StrEnum

from ortools.sat.python import cp_model


class SolveStatus(StrEnum):
    """``optimal``: proven best; ``feasible``: valid, not proven best; ``infeasible``: proven to have no
    solution (the result's message says why); ``unknown``: no solution found (time limit, cancelled)."""

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"
    UNKNOWN = "unknown"

    @property
    def has_solution(self) -> bool:
        """The run has an answer to show (bundles or awards)."""
        return self in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE)


def from_cp_sat(status: cp_model.CpSolverStatus) -> SolveStatus:
    """CP-SAT's status of one solve; ``MODEL_INVALID`` and ``UNKNOWN`` both say "no solution known"."""
    if status == cp_model.OPTIMAL:
        return SolveStatus.OPTIMAL
    if status == cp_model.FEASIBLE:
        return SolveStatus.FEASIBLE
    if status == cp_model.INFEASIBLE:
        return SolveStatus.INFEASIBLE
    return SolveStatus.UNKNOWN
