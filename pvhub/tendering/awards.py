"""Award: the optimiser's proposal, the office's override, publicity (公示) with objections,
confirmation, and a winner's decline.

Flow of one tender after its bids opened:

1. The office gives every valid bid a technical score; :func:`start_run` queues an ``award`` job
   (:mod:`pvhub.jobs.service`) which turns the opened bids into an instance for :mod:`optimiser.award`, solves
   it and stores the proposal: one ``proposed`` :class:`Award` per awarded lot, with the reason, and
   the optimiser's result (unawarded lots and why, supplier loads, share-cap relaxations) on the
   :class:`AwardRun`. A new run replaces the proposal until publicity starts.
2. The office may override a lot's proposal with another valid bid and a written reason.
3. :func:`start_publicity` publishes the proposed winners for the tender's publicity period;
   bidders of the tender may object (:func:`lodge_objection`); the office answers each objection.
4. After the period, with no unanswered objection, the office confirms an award: it is final.
5. A winner may decline (:func:`decline`); the lot then goes to the next-best feasible bid: the
   optimiser runs again with every other lot's award fixed and the decliners' bids excluded, at
   once (a few lots solve in milliseconds), and the new winner is proposed (and needs its own 公示).

Everything is audited; the notifications carry ids and codes only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from optimiser.award import InstanceError, parse_instance, solve_award
from pvhub.accounts.models import Organisation, User
from pvhub.bundling.models import Bundle
from pvhub.construction import service as construction
from pvhub.core import audit, policy
from pvhub.core.enums import Role, RunStatus
from pvhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Phrase
from pvhub.jobs import service as jobs
from pvhub.jobs.models import Job
from pvhub.jobs.service import ProgressFn
from pvhub.notifications import service as notifications
from pvhub.tendering import handover
from pvhub.tendering.enums import AwardStatus, BidStatus, ObjectionStatus, TenderStatus
from pvhub.tendering.models import Award, AwardRun, Bid, Objection, Tender, TenderLot
from pvhub.tendering.scores import bid_model, is_valid
from pvhub.tendering.tenders import (
    TenderRules,
    bidder_ids,
    check_not_cancelled,
    is_open,
    lock_tender,
    open_due,
    publicity_started,
    utc_now,
)

LIVE = (AwardStatus.proposed, AwardStatus.publicised, AwardStatus.confirmed)
# The terms of an EMC or lease bid passed to the optimiser (echoed in its awards; discount or rent
# breaks ties between equal scores).
TERM_KEYS = ("discount_pct", "rent_cny_per_m2_year", "term_years")


# --- the instance -----


def _lots(session: Session, tender_id: int) -> list[TenderLot]:
    return list(
        session.exec(
            select(TenderLot).where(TenderLot.tender_id == tender_id).order_by(col(TenderLot.number))
        ).all()
    )


def _current_bids(session: Session, lot_ids: list[int]) -> list[Bid]:
    return list(
        session.exec(
            select(Bid).where(col(Bid.lot_id).in_(lot_ids), col(Bid.current).is_(True)).order_by(col(Bid.id))
        ).all()
    )


def _unscored(
    bids: list[Bid], tender: Tender, lots: dict[int, TenderLot], names: dict[int, str]
) -> list[Phrase]:
    return [
        Phrase(
            "lot {lot}, {supplier}: bid {bid_id} has no technical score",
            lot=lots[b.lot_id].number,
            supplier=names.get(b.supplier_id, b.supplier_id),
            bid_id=b.id,
        )
        for b in bids
        if is_valid(b, tender) and b.total_score is None
    ]


def build_instance(
    session: Session,
    tender: Tender,
    *,
    fixed: dict[int, int | None] | None = None,
    excluded: dict[int, str] | None = None,
) -> dict[str, Any]:
    """The optimiser's JSON instance for ``tender`` (ids are database ids as strings).

    Valid bids take part with their total score; bids waiting for re-confirmation are listed as
    excluded with that reason (so the result names them); withdrawn versions are left out, and so are
    bids placed in another business model than their lot's now (the office changed it; they cannot be
    re-confirmed in it and never compete).
    """
    assert tender.id is not None
    lots = [lot for lot in _lots(session, tender.id) if lot.capacity_kwp > 0]
    models = {lot.id: lot.business_model.value for lot in lots}
    bids = _current_bids(session, [lot.id for lot in lots if lot.id is not None])
    live = [b for b in bids if b.status != BidStatus.withdrawn and bid_model(b.content) == models[b.lot_id]]
    excluded = dict(excluded or {})
    for bid in live:
        if not is_valid(bid, tender) and bid.id is not None:
            excluded.setdefault(bid.id, "not re-confirmed after the tender's conditions changed")
    supplier_ids = sorted({b.supplier_id for b in live})
    suppliers = session.exec(
        select(Organisation).where(col(Organisation.id).in_(supplier_ids)).order_by(col(Organisation.id))
    ).all()
    return {
        "tender": tender.code,
        "lots": [
            {"id": str(lot.id), "capacity_kw": lot.capacity_kwp, "business_model": lot.business_model.value}
            for lot in lots
        ],
        "suppliers": [{"id": str(s.id), "capacity_kw": s.annual_capacity_kw} for s in suppliers],
        "bids": [_instance_bid(b) for b in live],
        "ceiling_cny_per_w": tender.ceiling_price_cny_per_w,
        "share_cap": tender.share_cap,
        "fixed_awards": {str(lot): (None if bid is None else str(bid)) for lot, bid in (fixed or {}).items()},
        "excluded_bids": {str(bid): reason for bid, reason in excluded.items()},
    }


def _instance_bid(bid: Bid) -> dict[str, Any]:
    """A bid in the optimiser's contract: an EPC bid's price per W, an EMC or lease bid's terms (a bid
    re-placed under a changed model is excluded anyway, :func:`build_instance`)."""
    out: dict[str, Any] = {
        "id": str(bid.id),
        "lot": str(bid.lot_id),
        "supplier": str(bid.supplier_id),
        "score": bid.total_score if bid.total_score is not None else 0.0,
    }
    if "price_cny_per_w" in bid.content:
        out["price_cny_per_w"] = float(bid.content["price_cny_per_w"])
    terms = bid_terms(bid)
    if terms:
        out["terms"] = terms
    return out


def bid_terms(bid: Bid) -> dict[str, Any]:
    """An EMC or lease bid's terms (discount or rent, and term); empty for an EPC bid."""
    return {key: bid.content[key] for key in TERM_KEYS if key in bid.content}


