"""Why a bid cannot win, why a lot stays unawarded, and which lots the share cap was relaxed for.

Each reason has a stable ``code`` for the application and an English sentence with the figures.
"""

from __future__ import annotations

from optimiser.award.instance import AwardInstance, Bid
from optimiser.award.model import W_PER_KW
from optimiser.award.result import RejectedBid, Unawarded


def _kw(watts: int) -> str:
    return f"{watts / W_PER_KW:g}"


def rejected_bids(inst: AwardInstance) -> list[RejectedBid]:
    """Bids that never win: excluded by the application, or priced above the ceiling."""
    out: list[RejectedBid] = []
    for bid in inst.bids:
        if bid.id in inst.excluded_bids:
            out.append(RejectedBid(bid.id, bid.lot, bid.supplier, "excluded", inst.excluded_bids[bid.id]))
        elif inst.above_ceiling(bid):
            out.append(
                RejectedBid(
                    bid.id,
                    bid.lot,
                    bid.supplier,
                    "above_ceiling",
                    f"price {bid.price_cny_per_w:g} CNY/W is above the ceiling of "
                    f"{inst.ceiling_cny_per_w:g} CNY/W",
                )
            )
    return out


def unawarded_lot(
    inst: AwardInstance,
    lot: str,
    lot_w: int,
    valid: list[Bid],
    rejected: list[RejectedBid],
    free_w: dict[str, int | None],
) -> Unawarded:
    """Why ``lot`` has no winner.

    ``valid`` are its valid bids, ``rejected`` its rejected ones, ``free_w`` each supplier's free capacity
    in Wp after the chosen awards (``None``: no limit).
    """
    if lot in inst.fixed_awards:
        return Unawarded(lot, "kept_unawarded", "kept unawarded by fixed_awards")
    if not valid and not rejected:
        return Unawarded(lot, "no_bids", "no bids")
    if not valid:
        above = sum(r.code == "above_ceiling" for r in rejected)
        excluded = len(rejected) - above
        parts = ([f"{above} above the ceiling of {inst.ceiling_cny_per_w:g} CNY/W"] if above else []) + (
            [f"{excluded} excluded"] if excluded else []
        )
        return Unawarded(lot, "no_valid_bids", "no valid bid: " + ", ".join(parts))
    capacity = {s.id: s.capacity_kw for s in inst.suppliers}
    short = []
    for bid in valid:
        free = free_w[bid.supplier]
        if free is None or free >= lot_w:
            return Unawarded(
                lot,
                "not_selected",
                f"supplier {bid.supplier!r} has room for it, but the search stopped at the time limit first",
            )
        short.append(f"{bid.supplier!r} {_kw(max(0, free))} of {capacity[bid.supplier]:g} kWp free")
    return Unawarded(
        lot,
        "capacity",
        f"every valid bidder lacks free capacity for its {_kw(lot_w)} kWp after the awards that give "
        "the most kWp: " + ", ".join(short),
    )


def relaxed_lots(lots_of: dict[str, list[tuple[int, int, str]]], over_w: dict[str, int]) -> set[str]:
    """Lots the share cap is relaxed for: per supplier above the cap, its fewest lots that cover the excess.

    ``lots_of`` maps a supplier to its awarded lots as ``(Wp, order in the instance, lot id)``; taking the
    largest first gives the fewest lots (ties: instance order).
    """
    out: set[str] = set()
    for supplier, excess in over_w.items():
        covered = 0
        for watts, _, lot in sorted(lots_of.get(supplier, []), key=lambda t: (-t[0], t[1])):
            if covered >= excess:
                break
            out.add(lot)
            covered += watts
    return out
