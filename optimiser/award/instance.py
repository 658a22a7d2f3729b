"""Award instance: the lots of one tender, the bidding suppliers and their bids; JSON parsing and validation.

Units: kWp for capacities (lots and suppliers), CNY per Wp for prices, 0-100 for scores. A lot has a
business model (``epc`` by default, ``emc`` or ``lease``): EPC bids carry a price per Wp (checked against
the ceiling, breaking ties); EMC and lease bids may omit it and carry ``terms`` instead (echoed in the
result; their discount or rent breaks ties). See optimiser/README.md, "Award".
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

DEFAULT_SHARE_CAP = 0.4
EXCLUDED_REASON = "excluded by the application"
# Per-W prices are derived from totals, so a price equal to the ceiling may come out a few ulps above it.
CEILING_TOLERANCE = 1e-9
# Upper limits keep the solver's integer sums (Wp, CNY) far inside 64 bits; real figures are far below.
MAX_LOT_KW = 1e7
MAX_SUPPLIER_KW = 1e9
MAX_PRICE_CNY_PER_W = 1e3
BUSINESS_MODELS = ("epc", "emc", "lease")
# The term of an EMC or lease bid that breaks ties between equal scores (higher is better for the owners)
# and its upper limit: a discount is a percentage below 100; a rent per m² a year is far below 10⁶ CNY.
TERM_KEYS = {"emc": ("discount_pct", 100.0), "lease": ("rent_cny_per_m2_year", 1e6)}
TOP_LEVEL_KEYS = frozenset(
    {"tender", "lots", "suppliers", "bids", "ceiling_cny_per_w", "share_cap", "fixed_awards", "excluded_bids"}
)


class InstanceError(ValueError):
    """The instance is malformed; the message names the offending element and why."""


@dataclass(frozen=True)
class Lot:
    """One lot (a published bundle): DC capacity in kWp, > 0, and its business model (what is bid)."""

    id: str
    capacity_kw: float
    business_model: str = "epc"


@dataclass(frozen=True)
class Supplier:
    """A bidding supplier: annual installation capacity in kWp (``None``: no limit)."""

    id: str
    capacity_kw: float | None


@dataclass(frozen=True)
class Bid:
    """A sealed bid, opened: its lot, supplier, price in CNY/Wp (required for EPC lots only), the
    application's score (0-100) and, for EMC and lease lots, its ``terms`` (echoed in the award; the
    discount or rent in them breaks ties)."""

    id: str
    lot: str
    supplier: str
    price_cny_per_w: float | None
    score: float
    terms: Mapping[str, Any] | None = field(default=None, hash=False)

    def term(self) -> float | None:
        """The tie-breaking term of an EMC or lease bid (``discount_pct`` or ``rent_cny_per_m2_year``)."""
        for key, _limit in TERM_KEYS.values():
            if self.terms and key in self.terms:
                return float(self.terms[key])
        return None


@dataclass(frozen=True)
class AwardInstance:
    """Lots, suppliers and bids of one tender and the award rules (see optimiser/README.md, "Award").

    ``ceiling_cny_per_w`` ``None`` means no ceiling. ``share_cap`` is the largest share (0-1] of the
    tender's total lot kWp one supplier is awarded unless relaxed. ``fixed_awards`` maps a lot id to the
    bid that must win it, or to ``None`` to keep the lot unawarded; ``excluded_bids`` maps a bid id to
    the application's reason for excluding it.
    """

    lots: tuple[Lot, ...]
    suppliers: tuple[Supplier, ...]
    bids: tuple[Bid, ...]
    ceiling_cny_per_w: float | None = None
    share_cap: float = DEFAULT_SHARE_CAP
    fixed_awards: Mapping[str, str | None] = field(default_factory=dict)
    excluded_bids: Mapping[str, str] = field(default_factory=dict)
    tender: str | None = None

    def __post_init__(self) -> None:
        validate(self)

    @property
    def total_kw(self) -> float:
        """Total kWp of the tender's lots, the base of the share cap."""
        return sum(lot.capacity_kw for lot in self.lots)

    @cached_property
    def models(self) -> dict[str, str]:
        """Each lot's business model, by lot id."""
        return {lot.id: lot.business_model for lot in self.lots}

    def above_ceiling(self, bid: Bid) -> bool:
        """Whether an EPC bid's price per Wp is above the ceiling (beyond rounding); the ceiling does
        not apply to EMC and lease lots."""
        ceiling = self.ceiling_cny_per_w
        if ceiling is None or bid.price_cny_per_w is None or self.models.get(bid.lot, "epc") != "epc":
            return False
        return bid.price_cny_per_w > ceiling + CEILING_TOLERANCE * max(1.0, ceiling)