def solve(instance: dict[str, Any], *, time_limit_s: float) -> dict[str, Any]:
    """Run the award optimiser on an instance (deterministic: one worker, fixed seed)."""
    try:
        parsed = parse_instance(instance)
    except InstanceError as exc:
        raise InvalidInput("The award instance is not valid: {problem}", problem=str(exc)) from None
    return solve_award(parsed, time_limit_s=time_limit_s, seed=0, num_workers=1).to_dict()


# --- the award run (a background job) -----


def _opened(session: Session, tender_id: int, now: datetime) -> Tender:
    open_due(session=session, now=now, tender_id=tender_id)
    tender = session.get(Tender, tender_id)
    if tender is None:
        raise NotFound("No tender with id {tender_id}.", tender_id=tender_id)
    check_awardable(tender, now)
    return tender


def check_awardable(tender: Tender, now: datetime) -> None:
    """The award works on opened bids: not before the deadline, nothing of a cancelled tender."""
    check_not_cancelled(tender)
    if not is_open(tender, now):
        raise Conflict(
            "Tender {code}'s bids are sealed until its deadline; nothing to award yet.", code=tender.code
        )


def check_can_run(session: Session, tender: Tender, now: datetime) -> None:
    """The optimiser may run (again) on opened bids until the proposed winners are published."""
    check_awardable(tender, now)
    if tender.id is not None and publicity_started(session, tender.id):
        raise Conflict(
            "The proposed winners are already published (公示); override a lot instead of re-running."
        )


def _check_runnable(session: Session, actor: User, tender_id: int, now: datetime) -> Tender:
    """An award may run once the bids opened, every valid bid is scored, and before publicity."""
    policy.require(actor, "award:run")
    tender = _opened(session, tender_id, now)
    check_can_run(session, tender, now)
    check_scored(session, tender)
    return tender


