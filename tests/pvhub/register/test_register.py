"""The register service: who may change what, how surfaces move through review, and what is derived."""

from __future__ import annotations

import math
from typing import Any

import pytest
from sqlmodel import Session, select

from pvhub.accounts.models import User
from pvhub.bundling.enums import BundleStatus
from pvhub.bundling.models import Bundle, BundleSite
from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role
from pvhub.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from pvhub.register import service as register
from pvhub.register.enums import SurfaceKind, SurfaceStatus
from pvhub.register.models import (
    Site,
    SiteCreate,
    SiteUpdate,
    Surface,
    SurfaceApproval,
    SurfaceCreate,
    SurfaceUpdate,
)

LON, LAT = 121.4800, 31.2300
DLON, DLAT = 1 / 95_180, 1 / 110_900  # degrees per metre near Huangpu


def rectangle(width_m: float, depth_m: float, lon: float = LON, lat: float = LAT) -> dict[str, Any]:
    """A GeoJSON rectangle width (east) × depth (north), metres, with its SW corner at lon/lat."""
    e, n = lon + width_m * DLON, lat + depth_m * DLAT
    return {"type": "Polygon", "coordinates": [[[lon, lat], [e, lat], [e, n], [lon, n], [lon, lat]]]}


People = dict[str, User]
ALL_OK = SurfaceApproval(structural_load_ok=True, fire_rating_ok=True, glare_risk_ok=True)


@pytest.fixture
def people(make_user: Any) -> People:
    return {
        "owner": make_user("a@owner.cn", Role.owner, "Owner A"),
        "other": make_user("b@owner.cn", Role.owner, "Owner B"),
        "office": make_user("o@office.cn", Role.office, "Office"),
        "supplier": make_user("s@supplier.cn", Role.supplier, "Supplier S"),
    }


def new_site(session: Session, owner: User, **fields: object) -> Any:
    data = SiteCreate.model_validate({"name": "Bund tower", "footprint": rectangle(40, 30), **fields})
    return register.create_site(session=session, actor=owner, data=data)


def new_roof(session: Session, actor: User, site_id: int, **fields: object) -> Any:
    data = SurfaceCreate.model_validate(
        {"site_id": site_id, "kind": "roof", "geometry": rectangle(20, 10), **fields}
    )
    return register.create_surface(session=session, actor=actor, data=data)


def test_a_site_is_located_at_its_footprints_centroid(session: Session, people: People) -> None:
    site = new_site(session, people["owner"])
    assert site.organisation_id == people["owner"].organisation_id
    assert site.lon == pytest.approx(LON + 20 * DLON, abs=1e-6)
    assert site.lat == pytest.approx(LAT + 15 * DLAT, abs=1e-6)


def test_a_site_needs_a_footprint_or_a_location(session: Session, people: People) -> None:
    with pytest.raises(InvalidInput, match="footprint, or both lon and lat"):
        register.create_site(session=session, actor=people["owner"], data=SiteCreate(name="Nowhere"))


def test_the_office_registers_a_site_for_an_owner_and_a_supplier_cannot(
    session: Session, people: People
) -> None:
    org = people["owner"].organisation_id
    site = new_site(session, people["office"], organisation_id=org)
    assert site.organisation_id == org
    with pytest.raises(InvalidInput, match="organisation_id"):
        new_site(session, people["office"])
    with pytest.raises(PermissionDenied):
        new_site(session, people["supplier"])
    with pytest.raises(PermissionDenied):
        new_site(session, people["other"], organisation_id=org)


def test_a_flat_roof_gets_its_area_from_the_drawing_less_the_edge_setback(
    session: Session, people: People
) -> None:
    site = new_site(session, people["owner"], height_m=24)
    roof = new_roof(session, people["owner"], site.id)
    assert (roof.tilt_deg, roof.azimuth_deg, roof.status) == (0, 180, SurfaceStatus.draft)
    assert roof.gross_area_m2 == pytest.approx(200, rel=0.01)
    assert roof.usable_area_m2 == pytest.approx(19 * 9, rel=0.01)  # 0.5 m roof setback
    assert roof.height_m == 24  # a roof sits on its building unless told otherwise


