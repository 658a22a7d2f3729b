"""Measured energy against the weather it saw (issue #17, part 4): the office uploads the measured
weather of a period, a job re-estimates the connected surfaces on it, and the weather-normalised
yield ratio stands beside the typical-year one."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from pvhub.accounts.models import User
from pvhub.construction import energy as measured_energy
from pvhub.construction import service as construction
from pvhub.construction.enums import MilestoneKind
from pvhub.construction.service import ORDER
from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role
from pvhub.core.errors import Conflict, InvalidInput, PermissionDenied
from pvhub.estimates import service as estimates
from pvhub.jobs import service as jobs
from pvhub.jobs.models import Job
from pvhub.monitoring import progress
from pvhub.monitoring.models import WeatherNormalisedEnergy
from pvhub.register.enums import SurfaceKind, SurfaceStatus
from pvhub.register.models import Site, Surface
from pvhub.tendering import handover
from pvhub.weather import measured, service
from pvhub.weather.models import WeatherDataset
from pvhub.yieldengine import estimate, read_weather
from tests.conftest import api_token
from tests.pvhub.measured_weather import TMY3, measured_epw, measured_year
from tests.pvhub.programme_state import confirmed_award

AWARDED = datetime(2024, 12, 2, 2, 0, tzinfo=UTC)
CONNECTED = date(2025, 2, 10)
TODAY = date(2025, 11, 20)
SURFACES = (  # kind, tilt, azimuth, usable m²
    ("roof", 10.0, 180.0, 400.0),
    ("curtain_wall", 90.0, 100.0, 150.0),
)


@pytest.fixture
def people(make_user: Any) -> dict[str, User]:
    return {
        "office": make_user("o@office.cn", Role.office, "Office"),
        "owner": make_user("a@owner.cn", Role.owner, "Owner A"),
        "winner": make_user("w@supplier.cn", Role.supplier, "Winner"),
    }


@pytest.fixture
def connected(session: Session, people: dict[str, User]) -> list[Surface]:
    """A site whose roof and east-facing curtain wall are estimated by the engine (the programme's
    typical year) and grid-connected on 10 February 2025."""
    site = Site(name="Measured", organisation_id=people["owner"].organisation_id, lon=121.48, lat=31.23)
    session.add(site)
    session.flush()
    assert site.id is not None
    surfaces = [
        Surface(
            site_id=site.id,
            kind=SurfaceKind(kind),
            tilt_deg=tilt,
            azimuth_deg=azimuth,
            gross_area_m2=area * 1.3,
            usable_area_m2=area,
            status=SurfaceStatus.approved,
        )
        for kind, tilt, azimuth, area in SURFACES
    ]
    session.add_all(surfaces)
    session.commit()
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[s.id for s in surfaces if s.id])
    session.commit()
    confirmed_award(session, people["winner"].organisation_id, [site.id], confirmed_at=AWARDED)
    handover.sync_construction(session)
    session.commit()
    for surface in surfaces:
        assert surface.id is not None
        for kind in ORDER[: ORDER.index(MilestoneKind.grid_connected) + 1]:
            m = construction.report_milestone(
                session,
                actor=people["winner"],
                surface_id=surface.id,
                kind=kind,
                actual_date=CONNECTED,
                today=TODAY,
            )
            assert m.id is not None
            construction.confirm_milestone(session, actor=people["office"], milestone_id=m.id)
    session.commit()
    return surfaces


def _upload_and_compare(
    session: Session, engine: Engine, office: User, name: str, content: bytes
) -> WeatherDataset:
    dataset = measured.upload_measured(session=session, actor=office, filename=name, content=content)
    assert dataset.id is not None
    job = measured.request_normalisation(session=session, actor=office, dataset_id=dataset.id)
    session.commit()
    assert job.id is not None
    jobs.run(engine, job.id)
    session.expire_all()
    finished = session.get(Job, job.id)
    assert finished is not None and finished.status.value == "succeeded", finished and finished.error
    return dataset


def _report_energy(session: Session, supplier: User, rows: list[tuple[int, int, int, float]]) -> None:
    report = measured_energy.import_rows(
        session,
        actor=supplier,
        rows=[
            (i, {"surface_id": sid, "month": f"{y:04d}-{m:02d}", "energy_kwh": kwh})
            for i, (sid, y, m, kwh) in enumerate(rows)
        ],
        source="api",
        today=TODAY,
    )
    assert report.ok, report.errors
    session.commit()


def _independent_estimate(path: Path, surfaces: list[Surface]) -> np.ndarray:
    """What the engine gives these surfaces on the measured file, by calendar month (n, 12) [kWh],
    called directly with the surfaces' own geometry and the default assumptions the estimates used."""
    weather = read_weather(path, keep_dates=True)
    result = estimate(
        [s.kind.value for s in surfaces],
        [s.tilt_deg for s in surfaces],
        [s.azimuth_deg for s in surfaces],
        [s.usable_area_m2 for s in surfaces],
        weather=weather,
        method="exact",
    )
    return result.monthly_kwh