def check_scored(session: Session, tender: Tender) -> None:
    """The optimiser weighs total scores: every valid bid needs its technical score first."""
    assert tender.id is not None
    lots = {lot.id: lot for lot in _lots(session, tender.id) if lot.id is not None}
    bids = _current_bids(session, list(lots))
    names = {o.id: o.name for o in session.exec(select(Organisation)).all() if o.id is not None}
    missing = _unscored(bids, tender, lots, names)
    if missing:
        raise InvalidInput("Score every valid bid first: {bids}.", bids=missing, field="technical_score")


def start_run(
    *,
    session: Session,
    actor: User,
    tender_id: int,
    rules: TenderRules | None = None,
    now: datetime | None = None,
) -> AwardRun:
    """Queue an award run (office); the caller commits and starts the job (``run.job_id``)."""
    rules, now = rules or TenderRules(), utc_now(now)
    _check_runnable(session, actor, tender_id, now)
    run = AwardRun(tender_id=tender_id, purpose="award", created_by_id=actor.id, created_at=now)
    session.add(run)
    session.flush()
    job = jobs.submit(
        session=session,
        actor=actor,
        kind="award",
        parameters={"award_run_id": run.id, "tender_id": tender_id, "time_limit_s": rules.award_time_limit_s},
    )
    run.job_id = job.id
    run.parameters = {"time_limit_s": rules.award_time_limit_s}
    session.add(run)
    return run


def run_now(
    *,
    session: Session,
    actor: User,
    tender_id: int,
    rules: TenderRules | None = None,
    now: datetime | None = None,
) -> AwardRun:
    """Solve within the caller's transaction (the demo, scripts): same checks and result as a job."""
    rules, now = rules or TenderRules(), utc_now(now)
    tender = _check_runnable(session, actor, tender_id, now)
    run = AwardRun(
        tender_id=tender_id,
        purpose="award",
        created_by_id=actor.id,
        created_at=now,
        parameters={"time_limit_s": rules.award_time_limit_s},
    )
    session.add(run)
    session.flush()
    instance = build_instance(session, tender)
    result = solve(instance, time_limit_s=rules.award_time_limit_s)
    store_proposal(
        session=session, run=run, tender=tender, instance=instance, result=result, actor=actor, now=now
    )
    return run


def award_job(session: Session, parameters: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    """Compute the proposal first (reads only), then store it in one go."""
    run = session.get(AwardRun, int(parameters["award_run_id"]))
    if run is None:
        raise NotFound("No award run with id {run_id}.", run_id=parameters["award_run_id"])
    tender = session.get(Tender, run.tender_id)
    assert tender is not None
    progress(0.1, Phrase("building the instance"))
    instance = build_instance(session, tender)
    progress(
        0.2,
        Phrase("solving {lots} lots, {bids} bids", lots=len(instance["lots"]), bids=len(instance["bids"])),
    )
    result = solve(instance, time_limit_s=float(parameters.get("time_limit_s", 10)))
    progress(0.9, Phrase("storing the proposal"))
    session.refresh(tender)
    check_not_cancelled(tender)  # cancelled while the optimiser ran: no proposal for it
    store_proposal(session=session, run=run, tender=tender, instance=instance, result=result, actor=None)
    return {
        "award_run_id": run.id,
        "status": result["status"],
        "awards": len(result["awards"]),
        "unawarded": len(result["unawarded"]),
    }


def _reason(award: dict[str, Any], instance: dict[str, Any]) -> str:
    """Why this bid: ``best_score`` (the lot's top score), ``best_combination`` (a higher-scoring
    bid's supplier is better used elsewhere or lacks room), ``kept`` (fixed), ``next_best``."""
    if award.get("fixed"):
        return "kept"
    scores = [
        b["score"]
        for b in instance["bids"]
        if b["lot"] == award["lot"] and b["id"] not in instance["excluded_bids"]
    ]
    return "best_score" if award["score"] >= max(scores) - 1e-9 else "best_combination"


def store_proposal(
    *,
    session: Session,
    run: AwardRun,
    tender: Tender,
    instance: dict[str, Any],
    result: dict[str, Any],
    actor: User | None,
    replace: bool = True,
    only_lot: int | None = None,
    now: datetime | None = None,
) -> list[Award]:
    """Write the run's result: replace the tender's proposed awards (or add the one of ``only_lot``)."""
    assert tender.id is not None and run.id is not None
    lot_ids = [lot.id for lot in _lots(session, tender.id)]
    if replace:
        for old in session.exec(
            select(Award).where(col(Award.lot_id).in_(lot_ids), Award.status == AwardStatus.proposed)
        ).all():
            audit.record(
                session,
                actor=actor,
                entity="award",
                entity_id=old.id,
                action="replace",
                before=audit.snapshot(old),
            )
            session.delete(old)
        session.flush()
    created = []
    for item in result["awards"]:
        if item.get("fixed") or (only_lot is not None and int(item["lot"]) != only_lot):
            continue
        award = Award(
            lot_id=int(item["lot"]),
            bid_id=int(item["bid"]),
            proposed_bid_id=int(item["bid"]),
            status=AwardStatus.proposed,
            score=item["score"],
            run_id=run.id,
            reason="next_best" if only_lot is not None else _reason(item, instance),
            share_cap_relaxed=bool(item["cap_relaxed"]),
            created_at=utc_now(now),
        )
        session.add(award)
        created.append(award)
    run.status = RunStatus.succeeded if result["status"] in ("optimal", "feasible") else RunStatus.failed
    run.result = result
    run.parameters = {**run.parameters, "instance": instance}
    run.finished_at = utc_now(now)
    session.add(run)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="award_run",
        entity_id=run.id,
        action=run.purpose,
        after={
            "tender_id": tender.id,
            "status": result["status"],
            "awards": {a.lot_id: a.bid_id for a in created},
            "unawarded": {u["lot"]: u["code"] for u in result["unawarded"]},
            "message": result.get("message"),
        },
    )
    return created


