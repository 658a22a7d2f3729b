"""Estimating surfaces stores the figures with what they were computed from."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from pvhub.errors import PermissionDenied
from pvhub.models import AuditEvent, Estimate, Role, Site, Surface, SurfaceKind, SurfaceStatus
from pvhub.services import estimates


@pytest.fixture
def surfaces(session: Session, make_user):  # type: ignore[no-untyped-def]
    owner = make_user("w@x.cn", Role.owner, "Owner")
    site = Site(name="Tower", organisation_id=owner.organisation_id, lon=121.48, lat=31.23)
    session.add(site)
    session.flush()
    assert site.id is not None
    roof = Surface(
        site_id=site.id,
        kind=SurfaceKind.roof,
        tilt_deg=22,
        azimuth_deg=180,
        gross_area_m2=600,
        usable_area_m2=400,
        status=SurfaceStatus.approved,
    )
    north_wall = Surface(
        site_id=site.id,
        kind=SurfaceKind.curtain_wall,
        tilt_deg=90,
        azimuth_deg=0,
        gross_area_m2=600,
        usable_area_m2=400,
        status=SurfaceStatus.approved,
    )
    draft = Surface(
        site_id=site.id,
        kind=SurfaceKind.walkway,
        tilt_deg=5,
        azimuth_deg=180,
        gross_area_m2=50,
        usable_area_m2=40,
        status=SurfaceStatus.draft,
    )
    session.add_all([roof, north_wall, draft])
    session.commit()
    return roof, north_wall, draft


def test_approved_surfaces_are_estimated_with_provenance(session: Session, surfaces) -> None:  # type: ignore[no-untyped-def]
    roof, north_wall, draft = surfaces
    ids = estimates.surfaces_to_estimate(session=session, only_missing_or_stale=True)
    assert ids == [roof.id, north_wall.id]
    summary = estimates.estimate_surfaces(session=session, actor=None, surface_ids=ids)
    session.commit()
    assert summary.surfaces == 2
    stored = estimates.estimates_for(session=session, surface_ids=[roof.id, north_wall.id, draft.id])
    assert set(stored) == {roof.id, north_wall.id}
    roof_estimate = stored[roof.id]
    assert roof_estimate.capacity_kwp == pytest.approx(400 * 0.180)
    assert 1000 <= roof_estimate.specific_yield_kwh_per_kwp <= 1100
    assert sum(roof_estimate.monthly_kwh) == pytest.approx(roof_estimate.annual_kwh, rel=1e-3)
    assert roof_estimate.specific_yield_kwh_per_kwp > 2 * stored[north_wall.id].specific_yield_kwh_per_kwp
    assert roof_estimate.co2_avoided_t == pytest.approx(roof_estimate.annual_kwh / 1000 * 0.42, rel=1e-6)
    assert len(roof_estimate.weather_hash) == 64 and roof_estimate.pvlib_version
    assert roof_estimate.assumptions["weather"]["synthetic"] is True
    assert roof_estimate.assumptions["losses_pct"] == 14.08
    assert estimates.surfaces_to_estimate(session=session, only_missing_or_stale=True) == []
    assert session.exec(select(AuditEvent).where(AuditEvent.entity == "estimate")).one()


def test_a_re_estimate_replaces_and_a_stale_one_is_redone(session: Session, surfaces) -> None:  # type: ignore[no-untyped-def]
    roof, _wall, _draft = surfaces
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[roof.id])
    session.commit()
    row = session.exec(select(Estimate)).one()
    row.stale = True
    session.add(row)
    session.commit()
    assert roof.id in estimates.surfaces_to_estimate(session=session, only_missing_or_stale=True)
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[roof.id])
    session.commit()
    rows = session.exec(select(Estimate)).all()
    assert len(rows) == 1 and rows[0].stale is False


def test_only_the_office_runs_estimates(session: Session, surfaces, make_user) -> None:  # type: ignore[no-untyped-def]
    supplier = make_user("s@x.cn", Role.supplier, "EPC")
    with pytest.raises(PermissionDenied):
        estimates.estimate_surfaces(session=session, actor=supplier, surface_ids=[surfaces[0].id])


def test_changing_a_surface_marks_its_estimate_stale(session: Session, surfaces, make_user) -> None:  # type: ignore[no-untyped-def]
    from pvhub.models import User
    from pvhub.models.register import SurfaceUpdate
    from pvhub.services import register

    roof = surfaces[0]
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[roof.id])
    session.commit()
    owner = session.exec(select(User).where(User.email == "w@x.cn")).one()
    register.update_surface(
        session=session,
        actor=owner,
        surface_id=roof.id,
        changes=SurfaceUpdate.model_validate(
            {"tilt_deg": 30.0, "azimuth_deg": 180.0, "gross_area_m2": 600.0}
        ),
    )
    session.commit()
    session.expire_all()
    assert session.exec(select(Estimate)).one().stale is True
    edited = session.get(Surface, roof.id)
    assert edited is not None and edited.tilt_deg == 30
    assert edited.status == SurfaceStatus.submitted  # back to review; re-estimated once approved again
