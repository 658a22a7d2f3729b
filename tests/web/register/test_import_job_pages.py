"""The import page hands a large file to a background job and follows it until the report is there, in the
reader's language; without JavaScript the browser goes to the job's own page."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from pvhub.accounts.models import User
from pvhub.core.enums import Role, RunStatus
from pvhub.core.errors import Phrase
from pvhub.core.settings import Settings
from pvhub.jobs import service as jobs
from pvhub.jobs.models import Job
from pvhub.register.imports import jobs as import_jobs
from pvhub.register.models import Site, Surface
from tests.web.test_pages import csrf_of, login

HEADER = "site_name,address,lon,lat,kind,tilt_deg,azimuth_deg,gross_area_m2,usable_area_m2"
GOOD = (
    HEADER + "\n"
    "外滩大楼,中山东一路1号,121.4903,31.2400,roof,0,,1200,900\n"
    "外滩大楼,中山东一路1号,121.4903,31.2400,curtain_wall,90,180,400,\n"
    "Xintiandi Mall,Madang Rd 8,121.4750,31.2190,roof,5,180,150,120\n"
).encode()
BAD = (
    HEADER + "\n"
    "外滩大楼,中山东一路1号,121.4903,31.2400,roof,0,,一千,\n"
    "外滩大楼,中山东一路1号,121.4903,31.2400,roof,95,180,1200,\n"
).encode()
# the counts row: 2 sites; 2 roofs, 1 curtain wall, no corridor, no walkway
COUNTS = "<tr><td>2</td>" + "".join(f'<td class="num">{n}</td>' for n in (2, 1, 0, 0)) + "</tr>"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def small_jobs(settings: Settings, tmp_path: Path) -> Path:
    """Every import of more than 100 bytes is a job; uploads wait under ``tmp_path``."""
    settings.import_job_mb = 0.0001
    settings.data_dir = tmp_path
    return tmp_path


def count(session: Session, model: type) -> int:
    session.rollback()
    return int(session.exec(select(func.count()).select_from(model)).one())


def import_file(
    client: TestClient, content: bytes, *, htmx: bool = True, filename: str = "survey.csv", **data: str
) -> httpx.Response:
    token = csrf_of(client.get("/import").text)
    return client.post(
        "/import",
        data={"csrf_token": token, "action": "import", **data},
        files={"file": (filename, content)},
        headers=HTMX if htmx else {},
        follow_redirects=False,
    )


def the_job(session: Session) -> int:
    session.rollback()
    (job_id,) = session.exec(select(Job.id)).all()
    assert job_id is not None
    return job_id


def poll(client: TestClient, job_id: int) -> str:
    """Ask for the job's fragment as htmx does until it stops asking again (the job has finished)."""
    for _ in range(200):
        fragment = client.get(f"/jobs/{job_id}", headers=HTMX).text
        if "hx-trigger" not in fragment:
            return fragment
        time.sleep(0.05)
    raise AssertionError("the import job did not finish in 10 s")


def test_an_owner_imports_a_large_file_and_the_page_follows_the_job_to_the_counts(
    client: TestClient, session: Session, make_user, small_jobs: Path
) -> None:  # type: ignore[no-untyped-def]
    make_user("w@x.cn", Role.owner, "外滩物业")
    login(client, "w@x.cn")
    client.cookies.set("lang", "zh_CN")
    response = import_file(client, GOOD)
    assert response.status_code == 200
    job_id = the_job(session)
    fragment = response.text
    assert f'id="job-{job_id}"' in fragment and "<html" not in fragment
    assert "排摸文件导入" in fragment
    # rendered before the job starts (it starts once the answer is out): queued, and polling itself
    assert f'hx-get="/jobs/{job_id}" hx-trigger="every 1s"' in fragment and "排队中" in fragment

    chinese = poll(client, job_id)
    assert "survey.csv · 已创建" in chinese and COUNTS in chinese
    assert "<th>站点</th>" in chinese and "屋顶" in chinese and "幕墙" in chinese
    assert '<a href="/sites">打开资源登记册</a>' in chinese and "created" not in chinese
    client.cookies.set("lang", "en")
    english = poll(client, job_id)
    assert "survey.csv · created" in english and COUNTS in english
    assert "Roof" in english and '<a href="/sites">Open the register</a>' in english
    assert count(session, Site) == 2 and count(session, Surface) == 3
    assert not (small_jobs / "imports").exists() or not list((small_jobs / "imports").iterdir())


