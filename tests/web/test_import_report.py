"""The import page says what is wrong in the reader's language: the row, the field by its label and the
problem, for our own checks, pydantic's and the sentences of the gis package alike; the API and the CLI
keep their English."""

from __future__ import annotations

import csv
import io
import math
import string
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from pydantic import ValidationError
from sqlmodel import Session, func, select

from gis.cityjson import CityJSONError, parse_cityjson
from gis.crs import parse_epsg
from gis.geojson import parse_feature_collection, parse_geometry
from gis.validate import MAX_RING_POSITIONS, validate_polygon
from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role
from pvhub.programme.models import Programme
from pvhub.register.imports import service as imports
from pvhub.register.imports.rows import Parsed, Problem, SiteDraft
from pvhub.register.models import Site, SiteBase, Surface
from tests.conftest import api_token
from tests.gis.test_cityjson import FACES, box_geometry, document
from tests.hostile.corpus import BOUNDARY
from tests.web.test_pages import csrf_of, login
from web import i18n, import_report

HEADER = "site_name,address,lon,lat,kind,tilt_deg,azimuth_deg,gross_area_m2,usable_area_m2"
BAD_ROWS = (
    "外滩大楼,中山东一路1号,121.485,31.235,roof,0,,一千,",  # line 2: not a number
    "外滩大楼,中山东一路1号,121.485,31.235,roof,95,180,1200,",  # line 3: tilt out of range
    ",中山东一路2号,121.485,31.235,roof,0,,1200,",  # line 4: no site name
    "和平饭店,南京东路20号,31.236,121.486,roof,0,,800,",  # line 5: lon and lat swapped
    "和平饭店,南京东路20号,121.486,31.236,roof,0,,800,900",  # line 6: usable above gross
)
BAD_FILE = ("\n".join([HEADER, *BAD_ROWS]) + "\n").encode()

# (line, field label, problem): what the Chinese and the English page say about BAD_FILE
CHINESE = [
    (2, "总面积", "总面积须为数字（填写的是 '一千'）"),
    (3, "倾角", "倾角须在 0 至 90 度之间（填写的是 95）"),
    (4, "站点名称", "站点名称为必填项"),
    (5, "经度", "经度 31.236 与纬度 121.486 似乎填反了：经度在前（经度应为 121.486）"),
    (6, "可用面积", "可用面积（900 m²）超过了总面积（800 m²）"),
]
# the API's English, and the English page's (a field a message names is shown by its label there too)
API = [
    (2, "gross_area_m2 must be a number, got '一千'"),
    (3, "tilt_deg must be between 0 and 90 degrees, got 95"),
    (4, "site_name is required"),
    (5, "lon 31.236 and lat 121.486 look swapped: longitude comes first (lon 121.486)"),
    (6, "usable_area_m2 (900 m²) exceeds gross_area_m2 (800 m²)"),
]
ENGLISH = [
    (2, "Gross area", "Gross area must be a number, got '一千'"),
    (3, "Tilt", "Tilt must be between 0 and 90 degrees, got 95"),
    (4, "Site name", "Site name is required"),
    (5, "Longitude", "lon 31.236 and lat 121.486 look swapped: longitude comes first (lon 121.486)"),
    (6, "Usable area", "usable_area_m2 (900 m²) exceeds gross_area_m2 (800 m²)"),
]


@pytest.fixture
def owner(session: Session, make_user) -> str:  # type: ignore[no-untyped-def]
    session.add(Programme(boundary=BOUNDARY))
    session.commit()
    make_user("owner@import.cn", Role.owner, "外滩物业")
    return "owner@import.cn"


@pytest.fixture
def chinese() -> Iterator[None]:
    """Render outside a request in zh_CN (pages set the locale per request)."""
    before = i18n.current_locale()
    i18n.set_locale("zh_CN")
    yield
    i18n.set_locale(before)


def written(session: Session) -> tuple[int, ...]:
    session.expire_all()
    return tuple(
        int(session.exec(select(func.count()).select_from(model)).one())
        for model in (Site, Surface, AuditEvent)
    )


def upload(client: TestClient, locale: str, content: bytes, action: str = "import") -> str:
    client.cookies.set("lang", locale)
    token = csrf_of(client.get("/import").text)
    response = client.post(
        "/import", data={"csrf_token": token, "action": action}, files={"file": ("survey.csv", content)}
    )
    assert response.status_code == (200 if action == "preview" else 422)
    return response.text


def row(index: object, field: str, message: str) -> str:
    """A row of the page's problem table, escaped as the page escapes it."""
    return f"<tr><td>{escape(index)}</td><td>{escape(field)}</td><td>{escape(message)}</td></tr>"


