"""The survey run, the potential and the offers, on a real database and the real engine."""

from __future__ import annotations

import time

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from pvhub.core.enums import Role
from pvhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from pvhub.jobs import service as jobs
from pvhub.jobs.models import Job
from pvhub.notifications.models import Notification
from pvhub.register.enums import SurfaceStatus
from pvhub.register.models import Site, Surface
from pvhub.survey import offers, potential
from pvhub.survey import service as survey
from pvhub.survey.enums import CandidateStatus, OfferStatus
from pvhub.survey.models import Building, SiteBuilding, SurveyCandidate, SurveyRun
from pvhub.survey.rules import SurveyRules
from tests.pvhub.survey.survey_world import seed_stock

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _candidates(session: Session) -> list[SurveyCandidate]:
    session.expire_all()
    return list(session.exec(select(SurveyCandidate).order_by(col(SurveyCandidate.id))).all())


def test_survey_estimates_the_candidates_of_buildings_inside_the_district(session: Session) -> None:
    buildings = seed_stock(session, n=4, neighbours=1)
    run = survey.run_survey(session=session)
    session.commit()
    rows = _candidates(session)
    neighbour = buildings[-1].id
    assert rows and all(c.building_id != neighbour for c in rows)
    roofs = [c for c in rows if c.kind == "roof"]
    assert {c.building_id for c in roofs} == {b.id for b in buildings[:-1]}
    # a flat roof in Shanghai: about 1,000–1,250 kWh/kWp on the embedded year (benchmarks/README.md)
    assert all(900 < c.kwh_per_kwp < 1400 and c.kwp > 0 for c in roofs)
    walls = [c for c in rows if c.kind == "curtain_wall"]
    assert walls and all(c.band_top_m is not None and c.band_bottom_m is not None for c in walls)
    assert run.candidates == len(rows)
    assert run.totals["kwp"] == pytest.approx(sum(c.kwp for c in rows), abs=0.2)
    assert run.totals["roof_kwp"] + run.totals["facade_kwp"] == pytest.approx(run.totals["kwp"], abs=0.2)
    assert run.weather_sha256 and run.rules["min_kwh_per_kwp"] == 600.0
    # what was left out is listed per building with its reason (east/west walls under the yield floor)
    session.refresh(buildings[0])
    assert buildings[0].survey_skipped and all(s["reason"] for s in buildings[0].survey_skipped)


def test_rerun_leaves_confirmed_candidates_alone_and_updates_the_rest(session: Session) -> None:
    seed_stock(session, n=3, neighbours=0)
    survey.run_survey(session=session)
    session.commit()
    first = _candidates(session)
    kept = first[0]
    kept.status, kept.kwp = CandidateStatus.confirmed, 123.456
    session.add(kept)
    session.commit()
    # a second run with other rules: bands of 6 m instead of storeys
    survey.run_survey(session=session, rules=SurveyRules(band_height_m=6.0))
    session.commit()
    second = _candidates(session)
    again = next(c for c in second if c.id == kept.id)
    assert again.kwp == 123.456 and again.status == CandidateStatus.confirmed
    walls_before = {c.key for c in first if c.kind == "curtain_wall"}
    walls_after = {c.key for c in second if c.kind == "curtain_wall"}
    assert walls_before != walls_after  # re-banded: old unconfirmed bands deleted, new ones created
    assert len(session.exec(select(SurveyRun)).all()) == 2


def test_a_failing_run_leaves_the_database_as_it_was(engine: Engine, session: Session, make_user) -> None:
    office = make_user("office@survey.test", Role.office)
    buildings = seed_stock(session, n=2, neighbours=0)
    survey.run_survey(session=session)
    session.commit()
    before = [(c.id, c.kwp, c.key) for c in _candidates(session)]
    # a building whose stored shape is broken (a face with one vertex) makes the run fail
    broken = session.get(Building, buildings[0].id)
    assert broken is not None
    broken.faces = [
        *broken.faces,
        {"object": None, "indices": [9], "kind": "roof", "semantic": None, "rings": [[[0, 0]]]},
    ]
    session.add(broken)
    session.commit()
    job = survey.request_survey(session=session, actor=office)
    session.commit()
    assert job.id is not None
    jobs.run(engine, job.id)
    session.expire_all()
    done = session.get(Job, job.id)
    assert done is not None and done.status == "failed" and done.error
    assert [(c.id, c.kwp, c.key) for c in _candidates(session)] == before
    assert len(session.exec(select(SurveyRun)).all()) == 1