def test_a_tilted_roof_counts_its_sloped_area(session: Session, people: People) -> None:
    site = new_site(session, people["owner"])
    roof = new_roof(session, people["owner"], site.id, tilt_deg=30, azimuth_deg=170)
    assert roof.gross_area_m2 == pytest.approx(200 / math.cos(math.radians(30)), rel=0.01)
    assert roof.azimuth_deg == 170


def test_a_curtain_wall_from_a_base_line_and_heights(session: Session, people: People) -> None:
    site = new_site(session, people["owner"])
    line = {"type": "LineString", "coordinates": [[LON + 30 * DLON, LAT], [LON, LAT]]}  # walking west
    wall = register.create_surface(
        session=session,
        actor=people["owner"],
        data=SurfaceCreate.model_validate(
            {
                "site_id": site.id,
                "kind": "curtain_wall",
                "geometry": line,
                "height_from_m": 10,
                "height_to_m": 30,
            }
        ),
    )
    assert wall.tilt_deg == 90 and min(wall.azimuth_deg, 360 - wall.azimuth_deg) < 0.5  # faces north
    assert wall.gross_area_m2 == pytest.approx(600, rel=0.01) and wall.height_m == 10


def test_a_walkway_canopy_and_surveyed_values(session: Session, people: People) -> None:
    site = new_site(session, people["owner"])
    walkway = register.create_surface(
        session=session,
        actor=people["owner"],
        data=SurfaceCreate.model_validate(
            {"site_id": site.id, "kind": "walkway", "geometry": rectangle(50, 4), "height_m": 3}
        ),
    )
    assert walkway.gross_area_m2 == pytest.approx(200, rel=0.01) and walkway.height_m == 3
    assert walkway.usable_area_m2 == pytest.approx(49.4 * 3.4, rel=0.01)
    surveyed = register.create_surface(
        session=session,
        actor=people["owner"],
        data=SurfaceCreate(
            site_id=site.id, kind=SurfaceKind.corridor, tilt_deg=5, azimuth_deg=200, gross_area_m2=80
        ),
    )
    # without geometry or a usable area, the per-kind share of the gross area (as the file import does)
    assert (surveyed.gross_area_m2, surveyed.usable_area_m2, surveyed.geometry) == (80, 68, None)


def test_a_surveyed_surface_gets_the_same_usable_area_by_form_or_by_file(
    session: Session, people: People
) -> None:
    from pvhub.register.imports.service import import_file
    from tests.pvhub.register.test_imports import HEADER, csv_bytes

    owner = people["owner"]
    assert owner.organisation_id is not None
    site = new_site(session, owner)
    for kind, tilt in (("roof", 10), ("curtain_wall", 90), ("corridor", 0), ("walkway", 5)):
        entered = register.create_surface(
            session=session,
            actor=owner,
            data=SurfaceCreate.model_validate(
                {"site_id": site.id, "kind": kind, "tilt_deg": tilt, "azimuth_deg": 180, "gross_area_m2": 500}
            ),
        )
        row = f"Imported {kind},Road 1,外滩街道,office,121.49,31.24,{kind},{tilt},180,500,,0,20,"
        report = import_file(
            session=session,
            actor=owner,
            organisation_id=owner.organisation_id,
            filename="one.csv",
            content=csv_bytes(row, header=HEADER),
            dry_run=False,
        )
        assert report.ok, report.errors
        imported = session.exec(select(Surface).join(Site).where(Site.name == f"Imported {kind}")).one()
        assert entered.usable_area_m2 == pytest.approx(imported.usable_area_m2)
        assert 0 < entered.usable_area_m2 < 500


def test_usable_area_above_gross_is_refused(session: Session, people: People) -> None:
    site = new_site(session, people["owner"])
    with pytest.raises(InvalidInput, match="usable_area_m2") as info:
        new_roof(session, people["owner"], site.id, usable_area_m2=500)
    assert info.value.field == "usable_area_m2"