def test_the_chinese_page_names_each_bad_row_its_field_and_the_problem_in_chinese(
    client: TestClient, session: Session, owner: str
) -> None:
    login(client, owner)
    before = written(session)
    page = upload(client, "zh_CN", BAD_FILE)
    assert "未导入任何数据" in page and "5 处问题需要修正" in page
    for line, label, problem in CHINESE:
        assert row(line, label, problem) in page
    english = client.post(
        "/api/v1/imports", files={"file": ("survey.csv", BAD_FILE)}, headers=api_token(client, owner)
    ).json()["errors"]
    assert [(e["index"], e["message"]) for e in english] == API
    for error in english:  # the API keeps its English; the Chinese page shows none of it
        assert str(escape(error["message"])) not in page
    for word in ("must be", "required", "swapped", "exceeds", "usable_area_m2", "gross_area_m2", "site_name"):
        assert word not in page.split('id="report"')[1]
    assert written(session) == before


def test_the_english_page_says_the_same_in_english(client: TestClient, session: Session, owner: str) -> None:
    login(client, owner)
    before = written(session)
    page = upload(client, "en", BAD_FILE)
    assert "nothing imported" in page
    for line, label, problem in ENGLISH:
        assert row(line, label, problem) in page
    for _, _, problem in CHINESE:
        assert str(escape(problem)) not in page
    assert written(session) == before


@pytest.mark.parametrize(
    ("content", "chinese", "english"),
    [
        (
            b"site_name,kind,area\n\xe5\xa4\x96\xe6\xbb\xa9,roof,100\n",
            row(1, "经度", "表头缺少以下列：经度、纬度（请参阅列说明）"),
            row(
                1,
                "Longitude",
                "the header lacks the column(s) Longitude, Latitude (see the documented columns)",
            ),
        ),
        (
            f"{HEADER}\n外滩大楼,中山东一路1号,121.485,31.235,roof,0,,1200,\nBund\x0018,x,121.485,31.235,roof,0,,9,\n".encode(),
            row(3, "文件", "第 3 行含有 NUL 字符，文本中不能包含该字符"),
            row(3, "File", "line 3 holds a NUL character, which text cannot contain"),
        ),
        (
            b"site_name,lon\n\x82\xa0\xff\xfe\n",
            row(
                "–",
                "文件",
                "该文件既不是 UTF-8 也不是 GB18030 文本（第 14 字节不是有效的 UTF-8）："
                "请另存为“CSV UTF-8”格式",
            ),
            row(
                "–",
                "File",
                "the file is neither UTF-8 nor GB18030 text (byte 14 is not valid UTF-8): "
                "save it as CSV UTF-8",
            ),
        ),
    ],
    ids=["missing columns", "NUL character", "not UTF-8 nor GB18030"],
)
def test_a_bad_file_is_explained_in_either_language(
    client: TestClient, session: Session, owner: str, content: bytes, chinese: str, english: str
) -> None:
    login(client, owner)
    before = written(session)
    assert chinese in upload(client, "zh_CN", content)
    assert english in upload(client, "en", content)
    assert written(session) == before


def test_skipped_surfaces_say_why_in_chinese(client: TestClient, session: Session, owner: str) -> None:
    rows = [
        "外滩大楼,中山东一路1号,121.485,31.235,roof,0,,1200,",
        "小亭子,九江路1号,121.486,31.236,roof,0,,0.5,",
    ]
    content = "\n".join([HEADER, *rows]) + "\n"
    login(client, owner)
    zh = upload(client, "zh_CN", content.encode(), action="preview")
    assert "<td>3</td><td>面积 0.5 m² 小于 1 m²</td>" in zh
    assert str(escape("站点 '小亭子' 已没有可登记的表面")) in zh
    en = upload(client, "en", content.encode(), action="preview")
    assert "<td>3</td><td>area 0.5 m² below 1 m²</td>" in en
    assert str(escape("site '小亭子' has no surface left to register")) in en


