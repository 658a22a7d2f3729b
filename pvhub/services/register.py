"""Reading the register with the role rules applied (creation and review come with the register issue)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlmodel import Session, col, func, select

from pvhub import policy
from pvhub.errors import NotFound
from pvhub.models import Role, Site, Surface, User

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int


def _visible_sites(user: User) -> Any:
    """The select of sites ``user`` may see: all for the office, its own for an owner, none otherwise."""
    query = select(Site)
    if user.role == Role.office:
        return query
    if user.role == Role.owner:
        return query.where(Site.organisation_id == user.organisation_id)
    return query.where(col(Site.id).is_(None))  # suppliers see register data only through tenders


def list_sites(*, session: Session, user: User, offset: int = 0, limit: int = 50) -> Page[Site]:
    query = _visible_sites(user)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    items = list(session.exec(query.order_by(col(Site.id)).offset(offset).limit(limit)).all())
    return Page(items=items, total=int(total), offset=offset, limit=limit)


def get_site(*, session: Session, user: User, site_id: int) -> Site:
    """One site, if ``user`` may read it; a site the user may not see is reported as not found."""
    site = session.get(Site, site_id)
    if site is None or not policy.can(user, "site:read", owner_org_id=site.organisation_id):
        raise NotFound(f"No site with id {site_id}.")
    return site


def get_surface(*, session: Session, user: User, surface_id: int) -> Surface:
    surface = session.get(Surface, surface_id)
    if surface is None:
        raise NotFound(f"No surface with id {surface_id}.")
    site = session.get(Site, surface.site_id)
    if site is None or not policy.can(user, "surface:read", owner_org_id=site.organisation_id):
        raise NotFound(f"No surface with id {surface_id}.")
    return surface


def site_markers(*, session: Session, user: User | None) -> list[dict[str, object]]:
    """Map markers: location and size only (no names for the public), for the sites ``user`` may see."""
    if user is None:
        rows = session.exec(select(Site.id, Site.lon, Site.lat, Site.subdistrict)).all()
        return [{"lon": lon, "lat": lat, "subdistrict": sd} for _id, lon, lat, sd in rows]
    sites = session.exec(_visible_sites(user)).all()
    return [
        {
            "id": s.id,
            "name": s.name,
            "lon": s.lon,
            "lat": s.lat,
            "subdistrict": s.subdistrict,
            "footprint": s.footprint,
        }
        for s in sites
    ]


def list_site_surfaces(*, session: Session, user: User, site_id: int) -> list[Surface]:
    """The surfaces of a site the user may read (raises NotFound otherwise)."""
    get_site(session=session, user=user, site_id=site_id)
    return list(
        session.exec(select(Surface).where(Surface.site_id == site_id).order_by(col(Surface.id))).all()
    )