def test_survey_job_runs_with_progress_and_one_at_a_time(engine: Engine, session: Session, make_user) -> None:
    office = make_user("office@survey.test", Role.office)
    owner = make_user("owner@survey.test", Role.owner)
    seed_stock(session, n=2, neighbours=0)
    with pytest.raises(PermissionDenied):
        survey.request_survey(session=session, actor=owner)
    job = survey.request_survey(session=session, actor=office)
    session.commit()
    with pytest.raises(Conflict):
        survey.request_survey(session=session, actor=office)
    assert job.id is not None
    jobs.run(engine, job.id)
    session.expire_all()
    done = session.get(Job, job.id)
    assert done is not None, job.id
    assert done.status == "succeeded", done.error
    assert done.result is not None and done.result["candidates"] > 0 and done.progress == 1.0
    run = session.exec(select(SurveyRun)).one()
    assert run.job_id == job.id and run.started_by_id == office.id


def test_no_stock_no_survey(session: Session, make_user) -> None:
    office = make_user("office@survey.test", Role.office)
    with pytest.raises(Conflict, match="import the building stock"):
        survey.request_survey(session=session, actor=office)


def test_potential_ranks_filters_and_hides_names_from_the_public(session: Session) -> None:
    seed_stock(session, n=4, neighbours=0)
    survey.run_survey(session=session)
    session.commit()
    page = potential.potential(session=session, filters=potential.PotentialFilters(), page=1, page_size=2)
    assert page.total == 4 and page.pages == 2 and len(page.items) == 2
    assert page.items[0].kwp >= page.items[1].kwp
    assert page.kwp == pytest.approx(page.roof_kwp + page.facade_kwp + page.other_kwp, abs=0.2)
    assert page.items[0].name and page.items[0].owner_status == "unclaimed"
    public = potential.potential(session=session, filters=potential.PotentialFilters(), public=True)
    assert all(b.name is None and b.address is None and b.owner_status is None for b in public.items)
    roofs = potential.potential(session=session, filters=potential.PotentialFilters(kind="roof"))
    assert roofs.facade_kwp == 0 and roofs.roof_kwp > 0
    south = potential.potential(session=session, filters=potential.PotentialFilters(orientation="S"))
    assert south.roof_kwp == 0 and south.facade_kwp > 0  # flat roofs are "flat", not south
    with pytest.raises(InvalidInput, match="orientation"):
        potential.PotentialFilters(orientation="up")
    doc = potential.map_features(session=session, filters=potential.PotentialFilters(), public=True)
    assert len(doc["features"]) == 4 and doc["features"][0]["geometry"]["type"] == "Polygon"
    assert "name" not in doc["features"][0]["properties"]
    text = potential.candidates_csv(session=session, filters=potential.PotentialFilters())
    assert (
        text.splitlines()[0].startswith("building_id,")
        and len(text.splitlines()) == len(_candidates(session)) + 1
    )


def _offered_world(session: Session, make_user):
    office = make_user("office@survey.test", Role.office)
    owner = make_user("owner@survey.test", Role.owner, "业主甲")
    other = make_user("other@survey.test", Role.owner, "业主乙")
    buildings = seed_stock(session, n=4, neighbours=1)
    survey.run_survey(session=session)
    session.commit()
    return office, owner, other, buildings


def test_confirm_creates_the_site_with_draft_surfaces(session: Session, make_user) -> None:
    office, owner, other, buildings = _offered_world(session, make_user)
    target = buildings[1]
    made = offers.offer_buildings(
        session=session, actor=office, building_ids=[target.id or 0], organisation_id=owner.organisation_id
    )
    session.commit()
    note = session.exec(
        select(Notification).where(Notification.organisation_id == owner.organisation_id)
    ).one()
    assert note.kind == "survey_offer"
    assert [o.id for o in offers.offers_for(session=session, user=owner)] == [made[0].id]
    assert offers.offers_for(session=session, user=other) == []
    with pytest.raises(NotFound):
        offers.confirm_offer(session=session, actor=other, offer_id=made[0].id or 0)
    offer = offers.confirm_offer(session=session, actor=owner, offer_id=made[0].id or 0)
    session.commit()
    assert offer.status == OfferStatus.confirmed and offer.site_id is not None
    site = session.get(Site, offer.site_id)
    assert site is not None and site.organisation_id == owner.organisation_id and site.name == target.name
    assert site.subdistrict == "外滩街道"
    surfaces = session.exec(select(Surface).where(Surface.site_id == site.id)).all()
    cands = [c for c in _candidates(session) if c.building_id == target.id]
    assert len(surfaces) == len(cands) > 0
    assert all(s.status == SurfaceStatus.draft for s in surfaces)
    assert all(c.status == CandidateStatus.confirmed and c.surface_id for c in cands)
    assert {s.id for s in surfaces} == {c.surface_id for c in cands}
    assert (
        session.exec(select(SiteBuilding).where(SiteBuilding.site_id == site.id)).one().building_id
        == target.id
    )
    with pytest.raises(Conflict, match="already owned"):
        offers.offer_buildings(
            session=session,
            actor=office,
            building_ids=[target.id or 0],
            organisation_id=other.organisation_id,
        )