def test_meter_readings_are_explained_in_chinese_too(client: TestClient, session: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("o@office.cn", Role.office, "项目办")
    login(client, "o@office.cn")
    client.cookies.set("lang", "zh_CN")
    token = csrf_of(client.get("/construction/energy").text)
    content = b"surface_id,month,energy_kwh\nx,2026-13,-5\n"
    page = client.post(
        "/construction/energy", data={"csrf_token": token}, files={"file": ("m.csv", content, "text/csv")}
    ).text
    assert row(2, "表面编号", "不是有效的表面编号：'x'") in page
    assert row(2, "月份", "不是 YYYY-MM 格式的月份：'2026-13'") in page
    assert row(2, "发电量（kWh）", "不是大于等于 0 的发电量（kWh）：'-5'") in page


# --- pydantic's complaints and gis's sentences --------------------------------------------------------------


def test_a_model_limit_keeps_pydantic_english_for_the_api_and_is_said_in_chinese_on_pages(
    chinese: None,
) -> None:
    parsed = Parsed()
    imports._check_models(SiteDraft(index=7, name="", lon=121.48, lat=31.23, height_m=2000.0), parsed)
    with pytest.raises(ValidationError) as raised:
        SiteBase.model_validate({"name": "", "lon": 121.48, "lat": 31.23, "height_m": 2000.0})
    assert [p.message for p in parsed.errors] == [e["msg"] for e in raised.value.errors()]
    assert [p.field for p in parsed.errors] == ["name", "height_m"]
    assert import_report.problems(parsed.errors) == [
        {"index": 7, "field": "名称", "message": "至少需要 1 个字符"},
        {"index": 7, "field": "高度", "message": "不能大于 1000"},
    ]


def _gis_messages() -> list[tuple[str, Callable[[], Any]]]:
    """Each sentence form of GIS_SENTENCES, as gis (or the csv module) writes it."""

    def geometry(kind: str, coordinates: Any) -> str:
        return parse_geometry({"type": kind, "coordinates": coordinates}, 0)[1][0].message

    def cityjson(change: Callable[[dict[str, Any]], Any], **options: Any) -> str:
        doc = document(box_geometry())
        change(doc)
        try:
            report = parse_cityjson(doc, **options)
        except CityJSONError as exc:
            return str(exc)
        return (report.errors or [])[0].message if report.errors else ""

    def skipped(change: Callable[[dict[str, Any]], Any], **options: Any) -> list[str]:
        doc = document(box_geometry())
        change(doc)
        return [s.reason for s in parse_cityjson(doc, **options).skipped]

    def faces(replace: dict[int, Any]) -> Callable[[dict[str, Any]], None]:
        def change(doc: dict[str, Any]) -> None:
            rings = [[list(f)] for f in FACES]
            for i, face in replace.items():
                rings[i] = face
            doc["CityObjects"]["house"]["geometry"][0]["boundaries"] = [rings]

        return change

    square = [[121.48, 31.23], [121.49, 31.23], [121.49, 31.24], [121.48, 31.24]]
    far = [[100.0, 10.0], [100.1, 10.0], [100.1, 10.1], [100.0, 10.1]]
    box = validate_polygon(
        parse_geometry({"type": "Polygon", "coordinates": [square]}, 0)[0],  # type: ignore[arg-type]
        boundary=parse_geometry({"type": "Polygon", "coordinates": [far]}, 0)[0],
    )

    def too_long_cell() -> str:
        try:
            list(csv.reader(io.StringIO("x" * 200_000)))
        except csv.Error as exc:
            return str(exc)
        return ""

    return [
        ("rings", lambda: geometry("Polygon", 5)),
        ("polygons", lambda: geometry("MultiPolygon", [])),
        ("not_a_ring", lambda: geometry("Polygon", [5])),
        ("too_many_points", lambda: geometry("Polygon", [[[121.0, 31.0]] * (MAX_RING_POSITIONS + 1)])),
        ("non_numeric", lambda: geometry("Polygon", [[["a", "b"], *square]])),
        ("not finite", lambda: geometry("Polygon", [[[math.inf, 31.0], *square]])),
        ("lonlat_swapped", lambda: geometry("Polygon", [[[b, a] for a, b in square]])),
        ("out_of_range", lambda: geometry("Polygon", [[[200.0, 10.0], [201.0, 10.0], [201.0, 11.0]]])),
        ("too_few_points", lambda: geometry("Polygon", [[[121.0, 31.0], [121.1, 31.0]]])),
        ("zero_area", lambda: geometry("Polygon", [[[121.0, 31.0], [121.1, 31.0], [121.2, 31.0]]])),
        (
            "self_intersection",
            lambda: geometry("Polygon", [[[121.0, 31.0], [121.1, 31.1], [121.1, 31.0], [121.0, 31.1]]]),
        ),
        ("invalid_polygon", lambda: geometry("Polygon", [square, far])),
        (
            "crs",
            lambda: (
                parse_feature_collection(
                    {
                        "type": "FeatureCollection",
                        "crs": {"properties": {"name": "EPSG:3857"}},
                        "features": [],
                    }
                )
                .errors[0]
                .message
            ),
        ),
        (
            "features",
            lambda: parse_feature_collection({"type": "FeatureCollection", "features": 5}).errors[0].message,
        ),
        ("outside the boundary", lambda: box[0].message),
        ("version", lambda: cityjson(lambda d: d.update(version="0.9"))),
        ("no referenceSystem", lambda: cityjson(lambda d: d.pop("metadata"))),
        ("unknown referenceSystem", lambda: cityjson(lambda d: d["metadata"].update(referenceSystem="LV95"))),
        ("no vertices", lambda: cityjson(lambda d: d.update(vertices=[]))),
        ("not triples", lambda: cityjson(lambda d: d.update(vertices=[[1, 2]]))),
        ("dangling vertex", lambda: cityjson(faces({1: [[4, 5, 99, 7]]}))),
        ("malformed indices", lambda: cityjson(faces({1: [["a", 5, 6, 7]]}))),
        (
            "geometry type",
            lambda: cityjson(lambda d: d["CityObjects"]["house"]["geometry"][0].update(type="Point")),
        ),
        ("no usable geometry", lambda: cityjson(lambda d: d["CityObjects"]["house"].update(geometry=[]))),
        ("not an object", lambda: cityjson(lambda d: d.update(CityObjects=[]))),
        ("not a list", lambda: cityjson(lambda d: d["CityObjects"]["house"].update(geometry="x"))),
        ("not ids", lambda: cityjson(lambda d: d["CityObjects"]["house"].update(children=[1]))),
        ("not three numbers", lambda: cityjson(lambda d: d["transform"].update(translate=[0, math.nan, 0]))),
        ("scale not above 0", lambda: cityjson(lambda d: d["transform"].update(scale=[0.001, 0, 0.001]))),
        ("vertex beyond", lambda: cityjson(lambda d: d["transform"].update(scale=[1e300, 1e300, 1e300]))),
        (
            "boundaries not nested",
            lambda: cityjson(lambda d: d["CityObjects"]["house"]["geometry"][0]["boundaries"].append(5)),
        ),
        ("beyond the CRS", lambda: cityjson(lambda d: d["transform"]["translate"].__setitem__(1, 9e7))),
        ("near the pole", lambda: cityjson(lambda d: d["transform"]["translate"].__setitem__(1, 6.248e6))),
        (
            "skips",
            lambda: skipped(faces({1: [[4, 5]], 3: [[1, 1, 1, 1]]}), min_area_m2=70.0, skip_north_walls=True),
        ),
        ("north wall", lambda: skipped(lambda d: None, skip_north_walls=True)),
        (
            "no semantics",
            lambda: skipped(lambda d: d["CityObjects"]["house"]["geometry"][0].pop("semantics")),
        ),
        ("EPSG", lambda: str(_raised(lambda: parse_epsg("LV95")))),
        ("csv", too_long_cell),
    ]


def _raised(call: Callable[[], Any]) -> Exception:
    try:
        call()
    except Exception as exc:
        return exc
    raise AssertionError("expected an error")


@pytest.mark.parametrize(("name", "produce"), _gis_messages(), ids=[name for name, _ in _gis_messages()])
def test_each_sentence_form_of_gis_is_recognised_and_said_in_chinese(
    chinese: None, name: str, produce: Callable[[], Any]
) -> None:
    """gis writes these itself; a form it changes would be shown in English, and this test says so."""
    produced = produce()
    sentences = produced if isinstance(produced, list) else [produced]
    assert sentences and all(sentences), name
    for sentence in sentences:
        found = import_report.recognise(sentence)
        assert found is not None, f"{name}: gis wrote a sentence no template fits: {sentence!r}"
        template, values = found
        assert template.format(**values) == sentence
        said = import_report.gis_text(sentence)
        assert said != sentence and not any(word in said for word in ("the ", " is ", " a ", "must")), said


def test_every_template_of_gis_is_a_sentence_gis_writes() -> None:
    """All but the crossing without a location (shapely names one for every crossing it finds)."""
    produced = [produce() for _, produce in _gis_messages()]
    sentences = [s for p in produced for s in (p if isinstance(p, list) else [p])]
    seen = {found[0] for found in map(import_report.recognise, sentences) if found is not None}
    assert set(import_report.GIS_SENTENCES) - seen == {
        "self_intersection: the outline crosses itself: reorder the corners so the edges go around once"
    }


def test_every_template_of_gis_has_named_distinct_placeholders() -> None:
    """Each placeholder becomes a named group, so each must be named and appear once."""
    for template in import_report.GIS_SENTENCES:
        names = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
        assert all(names) and len(names) == len(set(names)), template


def test_a_sentence_gis_does_not_write_is_shown_as_it_is(chinese: None) -> None:
    problem = Problem.said(0, "crs", "Invalid projection: EPSG:99999 (proj error)")
    assert import_report.problems([problem]) == [
        {"index": 0, "field": "坐标系", "message": "Invalid projection: EPSG:99999 (proj error)"}
    ]


def test_a_part_of_a_geometry_is_named_with_the_field_label(chinese: None) -> None:
    assert import_report.field_label("geometry") == "表面图形"
    assert import_report.field_label("geometry[1]") == "表面图形（多边形 [1]）"
    assert import_report.field_label("geometry.hole[0]") == "表面图形（内环 [0]）"
    assert import_report.field_label("geometry[2].hole[0]") == "表面图形（多边形 [2] 的内环 [0]）"
    assert import_report.field_label("no_such_field") == "no_such_field"
