"""The surface page: an owner reads its surface's estimate and what it assumed; the office changes the
surface's shading loss, sees the estimate go out of date and re-estimates it with one click."""

from __future__ import annotations

import re
import time

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role, RunStatus
from pvhub.estimates import service as estimates
from pvhub.estimates.models import Estimate
from pvhub.jobs.models import Job
from pvhub.register.enums import SurfaceStatus
from pvhub.register.models import Surface
from tests.conftest import ROOF_22_SOUTH, add_site
from tests.web.test_pages import csrf_of, login

EN = {"Accept-Language": "en"}


@pytest.fixture
def estimated_roof(session: Session, make_user):  # type: ignore[no-untyped-def]
    """An owner's approved, estimated south 22° roof (300 m² usable), and the office."""
    owner = make_user("w@x.cn", Role.owner, "Bund Property")
    make_user("o@x.cn", Role.office, "Programme office")
    site, (roof,) = add_site(
        session, owner.organisation_id, "外滩大楼", {**ROOF_22_SOUTH, "name": "South roof"}
    )
    assert roof.id is not None
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[roof.id])
    session.commit()
    return site, roof


def wait_for(session: Session, job_id: int, timeout_s: float = 30.0) -> Job:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        session.expire_all()
        job = session.get(Job, job_id)
        if job is not None and job.status not in (RunStatus.queued, RunStatus.running):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish in {timeout_s} s")


def test_an_owner_reads_the_figures_the_chart_and_the_assumptions_of_its_surface(
    client: TestClient, estimated_roof
) -> None:  # type: ignore[no-untyped-def]
    site, roof = estimated_roof
    login(client, "w@x.cn")
    page = client.get(f"/surfaces/{roof.id}", headers=EN)
    assert page.status_code == 200
    text = page.text
    assert "Roof · South roof" in text and f'href="/sites/{site.id}#surfaces"' in text
    assert "54.0 <small>kWp</small>" in text  # 300 m² × 180 W/m²
    assert text.count('class="bar-month"') == 12
    for expected in (
        "Installable capacity",
        "Specific yield",
        "CO₂ avoided",
        "180 W/m²",
        "Open rack, glass/polymer",
        "SAPM (a = -3.56, b = -0.075, ΔT = 3 °C)",
        "14.08 %",
        "synthetic typical year",
        "Shanghai Longhua",
        "0.42 tCO₂/MWh",
        "(Asia/Shanghai)",
    ):
        assert expected in text, expected
    specific = re.search(r'class="value">([\d,]+) <small>kWh/kWp', text)
    assert specific and 1000 <= int(specific.group(1).replace(",", "")) <= 1100
    # an owner neither re-estimates nor overrides the office's assumptions
    assert "/estimate" not in text.replace("/api/", "") and 'name="shading_loss_pct"' not in text
    assert "Out of date" not in text


def test_the_surface_page_is_as_private_as_the_surface(client: TestClient, estimated_roof, make_user) -> None:  # type: ignore[no-untyped-def]
    _site, roof = estimated_roof
    make_user("t@x.cn", Role.owner, "Another owner")
    make_user("s@x.cn", Role.supplier, "EPC Co")
    for email in ("t@x.cn", "s@x.cn"):
        login(client, email)
        assert client.get(f"/surfaces/{roof.id}").status_code == 404
        client.cookies.clear()
    assert client.get(f"/surfaces/{roof.id}", follow_redirects=False).status_code == 303  # to the login


def test_the_page_is_in_chinese_by_default(client: TestClient, estimated_roof) -> None:  # type: ignore[no-untyped-def]
    _site, roof = estimated_roof
    login(client, "w@x.cn")
    text = client.get(f"/surfaces/{roof.id}").text
    assert "屋顶 · South roof" in text and "合成典型年" in text and "组件功率密度" in text


