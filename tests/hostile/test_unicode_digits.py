"""Ids written with digits that are not ASCII ('²', '٣', full-width '１'): str.isdigit() takes them all,
and int() then fails on '²' (a 500) and reads the others as some other id. Every form, link and file
that carries an id refuses them with a message naming the field, and drops none silently."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from pvhub.bundling.models import Bundle, BundleSite
from pvhub.bundling.runs import _next_code
from pvhub.core.ids import MAX_ID, ascii_id
from pvhub.programme.models import DemonstrationPoint
from tests.conftest import add_site, api_token
from tests.hostile.conftest import World
from tests.hostile.corpus import UNICODE_DIGITS
from tests.security.conftest import page_login

# Not ids either, and once silently dropped or read as "none"
NOT_IDS = [*UNICODE_DIGITS, "x", "-3", "1.0", "0", str(MAX_ID + 1)]


@pytest.mark.parametrize("raw", NOT_IDS)
def test_the_shared_parser_reads_ascii_ids_only(raw: str) -> None:
    assert ascii_id(raw) is None
    assert ascii_id(" 42 ") == 42 and ascii_id(str(MAX_ID)) == MAX_ID


@pytest.fixture
def office_page(client: TestClient, world: World) -> str:
    token = page_login(client, world.office)
    client.cookies.set("lang", "en")
    return token


@pytest.mark.parametrize("raw", UNICODE_DIGITS)
def test_a_construction_filter_by_a_point_that_is_not_an_id_is_refused(
    client: TestClient, office_page: str, raw: str
) -> None:
    response = client.get("/construction", params={"point": raw})
    assert response.status_code == 422
    assert "is not an id" in response.text and "point" in response.text


def test_an_empty_point_filter_is_no_filter(client: TestClient, office_page: str) -> None:
    assert client.get("/construction", params={"point": ""}).status_code == 200


@pytest.mark.parametrize("raw", UNICODE_DIGITS)
def test_a_meter_reading_of_a_surface_id_that_is_not_an_id_names_the_line(
    client: TestClient, world: World, session: Session, raw: str
) -> None:
    content = f"surface_id,month,energy_kwh\n{raw},2025-01,100\n".encode()
    response = client.post(
        "/api/v1/measured-energy/import",
        files={"file": ("meter.csv", content)},
        headers=api_token(client, world.office),
    )
    assert response.status_code == 422, response.text
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(2, "surface_id")]
    assert "not a surface id" in response.json()["errors"][0]["message"]


def test_a_meter_reading_beyond_the_id_range_is_a_row_error(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/measured-energy",
        json={"rows": [{"surface_id": 2**70, "month": "2025-01", "energy_kwh": 1}]},
        headers=api_token(client, world.office),
    )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "surface_id"


@pytest.mark.parametrize("raw", UNICODE_DIGITS)
def test_a_tender_for_bundles_that_are_not_ids_is_refused_on_the_form(
    client: TestClient, office_page: str, raw: str
) -> None:
    response = client.post(
        "/tenders/new",
        data={"csrf_token": office_page, "title": "Round 1", "bundle_ids": ["1", raw]},
    )
    assert response.status_code == 422
    assert "is not an id" in response.text


def _flash_after(client: TestClient, response_url: str) -> str:
    return client.get(response_url).text


@pytest.mark.parametrize("raw", UNICODE_DIGITS)
def test_a_demonstration_point_of_sites_that_are_not_ids_is_refused(
    client: TestClient, world: World, session: Session, office_page: str, raw: str
) -> None:
    site, _ = add_site(session, world.owner_org, "Bund 18")
    response = client.post(
        "/demonstration",
        data={"csrf_token": office_page, "site_ids": [str(site.id), raw], "name": "P"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "is not an id" in _flash_after(client, response.headers["location"])
    response = client.post(
        "/bundles/points",
        data={"csrf_token": office_page, "site_ids": f"{site.id},{raw}", "name": "P"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "is not an id" in _flash_after(client, response.headers["location"])
    assert session.exec(select(DemonstrationPoint)).all() == []


@pytest.mark.parametrize("raw", [*UNICODE_DIGITS, "x"])
def test_moving_a_site_to_a_bundle_that_is_not_an_id_leaves_it_where_it_is(
    client: TestClient, world: World, session: Session, office_page: str, raw: str
) -> None:
    """Once, any target that was not digits meant 'out of bundling'."""
    site, _ = add_site(session, world.owner_org, "Bund 18")
    bundle = Bundle(code="BDL-001")
    session.add(bundle)
    session.flush()
    assert bundle.id is not None and site.id is not None
    session.add(BundleSite(bundle_id=bundle.id, site_id=site.id))
    session.commit()
    response = client.post(
        "/bundles/move",
        data={"csrf_token": office_page, "site_id": str(site.id), "bundle_id": raw},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert "is not an id" in _flash_after(client, response.headers["location"])
    session.expire_all()
    assert session.exec(select(BundleSite.bundle_id).where(BundleSite.site_id == site.id)).one() == bundle.id


def test_the_next_bundle_code_ignores_codes_that_are_not_numbered_in_ascii(
    session: Session, world: World
) -> None:
    session.add_all([Bundle(code="BDL-002"), Bundle(code="BDL-²"), Bundle(code="BDL-１２")])
    session.commit()
    assert _next_code(session) == 3


def test_the_chinese_form_names_the_field_and_the_problem_in_chinese(
    client: TestClient, world: World
) -> None:
    token = page_login(client, world.office)
    client.cookies.set("lang", "zh_CN")
    response = client.post("/tenders/new", data={"csrf_token": token, "title": "第一轮", "bundle_ids": "²"})
    assert response.status_code == 422
    assert "打包项目：" in response.text and "不是编号" in response.text
