"""The demo's survey: one building offered to owner01 at once, the whole district surveyed after start-up.

Surveying the demo's ~3,100 buildings inside the district takes about 16 s on two cores (34,000
candidates: 5 s to derive and estimate them, the rest to store them; measured for issue #18), too
long to add to ``pvhub demo``. So the demo surveys only the building it offers (about a second),
offers it to owner01's organisation — so the authorisation matrix has a pending offer to probe —
and queues the full survey for the app process that starts next (``make run``), which runs it as a
job after start-up; the office follows it on the job page, and the offered building keeps its
``offered`` candidates through it.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from pvhub.accounts.models import User
from pvhub.survey import offers
from pvhub.survey import service as survey
from pvhub.survey.models import Building, BuildingOffer, SiteBuilding

OFFERED_TO = "owner01@demo.pvhub"


def load_demo_survey(session: Session, office_email: str) -> BuildingOffer:
    """Offer the tallest unowned building inside the district to owner01; queue the full survey."""
    office = session.exec(select(User).where(User.email == office_email)).one()
    owner = session.exec(select(User).where(User.email == OFFERED_TO)).one()
    owned = select(SiteBuilding.building_id)
    building = session.exec(
        select(Building)
        .where(
            col(Building.inside_district), col(Building.id).not_in(owned), col(Building.height_m).is_not(None)
        )
        .order_by(col(Building.height_m).desc(), col(Building.id))
    ).first()
    if building is None or building.id is None:
        raise RuntimeError("the demo's building stock has no unowned building inside the district to offer")
    survey.run_survey(session=session, building_ids=[building.id], started_by_id=office.id)
    made = offers.offer_buildings(
        session=session, actor=office, building_ids=[building.id], organisation_id=owner.organisation_id
    )
    survey.queue_for_start(session=session)
    return made[0]
