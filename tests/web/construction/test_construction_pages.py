"""Construction pages and API: an award confirmed on its page is under construction at once, and
reading the construction pages and the API writes nothing (construction starts where awards change)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from pvhub.construction.models import Construction, Milestone
from pvhub.construction.service import ORDER, today_in
from pvhub.core.audit_events import AuditEvent
from pvhub.tendering import awards
from pvhub.tendering import bids as tenders_bids
from pvhub.tendering.models import Award, Bid, Tender
from tests.conftest import api_token
from tests.pvhub.programme_state import confirmed_award, estimated_site
from tests.pvhub.tendering.test_tenders_api import open_round, pass_deadline
from tests.pvhub.tenderworld import World, bid, build_world, lot_ids
from tests.web.test_pages import csrf_of, login

WRITES = ("INSERT", "UPDATE", "DELETE")


@contextmanager
def statements_written(engine: Engine) -> Iterator[list[str]]:
    """Every INSERT, UPDATE or DELETE the app sends to the database meanwhile."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in WRITES:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _count(session: Session, model: Any) -> int:
    return len(session.exec(select(model)).all())


def _published_winner(session: Session, world: World) -> tuple[Tender, Award]:
    """Supplier 1 won lot 1 (a 200-day schedule); its award is published, with no publicity period."""
    tender = open_round(session, world, publicity_days=0)
    lots = lot_ids(session, tender)
    now = datetime.now(UTC)
    bid(session, world.suppliers[0], tender, lots[0], 1_000_000, at=now, schedule_days=200)
    pass_deadline(session, tender)
    [placed] = session.exec(select(Bid)).all()
    tenders_bids.set_technical_score(
        session=session, actor=world.office, bid_id=placed.id or 0, technical_score=80
    )
    awards.run_now(session=session, actor=world.office, tender_id=tender.id or 0)
    [award] = awards.start_publicity(session=session, actor=world.office, tender_id=tender.id or 0)
    session.commit()
    return tender, award


def test_an_award_confirmed_on_its_page_is_built_at_once_and_reading_writes_nothing(
    client: TestClient, session: Session, make_user: Any
) -> None:
    world = build_world(session, make_user)
    tender, award = _published_winner(session, world)

    login(client, "office@t.cn")
    token = csrf_of(client.get(f"/tenders/{tender.id}/award").text)
    confirmed = client.post(f"/awards/{award.id}/confirm", data={"csrf_token": token}, follow_redirects=False)
    assert confirmed.status_code == 303
    session.expire_all()
    [started] = session.exec(select(Construction)).all()  # no read needed: confirming started it
    assert started.award_id == award.id and started.schedule_days == 200
    surface = started.surface_id
    # An award confirmed around the services (as in a database written before construction started
    # at confirmation): a read must not start it either; the app's start-up catches up with it.
    site, _ = estimated_site(session, world.owner.organisation_id, "Written before", [("roof", 30, 50.0)])
    confirmed_award(session, world.suppliers[1].organisation_id, [site.id or 0])
    headers = {who: api_token(client, f"{who}@t.cn") for who in ("office", "s1", "owner")}
    before = {model: _count(session, model) for model in (Construction, Milestone, AuditEvent)}

    with statements_written(client.app.state.engine) as written:  # type: ignore[attr-defined]
        page = client.get(f"/construction/surfaces/{surface}", headers={"Accept-Language": "en"})
        assert page.status_code == 200 and all(f'id="m-{kind.value}"' in page.text for kind in ORDER)
        for path in ("/construction", "/construction?stage=awarded", "/construction?overdue=1"):
            assert client.get(path).status_code == 200
        for who, header in headers.items():
            milestones = client.get(f"/api/v1/surfaces/{surface}/milestones", headers=header)
            assert milestones.status_code == 200, (who, milestones.text)
            assert [m["kind"] for m in milestones.json()["milestones"]] == [k.value for k in ORDER]
            for path in (
                "/api/v1/programme/progress.csv",
                "/api/v1/programme/progress.geojson",
                "/api/v1/progress/surfaces?stage=awarded",
            ):
                assert client.get(path, headers=header).status_code == 200, (who, path)
        assert client.get("/api/v1/progress/overdue", headers=headers["office"]).status_code == 200
        assert client.get("/public").status_code == 200
        progress = client.get("/api/v1/programme/progress").json()  # public
        assert {s["stage"]: s["surfaces"] for s in progress["stages"]}["awarded"] == 1
    assert written == []
    session.expire_all()
    assert {model: _count(session, model) for model in before} == before

    client.cookies.clear()
    login(client, "s1@t.cn")  # the winner's pages read the same, and write nothing either
    with statements_written(client.app.state.engine) as written:  # type: ignore[attr-defined]
        assert client.get("/construction").status_code == 200
        mine = client.get(f"/construction/surfaces/{surface}")
        assert mine.status_code == 200 and 'id="report"' in mine.text
    assert written == []


def test_a_milestone_form_the_api_would_refuse_is_refused_on_the_page_with_the_fields_message(
    client: TestClient, session: Session, make_user: Any
) -> None:
    """The report and send-back forms are read into the API's models: a note or a reason over their
    maximum is the field's message on the page (no JSON error), as the API refuses it, and nothing
    is stored."""
    world = build_world(session, make_user)
    _, award = _published_winner(session, world)
    awards.confirm(session=session, actor=world.office, award_id=award.id or 0)
    session.commit()
    surface = session.exec(select(Construction)).one().surface_id
    page = f"/construction/surfaces/{surface}"
    body = {"kind": "design_approved", "date": today_in().isoformat(), "note": "说" * 2001}
    api = client.post(
        f"/api/v1/surfaces/{surface}/milestones", json=body, headers=api_token(client, "s1@t.cn")
    )
    assert api.status_code == 422 and api.json()["detail"][0]["loc"][-1] == "note"
    client.headers["Accept-Language"] = "en"
    login(client, "s1@t.cn")
    token = csrf_of(client.get(page).text)
    form = {"csrf_token": token, "kind": "design_approved", "reached_on": body["date"], "note": body["note"]}
    refused = client.post(f"{page}/report", data=form, follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"] == page
    assert "Note: may have at most 2000 characters." in client.get(page).text
    session.expire_all()
    assert all(m.reported_at is None for m in session.exec(select(Milestone)).all())

    reported = client.post(f"{page}/report", data={**form, "note": "设计审查通过"}, follow_redirects=False)
    assert reported.status_code == 303
    session.expire_all()
    [milestone] = [m for m in session.exec(select(Milestone)).all() if m.reported_at is not None]
    client.cookies.clear()
    login(client, "office@t.cn")
    token = csrf_of(client.get(page).text)
    sent_back = client.post(
        f"/construction/milestones/{milestone.id}/send-back",
        data={"csrf_token": token, "reason": "缺" * 2001},
        follow_redirects=False,
    )
    assert (
        sent_back.status_code == 303 and "Reason: may have at most 2000 characters." in client.get(page).text
    )
    session.expire_all()
    assert session.get(Milestone, milestone.id).sent_back_reason is None  # type: ignore[union-attr]