def _finite(value: float) -> bool:
    return math.isfinite(value)


def _unique(ids: list[str], kind: str) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise InstanceError(f"duplicate {kind} id {item!r}")
        seen.add(item)


def validate(inst: AwardInstance) -> None:
    """Raise :class:`InstanceError` naming the first problem found."""
    _unique([lot.id for lot in inst.lots], "lot")
    _unique([s.id for s in inst.suppliers], "supplier")
    _unique([b.id for b in inst.bids], "bid")
    for lot in inst.lots:
        if not (_finite(lot.capacity_kw) and 0 < lot.capacity_kw <= MAX_LOT_KW):
            raise InstanceError(
                f"lot {lot.id!r}: capacity_kw must be a finite number > 0 and <= {MAX_LOT_KW:g}"
            )
        if lot.business_model not in BUSINESS_MODELS:
            raise InstanceError(
                f"lot {lot.id!r}: business_model must be one of {', '.join(BUSINESS_MODELS)}, "
                f"got {lot.business_model!r}"
            )
    for sup in inst.suppliers:
        if sup.capacity_kw is not None and not (
            _finite(sup.capacity_kw) and 0 <= sup.capacity_kw <= MAX_SUPPLIER_KW
        ):
            raise InstanceError(
                f"supplier {sup.id!r}: capacity_kw must be a finite number >= 0 "
                f"and <= {MAX_SUPPLIER_KW:g}, or null"
            )
    lots = {lot.id for lot in inst.lots}
    suppliers = {s.id for s in inst.suppliers}
    bid_of: dict[tuple[str, str], str] = {}
    for bid in inst.bids:
        where = f"bid {bid.id!r}"
        if bid.lot not in lots:
            raise InstanceError(f"{where}: unknown lot {bid.lot!r}")
        if bid.supplier not in suppliers:
            raise InstanceError(f"{where}: unknown supplier {bid.supplier!r}")
        _check_price(bid, inst.models[bid.lot], where)
        _check_terms(bid, inst.models[bid.lot], where)
        if not (_finite(bid.score) and 0 <= bid.score <= 100):
            raise InstanceError(f"{where}: score must be a finite number from 0 to 100")
        other = bid_of.setdefault((bid.supplier, bid.lot), bid.id)
        if other != bid.id:
            raise InstanceError(
                f"{where}: supplier {bid.supplier!r} already bids {other!r} for lot {bid.lot!r} "
                "(one bid per supplier and lot)"
            )
    ceiling = inst.ceiling_cny_per_w
    if ceiling is not None and not (_finite(ceiling) and ceiling > 0):
        raise InstanceError("ceiling_cny_per_w must be a finite number > 0 or null")
    if not (_finite(inst.share_cap) and 0 < inst.share_cap <= 1):
        raise InstanceError("share_cap must be a number > 0 and <= 1")
    bids = {b.id: b for b in inst.bids}
    for bid_id, reason in inst.excluded_bids.items():
        if bid_id not in bids:
            raise InstanceError(f"excluded_bids: unknown bid {bid_id!r}")
        if not isinstance(reason, str) or not reason:
            raise InstanceError(f"excluded_bids: bid {bid_id!r}: the reason must be a non-empty string")
    for lot_id, fixed in inst.fixed_awards.items():
        where = f"fixed_awards: lot {lot_id!r}"
        if lot_id not in lots:
            raise InstanceError(f"{where}: unknown lot")
        if fixed is None:
            continue
        bid_id = fixed
        if bid_id not in bids:
            raise InstanceError(f"{where}: unknown bid {bid_id!r}")
        if bids[bid_id].lot != lot_id:
            raise InstanceError(f"{where}: bid {bid_id!r} is for lot {bids[bid_id].lot!r}")
        if bid_id in inst.excluded_bids:
            raise InstanceError(f"{where}: bid {bid_id!r} is also in excluded_bids")
        if inst.above_ceiling(bids[bid_id]):
            raise InstanceError(f"{where}: bid {bid_id!r} is above the ceiling")


