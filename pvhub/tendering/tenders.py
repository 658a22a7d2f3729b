"""Tenders: create from published bundles, publish, change conditions, open at the deadline.

Rules (DESIGN.md, "Tenders"; numbers from :class:`TenderRules`, i.e. the ``PVHUB_TENDER_*`` settings):

* A tender is one procurement round; each lot is one published bundle, frozen at publication
  (:attr:`TenderLot.snapshot` holds what bidders were shown). A bundle is a lot of one live tender
  at a time; after a cancellation or a lot left without a winner it may be offered again.
* The deadline is stored in UTC and must leave at least ``min_bid_days`` after publication.
* Each lot has one business model (DESIGN), which decides what is bid and scored
  (:mod:`pvhub.tendering.scores`): by default that of the bundle's sites with the most kWp
  (:func:`default_model`); the office may choose another per lot (``business_models``).
* After publication, a change of *conditions* (description, ceiling, price weight, a lot's business
  model, documents)
  raises ``conditions_version``, turns every current bid into ``needs_confirmation`` and notifies
  its bidder; when the deadline is closer than ``extension_days`` it moves to now + ``extension_days``.
  The deadline itself may only be extended after publication (bids already placed stay valid).
* Three days (:data:`REMINDER_BEFORE`) before the deadline every supplier is reminded once
  (DESIGN: "a bid deadline near"); the same lazy trigger as opening, below, sends it.
* Opening needs no manual step. Whether bids are readable depends only on the clock
  (``now >= deadline``, see :func:`is_open`); the status flag ``opened``, the opening audit event,
  the price scores and the bidders' notifications are written by :func:`open_due`, which every
  tender read calls (lazily) and the app calls at start-up. Two processes opening the same tender
  at once are harmless: a conditional UPDATE lets exactly one of them do it.

Services take ``now`` (time-zone aware) so the demo and tests can replay a round in the past.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from pvhub.accounts.models import Organisation, User
from pvhub.bundling.enums import BundleStatus
from pvhub.bundling.models import Bundle, BundleSite
from pvhub.core import audit, policy
from pvhub.core.db import transaction
from pvhub.core.enums import Role
from pvhub.core.errors import Conflict, InvalidInput, NotFound
from pvhub.core.settings import Settings
from pvhub.estimates.models import Estimate
from pvhub.notifications import service as notifications
from pvhub.register.enums import BusinessModel, SurfaceStatus
from pvhub.register.models import Site, Surface
from pvhub.tendering.enums import AwardStatus, BidStatus, TenderStatus
from pvhub.tendering.models import Award, Bid, Tender, TenderCancel, TenderCreate, TenderLot, TenderUpdate
from pvhub.tendering.scores import compute_price_scores

# Fields whose change after publication invalidates the bids placed (they change what is bid for);
# a lot's business model (``business_models``) is one too.
CONDITION_FIELDS = ("description", "ceiling_price_cny_per_w", "price_weight")


@dataclass(frozen=True)
class TenderRules:
    """The configurable tender rules (defaults as in DESIGN.md); see ``PVHUB_TENDER_*`` settings."""

    min_bid_days: float = 20
    extension_days: float = 3
    publicity_days: float = 3
    share_cap: float = 0.4
    price_weight: float = 0.6
    price_score_exponent: float = 1.0
    award_time_limit_s: float = 10

    @classmethod
    def from_settings(cls, settings: Settings) -> TenderRules:
        return cls(
            min_bid_days=settings.tender_min_bid_days,
            extension_days=settings.tender_extension_days,
            publicity_days=settings.tender_publicity_days,
            share_cap=settings.tender_share_cap,
            price_weight=settings.tender_price_weight,
            price_score_exponent=settings.tender_price_score_exponent,
            award_time_limit_s=settings.tender_award_time_limit_s,
        )


def utc_now(now: datetime | None = None) -> datetime:
    """``now`` (must be aware) or the current time, in UTC."""
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("naive datetime: pass a time-zone-aware time")
    return now.astimezone(UTC)


def is_open(tender: Tender, now: datetime | None = None) -> bool:
    """True once the deadline has passed: from then on bid content may be read (by the office).

    A tender cancelled before its deadline never opens: its bids stay sealed for good, as bids are
    returned unopened when a procurement is called off.
    """
    if tender.status == TenderStatus.draft or tender.deadline is None:
        return False
    if tender.status == TenderStatus.cancelled and (
        tender.cancelled_at is None or tender.cancelled_at < tender.deadline
    ):
        return False
    return utc_now(now) >= tender.deadline


# --- reading -----


@dataclass
class LotView:
    lot: TenderLot
    bundle_code: str
    bid_count: int


@dataclass
class TenderView:
    """A tender as everyone may see it: the number of bids, never their content."""

    tender: Tender
    lots: list[LotView] = field(default_factory=list)
    is_open: bool = False

    @property
    def bid_count(self) -> int:
        return sum(lot.bid_count for lot in self.lots)

    @property
    def capacity_kwp(self) -> float:
        return sum(lot.lot.capacity_kwp for lot in self.lots)


def _readable(user: User | None) -> Any:
    """Which tenders ``user`` may see: the office all of them, other roles the published ones."""
    if user is None:
        raise NotFound("No tender here.")
    if policy.can(user, "tender:manage"):
        return col(Tender.id).is_not(None)
    policy.require(user, "tender:read_published")
    return Tender.status != TenderStatus.draft


def bid_counts(session: Session, lot_ids: list[int]) -> dict[int, int]:
    """Per lot, the number of suppliers with a live bid (current version, not withdrawn) — public."""
    if not lot_ids:
        return {}
    rows = session.exec(
        select(Bid.lot_id, func.count())
        .where(
            col(Bid.lot_id).in_(lot_ids),
            col(Bid.current).is_(True),
            Bid.status != BidStatus.withdrawn,
        )
        .group_by(col(Bid.lot_id))
    ).all()
    return {lot_id: int(n) for lot_id, n in rows}


def _views(session: Session, tenders: list[Tender], now: datetime) -> list[TenderView]:
    ids = [t.id for t in tenders if t.id is not None]
    lots = session.exec(
        select(TenderLot, Bundle.code)
        .join(Bundle, col(Bundle.id) == col(TenderLot.bundle_id))
        .where(col(TenderLot.tender_id).in_(ids))
        .order_by(col(TenderLot.tender_id), col(TenderLot.number))
    ).all()
    counts = bid_counts(session, [lot.id for lot, _code in lots if lot.id is not None])
    views = {t.id: TenderView(tender=t, is_open=is_open(t, now)) for t in tenders}
    for lot, code in lots:
        views[lot.tender_id].lots.append(
            LotView(lot=lot, bundle_code=code, bid_count=counts.get(lot.id or 0, 0))
        )
    return [views[t.id] for t in tenders]


def list_tenders(*, session: Session, user: User, now: datetime | None = None) -> list[TenderView]:
    """Tenders ``user`` may see, newest first (opening the ones whose deadline has passed)."""
    now = utc_now(now)
    condition = _readable(user)
    open_due(session=session, now=now)
    tenders = list(session.exec(select(Tender).where(condition).order_by(col(Tender.id).desc())).all())
    return _views(session, tenders, now)


def get_tender(*, session: Session, user: User, tender_id: int, now: datetime | None = None) -> TenderView:
    """One tender; one the user may not see (another role's draft) is reported as not found."""
    now = utc_now(now)
    condition = _readable(user)
    open_due(session=session, now=now, tender_id=tender_id)
    tender = session.exec(select(Tender).where(Tender.id == tender_id, condition)).first()
    if tender is None:
        raise NotFound("No tender with id {tender_id}.", tender_id=tender_id)
    return _views(session, [tender], now)[0]


def get_lot(*, session: Session, tender_id: int, lot_id: int) -> TenderLot:
    lot = session.get(TenderLot, lot_id)
    if lot is None or lot.tender_id != tender_id:
        raise InvalidInput(
            "Lot {lot_id} is not a lot of tender {tender_id}.",
            lot_id=lot_id,
            tender_id=tender_id,
            field="lot_id",
        )
    return lot


def lock_tender(session: Session, tender_id: int) -> Tender:
    """Take the tender's row lock (PostgreSQL) / the write lock (SQLite), then read it afresh.

    Everything that depends on the deadline or the conditions — submitting a bid, changing the
    conditions, opening — runs under this lock, so a bid cannot slip in between a change of
    conditions and the invalidation of the bids, nor be counted on either side of the deadline.
    An UPDATE that changes nothing is the one statement that locks on both databases.
    """
    session.flush()
    session.exec(
        update(Tender).where(col(Tender.id) == tender_id).values(conditions_version=Tender.conditions_version)
    )
    tender = session.get(Tender, tender_id, populate_existing=True)
    if tender is None:
        raise NotFound("No tender with id {tender_id}.", tender_id=tender_id)
    return tender


# --- creating and publishing -----


def _next_code(session: Session, now: datetime) -> str:
    year = now.astimezone(UTC).year
    count = session.exec(select(func.count()).select_from(Tender)).one()
    return f"PV{year}-{int(count) + 1:03d}"


def _check_bundles(session: Session, bundle_ids: list[int], tender_id: int | None) -> list[Bundle]:
    """The bundles, each published and not already offered in another tender."""
    if len(set(bundle_ids)) != len(bundle_ids):
        raise InvalidInput("A bundle is listed twice.", field="bundle_ids")
    bundles = []
    for index, bundle_id in enumerate(bundle_ids):
        bundle = session.get(Bundle, bundle_id)
        where = f"bundle_ids[{index}]"
        if bundle is None:
            raise InvalidInput(
                "{where}: no bundle with id {bundle_id}.",
                where=where,
                bundle_id=bundle_id,
                field="bundle_ids",
            )
        if bundle.status != BundleStatus.published:
            raise InvalidInput(
                "{where}: bundle {code} is {status}; only published bundles can be lots.",
                where=where,
                code=bundle.code,
                status=bundle.status,
                field="bundle_ids",
            )
        other = bundle_taken_by(session, bundle_id, except_tender=tender_id)
        if other is not None:
            raise InvalidInput(
                "{where}: bundle {code} is already a lot of tender {tender}.",
                where=where,
                code=bundle.code,
                tender=other.code,
                field="bundle_ids",
            )
        bundles.append(bundle)
    return bundles


_LIVE_TENDER = (TenderStatus.draft, TenderStatus.published, TenderStatus.opened)
_LIVE_AWARD = (AwardStatus.proposed, AwardStatus.publicised, AwardStatus.confirmed)


def _taken_lots() -> Any:
    """Lots that hold their bundle: in a tender still running, or with an award that stands.

    A lot of a cancelled tender, or one an awarded tender left without a winner (流标, or a winner
    who declined), frees its bundle to be offered again in a new tender.
    """
    standing = select(Award.lot_id).where(col(Award.status).in_(_LIVE_AWARD))
    return (
        select(TenderLot)
        .join(Tender, col(Tender.id) == col(TenderLot.tender_id))
        .where(or_(col(Tender.status).in_(_LIVE_TENDER), col(TenderLot.id).in_(standing)))
    )


def bundle_taken_by(session: Session, bundle_id: int, except_tender: int | None = None) -> Tender | None:
    """The tender whose lot holds ``bundle_id`` now (other than ``except_tender``), or None."""
    query = _taken_lots().where(TenderLot.bundle_id == bundle_id)
    if except_tender is not None:
        query = query.where(TenderLot.tender_id != except_tender)
    lot = session.exec(query).first()
    return None if lot is None else session.get(Tender, lot.tender_id)


def free_bundles(session: Session) -> list[Bundle]:
    """Published bundles no tender holds: those the office may offer as lots."""
    taken = _taken_lots().with_only_columns(col(TenderLot.bundle_id))
    query = select(Bundle).where(Bundle.status == BundleStatus.published, col(Bundle.id).not_in(taken))
    return list(session.exec(query.order_by(col(Bundle.code))).all())


def lot_snapshot(session: Session, bundle: Bundle) -> dict[str, Any]:
    """What bidders are shown of a bundle: its sites (with the owner's business model) and surfaces."""
    site_ids = [
        r for r in session.exec(select(BundleSite.site_id).where(BundleSite.bundle_id == bundle.id)).all()
    ]
    sites = session.exec(select(Site).where(col(Site.id).in_(site_ids)).order_by(col(Site.id))).all()
    surfaces = session.exec(
        select(Surface, Estimate)
        .join(Estimate, col(Estimate.surface_id) == col(Surface.id), isouter=True)
        .where(col(Surface.site_id).in_(site_ids), Surface.status == SurfaceStatus.approved)
        .order_by(col(Surface.id))
    ).all()
    by_site: dict[int, list[dict[str, Any]]] = {}
    for surface, estimate in surfaces:
        by_site.setdefault(surface.site_id, []).append(
            {
                "surface_id": surface.id,
                "kind": surface.kind.value,
                "tilt_deg": surface.tilt_deg,
                "azimuth_deg": surface.azimuth_deg,
                "usable_area_m2": round(surface.usable_area_m2, 1),
                "height_m": surface.height_m,
                "capacity_kwp": round(estimate.capacity_kwp, 2) if estimate else None,
                "annual_kwh": round(estimate.annual_kwh, 0) if estimate else None,
                "geometry": surface.geometry,
            }
        )
    return {
        "bundle_code": bundle.code,
        "sites": [
            {
                "site_id": s.id,
                "name": s.name,
                "name_en": s.name_en,
                "address": s.address,
                "subdistrict": s.subdistrict,
                "use": s.use,
                "height_m": s.height_m,
                "business_model": s.business_model.value,
                "lon": s.lon,
                "lat": s.lat,
                "footprint": s.footprint,
                "surfaces": by_site.get(s.id or 0, []),
                "capacity_kwp": round(sum(f["capacity_kwp"] or 0 for f in by_site.get(s.id or 0, [])), 2),
                "annual_kwh": round(sum(f["annual_kwh"] or 0 for f in by_site.get(s.id or 0, [])), 0),
            }
            for s in sites
        ],
    }


def default_model(snapshot: dict[str, Any]) -> BusinessModel:
    """The business model of a lot by default: the one of its sites holding the most kWp (as lots
    count kWp: estimates of approved surfaces); ties go to the first of EPC, EMC, lease."""
    kwp = dict.fromkeys(BusinessModel, 0.0)
    for site in snapshot.get("sites", []):
        kwp[BusinessModel(site["business_model"])] += float(site.get("capacity_kwp") or 0)
    return max(BusinessModel, key=lambda model: (kwp[model], -list(BusinessModel).index(model)))


def default_models(session: Session, bundles: list[Bundle]) -> dict[int, BusinessModel]:
    """Each bundle's default business model as a lot (:func:`default_model`), by bundle id: what the
    new-tender page proposes."""
    return {b.id: default_model(lot_snapshot(session, b)) for b in bundles if b.id is not None}


def _check_models(models: dict[int, BusinessModel] | None, bundle_ids: list[int]) -> dict[int, BusinessModel]:
    """The office's business model per bundle, each naming a bundle among the lots."""
    for bundle_id in models or {}:
        if bundle_id not in bundle_ids:
            raise InvalidInput(
                "business_models: bundle {bundle_id} is not a lot of this tender.",
                bundle_id=bundle_id,
                field="business_models",
            )
    return dict(models or {})


def _set_lots(
    session: Session, tender: Tender, bundles: list[Bundle], models: dict[int, BusinessModel] | None = None
) -> None:
    """Replace the tender's lots by ``bundles``, each with its model from ``models`` or the default."""
    existing = session.exec(select(TenderLot).where(TenderLot.tender_id == tender.id)).all()
    for lot in existing:
        session.delete(lot)
    session.flush()
    assert tender.id is not None
    for number, bundle in enumerate(bundles, start=1):
        assert bundle.id is not None
        snapshot = lot_snapshot(session, bundle)
        model = (models or {}).get(bundle.id) or default_model(snapshot)
        session.add(
            TenderLot(
                tender_id=tender.id,
                bundle_id=bundle.id,
                number=number,
                capacity_kwp=bundle.capacity_kwp,
                annual_kwh=bundle.annual_kwh,
                business_model=model,
                snapshot={**snapshot, "business_model": model.value},
            )
        )
    session.flush()


def _lot_models(session: Session, tender: Tender) -> dict[int, BusinessModel]:
    """The business model of each lot of the tender, by bundle id."""
    lots = session.exec(select(TenderLot).where(TenderLot.tender_id == tender.id)).all()
    return {lot.bundle_id: BusinessModel(lot.business_model) for lot in lots}


def _change_models(session: Session, tender: Tender, models: dict[int, BusinessModel]) -> list[int]:
    """Set the lots' business models (snapshot included); returns the bundle ids whose model changed."""
    lots = session.exec(select(TenderLot).where(TenderLot.tender_id == tender.id)).all()
    _check_models(models, [lot.bundle_id for lot in lots])
    changed = []
    for lot in lots:
        model = models.get(lot.bundle_id)
        if model is None or model == lot.business_model:
            continue
        lot.business_model = model
        lot.snapshot = {**(lot.snapshot or {}), "business_model": model.value}  # a new dict: JSON change
        session.add(lot)
        changed.append(lot.bundle_id)
    session.flush()
    return changed


def _check_deadline(deadline: datetime, *, earliest: datetime, rules: TenderRules) -> datetime:
    deadline = deadline.astimezone(UTC)
    if deadline < earliest:
        raise InvalidInput(
            "The deadline must leave at least {days:g} days for bids: on or after {earliest} (UTC).",
            days=rules.min_bid_days,
            earliest=earliest.isoformat(timespec="minutes"),
            field="deadline",
        )
    return deadline


def create_tender(
    *,
    session: Session,
    actor: User,
    data: TenderCreate,
    rules: TenderRules | None = None,
    now: datetime | None = None,
) -> Tender:
    """A draft tender with the bundles as its lots (office). Nothing is visible to suppliers yet."""
    policy.require(actor, "tender:manage")
    rules, now = rules or TenderRules(), utc_now(now)
    bundles = _check_bundles(session, data.bundle_ids, None)
    models = _check_models(data.business_models, data.bundle_ids)
    if data.deadline <= now:
        raise InvalidInput("The deadline is in the past.", field="deadline")
    tender = Tender(
        code=_next_code(session, now),
        title=data.title,
        title_en=data.title_en,
        description=data.description,
        deadline=data.deadline.astimezone(UTC),
        ceiling_price_cny_per_w=data.ceiling_price_cny_per_w,
        price_weight=data.price_weight if data.price_weight is not None else rules.price_weight,
        price_score_exponent=rules.price_score_exponent,
        share_cap=rules.share_cap,
        publicity_days=rules.publicity_days,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    session.add(tender)
    session.flush()
    _set_lots(session, tender, bundles, models)
    audit.record(
        session,
        actor=actor,
        entity="tender",
        entity_id=tender.id,
        action="create",
        after={
            **(audit.snapshot(tender) or {}),
            "bundle_ids": data.bundle_ids,
            "business_models": {str(k): v.value for k, v in _lot_models(session, tender).items()},
        },
    )
    return tender


def publish_tender(
    *,
    session: Session,
    actor: User,
    tender_id: int,
    rules: TenderRules | None = None,
    now: datetime | None = None,
) -> Tender:
    """Publish a draft: lots are frozen (snapshots refreshed) and every supplier is notified."""
    policy.require(actor, "tender:manage")
    rules, now = rules or TenderRules(), utc_now(now)
    tender = lock_tender(session, tender_id)
    check_publishable(tender)
    if tender.deadline is None:
        raise InvalidInput("Set a deadline first.", field="deadline")
    _check_deadline(tender.deadline, earliest=now + timedelta(days=rules.min_bid_days), rules=rules)
    lots = session.exec(select(TenderLot).where(TenderLot.tender_id == tender.id)).all()
    if not lots:
        raise Conflict("Tender {code} has no lots.", code=tender.code)
    bundles = _check_bundles(
        session, [lot.bundle_id for lot in sorted(lots, key=lambda x: x.number)], tender.id
    )
    _set_lots(session, tender, bundles, _lot_models(session, tender))  # the office's models stay
    before = audit.snapshot(tender)
    tender.status, tender.published_at, tender.updated_at = TenderStatus.published, now, now
    session.add(tender)
    audit.record(
        session,
        actor=actor,
        entity="tender",
        entity_id=tender.id,
        action="publish",
        before=before,
        after=audit.snapshot(tender),
    )
    _tell_suppliers(session, tender, "tender_published", now)
    return tender


def check_publishable(tender: Tender) -> None:
    """Only a draft can be published (its deadline and lots are checked as it is published)."""
    if tender.status != TenderStatus.draft:
        raise Conflict(
            "Tender {code} is {status}; only a draft can be published.",
            code=tender.code,
            status=tender.status,
        )


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


# --- changing conditions -----


def update_tender(
    *,
    session: Session,
    actor: User,
    tender_id: int,
    changes: TenderUpdate,
    rules: TenderRules | None = None,
    now: datetime | None = None,
) -> Tender:
    """Edit a draft freely; after publication see the module docstring (invalidation, extension)."""
    policy.require(actor, "tender:manage")
    rules, now = rules or TenderRules(), utc_now(now)
    tender = lock_tender(session, tender_id)
    values = changes.model_dump(exclude_unset=True)
    for name in ("title", "description", "deadline", "price_weight"):
        if name in values and values[name] is None:
            raise InvalidInput("{field} cannot be empty (null).", field=name)
    before = audit.snapshot(tender)
    models = values.pop("business_models", None) or {}
    if tender.status == TenderStatus.draft:
        if "bundle_ids" in values:
            bundle_ids = values.pop("bundle_ids")
            bundles = _check_bundles(session, bundle_ids, tender.id)
            kept = {**_lot_models(session, tender), **_check_models(models, bundle_ids)}
            _set_lots(session, tender, bundles, kept)
        elif models:
            _change_models(session, tender, models)
        if "deadline" in values and values["deadline"] <= now:
            raise InvalidInput("The deadline is in the past.", field="deadline")
        _apply(tender, values)
        tender.updated_at = now
        audit.record(
            session,
            actor=actor,
            entity="tender",
            entity_id=tender.id,
            action="update",
            before=before,
            after=_with_models(session, tender),
        )
        return tender
    check_conditions_changeable(tender, now)
    if "bundle_ids" in values:
        raise Conflict("The lots of a published tender cannot change.", field="bundle_ids")
    assert tender.deadline is not None and tender.published_at is not None
    if "deadline" in values:
        new_deadline = values["deadline"].astimezone(UTC)
        if new_deadline < tender.deadline:
            raise InvalidInput("After publication the deadline can only be extended.", field="deadline")
        values["deadline"] = new_deadline
    changed = [k for k in CONDITION_FIELDS if k in values and values[k] != getattr(tender, k)]
    old_models = _lot_models(session, tender)
    if models and _change_models(session, tender, models):
        changed.append("business_models")
    _apply(tender, values)
    tender.updated_at = now
    if changed:
        conditions_changed(session=session, actor=actor, tender=tender, what=changed, rules=rules, now=now)
    audit.record(
        session,
        actor=actor,
        entity="tender",
        entity_id=tender.id,
        action="update",
        before={**(before or {}), "business_models": {str(k): v.value for k, v in old_models.items()}},
        after=_with_models(session, tender),
    )
    if "deadline" in values and not changed:
        _tell_suppliers(session, tender, "tender_changed", now, changed=["deadline"])
    return tender


def _with_models(session: Session, tender: Tender) -> dict[str, Any]:
    """The tender's audit snapshot with its lots' business models (by bundle id)."""
    models = {str(k): v.value for k, v in _lot_models(session, tender).items()}
    return {**(audit.snapshot(tender) or {}), "business_models": models}


def conditions_final(tender: Tender, now: datetime) -> bool:
    """Once the bids open — or the tender is cancelled or awarded — its conditions and documents
    are final; a draft or a published tender before its deadline may still change."""
    return tender.status not in (TenderStatus.draft, TenderStatus.published) or is_open(tender, now)


def check_conditions_changeable(tender: Tender, now: datetime) -> None:
    """Refuse a change of conditions once they are final (:func:`conditions_final`)."""
    if conditions_final(tender, now):
        raise Conflict("Tender {code}'s bids have opened; its conditions are final.", code=tender.code)


def _apply(tender: Tender, values: dict[str, Any]) -> None:
    for key, value in values.items():
        if key == "deadline":
            value = value.astimezone(UTC)
        setattr(tender, key, value)


def conditions_changed(
    *,
    session: Session,
    actor: User,
    tender: Tender,
    what: list[str],
    rules: TenderRules,
    now: datetime,
) -> int:
    """Record a change of conditions of a published tender (the caller holds :func:`lock_tender`).

    Bumps the conditions version, turns the current bids into ``needs_confirmation``, notifies
    their bidders, and extends a deadline that is now too close. Returns how many bids need
    confirmation. The audit event names the bids by id only.
    """
    assert tender.deadline is not None and tender.id is not None
    tender.conditions_version += 1
    lot_ids = list(session.exec(select(TenderLot.id).where(TenderLot.tender_id == tender.id)).all())
    bids = session.exec(
        select(Bid).where(
            col(Bid.lot_id).in_(lot_ids), col(Bid.current).is_(True), Bid.status == BidStatus.submitted
        )
    ).all()
    for bid in bids:
        bid.status = BidStatus.needs_confirmation
        session.add(bid)
    minimum = now + timedelta(days=rules.extension_days)
    old_deadline = tender.deadline
    if tender.deadline < minimum:
        tender.deadline = minimum
    session.add(tender)
    audit.record(
        session,
        actor=actor,
        entity="tender",
        entity_id=tender.id,
        action="conditions_changed",
        before={"deadline": _iso(old_deadline), "conditions_version": tender.conditions_version - 1},
        after={
            "deadline": _iso(tender.deadline),
            "conditions_version": tender.conditions_version,
            "changed": what,
            "bids_needing_confirmation": sorted(b.id for b in bids if b.id is not None),
        },
    )
    for supplier_id in sorted({b.supplier_id for b in bids}):
        notifications.notify(
            session,
            organisation_id=supplier_id,
            kind="bid_needs_confirmation",
            params={"tender_id": tender.id, "code": tender.code, "deadline": _iso(tender.deadline)},
            at=now,
        )
    _tell_suppliers(session, tender, "tender_changed", now, changed=what)
    return len(bids)


def _tell_suppliers(session: Session, tender: Tender, kind: str, now: datetime, **params: Any) -> None:
    """Notify every supplier about a tender (it is public): its id, code and deadline, and ``params``."""
    notifications.notify_role(
        session,
        role=Role.supplier,
        kind=kind,
        params={"tender_id": tender.id, "code": tender.code, "deadline": _iso(tender.deadline), **params},
        at=now,
    )


# --- cancelling -----


def publicity_started(session: Session, tender_id: int) -> bool:
    """Whether an award of the tender has left the office's proposal: published for 公示, or since
    confirmed or declined. From then on the scores are final and the award does not run again."""
    published = (
        select(Award.id)
        .join(TenderLot, col(TenderLot.id) == col(Award.lot_id))
        .where(TenderLot.tender_id == tender_id, Award.status != AwardStatus.proposed)
    )
    return session.exec(published).first() is not None


def check_not_cancelled(tender: Tender) -> None:
    """Refuse work on a cancelled tender (scoring, award runs): nothing of it goes on."""
    if tender.status == TenderStatus.cancelled:
        raise Conflict("Tender {code} is cancelled.", code=tender.code)


def check_cancellable(session: Session, tender: Tender) -> list[Award]:
    """A tender may be called off until its winners are published for 公示 (then never again, nor
    once cancelled or awarded); returns its awards, all still the office's proposals."""
    if tender.status in (TenderStatus.cancelled, TenderStatus.awarded):
        raise Conflict(
            "Tender {code} is {status}; it cannot be cancelled.", code=tender.code, status=tender.status
        )
    lot_ids = [
        lot.id for lot in session.exec(select(TenderLot).where(TenderLot.tender_id == tender.id)).all()
    ]
    awards = list(session.exec(select(Award).where(col(Award.lot_id).in_(lot_ids))).all())
    if any(a.status != AwardStatus.proposed for a in awards):
        raise Conflict(
            "Tender {code}'s winners are already published (公示); it can no longer be cancelled.",
            code=tender.code,
        )
    return awards


def cancel_tender(
    *, session: Session, actor: User, tender_id: int, data: TenderCancel, now: datetime | None = None
) -> Tender:
    """Call a tender off (office) until its winners are published for 公示, with the reason.

    Bids of a tender cancelled before its deadline stay sealed for good (:func:`is_open`); the
    proposed awards, the office's own working, are dropped; its bundles may be offered again
    (:func:`free_bundles`). Every supplier is told, with the reason.
    """
    policy.require(actor, "tender:manage")
    now = utc_now(now)
    tender = lock_tender(session, tender_id)
    awards = check_cancellable(session, tender)
    before = audit.snapshot(tender)
    for award in awards:
        audit.record(
            session,
            actor=actor,
            entity="award",
            entity_id=award.id,
            action="drop",
            before=audit.snapshot(award),
        )
        session.delete(award)
    was_public = tender.status != TenderStatus.draft
    tender.status, tender.cancelled_at, tender.updated_at = TenderStatus.cancelled, now, now
    tender.cancel_reason = data.reason.strip()
    session.add(tender)
    audit.record(
        session,
        actor=actor,
        entity="tender",
        entity_id=tender.id,
        action="cancel",
        before=before,
        after=audit.snapshot(tender),
    )
    if was_public:
        _tell_suppliers(session, tender, "tender_cancelled", now, reason=tender.cancel_reason)
    session.flush()
    return tender


# --- the deadline: a reminder before it, opening at it -----

REMINDER_BEFORE = timedelta(days=3)


def remind_due(*, session: Session, now: datetime | None = None, tender_id: int | None = None) -> list[int]:
    """Remind every supplier, once per tender, that a published tender's bids close within
    :data:`REMINDER_BEFORE`; returns the tenders reminded. A conditional UPDATE makes two processes
    doing this at once harmless, as for opening."""
    now = utc_now(now)
    query = select(Tender.id).where(
        Tender.status == TenderStatus.published,
        col(Tender.reminded_at).is_(None),
        col(Tender.deadline) > now,
        col(Tender.deadline) <= now + REMINDER_BEFORE,
    )
    if tender_id is not None:
        query = query.where(Tender.id == tender_id)
    reminded: list[int] = []
    for due_id in session.exec(query).all():
        assert due_id is not None
        claimed = session.exec(
            update(Tender)
            .where(col(Tender.id) == due_id, col(Tender.reminded_at).is_(None))
            .values(reminded_at=now)
        )
        if not claimed.rowcount:
            continue
        tender = session.get(Tender, due_id, populate_existing=True)
        assert tender is not None
        _tell_suppliers(session, tender, "deadline_near", now)
        reminded.append(due_id)
    return reminded


def open_due(*, session: Session, now: datetime | None = None, tender_id: int | None = None) -> list[int]:
    """Open every published tender whose deadline has passed (or just ``tender_id``); returns their ids.

    Opening records the event (time = the deadline), computes price scores and tells the bidders.
    Reminders of deadlines that are near (:func:`remind_due`) go out on the same call.
    """
    now = utc_now(now)
    remind_due(session=session, now=now, tender_id=tender_id)
    query = select(Tender.id).where(Tender.status == TenderStatus.published, col(Tender.deadline) <= now)
    if tender_id is not None:
        query = query.where(Tender.id == tender_id)
    opened = []
    for due_id in session.exec(query).all():
        assert due_id is not None
        claimed = session.exec(
            update(Tender)
            .where(col(Tender.id) == due_id, col(Tender.status) == TenderStatus.published)
            .values(status=TenderStatus.opened, opened_at=Tender.deadline)
        )
        if not claimed.rowcount:
            continue  # another request opened it a moment ago
        tender = session.get(Tender, due_id, populate_existing=True)
        assert tender is not None
        scored = compute_price_scores(session=session, tender=tender)
        audit.record(
            session,
            actor=None,
            entity="tender",
            entity_id=due_id,
            action="open",
            after={"opened_at": _iso(tender.opened_at), "noticed_at": _iso(now), "bids": scored},
        )
        for supplier_id in _bidder_ids(session, due_id):
            notifications.notify(
                session,
                organisation_id=supplier_id,
                kind="bids_opened",
                params={"tender_id": due_id, "code": tender.code},
                at=now,
            )
        opened.append(due_id)
    return opened


def _bidder_ids(session: Session, tender_id: int) -> list[int]:
    rows = session.exec(
        select(Bid.supplier_id)
        .join(TenderLot, col(TenderLot.id) == col(Bid.lot_id))
        .where(TenderLot.tender_id == tender_id)
        .distinct()
    ).all()
    return sorted(rows)


def bidder_ids(session: Session, tender_id: int) -> list[int]:
    """Organisations that placed at least one bid version in the tender."""
    return _bidder_ids(session, tender_id)


def supplier_names(session: Session, ids: list[int]) -> dict[int, Organisation]:
    rows = session.exec(select(Organisation).where(col(Organisation.id).in_(ids))).all()
    return {o.id: o for o in rows if o.id is not None}


def open_due_in_transaction(engine: Engine) -> list[int]:
    """Open every tender whose deadline passed and send the reminders due, in a transaction of its
    own: at app start-up (deadlines passed while no process was serving) and before each round of
    the mail outbox (so a reminder's e-mail goes out on time even if nobody reads the tenders)."""
    with transaction(engine) as session:
        return open_due(session=session)
