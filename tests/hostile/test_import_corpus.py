"""Every file of the hostile corpus, uploaded by an owner through the API and through the import page:
a clear error naming the line, feature or object and the field — and nothing written at all."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlmodel import Session, select

from pvhub.core.settings import Settings
from pvhub.register.models import Site, Surface
from tests.conftest import api_token
from tests.hostile.conftest import World, written
from tests.hostile.corpus import CORPUS, CSV_HEADER, FORMULA, GOOD_CSV_ROW, LAT, LON, SCRIPT, Hostile
from tests.security.conftest import page_login


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_the_api_refuses_a_hostile_file_clearly_and_writes_nothing(
    client: TestClient, world: World, session: Session, case: Hostile
) -> None:
    before = written(session)
    response = client.post(
        "/api/v1/imports",
        files={"file": (case.filename, case.build())},
        data={"background": "false"},  # the files over 1 MB as jobs: tests/hostile/test_import_corpus_jobs.py
        headers=api_token(client, world.owner),
    )
    assert response.status_code == 422, response.text[:500]
    report = response.json()
    assert report["ok"] is False and report["created"]["sites"] == 0
    named = [e for e in report["errors"] if e["field"] == case.field and e["index"] == case.index]
    assert named and case.words in named[0]["message"], report["errors"]
    assert written(session) == before


@pytest.mark.parametrize("case", [c for c in CORPUS if "10 MB" not in c.name], ids=lambda c: c.name)
def test_the_import_page_shows_the_same_error_escaped(
    client: TestClient, world: World, session: Session, case: Hostile, settings: Settings
) -> None:
    settings.import_job_mb = 100  # imported in the request here, larger files included
    token = page_login(client, world.owner)
    client.cookies.set("lang", "en")
    before = written(session)
    response = client.post(
        "/import",
        data={"csrf_token": token, "action": "import"},
        files={"file": (case.filename, case.build())},
    )
    assert response.status_code == 422
    assert html.escape(case.words, quote=True) in response.text
    assert written(session) == before


@pytest.mark.parametrize("case", [c for c in CORPUS if "10 MB" not in c.name], ids=lambda c: c.name)
def test_the_chinese_import_page_says_each_problem_in_chinese(
    client: TestClient, world: World, session: Session, case: Hostile
) -> None:
    """The API's English sentence, gis's included, is not what a Chinese reader of the page gets."""
    english = client.post(
        "/api/v1/imports",
        files={"file": (case.filename, case.build())},
        data={"background": "false"},
        headers=api_token(client, world.owner),
    ).json()["errors"]
    token = page_login(client, world.owner)
    client.cookies.set("lang", "zh_CN")
    response = client.post(
        "/import",
        data={"csrf_token": token, "action": "preview"},
        files={"file": (case.filename, case.build())},
    )
    assert response.status_code == 422 and "未导入任何数据" in response.text
    for error in english:
        assert str(escape(error["message"])) not in response.text, error  # escaped as Jinja escapes


def test_a_good_file_with_one_hostile_row_imports_nothing(
    client: TestClient, world: World, session: Session
) -> None:
    rows = [GOOD_CSV_ROW] * 50 + [f"Bad,x,{LON},{LAT},roof,0,,-1,,"] + [GOOD_CSV_ROW] * 50
    content = ("\n".join([CSV_HEADER, *rows]) + "\n").encode()
    before = written(session)
    response = client.post(
        "/api/v1/imports", files={"file": ("sites.csv", content)}, headers=api_token(client, world.owner)
    )
    assert response.status_code == 422
    assert [(e["index"], e["field"]) for e in response.json()["errors"]] == [(52, "gross_area_m2")]
    assert written(session) == before


def test_gbk_text_from_excel_is_read_as_chinese(client: TestClient, world: World, session: Session) -> None:
    content = f"{CSV_HEADER}\r\n{GOOD_CSV_ROW}\r\n".encode("gbk")
    response = client.post(
        "/api/v1/imports", files={"file": ("sites.csv", content)}, headers=api_token(client, world.owner)
    )
    assert response.status_code == 200, response.text
    site = session.exec(select(Site)).one()
    assert (site.name, site.address) == ("外滩大楼", "中山东一路1号")


def test_script_tags_and_formulas_are_stored_as_the_text_they_are(
    client: TestClient, world: World, session: Session
) -> None:
    rows = f'"{SCRIPT}","</script><img src=x onerror=alert(1)>",{LON},{LAT},roof,0,,100,,\r\n'
    header = CSV_HEADER + ",surface_name"
    content = f'{header}\r\n{rows.rstrip()},"{FORMULA}"\r\n'.encode()
    response = client.post(
        "/api/v1/imports", files={"file": ("sites.csv", content)}, headers=api_token(client, world.owner)
    )
    assert response.status_code == 200, response.text
    site = session.exec(select(Site)).one()
    surface = session.exec(select(Surface)).one()
    assert site.name == SCRIPT and site.address == "</script><img src=x onerror=alert(1)>"
    assert surface.name == FORMULA
