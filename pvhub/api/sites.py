"""Reading sites and surfaces with the role rules applied."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from pvhub.api.deps import CurrentUser, SessionDep
from pvhub.models.register import SiteBase, SurfaceBase
from pvhub.services import register

router = APIRouter(tags=["register"])


class SitePublic(SiteBase):
    id: int
    organisation_id: int
    footprint: dict[str, Any] | None = None


class SitePage(BaseModel):
    items: list[SitePublic]
    total: int
    offset: int
    limit: int


class SurfacePublic(SurfaceBase):
    id: int
    site_id: int
    status: str
    geometry: dict[str, Any] | None = None


@router.get("/sites", response_model=SitePage)
def list_sites(
    user: CurrentUser,
    session: SessionDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> SitePage:
    """Sites you may see: all (office), your organisation's (owner), none (supplier)."""
    page = register.list_sites(session=session, user=user, offset=offset, limit=limit)
    return SitePage(
        items=[SitePublic.model_validate(s) for s in page.items],
        total=page.total,
        offset=page.offset,
        limit=page.limit,
    )


@router.get("/sites/{site_id}", response_model=SitePublic)
def read_site(site_id: int, user: CurrentUser, session: SessionDep) -> SitePublic:
    return SitePublic.model_validate(register.get_site(session=session, user=user, site_id=site_id))


@router.get("/surfaces/{surface_id}", response_model=SurfacePublic)
def read_surface(surface_id: int, user: CurrentUser, session: SessionDep) -> SurfacePublic:
    return SurfacePublic.model_validate(
        register.get_surface(session=session, user=user, surface_id=surface_id)
    )