# --- reading -----


@dataclass
class AwardView:
    award: Award
    lot: TenderLot
    bundle_code: str
    bid: Bid
    supplier: Organisation
    proposed_supplier: Organisation | None
    objections: list[Objection] = field(default_factory=list)


@dataclass
class AwardOverview:
    """A tender's award state: the latest run (with the optimiser's reasons) and the awards."""

    tender: Tender
    run: AwardRun | None
    job_status: RunStatus | None
    job: Job | None  # the run's job while the run is queued (its status and error)
    awards: list[AwardView]
    unawarded: list[dict[str, Any]]


def overview(*, session: Session, user: User, tender_id: int, now: datetime | None = None) -> AwardOverview:
    """Proposals are the office's until publicity; published and confirmed awards everyone may read."""
    now = utc_now(now)
    open_due(session=session, now=now, tender_id=tender_id)
    tender = session.get(Tender, tender_id)
    office = policy.can(user, "tender:manage")
    if tender is None or (tender.status == TenderStatus.draft and not office):
        raise NotFound("No tender with id {tender_id}.", tender_id=tender_id)
    policy.require(user, "tender:manage" if office else "tender:read_published")
    run = session.exec(
        select(AwardRun).where(AwardRun.tender_id == tender_id).order_by(col(AwardRun.id).desc())
    ).first()
    job: Job | None = None
    if run is not None and run.job_id is not None and run.status == RunStatus.queued:
        job = session.get(Job, run.job_id)
    lots = {lot.id: lot for lot in _lots(session, tender_id)}
    awards = session.exec(
        select(Award).where(col(Award.lot_id).in_(list(lots))).order_by(col(Award.lot_id), col(Award.id))
    ).all()
    views = []
    for award in awards:
        if award.status == AwardStatus.proposed and not office:
            continue
        views.append(_view(session, award, lots[award.lot_id]))
    unawarded = []
    if run is not None and run.result and office:
        unawarded = list(run.result.get("unawarded", []))
    job_status = job.status if job is not None else None
    return AwardOverview(tender, run if office else None, job_status, job, views, unawarded)


def tender_of_award(*, session: Session, user: User, award_id: int) -> int:
    """The tender an award belongs to, as ``user`` may know it — where a page acting on the award
    goes back to, refused or not (the award's id alone does not say). A proposal is the office's
    working state, so to anyone else it is not found, as in :func:`overview`."""
    award = session.get(Award, award_id)
    lot = session.get(TenderLot, award.lot_id) if award else None
    if (
        award is None
        or lot is None
        or (award.status == AwardStatus.proposed and not policy.can(user, "tender:manage"))
    ):
        raise NotFound("No award with id {award_id}.", award_id=award_id)
    return lot.tender_id


