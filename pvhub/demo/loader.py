"""Load the demo district into the database (``pvhub demo``).

Every demo user shares the password :data:`DEMO_PASSWORD`; it is hashed once and the hash reused,
which is acceptable only because the password is public anyway and only in the demo.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import text
from sqlmodel import Session, SQLModel, func, select

from pvhub.accounts.models import Organisation, User
from pvhub.core import audit
from pvhub.core.enums import Role
from pvhub.core.security import hash_password
from pvhub.demo.bundling import bundle_demo_district
from pvhub.demo.construction import advance_demo_construction, designate_demo_points
from pvhub.demo.district import DemoDistrict, DemoSurface, build_demo_district
from pvhub.demo.stock import load_demo_stock
from pvhub.demo.survey import load_demo_survey
from pvhub.demo.tender import run_demo_tender
from pvhub.demo.weather import load_demo_measured_weather
from pvhub.estimates import service as estimates
from pvhub.programme.models import Programme
from pvhub.register.enums import BusinessModel, SurfaceKind, SurfaceStatus
from pvhub.register.models import Site, Surface
from pvhub.survey.surface_shading import shade_and_estimate

DEMO_PASSWORD = "pvhub-demo"
OFFICE_EMAIL = "office@demo.pvhub"
OFFICE_NAME = "黄浦区发展和改革委员会（光伏项目办）"


@dataclass(frozen=True)
class DemoSummary:
    owners: int
    suppliers: int
    sites: int
    surfaces: dict[str, int]

    def describe(self) -> str:
        kinds = ", ".join(f"{n} {k}" for k, n in self.surfaces.items())
        return (
            f"demo district loaded: {self.sites} sites, {sum(self.surfaces.values())} surfaces ({kinds}), "
            f"{self.owners} owners, {self.suppliers} suppliers, 1 programme office"
        )


def database_is_empty(session: Session) -> bool:
    """No organisation and no user yet: safe to load the demo."""
    orgs = session.exec(select(func.count()).select_from(Organisation)).one()
    users = session.exec(select(func.count()).select_from(User)).one()
    return orgs == 0 and users == 0


def load_demo(*, session: Session, reset: bool = False, seed: int = 2026) -> DemoSummary | None:
    """Fill an empty database with the demo district; None when it already holds data (and no reset)."""
    if reset:
        _delete_everything(session)
    elif not database_is_empty(session):
        return None
    district = build_demo_district(seed)
    password_hash = hash_password(DEMO_PASSWORD)
    _load_programme(session, district)
    _load_office(session, password_hash)
    owner_ids = _load_organisations(session, district, password_hash)
    site_ids = _load_sites(session, district, owner_ids)
    counts = _load_surfaces(session, district.surfaces, site_ids)
    # [demo step: building stock] the district's buildings around the sites, each site linked to its own;
    # loaded before the estimate, which takes each surface's building shade from it (issue #19)
    load_demo_stock(session, district, OFFICE_EMAIL)
    approved = estimates.surfaces_to_estimate(session=session, only_missing_or_stale=False)
    shade_and_estimate(session=session, surface_ids=approved)
    # The demo then walks the programme forward, one step per stage of the flow, each acting as the
    # office (or the suppliers) through the services, in this order:
    # [demo step: demonstration points]
    designate_demo_points(session, district.demo_point_candidates)
    # [demo step: bundling]
    bundle_demo_district(session, OFFICE_EMAIL)
    # [demo step: tender round]
    run_demo_tender(session)
    # [demo step: construction]
    advance_demo_construction(session)
    # [demo step: measured weather]
    load_demo_measured_weather(session, OFFICE_EMAIL)
    # [demo step: survey] one building offered to owner01 now; the whole district surveyed after start-up
    load_demo_survey(session, OFFICE_EMAIL)
    audit.record(
        session,
        actor=None,
        entity="programme",
        entity_id="demo",
        action="load_demo",
        after={"seed": seed, "sites": len(site_ids), "surfaces": sum(counts.values())},
    )
    return DemoSummary(
        owners=len(district.owners), suppliers=len(district.suppliers), sites=len(site_ids), surfaces=counts
    )


def _delete_everything(session: Session) -> None:
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(SQLModel.metadata.sorted_tables):
            session.execute(table.delete())
    session.flush()


#: The demo walks its programme forward from today, so the policy's end-of-2025 date
#: (:data:`pvhub.programme.models.POLICY_TARGET_DATE`) would lie in its past; it keeps a later one,
#: and the settings page says so.
DEMO_TARGET_DATE = date(2027, 12, 31)


def _load_programme(session: Session, district: DemoDistrict) -> None:
    session.add(Programme(boundary=district.outline, target_date=DEMO_TARGET_DATE))


def _load_office(session: Session, password_hash: str) -> None:
    office = Organisation(name=OFFICE_NAME, name_en="Huangpu DRC — PV programme office", kind=Role.office)
    session.add(office)
    session.flush()
    assert office.id is not None
    session.add(
        User(
            email=OFFICE_EMAIL,
            role=Role.office,
            organisation_id=office.id,
            password_hash=password_hash,
            full_name="项目办",
        )
    )


def _load_organisations(session: Session, district: DemoDistrict, password_hash: str) -> dict[str, int]:
    """Owners and suppliers with one user each (ownerNN@, supplierNN@); returns owner key → org id."""
    owner_ids: dict[str, int] = {}
    for prefix, orgs, role in (
        ("owner", district.owners, Role.owner),
        ("supplier", district.suppliers, Role.supplier),
    ):
        for n, demo_org in enumerate(orgs, start=1):
            org = Organisation(
                name=demo_org.name_zh,
                name_en=demo_org.name_en,
                kind=role,
                annual_capacity_kw=demo_org.annual_capacity_kw,
                certifications="; ".join(demo_org.certifications) or None,
            )
            session.add(org)
            session.flush()
            assert org.id is not None
            owner_ids[demo_org.key] = org.id
            session.add(
                User(
                    email=f"{prefix}{n:02d}@demo.pvhub",
                    role=role,
                    organisation_id=org.id,
                    password_hash=password_hash,
                )
            )
    return owner_ids


def _load_sites(session: Session, district: DemoDistrict, owner_ids: dict[str, int]) -> dict[str, int]:
    subdistrict_names = {s.code: s.name_zh for s in district.subdistricts}
    sites: list[tuple[str, Site]] = []
    for demo_site in district.sites:
        lon, lat = demo_site.location
        site = Site(
            name=demo_site.name_zh,
            name_en=demo_site.name_en,
            address=demo_site.address_zh,
            subdistrict=subdistrict_names[demo_site.subdistrict_code],
            use=demo_site.use,
            height_m=demo_site.height_m,
            storeys=demo_site.storeys,
            lon=lon,
            lat=lat,
            business_model=BusinessModel(demo_site.business_model),
            heritage_protected=demo_site.heritage,
            organisation_id=owner_ids[demo_site.owner_key],
            footprint=demo_site.footprint,
            external_ref=demo_site.key,
        )
        sites.append((demo_site.key, site))
    session.add_all([site for _key, site in sites])
    session.flush()
    return {key: site.id for key, site in sites if site.id is not None}


def _demo_status(index: int) -> SurfaceStatus:
    """Most demo surfaces are approved; some wait for review and a few are still drafts."""
    if index % 9 == 4:
        return SurfaceStatus.submitted
    if index % 23 == 7:
        return SurfaceStatus.draft
    return SurfaceStatus.approved


#: Every this-many-th demo surface keeps the shading loss the district drew, typed by hand, to show the
#: override; the others' shading is computed from the building stock when they are estimated.
TYPED_SHADING_EVERY = 50


def _typed_shading(index: int) -> bool:
    return index % TYPED_SHADING_EVERY == 17


def _load_surfaces(
    session: Session, surfaces: tuple[DemoSurface, ...], site_ids: dict[str, int]
) -> dict[str, int]:
    counts = {kind.value: 0 for kind in SurfaceKind}
    rows = []
    for index, demo in enumerate(surfaces):
        counts[demo.kind] += 1
        rows.append(
            Surface(
                site_id=site_ids[demo.site_key],
                kind=SurfaceKind(demo.kind),
                geometry=demo.geometry,
                tilt_deg=demo.tilt_deg,
                azimuth_deg=demo.azimuth_deg % 360,
                gross_area_m2=demo.gross_area_m2,
                usable_area_m2=demo.usable_area_m2,
                shading_loss=demo.shading_loss if _typed_shading(index) else 0.0,
                shading_manual=_typed_shading(index),
                height_m=demo.height_m,
                storey=demo.storey,
                status=_demo_status(index),
                external_ref=demo.key,
            )
        )
    session.add_all(rows)
    session.flush()
    return counts