def test_measured_equal_to_the_estimate_on_the_measured_weather_gives_a_normalised_ratio_of_one(
    session: Session, engine: Engine, people: dict[str, User], connected: list[Surface], tmp_path: Path
) -> None:
    name, content = measured_epw(tmp_path)
    expected = _independent_estimate(tmp_path / name, connected)
    months = [(2025, m) for m in range(3, 9)]
    _report_energy(
        session,
        people["winner"],
        [
            (s.id or 0, y, m, round(float(expected[i, m - 1]), 3))
            for i, s in enumerate(connected)
            for y, m in months
        ],
    )
    dataset = _upload_and_compare(session, engine, people["office"], name, content)

    summary = progress.weather_normalised_ratios(session)
    assert summary is not None and summary.dataset_id == dataset.id
    assert (summary.first_month, summary.last_month) == ("2025-03", "2025-08")
    assert (summary.surfaces, summary.months) == (2, 12)
    assert round(summary.ratio or 0, 3) == 1.000
    assert [round(i.ratio or 0, 3) for i in summary.items] == [1.000, 1.000]
    typical = progress.yield_ratios(session)
    assert typical.months == 12 and typical.ratio is not None
    assert abs(typical.ratio - 1.0) > 0.03, "the typical year should not explain this period's weather"
    assert summary.typical_ratio == pytest.approx(typical.ratio, rel=1e-6)  # the same surface-months


def test_the_comparison_counts_only_full_months_after_connection_and_replaces_itself(
    session: Session, engine: Engine, people: dict[str, User], connected: list[Surface], tmp_path: Path
) -> None:
    name, content = measured_epw(tmp_path, first="2025-01-01", end="2025-07-01")
    roof = connected[0].id or 0
    _report_energy(session, people["winner"], [(roof, 2025, 3, 1000.0), (roof, 2025, 4, 1200.0)])
    dataset = _upload_and_compare(session, engine, people["office"], name, content)
    stored = session.exec(
        select(func.count())
        .select_from(WeatherNormalisedEnergy)
        .where(WeatherNormalisedEnergy.dataset_id == dataset.id)
    ).one()
    assert stored == 2 * 6  # every connected surface, every month of the period
    summary = progress.weather_normalised_ratios(session, dataset_id=dataset.id)
    assert summary is not None and (summary.surfaces, summary.months) == (1, 2)  # Jan, Feb: not yet connected
    job = measured.request_normalisation(session=session, actor=people["office"], dataset_id=dataset.id or 0)
    session.commit()
    jobs.run(engine, job.id or 0)
    again = session.exec(
        select(func.count())
        .select_from(WeatherNormalisedEnergy)
        .where(WeatherNormalisedEnergy.dataset_id == dataset.id)
    ).one()
    assert again == stored


def _counts(session: Session) -> tuple[int, int, int]:
    session.expire_all()
    return (
        session.exec(select(func.count()).select_from(WeatherDataset)).one(),
        session.exec(select(func.count()).select_from(AuditEvent)).one(),
        session.exec(select(func.count()).select_from(Job)).one(),
    )


def _refused(session: Session, office: User, name: str, content: bytes) -> InvalidInput:
    before = _counts(session)
    with pytest.raises(InvalidInput) as caught:
        measured.upload_measured(session=session, actor=office, filename=name, content=content)
    session.rollback()
    assert _counts(session) == before
    assert caught.value.field == "file"
    return caught.value


def test_a_typical_year_is_refused_as_a_measured_period_naming_the_record(
    session: Session, people: dict[str, User]
) -> None:
    error = _refused(session, people["office"], "greensboro.csv", TMY3.read_bytes())
    assert "record" in error.message and "not consecutive" in error.message
    assert "programme's weather year" in error.message


def test_part_months_and_more_than_twelve_months_are_refused(
    session: Session, people: dict[str, User], tmp_path: Path
) -> None:
    name, content = measured_epw(tmp_path, first="2025-03-15", end="2025-06-01")
    assert "2025-03-15 00:00" in _refused(session, people["office"], name, content).message
    name, content = measured_epw(tmp_path, name="long.epw", first="2022-12-01", end="2024-01-01")
    assert "13 months" in _refused(session, people["office"], name, content).message