def tender_of_objection(*, session: Session, user: User, objection_id: int) -> int:
    """The tender an objection was lodged in (see :func:`tender_of_award`): objections are shown
    with their award, so they are found where it is."""
    objection = session.get(Objection, objection_id)
    if objection is None:
        raise NotFound("No objection with id {objection_id}.", objection_id=objection_id)
    return tender_of_award(session=session, user=user, award_id=objection.award_id)


def view_award(session: Session, award: Award) -> AwardView:
    """One award with its lot, bid, supplier and objections (the caller checked who may see it)."""
    lot = session.get(TenderLot, award.lot_id)
    assert lot is not None
    return _view(session, award, lot)


def _view(session: Session, award: Award, lot: TenderLot) -> AwardView:
    bid = session.get(Bid, award.bid_id)
    assert bid is not None
    supplier = session.get(Organisation, bid.supplier_id)
    assert supplier is not None
    proposed = None
    if award.proposed_bid_id and award.proposed_bid_id != award.bid_id:
        original = session.get(Bid, award.proposed_bid_id)
        proposed = session.get(Organisation, original.supplier_id) if original else None
    bundle = session.get(Bundle, lot.bundle_id)
    objections = list(
        session.exec(
            select(Objection).where(Objection.award_id == award.id).order_by(col(Objection.id))
        ).all()
    )
    return AwardView(award, lot, bundle.code if bundle else "", bid, supplier, proposed, objections)


# --- the office's decisions -----


def _awarded_kw(session: Session, tender_id: int, *, except_lot: int) -> dict[int, float]:
    loads: dict[int, float] = {}
    lots = {lot.id: lot for lot in _lots(session, tender_id)}
    for award in session.exec(
        select(Award).where(col(Award.lot_id).in_(list(lots)), col(Award.status).in_(LIVE))
    ).all():
        if award.lot_id == except_lot:
            continue
        bid = session.get(Bid, award.bid_id)
        assert bid is not None
        loads[bid.supplier_id] = loads.get(bid.supplier_id, 0.0) + lots[award.lot_id].capacity_kwp
    return loads


def check_overridable(session: Session, lot_id: int) -> Award | None:
    """A lot may be given to another bid until its award is confirmed; returns its live award."""
    award = session.exec(select(Award).where(Award.lot_id == lot_id, col(Award.status).in_(LIVE))).first()
    if award is not None and award.status == AwardStatus.confirmed:
        raise Conflict("This lot's award is confirmed; it is final.")
    return award


def override(
    *,
    session: Session,
    actor: User,
    tender_id: int,
    lot_id: int,
    bid_id: int,
    reason: str,
    now: datetime | None = None,
) -> Award:
    """Give a lot to another valid bid, with a written reason (until the lot's award is confirmed).

    The supplier's capacity still binds; the share cap may be exceeded (the reason says why).
    An award already under publicity goes back to ``proposed`` and needs a new publicity period.
    """
    policy.require(actor, "tender:manage")
    now = utc_now(now)
    tender = _opened(session, tender_id, now)
    lot = session.get(TenderLot, lot_id)
    bid = session.get(Bid, bid_id)
    if lot is None or lot.tender_id != tender_id:
        raise InvalidInput(
            "Lot {lot_id} is not a lot of tender {code}.", lot_id=lot_id, code=tender.code, field="lot_id"
        )
    if bid is None or bid.lot_id != lot_id:
        raise InvalidInput(
            "Bid {bid_id} is not a bid for lot {lot}.", bid_id=bid_id, lot=lot.number, field="bid_id"
        )
    if not is_valid(bid, tender):
        raise InvalidInput(
            "Bid {bid_id} is not valid (withdrawn, unconfirmed or above the ceiling).",
            bid_id=bid_id,
            field="bid_id",
        )
    supplier = session.get(Organisation, bid.supplier_id)
    assert supplier is not None
    load = _awarded_kw(session, tender_id, except_lot=lot_id).get(bid.supplier_id, 0.0) + lot.capacity_kwp
    if supplier.annual_capacity_kw is not None and load > supplier.annual_capacity_kw + 1e-6:
        raise Conflict(
            "{supplier} would have {load:.1f} kWp, above its capacity of {capacity:g} kWp.",
            supplier=supplier.name,
            load=load,
            capacity=supplier.annual_capacity_kw,
        )
    declined = session.exec(
        select(Award).where(Award.lot_id == lot_id, Award.status == AwardStatus.declined)
    ).all()
    if any(session.get(Bid, d.bid_id).supplier_id == bid.supplier_id for d in declined):  # type: ignore[union-attr]
        raise Conflict("{supplier} declined this lot already.", supplier=supplier.name)
    award = check_overridable(session, lot_id)
    before = audit.snapshot(award)
    if award is None:
        award = Award(lot_id=lot_id, bid_id=bid_id, status=AwardStatus.proposed, created_at=now)
    award.bid_id, award.score, award.override_reason = bid_id, bid.total_score, reason
    award.status, award.publicity_ends_at = AwardStatus.proposed, None
    award.share_cap_relaxed = (
        load > tender.share_cap * sum(lot.capacity_kwp for lot in _lots(session, tender_id)) + 1e-6
    )
    session.add(award)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="award",
        entity_id=award.id,
        action="override",
        before=before,
        after=audit.snapshot(award),
    )
    return award


