"""Award optimiser: winner determination over the lots of one tender (CP-SAT).

Public API: :func:`solve_award`, :func:`parse_instance`, :func:`load_instance`, :class:`AwardInstance`,
:class:`Lot`, :class:`Supplier`, :class:`Bid`, :class:`InstanceError`, :class:`AwardResult`, :class:`Award`,
:class:`Unawarded`, :class:`RejectedBid`, :class:`SupplierLoad`, :class:`SolveStatus` (a result's status).
"""

from optimiser.award.instance import (
    DEFAULT_SHARE_CAP,
    AwardInstance,
    Bid,
    InstanceError,
    Lot,
    Supplier,
    load_instance,
    parse_instance,
)
from optimiser.award.result import Award, AwardResult, RejectedBid, SupplierLoad, Unawarded
from optimiser.award.solve import solve_award
from optimiser.status import SolveStatus

__all__ = [
    "DEFAULT_SHARE_CAP",
    "Award",
    "AwardInstance",
    "AwardResult",
    "Bid",
    "InstanceError",
    "Lot",
    "RejectedBid",
    "SolveStatus",
    "Supplier",
    "SupplierLoad",
    "Unawarded",
    "load_instance",
    "parse_instance",
    "solve_award",
]
