"""The surface page's "Sun and shade" section (issue #19): with stored sample-point horizons it draws
the sun-path diagram (7 sun paths, one skyline per point) and the monthly sunshine hours lost; without
them it says why, in both languages."""

from __future__ import annotations

import re

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from pvhub.core.enums import Role
from pvhub.estimates.models import SurfaceShade
from pvhub.estimates.shade import pack_horizon
from pvhub.register.models import Site, Surface
from pvhub.survey.models import Building, StockImport
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
def roofs(session: Session, make_user):
    """An owner's site with a shaded drawn roof (3 sample points), a drawn roof without shade rows and
    a roof typed without a shape."""
    owner = make_user("w@x.cn", Role.owner, "Bund Property")
    site, surfaces = add_site(
        session,
        owner.organisation_id,
        "外滩大楼",
        {**ROOF_22_SOUTH, "name": "Shaded", "geometry": SQUARE},
        {**ROOF_22_SOUTH, "name": "Drawn", "geometry": SQUARE},
        {**ROOF_22_SOUTH, "name": "Typed"},
    )
    shaded = surfaces[0]
    assert shaded.id is not None
    horizon = np.zeros((3, 180), dtype=np.float32)
    horizon[1, 70:95] = 60.0  # a tower from 140° to 190° (south-east to south) at point 1
    horizon[2, :] = 90.0  # point 2 sees no sky at all
    session.add(
        SurfaceShade(
            surface_id=shaded.id,
            stock_version="test",
            step_deg=2.0,
            points=3,
            horizon=pack_horizon(horizon),
            sky_view=[0.96, 0.8, 0.0],
            xyz=[[121.48, 31.23, 20.0]] * 3,
        )
    )
    session.commit()
    return site, surfaces


def _lost_and_sunshine(text: str) -> tuple[float, float]:
    total = re.search(r'id="hours-lost-total">[^<]*?([\d,]+) h [^\d]*?([\d,]+) h', text)
    assert total, "the hours-lost caption names the hours lost and the sunshine hours"
    return float(total.group(1).replace(",", "")), float(total.group(2).replace(",", ""))


@pytest.mark.parametrize("headers", [EN, ZH], ids=["en", "zh"])
def test_a_shaded_surface_shows_its_sun_path_diagram_and_the_hours_it_loses(
    client: TestClient, roofs, headers: dict[str, str]
) -> None:
    _site, (shaded, _drawn, _typed) = roofs
    login(client, "w@x.cn")
    page = client.get(f"/surfaces/{shaded.id}", headers=headers)
    assert page.status_code == 200
    text = page.text
    section = text[text.index('id="sun-shade"') :]
    assert section.count('<g class="sun-path"') == 7
    assert section.count('class="skyline"') == 3
    labels = re.findall(r'data-months="([^"]+)"', section)
    assert labels == ["12-21", "1/11-21", "2/10-21", "3/9-21", "4/8-21", "5/7-21", "6-21"]
    assert section.count('class="bar-sunshine"') == 12 and section.count('class="bar-lost"') == 12
    assert section.count('class="hour-mark"') > 100 and section.count("hour-label") >= 12, section[-6000:]
    if headers is EN:
        lost, sunshine = _lost_and_sunshine(section)
        # one point of three sees no sky: at least a third of the sunshine is lost, and not all of it
        assert sunshine > 2000 and sunshine / 3 <= lost < sunshine
        for words in (
            "Sun and shade",
            "Skyline of each sample point (3)",
            "Whole hours, local clock (Asia/Shanghai)",
        ):
            assert words in section, words
        assert ">S<" in section and ">N<" in section
    else:
        for words in ("日照与遮挡", "各采样点的天际线（3 个）", "整点（当地时间 Asia/Shanghai）"):
            assert words in section, words
        assert ">南<" in section and ">北<" in section
        assert "Sun and shade" not in section


@pytest.mark.parametrize(
    ("name", "english", "chinese"),
    [
        ("Typed", "this surface has no drawn shape", "该表面没有绘制的形状"),
        ("Drawn", "no building stock has been imported around this site", "该场址周围尚未导入建筑存量"),
    ],
)
def test_a_surface_without_stored_shade_says_why(
    client: TestClient, roofs, name: str, english: str, chinese: str
) -> None:
    _site, surfaces = roofs
    surface = next(s for s in surfaces if s.name == name)
    login(client, "w@x.cn")
    en = client.get(f"/surfaces/{surface.id}", headers=EN).text
    assert 'id="sun-path-missing"' in en and english in en and 'class="sun-path"' not in en
    zh = client.get(f"/surfaces/{surface.id}", headers=ZH).text
    assert chinese in zh and english not in zh


def test_with_the_stock_around_the_site_the_shade_comes_with_the_next_estimate(
    client: TestClient, session: Session, roofs
) -> None:
    site, surfaces = roofs
    drawn = next(s for s in surfaces if s.name == "Drawn")
    imported = StockImport(name="stock.geojson", sha256="2" * 64, source_format="geojson")
    session.add(imported)
    session.flush()
    assert imported.id is not None and isinstance(site, Site)
    session.add(Building(stock_import_id=imported.id, source_id="b1", lon=site.lon + 0.005, lat=site.lat))
    session.commit()
    login(client, "w@x.cn")
    en = client.get(f"/surfaces/{drawn.id}", headers=EN).text
    assert "computed when it is next estimated" in en
    assert isinstance(drawn, Surface)