def check_publicity_startable(awards: Sequence[Award]) -> list[Award]:
    """The proposed winners among a tender's ``awards`` can be published once there are some;
    returns them. (A page passes the awards it shows, so it offers what it shows.)"""
    proposed = [award for award in awards if award.status == AwardStatus.proposed]
    if not proposed:
        raise Conflict("There is no proposed award to publish; run the award first.")
    return proposed


def start_publicity(
    *, session: Session, actor: User, tender_id: int, now: datetime | None = None
) -> list[Award]:
    """Publish the proposed winners for the tender's publicity period (公示) and tell the bidders."""
    policy.require(actor, "tender:manage")
    now = utc_now(now)
    tender = _opened(session, tender_id, now)
    lots = [lot.id for lot in _lots(session, tender_id)]
    proposed = check_publicity_startable(session.exec(select(Award).where(col(Award.lot_id).in_(lots))).all())
    ends = now + timedelta(days=tender.publicity_days)
    for award in proposed:
        before = audit.snapshot(award)
        award.status, award.publicity_ends_at = AwardStatus.publicised, ends
        session.add(award)
        audit.record(
            session,
            actor=actor,
            entity="award",
            entity_id=award.id,
            action="publicise",
            before=before,
            after=audit.snapshot(award),
        )
    for supplier_id in bidder_ids(session, tender_id):
        notifications.notify(
            session,
            organisation_id=supplier_id,
            kind="award_proposed",
            params={"tender_id": tender_id, "code": tender.code, "publicity_ends_at": ends.isoformat()},
            at=now,
        )
    return proposed


def check_objectable(session: Session, actor: User, award: Award, now: datetime) -> TenderLot:
    """Another bidder of the tender may object to a published winner while its publicity runs (a
    proposal is the office's own: to a bidder it does not exist); returns the award's lot."""
    lot = session.get(TenderLot, award.lot_id)
    if lot is None or award.status == AwardStatus.proposed:
        raise NotFound("No award with id {award_id}.", award_id=award.id)
    if actor.organisation_id not in bidder_ids(session, lot.tender_id):
        raise PermissionDenied("Only the tender's bidders may object to its awards.")
    bid = session.get(Bid, award.bid_id)
    if bid is not None and bid.supplier_id == actor.organisation_id:
        raise PermissionDenied("A winner cannot object to its own award; it may decline it.")
    if (
        award.status != AwardStatus.publicised
        or award.publicity_ends_at is None
        or now >= award.publicity_ends_at
    ):
        raise Conflict("Objections are accepted only during the publicity period (公示).")
    return lot


def lodge_objection(
    *, session: Session, actor: User, award_id: int, text: str, now: datetime | None = None
) -> Objection:
    """A bidder of the tender objects to a published winner, during the publicity period."""
    policy.require(actor, "award:object")
    now = utc_now(now)
    award = session.get(Award, award_id)
    if award is None:
        raise NotFound("No award with id {award_id}.", award_id=award_id)
    lot = check_objectable(session, actor, award, now)
    objection = Objection(
        tender_id=lot.tender_id,
        award_id=award_id,
        supplier_id=actor.organisation_id,
        text=text,
        created_at=now,
    )
    session.add(objection)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="objection",
        entity_id=objection.id,
        action="lodge",
        after=audit.snapshot(objection),
    )
    tender = session.get(Tender, lot.tender_id)
    notifications.notify_role(
        session,
        role=Role.office,
        kind="objection_lodged",
        params={"tender_id": lot.tender_id, "code": tender.code if tender else "", "award_id": award_id},
        at=now,
    )
    return objection


