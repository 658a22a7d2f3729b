"""The office uploads the measured weather of a period on its page, and the dashboard shows both
yield ratios, each named for what it divides by, in both languages."""

from __future__ import annotations

import time
from html import unescape
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from pvhub.accounts.models import User
from pvhub.core.enums import RunStatus
from pvhub.jobs.models import Job
from pvhub.register.models import Surface
from pvhub.weather.models import WeatherDataset
from tests.pvhub.measured_weather import TMY3, measured_epw
from tests.pvhub.monitoring.test_weather_normalised import (  # noqa: F401 (fixtures)
    _independent_estimate,
    _report_energy,
    connected,
    people,
)
from tests.web.monitoring.test_dashboard_pages import login

EN = {"Accept-Language": "en"}


def _datasets(session: Session) -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(WeatherDataset)).one()


def _wait(session: Session, job_id: int) -> Job:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        session.expire_all()
        job = session.get(Job, job_id)
        if job is not None and job.status not in (RunStatus.queued, RunStatus.running):
            return job
        time.sleep(0.2)
    raise AssertionError("the comparison job did not finish")


def test_the_office_uploads_measured_weather_and_the_dashboard_shows_both_ratios(
    client: TestClient,
    session: Session,
    people: dict[str, User],  # noqa: F811
    connected: list[Surface],  # noqa: F811
    tmp_path: Path,
) -> None:
    name, content = measured_epw(tmp_path)
    expected = _independent_estimate(tmp_path / name, connected)
    _report_energy(
        session,
        people["winner"],
        [
            (s.id or 0, 2025, m, round(float(expected[i, m - 1]), 3))
            for i, s in enumerate(connected)
            for m in (4, 5)
        ],
    )
    token = login(client, "o@office.cn")
    page = client.get("/dashboard/weather")
    assert page.status_code == 200 and "上传实测气象" in page.text

    refused = client.post(
        "/dashboard/weather",
        data={"csrf_token": token},
        files={"file": ("greensboro.csv", TMY3.read_bytes())},
    )
    assert refused.status_code == 422
    assert "记录不连续" in unescape(refused.text) and 'role="alert"' in refused.text
    assert _datasets(session) == 0

    done = client.post(
        "/dashboard/weather",
        data={"csrf_token": token},
        files={"file": (name, content)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/jobs/")
    job = _wait(session, int(done.headers["location"].rsplit("/", 1)[1]))
    assert job.status == RunStatus.succeeded, job.error

    zh = unescape(client.get("/dashboard").text)
    assert "发电比（典型年）" in zh and "发电比（天气归一化）" in zh
    assert f"<dd>{name}<br><small>2025-03 – 2025-08</small></dd>" in zh
    assert "<strong>1.00</strong>" in zh.split("发电比（天气归一化）", 1)[1]
    en = unescape(client.get("/dashboard", headers=EN).text)
    assert "Yield ratio, typical year" in en and "Yield ratio, weather-normalised" in en
    assert "<dt>Measured weather</dt>" in en
    assert name in unescape(client.get("/dashboard/weather", headers=EN).text)


def test_only_the_office_sees_the_measured_weather_page(
    client: TestClient,
    session: Session,
    people: dict[str, User],  # noqa: F811
) -> None:
    login(client, "w@supplier.cn")
    assert client.get("/dashboard/weather").status_code == 403
