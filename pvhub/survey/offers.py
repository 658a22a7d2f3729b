"""Buildings the office offers to their owners, and the owners' answers.

The office offers surveyed buildings to an owner organisation; the owner confirms (its site is
created through the register service, with the building's candidates as draft surfaces it can edit,
drop or submit for review) or declines with a reason; the office may withdraw an offer not yet
answered. A building is offered to one organisation at a time and never once a site stands on it.
Every change is audited; the owner is notified of an offer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from pvhub.accounts.models import Organisation, User
from pvhub.core import audit, policy
from pvhub.core.enums import Role
from pvhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from pvhub.notifications import service as notifications
from pvhub.register import service as register
from pvhub.register.enums import SurfaceKind
from pvhub.register.models import SiteCreate, SurfaceCreate
from pvhub.survey.enums import CandidateStatus, OfferStatus
from pvhub.survey.models import Building, BuildingOffer, SiteBuilding, SurveyCandidate

OFFER = "survey:offer"
ANSWER = "survey:answer"


def building_state(session: Session, building_ids: Sequence[int]) -> dict[int, str]:
    """Each building's owner status: ``owned`` (a site stands on it), ``offered`` or ``unclaimed``."""
    ids = list(building_ids)
    owned = set(
        session.exec(select(SiteBuilding.building_id).where(col(SiteBuilding.building_id).in_(ids))).all()
    )
    offered = set(
        session.exec(
            select(BuildingOffer.building_id).where(
                col(BuildingOffer.building_id).in_(ids), BuildingOffer.status == OfferStatus.offered
            )
        ).all()
    )
    return {i: "owned" if i in owned else "offered" if i in offered else "unclaimed" for i in ids}


def offer_buildings(
    *, session: Session, actor: User, building_ids: Sequence[int], organisation_id: int
) -> list[BuildingOffer]:
    """Offer buildings to an owner organisation (office); all or none.

    Refused, naming the building and why, for a building that does not exist, lies outside the
    district (a neighbour), has no candidates, is already owned or already offered.
    """
    policy.require(actor, OFFER)
    org = session.get(Organisation, organisation_id)
    if org is None or org.kind != Role.owner:
        raise InvalidInput(
            "No owner organisation with id {organisation_id}: buildings are offered to owners only.",
            organisation_id=organisation_id,
            field="organisation_id",
        )
    ids = list(dict.fromkeys(building_ids))
    if not ids:
        raise InvalidInput("{field}: choose at least one building.", field="building_ids")
    states = building_state(session, ids)
    offers = []
    for building_id in ids:
        _check_offerable(session, building_id, states[building_id])
        offer = BuildingOffer(
            building_id=building_id, organisation_id=organisation_id, offered_by_id=actor.id
        )
        session.add(offer)
        session.flush()
        _set_candidates(session, building_id, CandidateStatus.offered)
        audit.record(
            session,
            actor=actor,
            entity="building_offer",
            entity_id=offer.id,
            action="offer",
            after=audit.snapshot(offer),
        )
        offers.append(offer)
    notifications.notify(
        session,
        organisation_id=organisation_id,
        kind="survey_offer",
        params={"buildings": len(offers), "offer_ids": [o.id for o in offers]},
    )
    return offers


def _check_offerable(session: Session, building_id: int, state: str) -> None:
    building = session.get(Building, building_id)
    if building is None:
        raise NotFound("No building with id {building_id}.", building_id=building_id, field="building_ids")
    if not building.inside_district:
        raise Conflict(
            "Building {building_id} lies outside the district (a neighbour): it is not offered.",
            building_id=building_id,
        )
    if state != "unclaimed":
        raise Conflict(
            "Building {building_id} is already {state}: it cannot be offered again.",
            building_id=building_id,
            state=state,
        )
    has = session.exec(select(SurveyCandidate.id).where(SurveyCandidate.building_id == building_id)).first()
    if has is None:
        raise Conflict(
            "Building {building_id} has no candidate surfaces (run the survey, or see why it was skipped).",
            building_id=building_id,
        )


def _set_candidates(session: Session, building_id: int, status: CandidateStatus) -> None:
    """Mark the building's candidates not yet confirmed as ``status``."""
    for row in session.exec(
        select(SurveyCandidate).where(
            SurveyCandidate.building_id == building_id, SurveyCandidate.status != CandidateStatus.confirmed
        )
    ).all():
        row.status = status
        session.add(row)


def offers_for(*, session: Session, user: User, status: OfferStatus | None = None) -> list[BuildingOffer]:
    """The offers a user may see: the office all of them, an owner its organisation's."""
    query = select(BuildingOffer)
    if not policy.can(user, OFFER):
        policy.require(user, ANSWER)
        query = query.where(BuildingOffer.organisation_id == user.organisation_id)
    if status is not None:
        query = query.where(BuildingOffer.status == status)
    return list(
        session.exec(query.order_by(col(BuildingOffer.offered_at).desc(), col(BuildingOffer.id))).all()
    )


def has_offers(session: Session, user: User) -> bool:
    """Whether an owner's organisation has been offered any building (its menu shows the offers)."""
    if not policy.can(user, ANSWER) or policy.can(user, OFFER):
        return False
    found = session.exec(
        select(BuildingOffer.id).where(BuildingOffer.organisation_id == user.organisation_id)
    ).first()
    return found is not None