def check_answerable(objection: Objection) -> None:
    """An objection is answered once."""
    if objection.status == ObjectionStatus.answered:
        raise Conflict("This objection has been answered already.")


def answer_objection(
    *, session: Session, actor: User, objection_id: int, response: str, now: datetime | None = None
) -> Objection:
    policy.require(actor, "tender:manage")
    objection = session.get(Objection, objection_id)
    if objection is None:
        raise NotFound("No objection with id {objection_id}.", objection_id=objection_id)
    check_answerable(objection)
    before = audit.snapshot(objection)
    objection.status, objection.response = ObjectionStatus.answered, response
    objection.answered_by_id, objection.answered_at = actor.id, utc_now(now)
    session.add(objection)
    audit.record(
        session,
        actor=actor,
        entity="objection",
        entity_id=objection.id,
        action="answer",
        before=before,
        after=audit.snapshot(objection),
    )
    tender = session.get(Tender, objection.tender_id)
    notifications.notify(
        session,
        organisation_id=objection.supplier_id,
        kind="objection_answered",
        params={
            "tender_id": objection.tender_id,
            "code": tender.code if tender else "",
            "award_id": objection.award_id,
        },
        at=now,
    )
    return objection


def check_confirmable(session: Session, award: Award, now: datetime) -> None:
    """An award under publicity can be confirmed once the period is over and every objection to it
    is answered."""
    if award.status != AwardStatus.publicised or award.publicity_ends_at is None:
        raise Conflict(
            "Award {award_id} is {status}; only an award under publicity can be confirmed.",
            award_id=award.id,
            status=award.status,
        )
    if now < award.publicity_ends_at:
        raise Conflict(
            "The publicity period (公示) runs until {ends}.", ends=award.publicity_ends_at.isoformat()
        )
    open_objections = session.exec(
        select(Objection).where(Objection.award_id == award.id, Objection.status == ObjectionStatus.open)
    ).all()
    if open_objections:
        raise Conflict("Answer the {count} open objection(s) first.", count=len(open_objections))


def confirm(
    *,
    session: Session,
    actor: User,
    award_id: int,
    timezone: str = construction.DEFAULT_TIMEZONE,
    now: datetime | None = None,
) -> Award:
    """Confirm a published award after its publicity period, all objections answered: it is final,
    and construction of its surfaces starts (planned from the confirmation's day in ``timezone``,
    the programme's time zone)."""
    policy.require(actor, "tender:manage")
    now = utc_now(now)
    award = session.get(Award, award_id)
    if award is None:
        raise NotFound("No award with id {award_id}.", award_id=award_id)
    check_confirmable(session, award, now)
    before = audit.snapshot(award)
    award.status, award.confirmed_at, award.confirmed_by_id = AwardStatus.confirmed, now, actor.id
    session.add(award)
    audit.record(
        session,
        actor=actor,
        entity="award",
        entity_id=award.id,
        action="confirm",
        before=before,
        after=audit.snapshot(award),
    )
    session.flush()
    handover.start_construction(session, award, timezone=timezone)
    lot = session.get(TenderLot, award.lot_id)
    bid = session.get(Bid, award.bid_id)
    assert lot is not None and bid is not None
    tender = session.get(Tender, lot.tender_id)
    assert tender is not None
    notifications.notify(
        session,
        organisation_id=bid.supplier_id,
        kind="award_confirmed",
        params={"tender_id": tender.id, "code": tender.code, "lot": lot.number, "award_id": award.id},
        at=now,
    )
    _refresh_status(session, tender)
    return award