def test_surveyed_values_need_tilt_azimuth_and_area(session: Session, people: People) -> None:
    site = new_site(session, people["owner"])
    with pytest.raises(InvalidInput, match="gross_area_m2 is required"):
        register.create_surface(
            session=session,
            actor=people["owner"],
            data=SurfaceCreate(site_id=site.id, kind=SurfaceKind.roof, tilt_deg=0, azimuth_deg=180),
        )


def test_an_owner_cannot_edit_another_owners_surface(session: Session, people: People) -> None:
    site = new_site(session, people["owner"])
    roof = new_roof(session, people["owner"], site.id)
    with pytest.raises(NotFound):
        register.update_surface(
            session=session, actor=people["other"], surface_id=roof.id, changes=SurfaceUpdate(name="mine")
        )
    with pytest.raises(NotFound):
        register.update_site(
            session=session, actor=people["other"], site_id=site.id, changes=SiteUpdate(name="x")
        )


def test_the_review_story_with_audit(session: Session, people: People) -> None:
    owner, office = people["owner"], people["office"]
    roof = new_roof(session, owner, new_site(session, owner).id)
    register.submit_surface(session=session, actor=owner, surface_id=roof.id)
    with pytest.raises(PermissionDenied):
        register.approve_surface(session=session, actor=owner, surface_id=roof.id, checks=ALL_OK)
    register.reject_surface(
        session=session, actor=office, surface_id=roof.id, reason="Structural report missing"
    )
    assert roof.status == SurfaceStatus.rejected and roof.rejection_reason == "Structural report missing"
    register.update_surface(
        session=session, actor=owner, surface_id=roof.id, changes=SurfaceUpdate(shading_loss=0.1)
    )
    register.submit_surface(session=session, actor=owner, surface_id=roof.id)
    assert roof.rejection_reason is None
    register.approve_surface(session=session, actor=office, surface_id=roof.id, checks=ALL_OK)
    assert roof.status == SurfaceStatus.approved and roof.structural_load_ok is True
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "surface")).all()
    assert [e.action for e in events] == ["create", "submit", "reject", "update", "submit", "approve"]
    reject = events[2]
    assert reject.before is not None and reject.after is not None
    assert (reject.before["status"], reject.after["status"]) == ("submitted", "rejected")
    assert reject.actor_label == "o@office.cn"


def test_an_approved_surface_edited_goes_back_to_review(session: Session, people: People) -> None:
    owner, office = people["owner"], people["office"]
    roof = new_roof(session, owner, new_site(session, owner).id)
    register.submit_surface(session=session, actor=owner, surface_id=roof.id)
    register.approve_surface(session=session, actor=office, surface_id=roof.id, checks=ALL_OK)
    register.update_surface(
        session=session, actor=owner, surface_id=roof.id, changes=SurfaceUpdate(geometry=rectangle(10, 10))
    )
    assert roof.status == SurfaceStatus.submitted
    assert roof.gross_area_m2 == pytest.approx(100, rel=0.01)


def test_approve_refuses_an_ineligible_surface(session: Session, people: People) -> None:
    owner, office = people["owner"], people["office"]
    roof = new_roof(session, owner, new_site(session, owner).id)
    register.submit_surface(session=session, actor=owner, surface_id=roof.id)
    glare = SurfaceApproval(structural_load_ok=True, fire_rating_ok=True, glare_risk_ok=False)
    with pytest.raises(InvalidInput, match="ineligible surface cannot be approved: glare_risk_ok"):
        register.approve_surface(session=session, actor=office, surface_id=roof.id, checks=glare)
    assert roof.status == SurfaceStatus.submitted


def test_a_heritage_protected_site_needs_heritage_clearance(session: Session, people: People) -> None:
    owner, office = people["owner"], people["office"]
    roof = new_roof(session, owner, new_site(session, owner, heritage_protected=True).id)
    register.submit_surface(session=session, actor=owner, surface_id=roof.id)
    with pytest.raises(InvalidInput, match="heritage_ok"):
        register.approve_surface(session=session, actor=office, surface_id=roof.id, checks=ALL_OK)
    cleared = ALL_OK.model_copy(update={"heritage_ok": True})
    register.approve_surface(session=session, actor=office, surface_id=roof.id, checks=cleared)
    assert roof.heritage_ok is True


