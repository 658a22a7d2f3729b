"""Result of an award run, as dataclasses and as the JSON object of the command-line contract.

Each reason carries a stable ``code`` (for the application to translate) and an English ``reason``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from optimiser.status import SolveStatus


@dataclass(frozen=True)
class Award:
    """A winning bid: its lot and supplier, score, the lot's kWp and the bid's CNY/Wp (``None`` for an
    EMC or lease bid without one).

    ``cap_relaxed``: the supplier's awarded kWp exceeds the share cap and this lot is one the cap was
    relaxed for (see optimiser/README.md). ``fixed``: the award came from ``fixed_awards``.
    ``business_model``: the lot's; ``terms``: the bid's terms as given (``None`` when it had none).
    """

    lot: str
    bid: str
    supplier: str
    score: float
    kw: float
    price_cny_per_w: float | None
    cap_relaxed: bool = False
    fixed: bool = False
    business_model: str = "epc"
    terms: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Unawarded:
    """A lot without a winner and why.

    ``code``: ``no_bids``, ``no_valid_bids``, ``capacity``, ``kept_unawarded`` or ``not_selected``.
    """

    lot: str
    code: str
    reason: str


@dataclass(frozen=True)
class RejectedBid:
    """A bid that cannot win: ``code`` is ``above_ceiling`` or ``excluded``."""

    bid: str
    lot: str
    supplier: str
    code: str
    reason: str


@dataclass(frozen=True)
class SupplierLoad:
    """A supplier's awarded kWp against its capacity and the share cap (both kWp); excess over the cap."""

    id: str
    awarded_kw: float
    capacity_kw: float | None
    cap_kw: float
    over_cap_kw: float


@dataclass
class AwardResult:
    """Status, total score and kWp, awards, unawarded lots, rejected bids, supplier loads, wall time in s.

    ``status`` is ``optimal``, ``feasible`` (a valid award, not proven best within the time limit),
    ``infeasible`` (the fixed awards break a supplier's capacity; ``message`` names it) or ``unknown``
    (no award found within the time limit). Awards and unawarded lots are empty unless a solution exists.
    """

    status: SolveStatus
    total_score: float = 0.0
    awarded_kw: float = 0.0
    total_kw: float = 0.0
    share_cap: float = 0.0
    awards: list[Award] = field(default_factory=list)
    unawarded: list[Unawarded] = field(default_factory=list)
    rejected_bids: list[RejectedBid] = field(default_factory=list)
    suppliers: list[SupplierLoad] = field(default_factory=list)
    wall_s: float = 0.0
    message: str | None = None
    tender: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: the keys of the contract in optimiser/README.md, the status as its string."""
        return asdict(self) | {"status": str(self.status)}

    def award_of(self, lot: str) -> Award | None:
        """The award of a lot, or ``None``."""
        return next((a for a in self.awards if a.lot == lot), None)
