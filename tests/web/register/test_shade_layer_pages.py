"""The register map's "Building shade" layer (issue #19): each site on the home page's map carries its
shading loss in force (its surfaces' typed or computed losses, weighted by usable area; null while no
surface has one), each surface on the site's map its own, with the layer's scale and legend."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from pvhub.core.enums import Role
from pvhub.register.models import Site, Surface
from tests.conftest import ROOF_22_SOUTH, add_site
from tests.web.test_pages import login

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[121.48, 31.23], [121.4801, 31.23], [121.4801, 31.2301], [121.48, 31.2301], [121.48, 31.23]]
    ],
}


@pytest.fixture
def sites(session: Session, make_user) -> tuple[Site, Site, list[Surface]]:  # type: ignore[no-untyped-def]
    """Site A: a computed roof (300 m², 10 %), a typed wall (100 m², 30 %) and a roof not yet shaded;
    site B: one roof not yet shaded."""
    owner = make_user("w@x.cn", Role.owner, "Bund Property")
    make_user("o@x.cn", Role.office, "Programme office")
    a, surfaces = add_site(
        session,
        owner.organisation_id,
        "甲楼",
        {
            **ROOF_22_SOUTH,
            "name": "computed",
            "geometry": SQUARE,
            "shading_loss": 0.10,
            "sky_view_factor": 0.9,
        },
        {
            **ROOF_22_SOUTH,
            "name": "typed",
            "usable_area_m2": 100,
            "shading_loss": 0.30,
            "shading_manual": True,
        },
        {**ROOF_22_SOUTH, "name": "pending", "geometry": SQUARE, "usable_area_m2": 1000},
    )
    b, _ = add_site(session, owner.organisation_id, "乙楼", {**ROOF_22_SOUTH, "name": "b"})
    return a, b, surfaces


def _map_data(html: str, map_id: str) -> dict[str, Any]:
    found = re.search(rf'<script type="application/json" id="{map_id}">(.*?)</script>', html, re.S)
    assert found, f"the page carries the data of {map_id}"
    return dict(json.loads(found.group(1)))


def test_the_home_map_carries_each_sites_shading_loss_in_force(client: TestClient, sites) -> None:
    a, b, _surfaces = sites
    login(client, "o@x.cn")
    page = client.get("/", headers=EN)
    assert page.status_code == 200
    data = _map_data(page.text, "office-map")
    markers = {m["id"]: m for m in data["markers"]}
    # (0.10 × 300 m² + 0.30 × 100 m²) / 400 m²; the roof not yet shaded does not count
    assert markers[a.id]["shading_loss"] == pytest.approx(0.15)
    assert markers[b.id]["shading_loss"] is None
    assert data["shade"]["names"] == ["Sites", "Building shade"]
    assert 'id="shade-legend" hidden' in page.text and "not computed" in page.text
    zh = client.get("/", headers=ZH)
    assert _map_data(zh.text, "office-map")["shade"]["names"] == ["站点", "建筑遮挡"]
    assert "未计算" in zh.text[zh.text.index('id="shade-legend"') :]


def test_the_sites_map_carries_each_drawn_surfaces_shading_loss(client: TestClient, sites) -> None:
    a, _b, _surfaces = sites
    login(client, "w@x.cn")
    page = client.get(f"/sites/{a.id}", headers=EN)
    assert page.status_code == 200
    data = _map_data(page.text, "site-map")
    drawn = [m for m in data["markers"] if "kind" in m]
    assert sorted(m["shading_loss"] is None for m in drawn) == [False, True]  # computed; not yet
    assert [m["shading_loss"] for m in drawn if m["shading_loss"] is not None] == [pytest.approx(0.10)]
    assert "shading_loss" not in data["markers"][0]  # the site's outline: drawn grey in the layer
    assert data["shade"]["names"] == ["Surface kinds", "Building shade"]


def test_the_surfaces_map_carries_its_shading_loss(client: TestClient, sites) -> None:
    _a, _b, (computed, _typed, pending) = sites
    login(client, "w@x.cn")
    for surface, expected in ((computed, 0.10), (pending, None)):
        data = _map_data(client.get(f"/surfaces/{surface.id}", headers=EN).text, "surface-map")
        (drawn,) = [m for m in data["markers"] if "kind" in m]
        assert drawn["shading_loss"] == (pytest.approx(expected) if expected is not None else None)
        assert data["shade"]["names"] == ["Surface kinds", "Building shade"]