def test_an_implausible_value_is_refused_naming_record_and_field(
    session: Session, people: dict[str, User], tmp_path: Path
) -> None:
    name, content = measured_epw(tmp_path)
    lines = content.decode().splitlines()
    fields = lines[8 + 300].split(",")  # record 301: 2025-03-13 12:00–13:00
    fields[13] = "2500.0"  # GHI, W/m²
    lines[8 + 300] = ",".join(fields)
    error = _refused(session, people["office"], name, "\n".join(lines).encode())
    assert "record 301" in error.message and "ghi 2,500.0 W/m²" in error.message


def test_a_file_that_is_no_weather_is_refused(session: Session, people: dict[str, User]) -> None:
    error = _refused(session, people["office"], "meter.csv", b"surface_id,month,energy_kwh\n1,2025-03,100\n")
    assert "meter.csv" in error.message


def test_a_far_period_needs_the_office_to_confirm(
    session: Session, people: dict[str, User], tmp_path: Path
) -> None:
    name, content = measured_epw(tmp_path, latitude=36.1, longitude=-79.95)
    before = _counts(session)
    with pytest.raises(service.FarLocation) as caught:
        measured.upload_measured(session=session, actor=people["office"], filename=name, content=content)
    session.rollback()
    assert _counts(session) == before and caught.value.distance_km > 10_000
    dataset = measured.upload_measured(
        session=session, actor=people["office"], filename=name, content=content, confirm_far=True
    )
    assert dataset.far_confirmed
    with pytest.raises(Conflict):  # the same file twice
        measured.upload_measured(
            session=session, actor=people["office"], filename=name, content=content, confirm_far=True
        )


def test_only_the_office_uploads_measured_weather(
    session: Session, people: dict[str, User], tmp_path: Path
) -> None:
    name, content = measured_epw(tmp_path)
    for who in ("owner", "winner"):
        with pytest.raises(PermissionDenied):
            measured.upload_measured(session=session, actor=people[who], filename=name, content=content)


def _finished(client: TestClient, headers: dict[str, str], job_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}", headers=headers).json()
        if job["status"] not in ("queued", "running"):
            return dict(job)
        time.sleep(0.2)
    raise AssertionError("the comparison job did not finish")


def test_the_api_uploads_a_period_and_reports_both_ratios(
    client: TestClient, session: Session, people: dict[str, User], connected: list[Surface], tmp_path: Path
) -> None:
    name, content = measured_epw(tmp_path)
    expected = _independent_estimate(tmp_path / name, connected)
    _report_energy(
        session,
        people["winner"],
        [
            (s.id or 0, 2025, m, round(float(expected[i, m - 1]), 3))
            for i, s in enumerate(connected)
            for m in (5, 6)
        ],
    )
    supplier = api_token(client, "w@supplier.cn")
    refused = client.post(
        "/api/v1/programme/measured-weather", files={"file": (name, content)}, headers=supplier
    )
    assert refused.status_code == 403
    office = api_token(client, "o@office.cn")
    bad = client.post(
        "/api/v1/programme/measured-weather", files={"file": ("x.epw", b"LOCATION,x\n")}, headers=office
    )
    assert bad.status_code == 422 and "x.epw" in bad.json()["detail"]
    accepted = client.post(
        "/api/v1/programme/measured-weather", files={"file": (name, content)}, headers=office
    )
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert (body["dataset"]["first_month"], body["dataset"]["last_month"]) == ("2025-03", "2025-08")
    assert _finished(client, office, body["job_id"])["status"] == "succeeded"
    listed = client.get("/api/v1/programme/measured-weather", headers=office).json()
    assert [d["name"] for d in listed] == [name]
    ratios = client.get("/api/v1/progress/yield", headers=office).json()
    normalised = ratios["weather_normalised"]
    assert normalised["weather_normalised_ratio"] == pytest.approx(1.0, abs=5e-4)
    assert normalised["typical_year_ratio"] == pytest.approx(ratios["yield_ratio"], abs=1e-4)
    assert abs(normalised["typical_year_ratio"] - 1.0) > 0.03


def test_the_measured_period_keeps_its_dates_in_the_engine(tmp_path: Path) -> None:
    """Reading the same period back keeps the real months; a typical read of it would not."""
    name, _ = measured_epw(tmp_path)
    period = read_weather(tmp_path / name, keep_dates=True)
    assert period.data.index[0].year == 2025 and len(period.data) == measured_year().data.shape[0]
    with pytest.raises(ValueError):
        read_weather(tmp_path / name)  # a typical year needs 8,760 hours
