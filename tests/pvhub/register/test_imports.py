"""Bulk import of the register from CSV: an owner uploads a spreadsheet of buildings and surfaces."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, func, select

from pvhub.accounts.models import User
from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role
from pvhub.core.errors import NotFound
from pvhub.register.enums import SurfaceStatus
from pvhub.register.imports.service import import_file
from pvhub.register.models import Site, Surface

HEADER = (
    "site_name,address,subdistrict,use,lon,lat,kind,tilt_deg,azimuth_deg,"
    "gross_area_m2,usable_area_m2,shading_loss,height_m,storey"
)
GOOD_ROWS = [
    "外滩大楼,中山东一路1号,外滩街道,office,121.4903,31.2400,roof,0,,1200,900,0.05,40,10",
    "外滩大楼,中山东一路1号,外滩街道,office,121.4903,31.2400,curtain_wall,90,180,400,,0.1,20,5",
    "Xintiandi Mall,Madang Rd 8,Huaihai,retail,121.4750,31.2190,walkway,5,180,150,120,0,4,",
    "Xintiandi Mall,Madang Rd 8,Huaihai,retail,121.4750,31.2190,corridor,0,,80,,,12,3",
]


@pytest.fixture
def owner(make_user: Any) -> User:
    return make_user("owner@example.com", Role.owner, "Bund Properties")


def csv_bytes(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


def run(
    session: Session,
    owner: User,
    content: bytes,
    *,
    filename: str = "sites.csv",
    dry_run: bool = False,
    **options: Any,
) -> dict[str, Any]:
    assert owner.organisation_id is not None
    report = import_file(
        session=session,
        actor=owner,
        organisation_id=owner.organisation_id,
        filename=filename,
        content=content,
        dry_run=dry_run,
        **options,
    )
    return report.as_dict()


def count(session: Session, model: type) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def test_a_csv_of_two_buildings_creates_two_sites_and_four_draft_surfaces(
    session: Session, owner: User
) -> None:
    report = run(session, owner, csv_bytes(*GOOD_ROWS))
    assert report == {
        "ok": True,
        "dry_run": False,
        "created": {"sites": 2, "surfaces": {"roof": 1, "curtain_wall": 1, "corridor": 1, "walkway": 1}},
        "skipped": [],
        "errors": [],
    }
    session.commit()
    sites = {s.name: s for s in session.exec(select(Site)).all()}
    assert set(sites) == {"外滩大楼", "Xintiandi Mall"}
    bund = sites["外滩大楼"]
    assert (bund.organisation_id, bund.subdistrict, bund.lon, bund.lat) == (
        owner.organisation_id,
        "外滩街道",
        121.4903,
        31.24,
    )
    surfaces = session.exec(select(Surface)).all()
    assert {s.status for s in surfaces} == {SurfaceStatus.draft}
    wall = next(s for s in surfaces if s.kind == "curtain_wall")
    # usable area defaults to gross × 0.6 for a curtain wall
    assert (wall.tilt_deg, wall.azimuth_deg, wall.usable_area_m2, wall.shading_loss, wall.storey) == (
        90,
        180,
        240,
        0.1,
        5,
    )
    roof = next(s for s in surfaces if s.kind == "roof")
    assert (roof.azimuth_deg, roof.usable_area_m2, roof.height_m) == (180, 900, 40)
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "import")).all()
    assert len(events) == 1
    assert events[0].actor_id == owner.id
    assert events[0].after == {
        "filename": "sites.csv",
        "format": "csv",
        "sites": 2,
        "surfaces": {"roof": 1, "curtain_wall": 1, "corridor": 1, "walkway": 1},
    }


def test_a_dry_run_reports_what_would_be_created_and_writes_nothing(session: Session, owner: User) -> None:
    report = run(session, owner, csv_bytes(*GOOD_ROWS), dry_run=True)
    assert report["ok"] and report["dry_run"]
    assert report["created"]["sites"] == 2 and report["created"]["surfaces"]["roof"] == 1
    assert count(session, Site) == count(session, Surface) == count(session, AuditEvent) == 0


def test_a_utf8_bom_and_a_gb18030_file_from_excel_both_import(session: Session, owner: User) -> None:
    assert run(session, owner, b"\xef\xbb\xbf" + csv_bytes(*GOOD_ROWS), dry_run=True)["ok"]
    report = run(session, owner, csv_bytes(*GOOD_ROWS, encoding="gb18030"))
    assert report["ok"], report["errors"]
    assert "外滩大楼" in {s.name for s in session.exec(select(Site)).all()}


def test_a_file_in_another_encoding_gets_a_clear_error(session: Session, owner: User) -> None:
    report = run(session, owner, csv_bytes(*GOOD_ROWS, encoding="utf-16"))
    assert not report["ok"]
    assert report["errors"][0]["index"] is None and "UTF-16" in report["errors"][0]["message"]
    bad = csv_bytes(*GOOD_ROWS) + b"\x80\x80\xff\n"
    message = run(session, owner, bad)["errors"][0]["message"]
    assert "neither UTF-8 nor GB18030" in message


def test_chinese_headers_with_units_and_chinese_kinds(session: Session, owner: User) -> None:
    header = "站点名称,地址,街道,用途,经度,纬度,类型,倾角,方位角,面积(m²),可用面积（m²）,遮挡损失,高度,楼层"
    rows = [
        "豫园商城,福佑路,豫园街道,商业,121.4920,31.2270,屋顶,10,180,500,400,12%,15,4",
        "豫园商城,福佑路,豫园街道,商业,121.4920,31.2270,幕墙,90,90,200,100,0,10,3",
        "豫园商城,福佑路,豫园街道,商业,121.4920,31.2270,连廊,0,,60,50,0,8,2",
        "豫园商城,福佑路,豫园街道,商业,121.4920,31.2270,步道,0,,90,80,0,0,",
    ]
    report = run(session, owner, csv_bytes(*rows, header=header))
    assert report["ok"], report["errors"]
    assert report["created"] == {
        "sites": 1,
        "surfaces": {"roof": 1, "curtain_wall": 1, "corridor": 1, "walkway": 1},
    }
    roof = session.exec(select(Surface).where(Surface.kind == "roof")).one()
    assert roof.shading_loss == pytest.approx(0.12)


def test_formula_looking_names_are_stored_as_text(session: Session, owner: User) -> None:
    row = '"=HYPERLINK(""x"")",addr,,office,121.49,31.23,roof,0,,100,,,,'
    assert run(session, owner, csv_bytes(row))["ok"]
    assert session.exec(select(Site)).one().name == '=HYPERLINK("x")'


@pytest.mark.parametrize(
    ("cell", "field", "words"),
    [
        ({"tilt_deg": "95"}, "tilt_deg", "between 0 and 90"),
        ({"tilt_deg": "abc"}, "tilt_deg", "must be a number"),
        ({"tilt_deg": "nan"}, "tilt_deg", "finite"),
        ({"azimuth_deg": "400"}, "azimuth_deg", "between 0 and 360"),
        ({"tilt_deg": "30", "azimuth_deg": ""}, "azimuth_deg", "required for a tilted surface"),
        ({"gross_area_m2": "-5"}, "gross_area_m2", "at least 0 m²"),
        ({"gross_area_m2": ""}, "gross_area_m2", "required"),
        ({"usable_area_m2": "2000"}, "usable_area_m2", "exceeds gross_area_m2"),
        ({"shading_loss": "1.5"}, "shading_loss", "between 0 and 1"),
        ({"lon": "31.24", "lat": "121.49"}, "lon", "swapped"),
        ({"lon": "200"}, "lon", "between -180 and 180"),
        ({"lat": "-95"}, "lat", "between -90 and 90"),
        ({"lon": "0", "lat": "0"}, "lon", "not a real site location"),
        ({"lat": ""}, "lat", "required"),
        ({"kind": "facade"}, "kind", "unknown kind 'facade'"),
        ({"kind": ""}, "kind", "kind is required"),
        ({"site_name": ""}, "site_name", "required"),
        ({"storey": "2.5"}, "storey", "whole number"),
        ({"height_m": "5000"}, "height_m", "between 0 and 1000"),
        ({"site_name": "x" * 201}, "site_name", "at most 200"),
    ],
)
def test_each_bad_field_is_named_with_its_line_and_nothing_is_written(
    session: Session, owner: User, cell: dict[str, str], field: str, words: str
) -> None:
    columns = HEADER.split(",")
    values = dict(zip(columns, GOOD_ROWS[0].split(","), strict=True))
    values.update(cell)
    rows = [*GOOD_ROWS[1:], ",".join(values[c] for c in columns)]
    report = run(session, owner, csv_bytes(*rows))
    assert not report["ok"]
    assert report["created"] == {
        "sites": 0,
        "surfaces": {"roof": 0, "curtain_wall": 0, "corridor": 0, "walkway": 0},
    }
    errors = [e for e in report["errors"] if e["field"] == field]
    assert errors and errors[0]["index"] == 5, report[
        "errors"
    ]  # header = line 1, bad row is the 4th data line
    assert words in errors[0]["message"]
    assert count(session, Site) == count(session, Surface) == 0


def test_line_numbers_count_quoted_multiline_cells_and_blank_lines(session: Session, owner: User) -> None:
    rows = [
        '"Two-line\nname",a,,office,121.49,31.23,roof,0,,100,,,,',
        "",
        "Bad,a,,office,121.49,31.23,roof,95,,100,,,,",
    ]
    report = run(session, owner, csv_bytes(*rows))
    assert [(e["index"], e["field"]) for e in report["errors"]] == [(5, "tilt_deg")]


def test_a_header_without_required_columns_is_reported_on_line_1(session: Session, owner: User) -> None:
    report = run(session, owner, csv_bytes("a,b", header="site_name,kind"))
    assert report["errors"][0]["index"] == 1
    assert "lon, lat, gross_area_m2" in report["errors"][0]["message"]


def test_surfaces_below_the_minimum_area_are_skipped_and_listed(session: Session, owner: User) -> None:
    rows = [*GOOD_ROWS, "Tiny kiosk,x,,office,121.48,31.23,roof,0,,0.5,,,,"]
    report = run(session, owner, csv_bytes(*rows), min_area_m2=1.0, dry_run=True)
    assert report["ok"] and report["created"]["sites"] == 2
    assert report["skipped"][0] == {"index": 6, "reason": "area 0.5 m² below 1 m²"}


def test_sites_outside_the_programme_boundary_are_errors(session: Session, owner: User) -> None:
    boundary = {
        "type": "Polygon",
        "coordinates": [
            [[121.46, 31.20], [121.50, 31.20], [121.50, 31.25], [121.46, 31.25], [121.46, 31.20]]
        ],
    }
    rows = [*GOOD_ROWS, "Pudong tower,x,,office,121.5300,31.2300,roof,0,,100,,,,"]
    report = run(session, owner, csv_bytes(*rows), boundary=boundary)
    assert [(e["index"], e["field"]) for e in report["errors"]] == [(6, "lon")]
    assert "outside the programme boundary" in report["errors"][0]["message"]


def test_a_failure_while_writing_leaves_the_database_unchanged(
    session: Session, owner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pvhub.register.imports import service as imports

    original = imports._write

    def broken(*args: Any, **kwargs: Any) -> None:
        original(*args, **kwargs)  # the rows reach the database, then the import fails
        raise RuntimeError("disk full")

    monkeypatch.setattr(imports, "_write", broken)
    with pytest.raises(RuntimeError, match="disk full"):  # the failure planted above, no other
        run(session, owner, csv_bytes(*GOOD_ROWS))
    session.rollback()
    assert count(session, Site) == count(session, Surface) == 0


def test_an_unknown_organisation_is_not_found(session: Session, owner: User) -> None:
    with pytest.raises(NotFound):
        import_file(
            session=session, actor=owner, organisation_id=999, filename="a.csv", content=b"", dry_run=True
        )