def test_only_a_submitted_surface_can_be_approved(session: Session, people: People) -> None:
    roof = new_roof(session, people["owner"], new_site(session, people["owner"]).id)
    with pytest.raises(Conflict, match="this one is draft"):
        register.approve_surface(session=session, actor=people["office"], surface_id=roof.id, checks=ALL_OK)


def test_withdraw_is_possible_until_the_bundle_is_published(session: Session, people: People) -> None:
    owner = people["owner"]
    site = new_site(session, owner)
    first, second = new_roof(session, owner, site.id), new_roof(session, owner, site.id)
    bundle = Bundle(code="HP-01", status=BundleStatus.draft)
    session.add(bundle)
    session.flush()
    assert bundle.id is not None
    session.add(BundleSite(bundle_id=bundle.id, site_id=site.id))
    session.flush()
    register.withdraw_surface(session=session, actor=owner, surface_id=first.id)
    assert first.status == SurfaceStatus.withdrawn
    bundle.status = BundleStatus.published
    session.add(bundle)
    session.flush()
    with pytest.raises(Conflict, match="bundle is published"):
        register.withdraw_surface(session=session, actor=owner, surface_id=second.id)


def test_a_site_is_deleted_only_while_nothing_is_in_review(session: Session, people: People) -> None:
    owner = people["owner"]
    site = new_site(session, owner)
    roof = new_roof(session, owner, site.id)
    register.submit_surface(session=session, actor=owner, surface_id=roof.id)
    with pytest.raises(Conflict, match="withdraw them"):
        register.delete_site(session=session, actor=owner, site_id=site.id)
    register.withdraw_surface(session=session, actor=owner, surface_id=roof.id)
    register.delete_site(session=session, actor=owner, site_id=site.id)
    with pytest.raises(NotFound):
        register.get_site(session=session, user=owner, site_id=site.id)
    deleted = session.exec(select(AuditEvent).where(AuditEvent.action == "delete")).all()
    assert {e.entity for e in deleted} == {"site", "surface"} and all(e.after is None for e in deleted)


def test_list_surfaces_filters_and_pages(session: Session, people: People) -> None:
    owner, other = people["owner"], people["other"]
    a = new_site(session, owner, subdistrict="外滩街道")
    b = new_site(session, owner, subdistrict="南京东路街道")
    for _ in range(3):
        new_roof(session, owner, a.id)
    new_roof(session, owner, b.id)
    new_roof(session, other, new_site(session, other).id)
    page = register.list_surfaces(session=session, user=owner, limit=2)
    assert page.total == 4 and len(page.items) == 2
    assert register.list_surfaces(session=session, user=owner, subdistrict="外滩街道").total == 3
    assert register.list_surfaces(session=session, user=owner, site_id=b.id).total == 1
    assert register.list_surfaces(session=session, user=people["office"]).total == 5
    assert register.list_surfaces(session=session, user=people["supplier"]).total == 0
    assert register.list_surfaces(session=session, user=owner, status=SurfaceStatus.approved).total == 0


def test_a_curtain_wall_with_new_heights_is_recomputed_from_its_base_line(
    session: Session, people: People
) -> None:
    site = new_site(session, people["owner"])
    line = {"type": "LineString", "coordinates": [[LON, LAT], [LON + 10 * DLON, LAT]]}
    data = {
        "site_id": site.id,
        "kind": "curtain_wall",
        "geometry": line,
        "height_from_m": 0,
        "height_to_m": 10,
    }
    wall = register.create_surface(
        session=session, actor=people["owner"], data=SurfaceCreate.model_validate(data)
    )
    assert wall.gross_area_m2 == pytest.approx(100, rel=0.01)
    register.update_surface(
        session=session,
        actor=people["owner"],
        surface_id=wall.id,
        changes=SurfaceUpdate(height_from_m=0, height_to_m=20),
    )
    assert wall.gross_area_m2 == pytest.approx(200, rel=0.01) and wall.geometry is not None
    register.update_surface(
        session=session, actor=people["owner"], surface_id=wall.id, changes=SurfaceUpdate(shading_loss=0.2)
    )
    assert wall.gross_area_m2 == pytest.approx(200, rel=0.01) and wall.shading_loss == 0.2


