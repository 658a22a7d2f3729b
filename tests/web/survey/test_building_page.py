"""A building's page groups a facade's storey bands and says why parts were left out in the reader's
language; a survey job says what it is doing in the reader's language."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gis.stock_footprints import read_geojson_stock
from pvhub.core.enums import Role, RunStatus
from pvhub.jobs import service as jobs
from pvhub.jobs.models import Job
from pvhub.survey import screen
from pvhub.survey import service as survey
from pvhub.survey.grouping import SkippedGroup
from pvhub.survey.rules import SurveyRules
from tests.pvhub.survey.survey_world import seed_stock, stock_doc
from tests.web.test_pages import login
from web import i18n
from web.survey.reasons import skipped_line

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


def test_a_towers_page_has_a_row_per_face_and_its_reasons_in_chinese(
    client: TestClient, session: Session, make_user
) -> None:
    make_user("office@pages.test", Role.office)
    buildings = seed_stock(session, n=4, neighbours=1)
    survey.run_survey(session=session)
    session.commit()
    tall = buildings[2]  # 45 m, 15 storeys: its south wall's 15 bands are one row
    login(client, "office@pages.test")
    client.cookies.set("lang", "zh_CN")
    zh = client.get(f"/survey/buildings/{tall.id}", headers=ZH).text
    assert zh.count('<tbody class="face">') == 2  # the roof and the south wall
    assert zh.count("<details>") == 1 and "15 个层段" in zh
    skipped = re.search(r'<ul id="skipped">(.*?)</ul>', zh, re.S)
    assert skipped is not None
    lines = re.findall(r"<li>(.*?)</li>", skipped.group(1))
    assert "面 3：朝北（0°）：不在 90–270° 范围内" in lines
    east_west = [line for line in lines if "低于最小值 600 kWh/kWp" in line]
    assert len(east_west) == 2 and all("第 0–14 层段" in line for line in east_west)  # 15 bands, 1 line
    assert "outside" not in skipped.group(1) and "under the minimum" not in skipped.group(1)
    client.cookies.set("lang", "en")
    en = client.get(f"/survey/buildings/{tall.id}", headers=EN).text
    assert "face 3: faces north (0°): outside 90–270°" in en
    assert ", bands 0–14: Curtain wall b2/-/2/b0–b14: " in en


def test_a_range_of_figures_reads_low_to_high_in_either_language() -> None:
    group = SkippedGroup(
        object="t1-podium",
        feature=None,
        faces=(4,),
        code="{kind} {id}: {kwh_per_kwp:.0f} kWh/kWp, under the minimum {minimum:g} kWh/kWp",
        reason="…",
        count=80,
        params={"kind": "curtain_wall", "minimum": 600.0},
        ranges={"kwh_per_kwp": (505.2, 512.4), "id": ("t1/t1-podium/4/b1", "t1/t1-podium/4/b80")},
        bands=(1, 80),
    )
    i18n.set_locale("en")
    assert skipped_line(group) == (
        "face 4 (t1-podium), bands 1–80: Curtain wall t1/t1-podium/4/b1–b80: 505–512 kWh/kWp, "
        "under the minimum 600 kWh/kWp"
    )
    i18n.set_locale("zh_CN")
    assert "低于最小值 600 kWh/kWp" in skipped_line(group) and "505–512 kWh/kWp" in skipped_line(group)
    i18n.set_locale("en")


def test_a_survey_job_says_what_it_is_doing_in_chinese(
    client: TestClient, engine: Engine, session: Session, make_user
) -> None:
    make_user("office@pages.test", Role.office)
    job = Job(kind="survey", status=RunStatus.running, worker=jobs.worker_id())
    session.add(job)
    session.commit()
    assert job.id is not None
    steps = jobs.JobProgress(engine, job.id)
    screen.survey(
        read_geojson_stock(stock_doc(3)), progress=steps, min_kwh_per_kwp=SurveyRules().min_kwh_per_kwp
    )
    login(client, "office@pages.test")
    client.cookies.set("lang", "zh_CN")
    zh = client.get(f"/jobs/{job.id}", headers=ZH).text
    assert re.search(r"\d+ 个候选表面，\d+ 处跳过", zh) and "skipped" not in zh
    client.cookies.set("lang", "en")
    assert re.search(r"\d+ candidates, \d+ skipped", client.get(f"/jobs/{job.id}", headers=EN).text)


def test_a_building_without_a_3d_shape_says_why_in_the_readers_language(
    client: TestClient, session: Session, make_user
) -> None:
    make_user("office@pages.test", Role.office)
    flat = seed_stock(session, n=2, neighbours=0)[0]
    flat.note = "no height and no building:levels: footprint only, no 3D shape"  # as the reader writes it
    session.add(flat)
    session.commit()
    login(client, "office@pages.test")
    client.cookies.set("lang", "zh_CN")
    zh = client.get(f"/survey/buildings/{flat.id}", headers=ZH).text
    assert re.search(r'<dd id="building-note">没有高度也没有 building:levels：仅有轮廓，无三维形体</dd>', zh)
    client.cookies.set("lang", "en")
    en = client.get(f"/survey/buildings/{flat.id}", headers=EN).text
    assert '<dd id="building-note">no height and no building:levels: footprint only, no 3D shape</dd>' in en