def test_the_office_imports_a_large_file_for_the_owner_it_chose(
    client: TestClient, session: Session, make_user, small_jobs: Path
) -> None:  # type: ignore[no-untyped-def]
    owner: User = make_user("w@x.cn", Role.owner, "外滩物业")
    make_user("o@x.cn", Role.office, "Programme office")
    login(client, "o@x.cn")
    client.cookies.set("lang", "en")
    response = import_file(client, GOOD, organisation_id=str(owner.organisation_id))
    assert response.status_code == 200
    assert COUNTS in poll(client, the_job(session))
    session.rollback()
    assert {s.organisation_id for s in session.exec(select(Site)).all()} == {owner.organisation_id}


def test_a_bad_large_file_shows_its_problems_in_the_readers_language_and_writes_nothing(
    client: TestClient, session: Session, make_user, small_jobs: Path
) -> None:  # type: ignore[no-untyped-def]
    make_user("w@x.cn", Role.owner, "外滩物业")
    login(client, "w@x.cn")
    client.cookies.set("lang", "zh_CN")
    import_file(client, BAD)
    job_id = the_job(session)
    chinese = poll(client, job_id)
    assert "未导入任何数据" in chinese and "2 处问题需要修正" in chinese
    assert "<tr><td>3</td><td>倾角</td><td>倾角须在 0 至 90 度之间（填写的是 95）</td></tr>" in chinese
    not_a_number = escape("总面积须为数字（填写的是 '一千'）")
    assert f"<tr><td>2</td><td>总面积</td><td>{not_a_number}</td></tr>" in chinese
    assert "must be" not in chinese and '<a href="/import">导入其他文件</a>' in chinese
    assert 'href="/sites"' not in chinese.split(f'id="job-{job_id}"')[1]
    client.cookies.set("lang", "en")
    english = poll(client, job_id)
    assert "<tr><td>3</td><td>Tilt</td><td>Tilt must be between 0 and 90 degrees, got 95</td></tr>" in english
    assert "nothing imported" in english
    assert count(session, Site) == 0 and count(session, Surface) == 0


def test_without_javascript_the_browser_goes_to_the_jobs_page(
    client: TestClient, session: Session, make_user, small_jobs: Path
) -> None:  # type: ignore[no-untyped-def]
    make_user("w@x.cn", Role.owner, "外滩物业")
    login(client, "w@x.cn")
    client.cookies.set("lang", "en")
    response = import_file(client, GOOD, htmx=False, filename="<b>roofs</b>.csv")
    job_id = the_job(session)
    assert response.status_code == 303
    assert response.headers["location"] == f"/jobs/{job_id}"
    poll(client, job_id)
    page = client.get(f"/jobs/{job_id}").text
    assert "<html" in page and "Background job" in page and f'id="job-{job_id}"' in page
    assert "&lt;b&gt;roofs&lt;/b&gt;.csv · created" in page and "<b>roofs</b>" not in page
    assert COUNTS in page


def test_a_preview_of_a_large_file_answers_at_once(
    client: TestClient, session: Session, make_user, small_jobs: Path
) -> None:  # type: ignore[no-untyped-def]
    make_user("w@x.cn", Role.owner, "外滩物业")
    login(client, "w@x.cn")
    client.cookies.set("lang", "en")
    token = csrf_of(client.get("/import").text)
    response = client.post(
        "/import",
        data={"csrf_token": token, "action": "preview"},
        files={"file": ("survey.csv", GOOD)},
        headers=HTMX,
    )
    assert (
        response.status_code == 200
        and "survey.csv · would create" in response.text
        and COUNTS in response.text
    )
    assert count(session, Job) == 0 and count(session, Site) == 0


def test_a_running_import_says_its_step_and_a_failed_one_why_in_the_readers_language(
    client: TestClient, engine: Engine, session: Session, make_user, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    owner: User = make_user("w@x.cn", Role.owner, "外滩物业")
    running = Job(kind="import", status=RunStatus.running, worker=jobs.worker_id(), created_by_id=owner.id)
    session.add(running)
    session.commit()
    assert running.id is not None
    jobs.JobProgress(engine, running.id)(
        0.05, Phrase("reading and checking {filename}", filename="roofs.csv")
    )
    login(client, "w@x.cn")
    client.cookies.set("lang", "zh_CN")
    page = client.get(f"/jobs/{running.id}", headers=HTMX).text
    assert "正在读取并检查 roofs.csv" in page and "排摸文件导入" in page

    lost = import_jobs.submit_import(
        session=session,
        actor=owner,
        organisation_id=owner.organisation_id or 0,
        filename="roofs.csv",
        content=GOOD,
        data_dir=tmp_path,
    )
    session.commit()
    for upload in (tmp_path / "imports").iterdir():
        upload.unlink()
    assert lost.id is not None
    jobs.run(engine, lost.id)
    page = client.get(f"/jobs/{lost.id}", headers=HTMX).text
    assert escape("上传的文件 'roofs.csv' 已不在服务器上") in page and "no longer" not in page
    assert '<a href="/import">导入其他文件</a>' in page