def test_the_office_changes_the_shading_loss_then_re_estimates_with_one_click(
    client: TestClient, session: Session, estimated_roof
) -> None:  # type: ignore[no-untyped-def]
    _site, roof = estimated_roof
    before = session.exec(select(Estimate)).one().annual_kwh
    login(client, "o@x.cn")
    page = client.get(f"/surfaces/{roof.id}", headers=EN)
    # nothing typed yet: the field is empty (computed from the buildings)
    assert 'name="shading_loss_pct" value=""' in page.text and "Re-estimate now" in page.text
    saved = client.post(
        f"/surfaces/{roof.id}/assumptions",
        data={"csrf_token": csrf_of(page.text), "shading_loss_pct": "10 %"},
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"].startswith(f"/surfaces/{roof.id}")
    session.expire_all()
    surface = session.get(Surface, roof.id)
    assert surface is not None and surface.shading_loss == pytest.approx(0.10)
    assert surface.status == SurfaceStatus.approved  # an assumption, not a survey edit: no re-review
    assert session.exec(select(Estimate)).one().stale is True
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "set_assumptions")).one()
    assert event.before is not None and event.after is not None
    assert event.before["shading_loss"] == 0 and event.after["shading_loss"] == pytest.approx(0.1)

    stale_page = client.get(f"/surfaces/{roof.id}", headers=EN)
    assert "Out of date" in stale_page.text
    assert 'name="shading_loss_pct" value="10"' in stale_page.text
    listed = client.get("/sites", headers=EN)
    assert "Estimates out of date: 1" in listed.text

    started = client.post(
        f"/surfaces/{roof.id}/estimate",
        data={"csrf_token": csrf_of(stale_page.text)},
        follow_redirects=False,
    )
    assert started.status_code == 303 and started.headers["location"].startswith("/jobs/")
    job_id = int(started.headers["location"].rsplit("/", 1)[1])
    job = wait_for(session, job_id)
    assert job.status == RunStatus.succeeded, job.error
    assert job.parameters == {"surface_ids": [roof.id]}
    done = client.get(f"/jobs/{job_id}", headers=EN)
    assert f'href="/surfaces/{roof.id}"' in done.text and "Back to the surface" in done.text

    session.expire_all()
    fresh = session.exec(select(Estimate)).one()
    assert fresh.stale is False and fresh.assumptions["surface"]["shading_loss"] == pytest.approx(0.1)
    assert fresh.annual_kwh == pytest.approx(before * 0.9, rel=1e-6)
    again = client.get(f"/surfaces/{roof.id}", headers=EN)
    assert "Out of date" not in again.text and "10.0 %" in again.text


def test_a_bad_shading_loss_is_refused_and_changes_nothing(
    client: TestClient, session: Session, estimated_roof
) -> None:  # type: ignore[no-untyped-def]
    _site, roof = estimated_roof
    login(client, "o@x.cn")
    page = client.get(f"/surfaces/{roof.id}", headers=EN)
    for raw, message in (("lots", "is not a number"), ("150", "between 0 and 100 %")):
        response = client.post(
            f"/surfaces/{roof.id}/assumptions",
            data={"csrf_token": csrf_of(page.text), "shading_loss_pct": raw},
            headers=EN,
        )
        assert response.status_code == 200 and message in response.text
    session.expire_all()
    assert session.exec(select(Estimate)).one().stale is False
    surface = session.get(Surface, roof.id)
    assert surface is not None and surface.shading_loss == 0


def test_an_owner_cannot_post_the_office_forms(client: TestClient, session: Session, estimated_roof) -> None:  # type: ignore[no-untyped-def]
    _site, roof = estimated_roof
    login(client, "w@x.cn")
    token = csrf_of(client.get(f"/surfaces/{roof.id}").text)
    assert (
        client.post(f"/surfaces/{roof.id}/assumptions", data={"csrf_token": token, "shading_loss_pct": "50"})
    ).status_code == 403
    assert client.post(f"/surfaces/{roof.id}/estimate", data={"csrf_token": token}).status_code == 403
    session.expire_all()
    assert session.exec(select(Job)).first() is None
    assert session.exec(select(Estimate)).one().stale is False


def test_a_surface_back_in_review_says_it_is_estimated_once_approved(
    client: TestClient, session: Session, estimated_roof
) -> None:  # type: ignore[no-untyped-def]
    _site, roof = estimated_roof
    surface = session.get(Surface, roof.id)
    assert surface is not None
    surface.status = SurfaceStatus.submitted
    session.add(surface)
    session.commit()
    login(client, "o@x.cn")
    page = client.get(f"/surfaces/{roof.id}", headers=EN)
    assert "Re-estimate now" not in page.text
    refused = client.post(
        f"/surfaces/{roof.id}/estimate", data={"csrf_token": csrf_of(page.text)}, headers=EN
    )
    assert refused.status_code == 409 and "once it is approved" in refused.text


def test_a_surface_without_an_estimate_shows_the_assumptions_that_will_be_used(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("w@x.cn", Role.owner, "Owner")
    _site, (wall,) = add_site(
        session,
        owner.organisation_id,
        "Tower",
        {**ROOF_22_SOUTH, "kind": "curtain_wall", "tilt_deg": 90, "status": SurfaceStatus.draft},
    )
    login(client, "w@x.cn")
    page = client.get(f"/surfaces/{wall.id}", headers=EN)
    assert page.status_code == 200
    assert "No estimate yet." in page.text and "Assumptions that will be used" in page.text
    assert "120 W/m²" in page.text and "Close mount, glass/glass" in page.text


def test_the_site_page_links_each_surface_to_its_page(client: TestClient, estimated_roof) -> None:  # type: ignore[no-untyped-def]
    site, roof = estimated_roof
    login(client, "w@x.cn")
    assert f'href="/surfaces/{roof.id}"' in client.get(f"/sites/{site.id}").text