def test_decline_needs_a_reason_and_frees_the_building(session: Session, make_user) -> None:
    office, owner, _other, buildings = _offered_world(session, make_user)
    made = offers.offer_buildings(
        session=session,
        actor=office,
        building_ids=[buildings[0].id or 0],
        organisation_id=owner.organisation_id,
    )
    session.commit()
    with pytest.raises(InvalidInput, match="reason"):
        offers.decline_offer(session=session, actor=owner, offer_id=made[0].id or 0, reason="  ")
    offer = offers.decline_offer(
        session=session, actor=owner, offer_id=made[0].id or 0, reason="已出租给他人"
    )
    session.commit()
    assert offer.status == OfferStatus.declined and offer.reason == "已出租给他人"
    assert offers.building_state(session, [buildings[0].id or 0]) == {buildings[0].id: "unclaimed"}
    assert all(c.status == CandidateStatus.unclaimed for c in _candidates(session))
    with pytest.raises(Conflict, match="already declined"):
        offers.confirm_offer(session=session, actor=owner, offer_id=made[0].id or 0)


def test_offers_refused_with_the_reason(session: Session, make_user) -> None:
    office, owner, other, buildings = _offered_world(session, make_user)
    supplier = make_user("s@survey.test", Role.supplier)
    with pytest.raises(InvalidInput, match="owners only"):
        offers.offer_buildings(
            session=session,
            actor=office,
            building_ids=[buildings[0].id or 0],
            organisation_id=supplier.organisation_id,
        )
    with pytest.raises(PermissionDenied):
        offers.offer_buildings(
            session=session,
            actor=owner,
            building_ids=[buildings[0].id or 0],
            organisation_id=owner.organisation_id,
        )
    with pytest.raises(Conflict, match="outside the district"):
        offers.offer_buildings(
            session=session,
            actor=office,
            building_ids=[buildings[-1].id or 0],
            organisation_id=owner.organisation_id,
        )
    offers.offer_buildings(
        session=session,
        actor=office,
        building_ids=[buildings[0].id or 0],
        organisation_id=owner.organisation_id,
    )
    session.commit()
    # all or nothing: one building already offered refuses the whole offer, naming it
    with pytest.raises(Conflict, match=f"Building {buildings[0].id} is already offered"):
        offers.offer_buildings(
            session=session,
            actor=office,
            building_ids=[buildings[1].id or 0, buildings[0].id or 0],
            organisation_id=other.organisation_id,
        )
    session.rollback()
    assert offers.building_state(session, [buildings[1].id or 0]) == {buildings[1].id: "unclaimed"}
    offer = offers.offers_for(session=session, user=office)[0]
    withdrawn = offers.withdraw_offer(session=session, actor=office, offer_id=offer.id or 0)
    assert withdrawn.status == OfferStatus.withdrawn
    count = session.exec(
        select(func.count())
        .select_from(SurveyCandidate)
        .where(SurveyCandidate.status == CandidateStatus.offered)
    ).one()
    assert count == 0


def test_a_survey_queued_for_start_up_waits_and_then_runs(engine: Engine, session: Session) -> None:
    seed_stock(session, n=2, neighbours=0)
    job = survey.queue_for_start(session=session)
    session.commit()
    # a restart's recovery does not take it for a job whose process died
    jobs.recover_interrupted(engine)
    session.expire_all()
    waiting = session.get(Job, job.id)
    assert waiting is not None and waiting.status == "queued"
    started = survey.start_queued_on_start(engine)
    assert started == [job.id]
    for _ in range(300):
        session.expire_all()
        done = session.get(Job, job.id)
        if done is not None and done.status not in ("queued", "running"):
            break
        time.sleep(0.1)
    assert done is not None
    assert done.status == "succeeded", done.error
    assert survey.start_queued_on_start(engine) == []  # taken once


def test_a_survey_of_some_buildings_leaves_the_others_alone(session: Session) -> None:
    buildings = seed_stock(session, n=3, neighbours=0)
    survey.run_survey(session=session)
    session.commit()
    before = {c.id: c.computed_at for c in _candidates(session) if c.building_id != buildings[0].id}
    survey.run_survey(session=session, building_ids=[buildings[0].id or 0])
    session.commit()
    after = {c.id: c.computed_at for c in _candidates(session) if c.building_id != buildings[0].id}
    assert after == before and before
