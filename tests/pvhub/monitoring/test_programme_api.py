"""The programme's targets and totals: reading them never writes, the office's first change stores them."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session, SQLModel
from sqlmodel import select as sql_select

from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role
from pvhub.programme import service as programme_service
from pvhub.programme.models import Programme
from tests.conftest import api_token


def row_counts(session: Session) -> dict[str, int]:
    session.expire_all()
    return {
        table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
        for table in SQLModel.metadata.sorted_tables
    }


def test_reading_the_programme_on_a_fresh_database_writes_nothing(
    client: TestClient, session: Session, make_user: Any
) -> None:
    make_user("o@x.cn", Role.office, "Office")
    headers = api_token(client, "o@x.cn")
    before = row_counts(session)
    assert before["programme"] == 0

    totals = client.get("/api/v1/programme/totals")
    assert totals.status_code == 200 and totals.json()["target_kwp"] == 10_000
    targets = client.get("/api/v1/programme", headers=headers)
    assert targets.status_code == 200 and targets.json()["demo_points_max"] == 2
    for page in ("/", "/public"):  # a visitor's home page is the public page, which shows the totals
        assert client.get(page).status_code == 200

    assert row_counts(session) == before


def test_the_defaults_read_before_any_change_are_not_added_to_the_session(session: Session) -> None:
    programme = programme_service.get_programme(session=session)
    assert programme.target_kwp == 10_000 and programme.id is None
    assert programme not in session and not session.new


def test_the_offices_first_change_stores_the_programme_with_its_defaults(
    client: TestClient, session: Session, make_user: Any
) -> None:
    make_user("o@x.cn", Role.office, "Office")
    headers = api_token(client, "o@x.cn")
    changed = client.patch("/api/v1/programme", json={"target_kwp": 12_500}, headers=headers)
    assert changed.status_code == 200
    assert changed.json()["target_kwp"] == 12_500 and changed.json()["demo_points_max"] == 2

    session.expire_all()
    stored = session.exec(sql_select(Programme)).one()
    assert stored.target_kwp == 12_500 and stored.demo_point_radius_m == 100
    event = session.exec(sql_select(AuditEvent).where(AuditEvent.entity == "programme")).one()
    assert event.entity_id == str(stored.id)
    assert event.after is not None and event.after["target_kwp"] == 12_500
    assert client.get("/api/v1/programme/totals").json()["target_kwp"] == 12_500


def test_a_refused_first_change_stores_nothing(client: TestClient, session: Session, make_user: Any) -> None:
    make_user("o@x.cn", Role.office, "Office")
    headers = api_token(client, "o@x.cn")
    before = row_counts(session)
    refused = client.patch("/api/v1/programme", json={"demo_points_min": 5}, headers=headers)
    assert refused.status_code == 422 and refused.json()["field"] == "demo_points_min"
    assert row_counts(session) == before
