"""Estimating surfaces stores the figures with what they were computed from."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role
from pvhub.core.errors import PermissionDenied
from pvhub.estimates import service as estimates
from pvhub.estimates.config import current_config
from pvhub.estimates.models import Estimate
from pvhub.register.enums import SurfaceKind, SurfaceStatus
from pvhub.register.models import Site, Surface


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
    from pvhub.accounts.models import User
    from pvhub.register import service as register
    from pvhub.register.models import SurfaceUpdate

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


def test_each_estimate_records_the_surface_inputs_the_model_chain_and_its_configuration(
    session: Session, surfaces
) -> None:  # type: ignore[no-untyped-def]
    roof = surfaces[0]
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[roof.id])
    session.commit()
    used = session.exec(select(Estimate)).one().assumptions
    assert used["surface"] == {
        "tilt_deg": 22,
        "azimuth_deg": 180,
        "usable_area_m2": 400,
        "shading_loss": 0,
        "shading_manual": False,
        "sky_view_factor": None,
        "power_density_w_m2": None,
        "losses_pct": None,
    }
    assert used["shading"] == "none" and used["building_shade"] is None  # no drawn shape: no building shade
    assert used["transposition"] == "perez" and used["temperature_model"] == "sapm"
    assert used["dc_model"] == used["ac_model"] == used["losses_model"] == "pvwatts"
    assert used["temperature_params"] == {"a": -3.56, "b": -0.075, "deltaT": 3}
    assert used["config_key"] == estimates.config_key("roof", config=current_config(session=session))
    assert used["weather"]["synthetic"] is True and len(used["weather"]["sha256"]) == 64


def test_changing_a_kinds_default_assumptions_outdates_exactly_the_estimates_of_that_kind(
    session: Session, surfaces
) -> None:  # type: ignore[no-untyped-def]
    from dataclasses import replace

    from pvhub.yieldengine import DEFAULT_ASSUMPTIONS

    roof, wall, _draft = surfaces
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[roof.id, wall.id])
    session.commit()
    assert estimates.flag_outdated_estimates(session=session) == 0
    changed = {**DEFAULT_ASSUMPTIONS, "roof": replace(DEFAULT_ASSUMPTIONS["roof"], losses_pct=10.0)}
    assert estimates.flag_outdated_estimates(session=session, assumptions=changed) == 1
    session.commit()
    session.expire_all()
    stale = {row.surface_id: row.stale for row in session.exec(select(Estimate)).all()}
    assert stale == {roof.id: True, wall.id: False}
    # a new CO2 factor outdates every kind
    assert estimates.flag_outdated_estimates(session=session, co2_t_per_mwh=0.5) == 1  # the wall


def test_the_office_edits_an_assumption_which_outdates_that_kind_until_re_estimated(
    session: Session, surfaces, make_user
) -> None:  # type: ignore[no-untyped-def]
    from pvhub.programme import assumptions

    roof, wall, _draft = surfaces
    office = make_user("o@x.cn", Role.office, "Office")
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[roof.id, wall.id])
    session.commit()
    assert estimates.out_of_date_count(session=session) == 0
    before = session.exec(select(Estimate).where(Estimate.surface_id == roof.id)).one().annual_kwh
    assumptions.set_assumptions(session=session, actor=office, kinds={"roof": {"losses_pct": 20.0}})
    session.commit()
    assert estimates.out_of_date_count(session=session) == 1
    assert estimates.surfaces_to_estimate(session=session, only_missing_or_stale=True) == [roof.id]
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[roof.id])
    session.commit()
    row = session.exec(select(Estimate).where(Estimate.surface_id == roof.id)).one()
    assert row.assumptions["losses_pct"] == 20.0
    # PVWatts losses scale the DC energy: 14.08 % → 20 % loses 6.9 % of the energy, less clipping
    assert row.annual_kwh == pytest.approx(before * 0.80 / (1 - 0.1408), rel=0.01)
    assert estimates.out_of_date_count(session=session) == 0
    # a new CO2 factor outdates every kind; an edit that changes nothing stores nothing
    assumptions.set_assumptions(session=session, actor=office, co2_t_per_mwh=0.5)
    assumptions.set_assumptions(session=session, actor=office, co2_t_per_mwh=0.5)
    session.commit()
    assert estimates.out_of_date_count(session=session) == 2
    assert len(assumptions.assumptions_history(session=session)) == 2
    actions = session.exec(select(AuditEvent).where(AuditEvent.entity == "assumptions")).all()
    assert [a.after["co2_t_per_mwh"] for a in actions if a.after] == [0.42, 0.5]


def test_assumptions_out_of_range_are_refused_naming_the_field_and_store_nothing(
    session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    from pvhub.core.errors import InvalidInput
    from pvhub.programme import assumptions

    office = make_user("o@x.cn", Role.office, "Office")
    owner = make_user("w@x.cn", Role.owner, "Owner")
    for kinds, field in (
        ({"roof": {"losses_pct": 75}}, "kinds.roof.losses_pct"),
        ({"roof": {"mounting": "on_the_moon"}}, "kinds.roof.mounting"),
        ({"wall": {"albedo": 0.3}}, "kinds"),
        ({"walkway": {"colour": 1}}, "kinds.walkway.colour"),
        ({"corridor": {"albedo": "0.3"}}, "kinds.corridor.albedo"),
    ):
        with pytest.raises(InvalidInput) as refused:
            assumptions.set_assumptions(session=session, actor=office, kinds=kinds)
        assert refused.value.field == field
    with pytest.raises(InvalidInput):
        assumptions.set_assumptions(session=session, actor=office, co2_t_per_mwh=-1)
    with pytest.raises(PermissionDenied):
        assumptions.set_assumptions(session=session, actor=owner, co2_t_per_mwh=0.5)
    assert assumptions.assumptions_history(session=session) == []
    assert assumptions.current_assumptions(session=session).is_default


def test_an_estimate_made_under_other_assumptions_is_redone_and_flagged_when_the_app_starts(
    session: Session, surfaces, settings
) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from web.app import create_app

    roof, wall, _draft = surfaces
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[roof.id, wall.id])
    session.commit()
    row = session.exec(select(Estimate).where(Estimate.surface_id == roof.id)).one()
    row.assumptions = {**row.assumptions, "config_key": "made-by-an-older-pvhub"}
    session.add(row)
    session.commit()
    # not flagged yet, but no longer current: the next run picks it up
    assert estimates.surfaces_to_estimate(session=session, only_missing_or_stale=True) == [roof.id]
    app = create_app(settings)
    with TestClient(app):
        pass
    app.state.engine.dispose()
    session.expire_all()
    assert session.exec(select(Estimate).where(Estimate.surface_id == roof.id)).one().stale is True
    assert session.exec(select(Estimate).where(Estimate.surface_id == wall.id)).one().stale is False


def test_the_office_sets_a_surfaces_shading_loss_which_outdates_its_estimate_only(
    session: Session, surfaces, make_user
) -> None:  # type: ignore[no-untyped-def]
    from pvhub.register import service as register

    roof, wall, _draft = surfaces
    office = make_user("o@x.cn", Role.office, "Office")
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[roof.id, wall.id])
    session.commit()
    register.set_surface_assumptions(session=session, actor=office, surface_id=roof.id, shading_loss=0.08)
    session.commit()
    session.expire_all()
    stale = {row.surface_id: row.stale for row in session.exec(select(Estimate)).all()}
    assert stale == {roof.id: True, wall.id: False}
    edited = session.get(Surface, roof.id)
    assert edited is not None and edited.shading_loss == 0.08 and edited.status == SurfaceStatus.approved
    assert estimates.surfaces_to_estimate(session=session, only_missing_or_stale=True) == [roof.id]
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "set_assumptions")).one()


def test_only_the_office_sets_assumptions_and_only_to_a_fraction_of_0_to_1(
    session: Session, surfaces, make_user
) -> None:  # type: ignore[no-untyped-def]
    from pvhub.accounts.models import User
    from pvhub.core.errors import Conflict, InvalidInput
    from pvhub.register import service as register

    roof, _wall, draft = surfaces
    office = make_user("o@x.cn", Role.office, "Office")
    owner = session.exec(select(User).where(User.email == "w@x.cn")).one()
    with pytest.raises(PermissionDenied):
        register.set_surface_assumptions(session=session, actor=owner, surface_id=roof.id, shading_loss=0.5)
    for bad in (-0.1, 1.5, float("nan")):
        with pytest.raises(InvalidInput, match="shading loss must be between 0 and 100 %") as refused:
            register.set_surface_assumptions(
                session=session, actor=office, surface_id=roof.id, shading_loss=bad
            )
        assert refused.value.field == "shading_loss"
    draft.status = SurfaceStatus.withdrawn
    session.add(draft)
    session.commit()
    with pytest.raises(Conflict, match="withdrawn surface"):
        register.set_surface_assumptions(session=session, actor=office, surface_id=draft.id, shading_loss=0.1)
    session.expire_all()
    assert session.get(Surface, roof.id).shading_loss == 0  # type: ignore[union-attr]


def test_a_surfaces_own_power_density_and_losses_override_its_kinds(
    session: Session, surfaces, make_user
) -> None:  # type: ignore[no-untyped-def]
    from pvhub.core.errors import InvalidInput
    from pvhub.register import service as register

    roof, _wall, _draft = surfaces
    office = make_user("o@x.cn", Role.office, "Office")
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[roof.id])
    session.commit()
    before = session.exec(select(Estimate).where(Estimate.surface_id == roof.id)).one()
    kwp, yield_ = before.capacity_kwp, before.specific_yield_kwh_per_kwp
    density = before.assumptions["power_density_w_m2"] * 1.25
    register.set_surface_assumptions(
        session=session,
        actor=office,
        surface_id=roof.id,
        shading_loss=0,
        power_density_w_m2=density,
        losses_pct=20,
    )
    session.commit()
    session.expire_all()
    assert session.exec(select(Estimate).where(Estimate.surface_id == roof.id)).one().stale is True
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[roof.id])
    session.commit()
    after = session.exec(select(Estimate).where(Estimate.surface_id == roof.id)).one()
    assert after.capacity_kwp == pytest.approx(kwp * 1.25, rel=1e-6)
    assert after.assumptions["losses_pct"] == 20 and after.assumptions["surface"]["losses_pct"] == 20
    # 20 % instead of the default 14.08 % system losses: (1 - 0.20) / (1 - 0.1408) of the yield
    assert after.specific_yield_kwh_per_kwp == pytest.approx(yield_ * 0.80 / (1 - 0.1408), rel=0.01)
    for field, value in (("power_density_w_m2", 0.0), ("power_density_w_m2", 900.0), ("losses_pct", 100.0)):
        with pytest.raises(InvalidInput) as bad:
            register.set_surface_assumptions(
                session=session, actor=office, surface_id=roof.id, shading_loss=0, **{field: value}
            )
        assert bad.value.field == field


def test_renaming_a_surface_leaves_its_estimate_current(session: Session, surfaces) -> None:  # type: ignore[no-untyped-def]
    from pvhub.accounts.models import User
    from pvhub.register import service as register
    from pvhub.register.models import SurfaceUpdate

    roof = surfaces[0]
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[roof.id])
    session.commit()
    owner = session.exec(select(User).where(User.email == "w@x.cn")).one()
    register.update_surface(
        session=session,
        actor=owner,
        surface_id=roof.id,
        changes=SurfaceUpdate.model_validate({"name": "North block roof"}),
    )
    session.commit()
    session.expire_all()
    assert session.exec(select(Estimate)).one().stale is False


def test_one_surface_is_re_estimated_on_request_only_when_approved(
    session: Session, surfaces, make_user
) -> None:  # type: ignore[no-untyped-def]
    from pvhub.core.errors import Conflict

    roof, _wall, draft = surfaces
    office = make_user("o@x.cn", Role.office, "Office")
    job = estimates.request_estimate(session=session, actor=office, surface_id=roof.id)
    assert job.kind == "estimate" and job.parameters == {"surface_ids": [roof.id]}
    with pytest.raises(Conflict, match="once it is approved"):
        estimates.request_estimate(session=session, actor=office, surface_id=draft.id)
    supplier = make_user("s@x.cn", Role.supplier, "EPC")
    with pytest.raises(PermissionDenied):
        estimates.request_estimate(session=session, actor=supplier, surface_id=roof.id)
