"""The "Building shade" layer of the potential map (issue #19): each building carries the share of its
candidates' energy lost to building shade (weighted by their unshaded energy; null while none is
computed), its colour on the layer's fixed scale and the legend, in both languages; the GeoJSON export
carries the number too."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from pvhub.core.enums import Role
from pvhub.survey.models import Building, SurveyCandidate
from tests.pvhub.survey.survey_world import seed_stock
from tests.web.test_pages import login
from web.shade_scale import NOT_COMPUTED_COLOUR, SHADE_COLOURS, shade_colour

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


def _candidate(b: Building, key: str, kwp: float, unshaded: float, loss: float | None) -> SurveyCandidate:
    assert b.id is not None
    shaded = unshaded * (1 - (loss or 0.0))
    return SurveyCandidate(
        building_id=b.id,
        key=key,
        kind="roof",
        tilt_deg=0.0,
        azimuth_deg=180.0,
        gross_area_m2=kwp * 6,
        usable_area_m2=kwp * 5,
        lon=b.lon,
        lat=b.lat,
        kwp=kwp,
        annual_kwh=kwp * shaded,
        kwh_per_kwp=shaded,
        kwh_per_kwp_unshaded=unshaded,
        shading_loss=loss,
        sky_view_factor=None if loss is None else 0.8,
    )


@pytest.fixture
def shaded_stock(session: Session, make_user) -> list[Building]:  # type: ignore[no-untyped-def]
    """Three buildings: two shaded roofs (10 kWp losing 10 %, 30 kWp losing 30 %), one roof not yet
    shaded, and one shaded and one not."""
    make_user("office@shade.test", Role.office)
    a, b, c = seed_stock(session, n=3, neighbours=0)
    session.add_all(
        [
            _candidate(a, "a/1", 10.0, 1000.0, 0.10),
            _candidate(a, "a/2", 30.0, 1200.0, 0.30),
            _candidate(b, "b/1", 20.0, 1100.0, None),
            _candidate(c, "c/1", 15.0, 1000.0, 0.02),
            _candidate(c, "c/2", 15.0, 1000.0, None),
        ]
    )
    session.commit()
    return [a, b, c]


def _map_data(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="potential-map-data">(.*?)</script>', html, re.S)
    assert found, "the page carries the map's data"
    return dict(json.loads(found.group(1)))


def test_the_potential_map_carries_each_buildings_building_shade(
    client: TestClient, shaded_stock: list[Building]
) -> None:
    a, b, c = shaded_stock
    login(client, "office@shade.test")
    page = client.get("/survey", headers=EN)
    assert page.status_code == 200
    markers = {m["id"]: m for m in _map_data(page.text)["markers"]}
    # (0.10 × 10 kWp × 1000 + 0.30 × 30 kWp × 1200) / (10 × 1000 + 30 × 1200) = 11,800 / 46,000
    assert markers[a.id]["shading_loss"] == pytest.approx(11_800 / 46_000, abs=1e-4)
    assert shade_colour(markers[a.id]["shading_loss"]) == SHADE_COLOURS[3]  # 20–40 %
    assert markers[b.id]["shading_loss"] is None and shade_colour(None) == NOT_COMPUTED_COLOUR
    assert markers[c.id]["shading_loss"] == pytest.approx(0.02)  # only the computed candidate counts
    assert shade_colour(markers[c.id]["shading_loss"]) == SHADE_COLOURS[0]
    data = _map_data(page.text)
    assert data["shade"]["names"] == ["Potential (kWp)", "Building shade"]
    # the scale and the words once per map, for the script: names, breaks, colours, tooltip words
    assert data["shade"]["breaks"] == [0.05, 0.1, 0.2, 0.4] and data["shade"]["colours"] == list(
        SHADE_COLOURS
    )
    assert data["shade"]["words"] == {"pct": "building shade {pct} %", "none": "building shade not computed"}
    legend = page.text[page.text.index('id="shade-legend"') :]
    assert legend.startswith('id="shade-legend" hidden')
    for words in ("&lt; 5 %", "5–10 %", "10–20 %", "20–40 %", "≥ 40 %", "not computed"):
        assert words in legend[:2000], words


def test_the_public_map_and_the_export_carry_it_in_chinese_too(
    client: TestClient, shaded_stock: list[Building]
) -> None:
    a, b, _c = shaded_stock
    page = client.get("/potential", headers=ZH)
    assert page.status_code == 200
    data = _map_data(page.text)
    markers = {m["id"]: m for m in data["markers"]}
    assert markers[a.id]["shading_loss"] == pytest.approx(0.2565, abs=1e-4)
    assert data["shade"]["words"] == {"pct": "建筑遮挡 {pct} %", "none": "建筑遮挡未计算"}
    assert data["shade"]["names"] == ["潜力（kWp）", "建筑遮挡"]
    assert "未计算" in page.text[page.text.index('id="shade-legend"') :]
    export = client.get("/potential/export.geojson").json()
    props = {f["id"]: f["properties"] for f in export["features"]}
    assert props[a.id]["shading_loss"] == pytest.approx(0.2565, abs=1e-4)
    assert props[b.id]["shading_loss"] is None


def test_the_potential_api_carries_the_buildings_shading_loss(
    client: TestClient, shaded_stock: list[Building]
) -> None:
    a, b, _c = shaded_stock
    items = {i["building_id"]: i for i in client.get("/api/v1/survey/potential").json()["items"]}
    assert items[a.id]["shading_loss"] == pytest.approx(0.2565, abs=1e-4)
    assert items[b.id]["shading_loss"] is None