def offer_summary(session: Session, offers: Sequence[BuildingOffer]) -> list[dict[str, Any]]:
    """Each offer with its building and its candidates' figures (for pages and the API)."""
    out = []
    for offer in offers:
        building = session.get(Building, offer.building_id)
        candidates = list(
            session.exec(
                select(SurveyCandidate)
                .where(SurveyCandidate.building_id == offer.building_id)
                .order_by(col(SurveyCandidate.kwp).desc())
            ).all()
        )
        kwp = sum(c.kwp for c in candidates)
        mwh = sum(c.annual_kwh for c in candidates) / 1000
        out.append(
            {"offer": offer, "building": building, "candidates": candidates, "kwp": kwp, "annual_mwh": mwh}
        )
    return out


def _own_open_offer(session: Session, actor: User, offer_id: int) -> BuildingOffer:
    """An offer addressed to the actor's organisation and still open (or the reason it is not)."""
    policy.require(actor, ANSWER)
    offer = session.get(BuildingOffer, offer_id)
    if offer is None or offer.organisation_id != actor.organisation_id:
        raise NotFound("No offer with id {offer_id} for your organisation.", offer_id=offer_id)
    if offer.status != OfferStatus.offered:
        raise Conflict("Offer {offer_id} is already {status}.", offer_id=offer_id, status=offer.status)
    return offer


def _answer(session: Session, actor: User, offer: BuildingOffer, status: OfferStatus, action: str) -> None:
    before = audit.snapshot(offer)
    offer.status, offer.answered_at, offer.answered_by_id = status, datetime.now(UTC), actor.id
    session.add(offer)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="building_offer",
        entity_id=offer.id,
        action=action,
        before=before,
        after=audit.snapshot(offer),
    )


def confirm_offer(*, session: Session, actor: User, offer_id: int) -> BuildingOffer:
    """The owner takes the building: its site, with the candidates as draft surfaces."""
    offer = _own_open_offer(session, actor, offer_id)
    building = session.get(Building, offer.building_id)
    assert building is not None
    site = register.create_site(session=session, actor=actor, data=_site_data(building))
    assert site.id is not None
    session.add(SiteBuilding(site_id=site.id, building_id=offer.building_id))
    candidates = session.exec(
        select(SurveyCandidate)
        .where(
            SurveyCandidate.building_id == offer.building_id,
            SurveyCandidate.status != CandidateStatus.confirmed,
        )
        .order_by(col(SurveyCandidate.kind), col(SurveyCandidate.z_m), col(SurveyCandidate.id))
    ).all()
    for candidate in candidates:
        surface = register.create_surface(
            session=session, actor=actor, data=_surface_data(site.id, candidate)
        )
        candidate.status, candidate.surface_id = CandidateStatus.confirmed, surface.id
        session.add(candidate)
    offer.site_id = site.id
    _answer(session, actor, offer, OfferStatus.confirmed, "confirm")
    return offer


def _site_data(building: Building) -> SiteCreate:
    """The site a confirmed building becomes: what the stock knows of it."""
    footprint = building.footprint if (building.footprint or {}).get("type") == "Polygon" else None
    return SiteCreate(
        name=(building.name or f"Building {building.source_id}")[:200],
        address=building.address[:300],
        subdistrict=building.subdistrict,
        use=(building.use or "office")[:30],
        height_m=min(building.height_m or 0.0, 1000.0),
        storeys=building.storeys if building.storeys is not None and building.storeys <= 200 else None,
        footprint=footprint,
        lon=building.lon,
        lat=building.lat,
        external_ref=f"building:{building.id}",
    )


def _surface_data(site_id: int, candidate: SurveyCandidate) -> SurfaceCreate:
    """A candidate as a surveyed draft surface (tilt, azimuth and areas as the survey measured them)."""
    kind = SurfaceKind(candidate.kind)
    # a name in no one language (the register shows the kind beside it): storey and facing of a band
    label = f"{candidate.storey}F · {candidate.azimuth_deg:.0f}°" if candidate.storey is not None else ""
    gross = max(candidate.gross_area_m2, 0.01)
    return SurfaceCreate(
        site_id=site_id,
        kind=kind,
        name=label,
        tilt_deg=candidate.tilt_deg,
        azimuth_deg=candidate.azimuth_deg,
        gross_area_m2=gross,
        usable_area_m2=min(candidate.usable_area_m2, gross),
        height_m=max(
            0.0,
            min(candidate.band_bottom_m if candidate.band_bottom_m is not None else candidate.z_m, 1000.0),
        ),
        storey=candidate.storey,
        external_ref=f"survey:{candidate.id}",
    )


def decline_offer(*, session: Session, actor: User, offer_id: int, reason: str) -> BuildingOffer:
    """The owner declines, saying why (required); the building is unclaimed again."""
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("{field} is required: say why the building is declined.", field="reason")
    offer = _own_open_offer(session, actor, offer_id)
    offer.reason = text[:1000]
    _set_candidates(session, offer.building_id, CandidateStatus.unclaimed)
    _answer(session, actor, offer, OfferStatus.declined, "decline")
    return offer


def withdraw_offer(*, session: Session, actor: User, offer_id: int) -> BuildingOffer:
    """The office withdraws an offer not yet answered."""
    policy.require(actor, OFFER)
    offer = session.get(BuildingOffer, offer_id)
    if offer is None:
        raise NotFound("No offer with id {offer_id}.", offer_id=offer_id)
    if offer.status != OfferStatus.offered:
        raise Conflict("Offer {offer_id} is already {status}.", offer_id=offer_id, status=offer.status)
    _set_candidates(session, offer.building_id, CandidateStatus.unclaimed)
    _answer(session, actor, offer, OfferStatus.withdrawn, "withdraw")
    return offer


def require_owner_of(actor: User, offer: BuildingOffer) -> None:
    """Refuse an owner reading another organisation's offer."""
    if not policy.can(actor, OFFER) and offer.organisation_id != actor.organisation_id:
        raise PermissionDenied("This offer is not addressed to your organisation.")