def _refresh_status(session: Session, tender: Tender) -> None:
    """``awarded`` once no award of the tender waits for a decision; back to ``opened`` otherwise."""
    assert tender.id is not None
    lots = [lot.id for lot in _lots(session, tender.id)]
    statuses = {a.status for a in session.exec(select(Award).where(col(Award.lot_id).in_(lots))).all()}
    pending = statuses & {AwardStatus.proposed, AwardStatus.publicised}
    new = TenderStatus.awarded if AwardStatus.confirmed in statuses and not pending else TenderStatus.opened
    if tender.status in (TenderStatus.opened, TenderStatus.awarded) and tender.status != new:
        audit.record(
            session,
            actor=None,
            entity="tender",
            entity_id=tender.id,
            action=new.value,
            before={"status": tender.status.value},
            after={"status": new.value},
        )
        tender.status = new
        session.add(tender)


def check_declinable(session: Session, actor: User, award: Award) -> None:
    """The winner may decline its published or confirmed award (to anyone else it is not there)."""
    bid = session.get(Bid, award.bid_id)
    if bid is None or bid.supplier_id != actor.organisation_id or award.status == AwardStatus.proposed:
        raise NotFound("No award with id {award_id}.", award_id=award.id)
    if award.status not in (AwardStatus.publicised, AwardStatus.confirmed):
        raise Conflict(
            "Award {award_id} is {status}; nothing to decline.", award_id=award.id, status=award.status
        )


def decline(
    *,
    session: Session,
    actor: User,
    award_id: int,
    reason: str,
    rules: TenderRules | None = None,
    now: datetime | None = None,
) -> Award | None:
    """The winner declines; the lot passes to the next-best feasible bid (returned, proposed) if any.

    A confirmed award's construction is given back unless a milestone of it is confirmed already."""
    policy.require(actor, "award:decline")
    rules, now = rules or TenderRules(), utc_now(now)
    award = session.get(Award, award_id)
    if award is None:
        raise NotFound("No award with id {award_id}.", award_id=award_id)
    check_declinable(session, actor, award)
    lot = session.get(TenderLot, award.lot_id)
    assert lot is not None and lot.id is not None
    tender = lock_tender(session, lot.tender_id)
    before = audit.snapshot(award)
    award.status, award.declined_at, award.decline_reason = AwardStatus.declined, now, reason
    session.add(award)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="award",
        entity_id=award.id,
        action="decline",
        before=before,
        after=audit.snapshot(award),
    )
    handover.stop_construction(session, award)
    successor = _next_best(session, tender, lot, actor, rules, now)
    notifications.notify_role(
        session,
        role=Role.office,
        kind="award_declined",
        params={"tender_id": tender.id, "code": tender.code, "lot": lot.number, "award_id": award_id},
        at=now,
    )
    _refresh_status(session, tender)
    return successor


def _next_best(
    session: Session,
    tender: Tender,
    lot: TenderLot,
    actor: User,
    rules: TenderRules,
    now: datetime,
) -> Award | None:
    """Re-solve with the other lots' awards fixed and every bid declined on this lot excluded."""
    assert tender.id is not None and lot.id is not None
    fixed: dict[int, int | None] = {}
    for other in _lots(session, tender.id):
        if other.id == lot.id or other.id is None:
            continue
        live = session.exec(
            select(Award).where(Award.lot_id == other.id, col(Award.status).in_(LIVE))
        ).first()
        fixed[other.id] = live.bid_id if live is not None else None
    decliners = {
        session.get(Bid, d.bid_id).supplier_id  # type: ignore[union-attr]
        for d in session.exec(
            select(Award).where(Award.lot_id == lot.id, Award.status == AwardStatus.declined)
        ).all()
    }
    excluded = {
        b.id: "the supplier declined this lot"
        for b in _current_bids(session, [lot.id])
        if b.supplier_id in decliners and b.id is not None and b.status != BidStatus.withdrawn
    }
    instance = build_instance(session, tender, fixed=fixed, excluded=excluded)
    result = solve(instance, time_limit_s=rules.award_time_limit_s)
    run = AwardRun(
        tender_id=tender.id,
        purpose="decline",
        status=RunStatus.running,
        created_by_id=actor.id,
        created_at=now,
    )
    session.add(run)
    session.flush()
    created = store_proposal(
        session=session,
        run=run,
        tender=tender,
        instance=instance,
        result=result,
        actor=actor,
        replace=False,
        only_lot=lot.id,
        now=now,
    )
    return created[0] if created else None