def _check_price(bid: Bid, model: str, where: str) -> None:
    """EPC bids need a price per Wp; EMC and lease bids may give one (checked the same way)."""
    price = bid.price_cny_per_w
    if price is None:
        if model == "epc":
            raise InstanceError(f"{where}: missing field 'price_cny_per_w' (lot {bid.lot!r} is epc)")
        return
    if not (_finite(price) and 0 < price <= MAX_PRICE_CNY_PER_W):
        raise InstanceError(
            f"{where}: price_cny_per_w must be a finite number > 0 and <= {MAX_PRICE_CNY_PER_W:g}"
        )


def _check_terms(bid: Bid, model: str, where: str) -> None:
    """``terms`` is an object (or absent); for an EMC or lease lot its discount or rent, when given,
    is a number > 0 (a discount below 100 %)."""
    if bid.terms is None:
        return
    if not isinstance(bid.terms, Mapping):
        raise InstanceError(f"{where}: field 'terms' must be an object or null")
    if model not in TERM_KEYS:
        return
    key, limit = TERM_KEYS[model]
    if key not in bid.terms:
        return
    value = bid.terms[key]
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not (_finite(value) and 0 < value < limit)
    ):
        raise InstanceError(
            f"{where}: terms.{key} must be a finite number > 0 and < {limit:g} (lot {bid.lot!r} is {model}), "
            f"got {value!r}"
        )


# --- JSON parsing -------------------------------------------------------------------------------------------


def _id(value: Any, where: str) -> str:
    """Ids are strings; integers (database keys) are accepted and turned into strings."""
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise InstanceError(f"{where} must be a non-empty string, got {value!r}")
    return str(value)


def _number(obj: Mapping[str, Any], key: str, where: str, *, nullable: bool = False) -> float | None:
    if key not in obj:
        raise InstanceError(f"{where}: missing field {key!r}")
    value = obj[key]
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InstanceError(f"{where}: field {key!r} must be a number, got {value!r}")
    if not math.isfinite(value):
        raise InstanceError(f"{where}: field {key!r} must be a finite number, got {value!r}")
    return float(value)


def _required(obj: Mapping[str, Any], key: str, where: str) -> float:
    value = _number(obj, key, where)
    assert value is not None
    return value


def _elements(data: Mapping[str, Any], key: str) -> list[tuple[str, Mapping[str, Any]]]:
    """The objects of list ``key``, each with the name errors use: ``lots[2]`` until its id is known."""
    if key not in data:
        raise InstanceError(f"missing field {key!r}")
    items = data[key]
    if not isinstance(items, list):
        raise InstanceError(f"field {key!r} must be a list")
    out: list[tuple[str, Mapping[str, Any]]] = []
    for i, obj in enumerate(items):
        where = f"{key}[{i}]"
        if not isinstance(obj, dict):
            raise InstanceError(f"{where}: must be an object")
        if "id" not in obj:
            raise InstanceError(f"{where}: missing field 'id'")
        out.append((_id(obj["id"], f"{where}: field 'id'"), obj))
    return out