def test_a_surveyed_surface_keeps_its_usable_area_when_its_orientation_changes(
    session: Session, people: People
) -> None:
    site = new_site(session, people["owner"])
    data = SurfaceCreate(
        site_id=site.id,
        kind=SurfaceKind.roof,
        tilt_deg=0,
        azimuth_deg=180,
        gross_area_m2=100,
        usable_area_m2=70,
    )
    roof = register.create_surface(session=session, actor=people["owner"], data=data)
    register.update_surface(
        session=session,
        actor=people["owner"],
        surface_id=roof.id,
        changes=SurfaceUpdate(tilt_deg=15, azimuth_deg=160),
    )
    assert (roof.tilt_deg, roof.azimuth_deg, roof.gross_area_m2, roof.usable_area_m2) == (15, 160, 100, 70)


def test_removing_a_sites_footprint_keeps_its_location(session: Session, people: People) -> None:
    site = new_site(session, people["owner"])
    lon, lat = site.lon, site.lat
    register.update_site(
        session=session, actor=people["owner"], site_id=site.id, changes=SiteUpdate(footprint=None)
    )
    assert (site.footprint, site.lon, site.lat) == (None, lon, lat)
    moved = rectangle(10, 10, lon=LON + 0.01)
    register.update_site(
        session=session, actor=people["owner"], site_id=site.id, changes=SiteUpdate(footprint=moved)
    )
    assert site.lon == pytest.approx(LON + 0.01 + 5 * DLON, abs=1e-6)


def test_a_withdrawn_surface_is_final(session: Session, people: People) -> None:
    roof = new_roof(session, people["owner"], new_site(session, people["owner"]).id)
    register.withdraw_surface(session=session, actor=people["owner"], surface_id=roof.id)
    with pytest.raises(Conflict, match="withdrawn cannot be edited"):
        register.update_surface(
            session=session, actor=people["owner"], surface_id=roof.id, changes=SurfaceUpdate(name="x")
        )
    with pytest.raises(Conflict, match="this one is withdrawn"):
        register.submit_surface(session=session, actor=people["owner"], surface_id=roof.id)


def test_a_surface_drawn_far_from_its_site_is_refused_and_a_site_may_not_move_off_its_surfaces(
    session: Session, people: People
) -> None:
    owner = people["owner"]
    site = new_site(session, owner)
    with pytest.raises(InvalidInput, match=r"geometry: the surface lies 2,9\d\d m from its site") as far:
        new_roof(session, owner, site.id, geometry=rectangle(20, 10, lat=LAT + 3000 * DLAT))
    assert far.value.field == "geometry" and "at most 1,000 m" in far.value.message
    assert session.exec(select(Surface)).all() == []
    roof = new_roof(session, owner, site.id, geometry=rectangle(20, 10, lon=LON + 600 * DLON))  # a campus
    with pytest.raises(InvalidInput, match="from its site"):
        register.update_surface(
            session=session,
            actor=owner,
            surface_id=roof.id,
            changes=SurfaceUpdate(geometry=rectangle(20, 10, lon=LON + 5000 * DLON)),
        )
    with pytest.raises(InvalidInput, match=r"the new location is .* from the site.s surface") as moved:
        register.update_site(
            session=session, actor=owner, site_id=site.id, changes=SiteUpdate(lon=LON - 2000 * DLON, lat=LAT)
        )
    assert moved.value.field == "lon"
    session.refresh(site)
    assert site.lon == pytest.approx(LON + 20 * DLON, abs=1e-6)  # unchanged
