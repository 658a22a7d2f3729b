"""The register: sites and their surfaces, with the role rules, the review status machine and the audit log.

Surface status: ``draft → submitted → approved | rejected``; draft and rejected surfaces are edited
and (re)submitted; editing a submitted surface keeps it submitted, editing an approved one sends it
back to ``submitted``. An owner may withdraw a surface (any status but ``withdrawn``) until its
site's bundle is published. Withdrawn is final. The request owns the transaction: services flush,
never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import shapely
import sqlalchemy as sa
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlmodel import Session, col, func, select

from pvhub.accounts.models import Organisation, User
from pvhub.bundling.enums import BundleStatus
from pvhub.bundling.models import Bundle, BundleSite
from pvhub.core import audit, policy
from pvhub.core.columns import utcnow
from pvhub.core.enums import Role
from pvhub.core.errors import Conflict, FieldName, InvalidInput, NotFound, PermissionDenied
from pvhub.estimates.models import Estimate
from pvhub.programme.models import DemonstrationPointSite, Programme
from pvhub.register.enums import SurfaceKind, SurfaceStatus
from pvhub.register.geometry import (
    SURFACE_REACH_M,
    check_near_site,
    site_location,
    surface_distance_m,
    surface_shape,
)
from pvhub.register.models import (
    Site,
    SiteCreate,
    SiteUpdate,
    Surface,
    SurfaceApproval,
    SurfaceCreate,
    SurfaceUpdate,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


def site_visibility(user: User) -> Any:
    """The condition on ``Site`` for what ``user`` may see: all (office), its own (owner), none."""
    if user.role == Role.office:
        return sa.true()
    if user.role == Role.owner:
        return col(Site.organisation_id) == user.organisation_id
    return sa.false()  # suppliers see register data only through tenders


def _visible_sites(user: User) -> Any:
    """The select of sites ``user`` may see."""
    return select(Site).where(site_visibility(user))


def list_sites(*, session: Session, user: User, offset: int = 0, limit: int = 50) -> Page[Site]:
    query = _visible_sites(user)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    items = list(session.exec(query.order_by(col(Site.id)).offset(offset).limit(limit)).all())
    return Page(items=items, total=int(total), offset=offset, limit=limit)


def get_site(*, session: Session, user: User, site_id: int) -> Site:
    """One site, if ``user`` may read it; a site the user may not see is reported as not found."""
    site = session.get(Site, site_id)
    if site is None or not policy.can(user, "site:read", owner_org_id=site.organisation_id):
        raise NotFound("No site with id {site_id}.", site_id=site_id)
    return site


def get_surface(*, session: Session, user: User, surface_id: int) -> Surface:
    surface = session.get(Surface, surface_id)
    if surface is None:
        raise NotFound("No surface with id {surface_id}.", surface_id=surface_id)
    site = session.get(Site, surface.site_id)
    if site is None or not policy.can(user, "surface:read", owner_org_id=site.organisation_id):
        raise NotFound("No surface with id {surface_id}.", surface_id=surface_id)
    return surface


def site_markers(*, session: Session, user: User | None) -> list[dict[str, object]]:
    """Map markers: location and size only (no names for the public), for the sites ``user`` may see."""
    if user is None:
        rows = session.exec(select(Site.id, Site.lon, Site.lat, Site.subdistrict)).all()
        return [{"lon": lon, "lat": lat, "subdistrict": sd} for _id, lon, lat, sd in rows]
    sites = session.exec(_visible_sites(user)).all()
    shading = site_shading(session=session, site_ids=[s.id for s in sites if s.id is not None])
    return [
        {
            "id": s.id,
            "name": s.name,
            "lon": s.lon,
            "lat": s.lat,
            "subdistrict": s.subdistrict,
            "footprint": s.footprint,
            "shading_loss": shading.get(s.id) if s.id is not None else None,
        }
        for s in sites
    ]


def shading_in_force(surface: Surface) -> float | None:
    """A surface's shading loss when one is in force (typed, or computed from the building stock),
    None while neither is (issue #19: ``shading_loss`` is then the default 0, not a result)."""
    if surface.shading_manual or surface.sky_view_factor is not None:
        return float(surface.shading_loss)
    return None


def site_shading(*, session: Session, site_ids: list[int]) -> dict[int, float]:
    """Each site's shading loss in force (issue #19's map layer): the mean over its surfaces, weighted
    by usable area, of the surfaces whose shading is typed or computed from the building stock (not
    withdrawn); sites with no such surface are left out. A surface without area counts in the plain
    mean only when none of the site's has area."""
    if not site_ids:
        return {}
    in_force = sa.or_(col(Surface.shading_manual), col(Surface.sky_view_factor).is_not(None))
    query = (
        select(
            Surface.site_id,
            func.sum(col(Surface.shading_loss) * col(Surface.usable_area_m2)),
            func.sum(Surface.usable_area_m2),
            func.avg(Surface.shading_loss),
        )
        .where(in_force, col(Surface.site_id).in_(site_ids), col(Surface.status) != SurfaceStatus.withdrawn)
        .group_by(col(Surface.site_id))
    )
    out: dict[int, float] = {}
    for site_id, lost, area, mean in session.exec(query).all():
        value = float(lost) / float(area) if area and float(area) > 0 else float(mean or 0.0)
        out[int(site_id)] = round(value, 4)
    return out


def list_site_surfaces(*, session: Session, user: User, site_id: int) -> list[Surface]:
    """The surfaces of a site the user may read (raises NotFound otherwise)."""
    get_site(session=session, user=user, site_id=site_id)
    return list(
        session.exec(select(Surface).where(Surface.site_id == site_id).order_by(col(Surface.id))).all()
    )


# --- changing the register -------------------------------------------------------------------------

_EDITABLE = {SurfaceStatus.draft, SurfaceStatus.submitted, SurfaceStatus.approved, SurfaceStatus.rejected}
_DELETABLE = {SurfaceStatus.draft, SurfaceStatus.rejected, SurfaceStatus.withdrawn}
# Fields of the input that describe the shape; changing one recomputes the derived values.
_SHAPE_FIELDS = {
    "geometry",
    "tilt_deg",
    "azimuth_deg",
    "gross_area_m2",
    "usable_area_m2",
    "height_m",
    "height_from_m",
    "height_to_m",
    "facing",
}


def _boundary(session: Session) -> BaseGeometry | None:
    """The programme's district boundary (lon/lat), when one is configured."""
    geojson = session.exec(select(Programme.boundary).order_by(col(Programme.id))).first()
    return shape(geojson) if geojson else None


def _audit(
    session: Session, actor: User, obj: Site | Surface, action: str, before: dict[str, Any] | None
) -> None:
    entity = "site" if isinstance(obj, Site) else "surface"
    after = None if action == "delete" else audit.snapshot(obj)
    audit.record(
        session, actor=actor, entity=entity, entity_id=obj.id, action=action, before=before, after=after
    )


def owner_named(*, actor: User, organisation_id: int | None) -> int:
    """The organisation a new site (or an import) is for when the request may leave it out: the one
    named; else an owner's own. The office must name the owner: its own organisation holds no sites,
    so defaulting to it would only refuse later with a message about the wrong thing."""
    if organisation_id is not None:
        return organisation_id
    if actor.role == Role.owner:
        return actor.organisation_id
    policy.require(actor, "site:create_for_others")
    raise InvalidInput(
        "{field} is required: choose the owner organisation the sites are registered for.",
        field="organisation_id",
    )


def _owner_org(session: Session, *, actor: User, organisation_id: int | None) -> int:
    """The organisation a new site belongs to: the owner's own, or the office's choice of an owner org."""
    if actor.role == Role.owner:
        policy.require(actor, "site:create", owner_org_id=actor.organisation_id)
        if organisation_id not in (None, actor.organisation_id):
            raise PermissionDenied("An owner registers sites for its own organisation only.")
        return actor.organisation_id
    policy.require(actor, "site:create_for_others")
    organisation_id = owner_named(actor=actor, organisation_id=organisation_id)
    org = session.get(Organisation, organisation_id)
    if org is None or org.kind != Role.owner:
        raise InvalidInput(
            "No owner organisation with id {organisation_id}.",
            organisation_id=organisation_id,
            field="organisation_id",
        )
    return organisation_id


def create_site(*, session: Session, actor: User, data: SiteCreate) -> Site:
    """Register a site; lon/lat default to the footprint's centroid (WGS84 degrees)."""
    org_id = _owner_org(session, actor=actor, organisation_id=data.organisation_id)
    lon, lat = site_location(data.footprint, data.lon, data.lat, boundary=_boundary(session))
    values = data.model_dump(exclude={"organisation_id", "lon", "lat"})
    site = Site(**values, organisation_id=org_id, lon=lon, lat=lat)
    session.add(site)
    session.flush()
    _audit(session, actor, site, "create", None)
    return site


def update_site(*, session: Session, actor: User, site_id: int, changes: SiteUpdate) -> Site:
    site = get_site(session=session, user=actor, site_id=site_id)
    policy.require(actor, "site:update", owner_org_id=site.organisation_id)
    before = audit.snapshot(site)
    values = changes.model_dump(exclude_unset=True)
    for name in ("name", "address", "subdistrict", "use", "height_m", "business_model", "heritage_protected"):
        if name in values and values[name] is None:
            raise InvalidInput("{field} cannot be empty (null).", field=name)
    if {"footprint", "lon", "lat"} & values.keys():
        footprint = values.get("footprint", site.footprint)
        # a new footprint moves the site unless a location is given with it; removing one keeps it
        moved = values.get("footprint") is not None
        lon = values.get("lon", None if moved else site.lon)
        lat = values.get("lat", None if moved else site.lat)
        values["lon"], values["lat"] = site_location(footprint, lon, lat, boundary=_boundary(session))
        _check_surfaces_near(session, site, values["lon"], values["lat"])
    for key, value in values.items():
        setattr(site, key, value)
    site.updated_at = utcnow()
    session.add(site)
    session.flush()
    if "horizon" in values and values["horizon"] != (before or {}).get("horizon"):
        surface_ids = session.exec(select(Surface.id).where(Surface.site_id == site.id)).all()
        mark_estimates_stale(session=session, surface_ids=[i for i in surface_ids if i is not None])
    _audit(session, actor, site, "update", before)
    return site


def _check_surfaces_near(session: Session, site: Site, lon: float, lat: float) -> None:
    """A site may not move away from its drawn surfaces (the reverse of :func:`check_near_site`)."""
    for surface in session.exec(select(Surface).where(Surface.site_id == site.id)).all():
        if surface.geometry is None:
            continue
        distance = surface_distance_m(surface.geometry, lon, lat)
        if distance > SURFACE_REACH_M:
            raise InvalidInput(
                "{field}: the new location is {distance:,.0f} m from the site's surface {surface} "
                "(at most {reach:,.0f} m): check the coordinates, or move the surfaces first.",
                distance=distance,
                surface=surface.name or f"#{surface.id}",
                reach=SURFACE_REACH_M,
                field="lon",
            )


def delete_site(*, session: Session, actor: User, site_id: int) -> None:
    """Delete a site and its surfaces, only while none of them is in review or beyond."""
    site = get_site(session=session, user=actor, site_id=site_id)
    policy.require(actor, "site:delete", owner_org_id=site.organisation_id)
    surfaces = session.exec(select(Surface).where(Surface.site_id == site_id)).all()
    busy = [s for s in surfaces if s.status not in _DELETABLE]
    if busy:
        raise Conflict(
            "The site has {count} surface(s) in review or approved; withdraw them before deleting the site.",
            count=len(busy),
        )
    in_bundle = session.exec(select(BundleSite).where(BundleSite.site_id == site_id)).first()
    in_point = session.exec(
        select(DemonstrationPointSite).where(DemonstrationPointSite.site_id == site_id)
    ).first()
    if in_bundle is not None or in_point is not None:
        raise Conflict("The site belongs to a bundle or a demonstration point and cannot be deleted.")
    for surface in surfaces:
        if session.exec(select(Estimate).where(Estimate.surface_id == surface.id)).first() is not None:
            raise Conflict(
                "Surface {surface_id} has an estimate; withdraw the site's surfaces instead.",
                surface_id=surface.id,
            )
        _audit(session, actor, surface, "delete", audit.snapshot(surface))
        session.delete(surface)
    _audit(session, actor, site, "delete", audit.snapshot(site))
    session.flush()
    session.delete(site)
    session.flush()


def create_surface(*, session: Session, actor: User, data: SurfaceCreate) -> Surface:
    """Add a surface (status draft) to a site, deriving tilt, azimuth and areas from its shape."""
    site = get_site(session=session, user=actor, site_id=data.site_id)
    policy.require(actor, "surface:create", owner_org_id=site.organisation_id)
    values = data.model_dump(exclude={"site_id", "kind"})
    if values["height_m"] is None and data.kind == SurfaceKind.roof:
        values["height_m"] = site.height_m
    derived = surface_shape(data.kind, values, boundary=_boundary(session))
    check_near_site(derived.geometry, site.lon, site.lat)
    surface = Surface(
        site_id=data.site_id,
        kind=data.kind,
        name=data.name or "",
        shading_loss=data.shading_loss or 0.0,
        shading_manual=data.shading_loss is not None,  # typed: it overrides the building shade
        storey=data.storey,
        external_ref=data.external_ref,
        **derived.__dict__,
    )
    session.add(surface)
    session.flush()
    _audit(session, actor, surface, "create", None)
    return surface


def _owned_surface(session: Session, actor: User, surface_id: int, action: str) -> tuple[Surface, Site]:
    surface = get_surface(session=session, user=actor, surface_id=surface_id)
    site = session.get(Site, surface.site_id)
    assert site is not None
    policy.require(actor, action, owner_org_id=site.organisation_id)
    return surface, site


def update_surface(*, session: Session, actor: User, surface_id: int, changes: SurfaceUpdate) -> Surface:
    """Edit a surface; new shape inputs recompute the derived values.

    An approved surface goes back to review (``submitted``).
    """
    surface, site = _owned_surface(session, actor, surface_id, "surface:update")
    if surface.status not in _EDITABLE:
        raise Conflict("A surface that is {status} cannot be edited.", status=surface.status)
    before = audit.snapshot(surface)
    values = changes.model_dump(exclude_unset=True)
    if _SHAPE_FIELDS & values.keys():
        derived = surface_shape(surface.kind, _shape_input(surface, values), boundary=_boundary(session))
        if "geometry" in values:
            check_near_site(derived.geometry, site.lon, site.lat)
        for key, value in derived.__dict__.items():
            if key == "geometry" and value is None and "geometry" not in values:
                continue  # surveyed values changed: the drawing stays as it was
            setattr(surface, key, value)
    for key in ("name", "shading_loss", "storey", "external_ref"):
        if key in values:
            default = {"name": "", "shading_loss": 0.0}.get(key)
            setattr(surface, key, values[key] if values[key] is not None else default)
    if "shading_loss" in values:  # typed: overrides the building shade; null: computed again
        surface.shading_manual = values["shading_loss"] is not None
    if surface.status == SurfaceStatus.approved:
        surface.status = SurfaceStatus.submitted
    surface.updated_at = utcnow()
    session.add(surface)
    session.flush()
    if surface.id is not None and _estimate_inputs(before) != _estimate_inputs(audit.snapshot(surface)):
        mark_estimates_stale(session=session, surface_ids=[surface.id])
    _audit(session, actor, surface, "update", before)
    return surface


# What the yield engine reads from a surface; a change to any of these outdates its estimate.
ESTIMATE_INPUTS = (
    "kind",
    "tilt_deg",
    "azimuth_deg",
    "usable_area_m2",
    "shading_loss",
    "shading_manual",
    "power_density_w_m2",
    "losses_pct",
)


def _estimate_inputs(row: dict[str, Any] | None) -> tuple[Any, ...]:
    return tuple((row or {}).get(name) for name in ESTIMATE_INPUTS)


def set_surface_assumptions(
    *,
    session: Session,
    actor: User,
    surface_id: int,
    shading_loss: float | None,
    power_density_w_m2: float | None = None,
    losses_pct: float | None = None,
) -> Surface:
    """The office sets a surface's own estimating assumptions: its annual shading loss (fraction
    0–1, e.g. from a shading survey, on top of the system losses) and, where the surface differs
    from its kind (say, a high-efficiency module or a measured loss budget), its module power
    density (W/m² of usable area) and PVWatts system losses (%). None means the kind's default.
    A shading loss given overrides the building shade computed from the stock (issue #19); None
    returns the surface to the computed value (0 until its next estimate writes it).

    Unlike an edit of the surveyed shape, this keeps the review status (the office is the
    reviewer); a changed value marks the surface's estimate stale. Audited.
    """
    policy.require(actor, "surface:set_assumptions")
    surface = get_surface(session=session, user=actor, surface_id=surface_id)
    if surface.status == SurfaceStatus.withdrawn:
        raise Conflict("A withdrawn surface is no longer estimated.")
    manual = shading_loss is not None
    _check_assumptions(0.0 if shading_loss is None else shading_loss, power_density_w_m2, losses_pct)
    if (manual, power_density_w_m2, losses_pct) == (
        surface.shading_manual,
        surface.power_density_w_m2,
        surface.losses_pct,
    ) and (not manual or shading_loss == surface.shading_loss):
        return surface
    before = audit.snapshot(surface)
    surface.power_density_w_m2, surface.losses_pct = power_density_w_m2, losses_pct
    if manual or surface.shading_manual:  # a computed loss stays until the next estimate
        surface.shading_loss = shading_loss if shading_loss is not None else 0.0
    surface.shading_manual = manual
    surface.updated_at = utcnow()
    session.add(surface)
    session.flush()
    assert surface.id is not None
    mark_estimates_stale(session=session, surface_ids=[surface.id])
    _audit(session, actor, surface, "set_assumptions", before)
    return surface


def _check_assumptions(shading_loss: float, density: float | None, losses: float | None) -> None:
    if not 0.0 <= shading_loss <= 1.0:  # also refuses NaN
        raise InvalidInput(
            "The shading loss must be between 0 and 100 % (got {percent:g} %).",
            percent=shading_loss * 100,
            field="shading_loss",
        )
    if density is not None and not 0.0 < density <= 400.0:
        raise InvalidInput(
            "The module power density must be above 0 and at most 400 W/m² (got {density:g}).",
            density=density,
            field="power_density_w_m2",
        )
    if losses is not None and not 0.0 <= losses < 100.0:
        raise InvalidInput(
            "The system losses must be at least 0 and below 100 % (got {losses:g} %).",
            losses=losses,
            field="losses_pct",
        )


def mark_estimates_stale(*, session: Session, surface_ids: list[int]) -> None:
    """The estimate of a changed surface no longer describes it: flag it for re-estimation."""
    session.exec(
        sa.update(Estimate)
        .where(col(Estimate.surface_id).in_(surface_ids))
        .values(stale=True)
        .execution_options(synchronize_session=False)
    )


def _shape_input(surface: Surface, values: dict[str, Any]) -> dict[str, Any]:
    """The shape fields for recomputing: the stored ones, overlaid by ``values``.

    A drawn surface's areas are recomputed from its geometry unless the change gives them; a
    surveyed one (no geometry) keeps its stored areas. A stored curtain wall has no height span, so
    it is recomputed from its base line only when the change gives ``height_from_m`` and
    ``height_to_m`` (or a new base line); otherwise its stored areas are kept.
    """
    merged: dict[str, Any] = {
        "geometry": surface.geometry,
        "tilt_deg": surface.tilt_deg,
        "azimuth_deg": surface.azimuth_deg,
        "height_m": surface.height_m,
    }
    redrawn_wall = "geometry" in values or {"height_from_m", "height_to_m"} <= values.keys()
    if surface.kind == SurfaceKind.curtain_wall and not redrawn_wall:
        merged["geometry"] = None
    if merged["geometry"] is None:
        merged |= {"gross_area_m2": surface.gross_area_m2, "usable_area_m2": surface.usable_area_m2}
    merged |= values
    return merged


def _transition(
    session: Session,
    actor: User,
    surface: Surface,
    new: SurfaceStatus,
    allowed: set[SurfaceStatus],
) -> dict[str, Any] | None:
    if surface.status not in allowed:
        raise Conflict(
            "Only a surface that is {allowed} can be {new}; this one is {status}.",
            allowed=sorted(allowed),
            new=new,
            status=surface.status,
        )
    before = audit.snapshot(surface)
    surface.status = new
    surface.updated_at = utcnow()
    return before


def _finish(
    session: Session, actor: User, surface: Surface, action: str, before: dict[str, Any] | None
) -> Surface:
    session.add(surface)
    session.flush()
    _audit(session, actor, surface, action, before)
    return surface


def submit_surface(*, session: Session, actor: User, surface_id: int) -> Surface:
    """Send a draft or rejected surface to the office for review."""
    surface, _ = _owned_surface(session, actor, surface_id, "surface:submit")
    before = _transition(
        session,
        actor,
        surface,
        SurfaceStatus.submitted,
        {SurfaceStatus.draft, SurfaceStatus.rejected},
    )
    surface.rejection_reason = None
    return _finish(session, actor, surface, "submit", before)


def approve_surface(*, session: Session, actor: User, surface_id: int, checks: SurfaceApproval) -> Surface:
    """Approve a submitted surface, recording the office's eligibility checks.

    An ineligible surface (any check false, or a heritage-protected site without heritage clearance)
    is refused: nothing changes and the message names the failed checks.
    """
    policy.require(actor, "surface:review")
    surface, site = _owned_surface(session, actor, surface_id, "surface:review")
    failed = [name for name, ok in checks.model_dump().items() if ok is False]
    if site.heritage_protected and checks.heritage_ok is not True:
        failed.append("heritage_ok")
    if failed:
        names = [FieldName(name) for name in sorted(set(failed))]
        raise InvalidInput(
            "An ineligible surface cannot be approved: {checks} not confirmed. "
            "Reject it with a reason instead.",
            checks=names,
            field=names[0],
        )
    before = _transition(session, actor, surface, SurfaceStatus.approved, {SurfaceStatus.submitted})
    for name, ok in checks.model_dump().items():
        setattr(surface, name, ok)
    return _finish(session, actor, surface, "approve", before)


def reject_surface(*, session: Session, actor: User, surface_id: int, reason: str) -> Surface:
    """Send a submitted (or approved, not yet bundled) surface back to its owner with a reason."""
    policy.require(actor, "surface:review")
    surface, site = _owned_surface(session, actor, surface_id, "surface:review")
    if not reason.strip():
        raise InvalidInput("A rejection needs a reason the owner can act on.", field="reason")
    # An approved surface of a published bundle is tendered capacity; a newly submitted one is not.
    if surface.status == SurfaceStatus.approved and _in_published_bundle(session, site.id):
        raise Conflict("The surface's site is in a published bundle; it can no longer be rejected.")
    before = _transition(
        session,
        actor,
        surface,
        SurfaceStatus.rejected,
        {SurfaceStatus.submitted, SurfaceStatus.approved},
    )
    surface.rejection_reason = reason.strip()
    return _finish(session, actor, surface, "reject", before)


def withdraw_surface(*, session: Session, actor: User, surface_id: int) -> Surface:
    """Take a surface out of the programme (owner), allowed until its site's bundle is published."""
    surface, site = _owned_surface(session, actor, surface_id, "surface:withdraw")
    if _in_published_bundle(session, site.id):
        raise Conflict("The surface's bundle is published: it can no longer be withdrawn.")
    allowed = set(SurfaceStatus) - {SurfaceStatus.withdrawn}
    before = _transition(session, actor, surface, SurfaceStatus.withdrawn, allowed)
    return _finish(session, actor, surface, "withdraw", before)


def _in_published_bundle(session: Session, site_id: int | None) -> bool:
    query = (
        select(Bundle.id)
        .join(BundleSite, col(BundleSite.bundle_id) == col(Bundle.id))
        .where(BundleSite.site_id == site_id, Bundle.status == BundleStatus.published)
    )
    return session.exec(query).first() is not None


def list_surfaces(
    *,
    session: Session,
    user: User,
    site_id: int | None = None,
    kind: SurfaceKind | None = None,
    status: SurfaceStatus | None = None,
    subdistrict: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[Surface]:
    """Surfaces the user may see, filtered, newest id last; ``total`` counts all matches."""
    query = select(Surface).join(Site, col(Site.id) == col(Surface.site_id)).where(site_visibility(user))
    if site_id is not None:
        query = query.where(Surface.site_id == site_id)
    if kind is not None:
        query = query.where(Surface.kind == kind)
    if status is not None:
        query = query.where(Surface.status == status)
    if subdistrict:
        query = query.where(Site.subdistrict == subdistrict)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    items = list(session.exec(query.order_by(col(Surface.id)).offset(offset).limit(limit)).all())
    return Page(items=items, total=int(total), offset=offset, limit=limit)


def known_subdistricts(*, session: Session) -> list[str]:
    """Subdistrict names already in the register, for the site form's suggestions."""
    rows = session.exec(select(Site.subdistrict).distinct().order_by(Site.subdistrict)).all()
    return [name for name in rows if name]


def list_subdistricts(*, session: Session) -> list[str]:
    """The subdistricts (街道) the register's sites name, in order: the choices of the pages' filters."""
    query = (
        select(Site.subdistrict).where(col(Site.subdistrict) != "").distinct().order_by(col(Site.subdistrict))
    )
    return [str(name) for name in session.exec(query).all()]


@dataclass(frozen=True)
class SiteOutside:
    """A registered site whose location point (lon/lat degrees) lies outside a district boundary."""

    id: int
    name: str
    lon: float
    lat: float


def sites_outside(*, session: Session, boundary: dict[str, Any] | None) -> list[SiteOutside]:
    """The registered sites whose location lies outside ``boundary`` (a GeoJSON Polygon, lon/lat),
    in id order; none without a boundary. Read-only: what a new boundary would leave outside."""
    if not boundary:
        return []
    area = shape(boundary)
    rows = session.exec(select(Site.id, Site.name, Site.lon, Site.lat).order_by(col(Site.id))).all()
    if not rows:
        return []
    inside = shapely.intersects_xy(area, [r[2] for r in rows], [r[3] for r in rows])
    return [
        SiteOutside(id=site_id or 0, name=name, lon=lon, lat=lat)
        for (site_id, name, lon, lat), covered in zip(rows, inside, strict=True)
        if not covered
    ]
