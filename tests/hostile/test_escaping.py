"""Names with script tags and spreadsheet formulas are stored as typed, shown escaped on every page,
kept exact in JSON and GeoJSON, and neutralised in every CSV export."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from pvhub.register.enums import SurfaceStatus
from pvhub.register.exports import neutralise
from pvhub.register.models import Site, Surface
from tests.conftest import api_token
from tests.hostile.conftest import World
from tests.hostile.corpus import CSV_HEADER, FORMULA, LAT, LON, SCRIPT
from tests.security.conftest import page_login
from tests.security.routes import page_routes

IMG = "</script><img src=x onerror=alert(1)>"
FORMULAS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


@pytest.fixture
def planted(client: TestClient, world: World, session: Session) -> tuple[int, int]:
    """A site named with a script tag and addressed with a formula; its roof named with an image tag."""
    content = f'{CSV_HEADER},surface_name\r\n"{SCRIPT}","{FORMULA}",{LON},{LAT},roof,0,,100,,,"{IMG}"\r\n'
    response = client.post(
        "/api/v1/imports",
        files={"file": ("sites.csv", content.encode())},
        headers=api_token(client, world.owner),
    )
    assert response.status_code == 200, response.text
    site = session.exec(select(Site)).one()
    surface = session.exec(select(Surface)).one()
    surface.status = SurfaceStatus.submitted  # so the review pages list it too
    session.add(surface)
    session.commit()
    assert site.id is not None and surface.id is not None
    return site.id, surface.id


def test_every_page_shows_the_names_escaped(
    client: TestClient, world: World, planted: tuple[int, int]
) -> None:
    site_id, surface_id = planted
    values = {"site_id": site_id, "surface_id": surface_id, "locale": "en"}
    pages = [r for r in page_routes(client.app) if r.method == "GET"]  # type: ignore[arg-type]
    shown = 0
    for who in (world.owner, world.office):
        page_login(client, who)
        for route in pages:
            response = client.get(route.url({p: values.get(p, 1) for p in route.params}))
            assert response.status_code < 500, f"{route} as {who}: {response.status_code}"
            if not response.headers.get("content-type", "").startswith("text/html"):
                continue
            assert "<script>alert" not in response.text, f"{route} as {who} shows a live script tag"
            assert "<img src=x" not in response.text, f"{route} as {who} shows a live image tag"
            shown += "&lt;script&gt;alert" in response.text or "\\u003cscript\\u003ealert" in response.text
    assert shown >= 4, "the planted name appears (escaped) on the register pages"


def test_json_keeps_the_exact_text(client: TestClient, world: World, planted: tuple[int, int]) -> None:
    site_id, surface_id = planted
    headers = api_token(client, world.owner)
    site = client.get(f"/api/v1/sites/{site_id}", headers=headers)
    assert site.headers["content-type"].startswith("application/json")
    assert site.json()["name"] == SCRIPT and site.json()["address"] == FORMULA
    assert client.get(f"/api/v1/surfaces/{surface_id}", headers=headers).json()["name"] == IMG
    exported = json.loads(client.get("/api/v1/register/export.geojson", headers=headers).text)
    properties = exported["features"][0]["properties"]
    assert properties["site_name"] == SCRIPT and properties["address"] == FORMULA


@pytest.mark.parametrize("url", ["/api/v1/register/export.csv", "/sites/export.csv"])
def test_csv_exports_neutralise_formulas(
    client: TestClient, world: World, planted: tuple[int, int], url: str
) -> None:
    if url.startswith("/api/"):
        response = client.get(url, headers=api_token(client, world.owner))
    else:
        page_login(client, world.owner)
        response = client.get(url)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert "'" + FORMULA in cells and SCRIPT in cells
    assert not [c for c in cells if c.startswith(FORMULAS)], "a cell a spreadsheet would run"


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1+1", "@SUM(A1)", "\tx", "\rx", "＝1+1", "＠x"])
def test_neutralise_covers_owasps_list_and_the_full_width_forms(text: str) -> None:
    assert neutralise(text) == "'" + text
    assert neutralise(3.5) == 3.5 and neutralise(-2) == -2 and neutralise("Bund 18") == "Bund 18"
