"""The office's building-stock page in zh and en: preview, import, refusal naming the feature, office only."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from pvhub.core.enums import Role
from pvhub.survey.models import Building
from tests.pvhub.survey.test_stock import GOOD, collection, feature
from tests.web.test_pages import csrf_of, login

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


def count(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(Building)).one())


def post(client: TestClient, content: bytes, action: str, headers: dict[str, str]) -> Any:
    page = client.get("/survey/stock", headers=headers)
    return client.post(
        "/survey/stock",
        data={"csrf_token": csrf_of(page.text), "action": action, "datum": "wgs84", "crs": ""},
        files={"file": ("stock.geojson", content, "application/json")},
        headers=headers,
    )


def test_the_office_previews_and_imports_in_chinese_and_english(
    client: TestClient, session: Session, make_user: Any
) -> None:
    make_user("office@x.cn", Role.office, "Office")
    login(client, "office@x.cn")
    page = client.get("/survey/stock", headers=ZH)
    assert page.status_code == 200 and "导入建筑文件" in page.text and "尚未导入建筑文件。" in page.text
    assert 'href="/survey/stock"' in page.text  # the office's menu
    preview = post(client, GOOD, "preview", ZH)
    assert preview.status_code == 200 and "stock.geojson 的预览：尚未写入任何数据。" in preview.text
    assert "外滩中心" in preview.text and count(session) == 0
    done = post(client, GOOD, "import", EN)
    assert done.status_code == 200, done.text
    assert "Imported stock.geojson: 3 buildings (3 new, 0 updated)" in done.text and count(session) == 3
    listing = client.get("/survey/stock", headers=EN)
    assert "office@x.cn" in listing.text and "Neighbours outside the district" in listing.text


def test_a_bad_file_names_feature_and_field_and_writes_nothing(
    client: TestClient, session: Session, make_user: Any
) -> None:
    make_user("office@x.cn", Role.office, "Office")
    login(client, "office@x.cn")
    bad = collection(feature("a", 121.49, 31.23, height=20), feature("b", 121.491, 31.23, height=-2))
    response = post(client, bad, "import", ZH)
    assert response.status_code == 422
    assert "未导入任何数据：stock.geojson 中有 1 个问题。" in response.text
    assert "第 1 个要素" in response.text and "height" in response.text  # the reader's words in Chinese
    assert count(session) == 0


def test_others_may_not_open_the_page(client: TestClient, make_user: Any) -> None:
    make_user("owner@x.cn", Role.owner, "Owner")
    login(client, "owner@x.cn")
    assert client.get("/survey/stock", headers=EN).status_code == 403


def test_maps_fetch_buildings_without_names(client: TestClient, session: Session, make_user: Any) -> None:
    make_user("office@x.cn", Role.office, "Office")
    login(client, "office@x.cn")
    post(client, GOOD, "import", EN)
    client.cookies.clear()
    data = client.get("/survey/buildings.json", params={"bbox": "121.48,31.22,121.50,31.24"}).json()
    assert len(data["features"]) == 3 and all("name" not in f["properties"] for f in data["features"])
    assert client.get("/survey/buildings.json", params={"bbox": "x"}).status_code == 422
