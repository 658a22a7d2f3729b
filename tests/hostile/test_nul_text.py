"""A NUL character in any text a user writes is refused with the same words, whatever the domain.

The register refused it; the tenders' own text type did not, and services fed from the pages took it
as it came (SQLite stores it, PostgreSQL fails on it). Now every input model uses one ``Text`` type
and no table's text column is written with a NUL on either database.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from pvhub.accounts.models import Organisation
from pvhub.construction.models import Milestone
from pvhub.core.errors import InvalidInput
from pvhub.programme.models import DemonstrationPoint
from pvhub.tendering.models import Tender
from tests.conftest import api_token
from tests.hostile.conftest import World
from tests.security.conftest import page_login

NUL = "Bund\x0018 roof"
DEADLINE = "2030-03-01T17:00:00+08:00"

# (method, path, body, field): every route whose body holds text a user writes, outside the register
TEXT_BODIES = [
    ("POST", "/api/v1/tenders", {"title": NUL, "deadline": DEADLINE, "bundle_ids": [1]}, "title"),
    (
        "POST",
        "/api/v1/tenders",
        {"title": "R", "title_en": NUL, "deadline": DEADLINE, "bundle_ids": [1]},
        "title_en",
    ),
    ("PATCH", "/api/v1/tenders/1", {"description": NUL}, "description"),
    ("POST", "/api/v1/tenders/1/cancel", {"reason": NUL}, "reason"),
    (
        "POST",
        "/api/v1/tenders/1/bids",
        {
            "lot_id": 1,
            "total_price_cny": 1e6,
            "schedule_days": 90,
            "module_tier": "tier1",
            "inverter_tier": "tier1",
            "warranty_years": 10,
            "notes": NUL,
        },
        "notes",
    ),
    ("POST", "/api/v1/tenders/1/awards/override", {"lot_id": 1, "bid_id": 1, "reason": NUL}, "reason"),
    ("POST", "/api/v1/awards/1/objections", {"text": NUL}, "text"),
    ("POST", "/api/v1/objections/1/answer", {"response": NUL}, "response"),
    ("POST", "/api/v1/awards/1/decline", {"reason": NUL}, "reason"),
    ("PATCH", "/api/v1/suppliers/me", {"certifications": NUL}, "certifications"),
    (
        "POST",
        "/api/v1/surfaces/1/milestones",
        {"kind": "design_approved", "date": "2026-01-05", "note": NUL},
        "note",
    ),
    ("POST", "/api/v1/milestones/1/send-back", {"reason": NUL}, "reason"),
    ("POST", "/api/v1/demonstration-points", {"site_ids": [1], "name": NUL}, "name"),
    ("POST", "/api/v1/organisations", {"name": NUL, "kind": "owner"}, "name"),
    (
        "POST",
        "/api/v1/users",
        {"email": "a@b.cn", "full_name": NUL, "organisation": "O", "password": "x" * 12},
        "full_name",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), TEXT_BODIES, ids=lambda v: str(v)[:40])
def test_every_api_text_refuses_a_nul_with_the_registers_words(
    client: TestClient, world: World, method: str, path: str, body: dict[str, object], field: str
) -> None:
    response = client.request(method, path, json=body, headers=api_token(client, world.office))
    assert response.status_code == 422, response.text[:300]
    (error,) = response.json()["detail"]
    assert error["loc"][-1] == field and error["msg"] == "Value error, must not contain a NUL character"


def test_the_register_says_the_same(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/sites",
        json={"name": NUL, "lon": 121.485, "lat": 31.235},
        headers=api_token(client, world.owner),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == "Value error, must not contain a NUL character"


def test_a_tender_form_with_a_nul_says_so_on_the_page(
    client: TestClient, world: World, session: Session
) -> None:
    token = page_login(client, world.office)
    client.cookies.set("lang", "zh_CN")
    response = client.post("/tenders/new", data={"csrf_token": token, "title": NUL, "bundle_ids": "1"})
    assert response.status_code == 422 and "不能包含 NUL 字符" in response.text
    assert session.exec(select(func.count()).select_from(Tender)).one() == 0


def test_a_page_that_hands_text_to_a_service_refuses_a_nul_too(
    client: TestClient, world: World, session: Session
) -> None:
    """/accounts validates with the API's own model (pvhub.accounts.schemas): a NUL is refused on its
    field."""
    token = page_login(client, world.office)
    client.cookies.set("lang", "en")
    before = session.exec(select(func.count()).select_from(Organisation)).one()
    response = client.post(
        "/accounts/organisations", data={"csrf_token": token, "name": NUL, "kind": "owner"}
    )
    assert response.status_code == 200  # back on /accounts, with the refusal
    assert "Name: must not contain a NUL character." in response.text  # the field by its label
    assert session.exec(select(func.count()).select_from(Organisation)).one() == before


@pytest.mark.parametrize(
    ("row", "field"),
    [
        (lambda: DemonstrationPoint(name=NUL), "name"),
        (lambda: Milestone(surface_id=1, kind="design_approved", note=NUL), "note"),
        (lambda: Organisation(name="O", kind="owner", certifications=NUL), "certifications"),
    ],
    ids=["demonstration point", "milestone note", "certifications"],
)
def test_no_table_takes_a_nul_in_its_text(session: Session, row: object, field: str) -> None:
    """Whichever way the text came, on SQLite as on PostgreSQL: before anything is written."""
    session.add(row())  # type: ignore[operator]
    with pytest.raises(InvalidInput) as raised:
        session.flush()
    assert raised.value.field == field and "NUL" in raised.value.message
    session.rollback()
