"""The building-stock readers' messages on the zh and en stock page: a refused file's problems
(feature, field and why), the skip reasons and the notes in Chinese, in English as the readers wrote
them; a whole-file error too."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from pvhub.core.enums import Role
from tests.pvhub.survey.test_stock import GOOD, collection, feature
from tests.web.survey.test_stock_pages import EN, ZH, count, post
from tests.web.test_pages import login

ROAD = {
    "type": "Feature",
    "properties": {"highway": "primary"},
    "geometry": {"type": "LineString", "coordinates": [[121.49, 31.23], [121.5, 31.24]]},
}
REFUSED = collection(
    feature("a", 121.49, 31.23, height="150 ft"),
    feature("b", 121.491, 31.23, **{"building:levels": "many"}),
    ROAD,
)


def test_a_refused_file_is_explained_in_chinese(client: TestClient, session: Session, make_user: Any) -> None:
    make_user("office@x.cn", Role.office, "Office")
    login(client, "office@x.cn")
    response = post(client, REFUSED, "import", ZH)
    assert response.status_code == 422 and count(session) == 0
    text = response.text
    feet = "&#39;150 ft&#39; 以英尺为单位：请以米给出高度（如 45 m）"
    assert f"<td>第 0 个要素</td><td>height</td><td>{feet}</td>" in text
    assert "<td>第 1 个要素</td><td>building:levels</td><td>&#39;many&#39; 不是层数</td>" in text
    assert "highway=primary：不是建筑: 1" in text
    assert "is in feet" not in text and "not a building" not in text and "feature 0" not in text


def test_the_english_page_keeps_the_readers_words(client: TestClient, make_user: Any) -> None:
    make_user("office@x.cn", Role.office, "Office")
    login(client, "office@x.cn")
    text = post(client, REFUSED, "preview", EN).text
    feet = "&#39;150 ft&#39; is in feet: give the height in metres (e.g. 45 m)"
    assert f"<td>feature 0</td><td>height</td><td>{feet}</td>" in text
    assert "highway=primary: not a building: 1" in text


def test_a_preview_names_the_note_of_a_building_without_height_in_chinese(
    client: TestClient, make_user: Any
) -> None:
    make_user("office@x.cn", Role.office, "Office")
    login(client, "office@x.cn")
    text = post(client, GOOD, "preview", ZH).text
    assert "没有高度也没有 building:levels：仅有轮廓，无三维形体: 1" in text
    assert "highway=primary：不是建筑: 1" in text


def test_a_file_that_cannot_be_read_is_refused_in_chinese(client: TestClient, make_user: Any) -> None:
    make_user("office@x.cn", Role.office, "Office")
    login(client, "office@x.cn")
    response = post(client, "建筑".encode("utf-16"), "preview", ZH)
    assert response.status_code == 422
    assert "<td>文件</td><td>文件</td><td>stock.geojson 为 UTF-16 编码：请另存为 UTF-8</td>" in response.text
