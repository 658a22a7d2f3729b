"""Importing a register file over the API: all or nothing, with a report a person can act on."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from pvhub.core.enums import Role
from pvhub.register.models import Site, Surface
from tests.conftest import api_token

CSV = (
    "站点名称,地址,街道,经度,纬度,类型,倾角,方位角,面积,可用面积,高度\n"
    "外滩大楼,中山东一路1号,外滩,121.490,31.238,屋顶,5,180,800,560,40\n"
    "外滩大楼,中山东一路1号,外滩,121.490,31.238,幕墙,90,135,300,150,20\n"
)
BAD_CSV = CSV + "坏数据,某路1号,外滩,121.49,31.23,屋顶,95,180,100,50,10\n"


def count(session: Session, model: type) -> int:
    return int(session.exec(select(func.count()).select_from(model)).one())


def test_an_owner_imports_a_chinese_csv_after_a_dry_run(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    make_user("w@x.cn", Role.owner, "外滩物业")
    headers = api_token(client, "w@x.cn")
    files = {"file": ("survey.csv", CSV.encode("utf-8-sig"), "text/csv")}
    dry = client.post("/api/v1/imports", files=files, data={"dry_run": "true"}, headers=headers)
    assert dry.status_code == 200, dry.text
    assert dry.json() == {
        "ok": True,
        "dry_run": True,
        "created": {"sites": 1, "surfaces": {"roof": 1, "curtain_wall": 1, "corridor": 0, "walkway": 0}},
        "skipped": [],
        "errors": [],
    }
    assert count(session, Site) == 0
    real = client.post("/api/v1/imports", files=files, headers=headers)
    assert real.status_code == 200 and real.json()["created"]["surfaces"]["curtain_wall"] == 1
    assert count(session, Site) == 1 and count(session, Surface) == 2


def test_one_bad_row_imports_nothing_and_names_the_line(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    make_user("w@x.cn", Role.owner, "外滩物业")
    headers = api_token(client, "w@x.cn")
    response = client.post(
        "/api/v1/imports", files={"file": ("s.csv", BAD_CSV.encode(), "text/csv")}, headers=headers
    )
    assert response.status_code == 422
    report = response.json()
    assert report["ok"] is False and count(session, Site) == 0
    assert any(e["index"] == 4 and "tilt" in e["field"] for e in report["errors"]), report["errors"]


def test_a_supplier_cannot_import_and_an_owner_cannot_import_for_another(
    client: TestClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    make_user("s@x.cn", Role.supplier, "EPC")
    other = make_user("b@x.cn", Role.owner, "Other owner")
    make_user("w@x.cn", Role.owner, "Owner")
    files = {"file": ("s.csv", CSV.encode(), "text/csv")}
    supplier = client.post("/api/v1/imports", files=files, headers=api_token(client, "s@x.cn"))
    assert supplier.status_code == 403
    foreign = client.post(
        "/api/v1/imports",
        files=files,
        data={"organisation_id": str(other.organisation_id)},
        headers=api_token(client, "w@x.cn"),
    )
    assert foreign.status_code == 404


def test_an_upload_over_the_limit_gets_413(client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("w@x.cn", Role.owner, "Owner")
    client.app.state.settings.max_upload_mb = 0.01  # type: ignore[attr-defined]
    big = json.dumps({"type": "FeatureCollection", "features": [], "pad": "x" * 20_000}).encode()
    response = client.post(
        "/api/v1/imports",
        files={"file": ("big.geojson", big, "application/json")},
        headers=api_token(client, "w@x.cn"),
    )
    assert response.status_code == 413 and "limit" in response.json()["detail"]
