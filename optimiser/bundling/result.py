"""Result of a bundling run, as dataclasses and as the JSON object of the command-line contract."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from optimiser.bundling.instance import BundlingInstance
from optimiser.bundling.units import Prepared
from optimiser.status import SolveStatus


@dataclass(frozen=True)
class Bundle:
    """One bundle: its id (a locked bundle keeps its name), anchor site, member sites, kWp."""

    id: str
    anchor: str
    sites: list[str]
    capacity_kw: float


@dataclass(frozen=True)
class Unbundled:
    """A site left out, and why."""

    id: str
    reason: str


@dataclass
class BundlingResult:
    """Status, bundled kWp, cost and bound in metres, gap, bundles, unbundled sites, wall time in s.

    ``bound_m`` is a lower bound on ``cost_m`` over every solution of the instance that bundles at least
    ``bundled_kw``; ``None`` when none is known, with ``bound_note`` saying why. ``message`` explains an
    ``infeasible`` or ``unknown`` status.
    """

    status: SolveStatus
    bundled_kw: float = 0.0
    objective_m: float = 0.0
    cost_m: float = 0.0
    bound_m: float | None = None
    gap: float | None = None
    bundles: list[Bundle] = field(default_factory=list)
    unbundled: list[Unbundled] = field(default_factory=list)
    wall_s: float = 0.0
    message: str | None = None
    bound_note: str | None = None
    first_feasible_s: float | None = None
    greedy_cost_m: float | None = None
    greedy_bundled_kw: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the keys of the contract plus the extra fields above, the status as its string."""
        return asdict(self) | {"status": str(self.status)}


def gap_of(cost: float, bound: float | None) -> float | None:
    """(cost - bound) / cost; 0 when both are 0; None without a bound."""
    if bound is None:
        return None
    if cost <= 1e-9:
        return 0.0
    return max(0.0, (cost - bound) / cost)


def make_bundles(
    inst: BundlingInstance, prep: Prepared, assign: np.ndarray
) -> tuple[list[Bundle], float, float]:
    """Bundles of an assignment and its objective and cost, recomputed in floating point (metres)."""
    sites = inst.sites
    groups: dict[int, list[int]] = {}
    for u in np.flatnonzero(assign >= 0).tolist():
        groups.setdefault(int(assign[u]), []).append(u)
    taken = {u.locked_bundle for u in prep.units if u.locked_bundle is not None}
    bundles: list[Bundle] = []
    objective = 0.0
    counter = 0
    for j, units in sorted(groups.items()):
        members = sorted(s for u in units for s in prep.units[u].members)
        locks = [prep.units[u].locked_bundle for u in units if prep.units[u].locked_bundle is not None]
        if locks:
            name = str(locks[0])
        else:
            counter += 1
            while f"B{counter:03d}" in taken:
                counter += 1
            name = f"B{counter:03d}"
        objective += sum(math.hypot(sites[s].x - sites[j].x, sites[s].y - sites[j].y) for s in members)
        bundles.append(
            Bundle(
                name, sites[j].id, [sites[s].id for s in members], sum(sites[s].capacity_kw for s in members)
            )
        )
    return bundles, objective, objective + inst.bundle_cost_m * len(bundles)
