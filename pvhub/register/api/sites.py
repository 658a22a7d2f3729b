"""Sites: register, read, edit and delete, with the role rules applied by the register service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel

from pvhub.accounts.deps import CurrentUser
from pvhub.core.http import SessionDep
from pvhub.register import service as register
from pvhub.register.models import SiteCreate, SitePublic, SiteUpdate, SurfacePublic

router = APIRouter(tags=["register"], responses={409: {"description": "Not allowed in the current status"}})

__all__ = ["SitePage", "SitePublic", "SurfacePublic", "router"]


class SitePage(BaseModel):
    items: list[SitePublic]
    total: int
    offset: int
    limit: int


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


@router.post("/sites", response_model=SitePublic, status_code=status.HTTP_201_CREATED)
def create_site(data: SiteCreate, user: CurrentUser, session: SessionDep) -> SitePublic:
    """Register a site (owner: for its organisation; office: for the owner organisation it names)."""
    return SitePublic.model_validate(register.create_site(session=session, actor=user, data=data))


@router.get("/sites/{site_id}", response_model=SitePublic)
def read_site(site_id: int, user: CurrentUser, session: SessionDep) -> SitePublic:
    return SitePublic.model_validate(register.get_site(session=session, user=user, site_id=site_id))


@router.patch("/sites/{site_id}", response_model=SitePublic)
def update_site(site_id: int, changes: SiteUpdate, user: CurrentUser, session: SessionDep) -> SitePublic:
    site = register.update_site(session=session, actor=user, site_id=site_id, changes=changes)
    return SitePublic.model_validate(site)


@router.delete("/sites/{site_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_site(site_id: int, user: CurrentUser, session: SessionDep) -> Response:
    """Delete a site and its surfaces while none of them is in review or beyond."""
    register.delete_site(session=session, actor=user, site_id=site_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