def _bid(bid_id: str, obj: Mapping[str, Any]) -> Bid:
    """A bid; whether its lot's model needs ``price_cny_per_w`` is checked by :func:`validate`."""
    where = f"bid {bid_id!r}"
    for key in ("lot", "supplier"):
        if key not in obj:
            raise InstanceError(f"{where}: missing field {key!r}")
    price = _number(obj, "price_cny_per_w", where, nullable=True) if "price_cny_per_w" in obj else None
    terms = obj.get("terms")
    if terms is not None and not isinstance(terms, dict):
        raise InstanceError(f"{where}: field 'terms' must be an object or null")
    return Bid(
        bid_id,
        _id(obj["lot"], f"{where}: field 'lot'"),
        _id(obj["supplier"], f"{where}: field 'supplier'"),
        price,
        _required(obj, "score", where),
        None if terms is None else dict(terms),
    )


def _lot(lot_id: str, obj: Mapping[str, Any]) -> Lot:
    """A lot: its kWp and its business model (absent or null: epc)."""
    where = f"lot {lot_id!r}"
    model = obj.get("business_model")
    if model is None:
        model = "epc"
    if not isinstance(model, str) or model not in BUSINESS_MODELS:
        raise InstanceError(
            f"{where}: field 'business_model' must be one of {', '.join(BUSINESS_MODELS)}, got {model!r}"
        )
    return Lot(lot_id, _required(obj, "capacity_kw", where), model)


def _excluded(value: Any) -> dict[str, str]:
    """``excluded_bids``: a list of bid ids, or an object mapping bid id to the reason."""
    if value is None:
        return {}
    if isinstance(value, list):
        return {_id(v, f"excluded_bids[{i}]"): EXCLUDED_REASON for i, v in enumerate(value)}
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for key, reason in value.items():
            if not isinstance(reason, str) or not reason.strip():
                raise InstanceError(f"excluded_bids: bid {key!r}: the reason must be a non-empty string")
            out[str(key)] = reason.strip()
        return out
    raise InstanceError("field 'excluded_bids' must be a list of bid ids or an object {bid id: reason}")


def _fixed(value: Any) -> dict[str, str | None]:
    """``fixed_awards``: an object {lot id: bid id, or null for a lot that stays unawarded}."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InstanceError("field 'fixed_awards' must be an object {lot id: bid id or null}")
    return {
        str(lot): None if bid is None else _id(bid, f"fixed_awards: lot {lot!r}: bid")
        for lot, bid in value.items()
    }


def parse_instance(data: Any) -> AwardInstance:
    """Build a validated instance from the JSON object of the command-line contract."""
    if not isinstance(data, dict):
        raise InstanceError("instance must be a JSON object")
    unknown = sorted(set(data) - TOP_LEVEL_KEYS)
    if unknown:
        raise InstanceError(f"unknown field {unknown[0]!r} (known: {', '.join(sorted(TOP_LEVEL_KEYS))})")
    lots = tuple(_lot(i, o) for i, o in _elements(data, "lots"))
    suppliers = tuple(
        Supplier(i, _number(o, "capacity_kw", f"supplier {i!r}", nullable=True))
        for i, o in _elements(data, "suppliers")
    )
    bids = tuple(_bid(i, o) for i, o in _elements(data, "bids"))
    ceiling = (
        _number(data, "ceiling_cny_per_w", "instance", nullable=True) if "ceiling_cny_per_w" in data else None
    )
    share = data.get("share_cap")
    share_cap = DEFAULT_SHARE_CAP if share is None else _required(data, "share_cap", "instance")
    tender = data.get("tender")
    if tender is not None and not isinstance(tender, str | int):
        raise InstanceError("field 'tender' must be a string, an integer or null")
    return AwardInstance(
        lots=lots,
        suppliers=suppliers,
        bids=bids,
        ceiling_cny_per_w=ceiling,
        share_cap=share_cap,
        fixed_awards=_fixed(data.get("fixed_awards")),
        excluded_bids=_excluded(data.get("excluded_bids")),
        tender=None if tender is None else str(tender),
    )


def load_instance(path: str | Path) -> AwardInstance:
    """Read and parse an instance file; unreadable files and bad JSON become :class:`InstanceError`."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InstanceError(f"cannot read instance {path}: {exc}") from exc
    return parse_instance(data)
