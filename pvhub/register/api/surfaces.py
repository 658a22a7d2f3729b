"""Surfaces: register, edit and move through review (submit, approve, reject, withdraw)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi import status as http
from pydantic import BaseModel

from pvhub.accounts.deps import CurrentUser
from pvhub.core.http import SessionDep
from pvhub.register import service as register
from pvhub.register.enums import SurfaceKind, SurfaceStatus
from pvhub.register.models import (
    SurfaceApproval,
    SurfaceCreate,
    SurfacePublic,
    SurfaceRejection,
    SurfaceUpdate,
)

router = APIRouter(tags=["register"], responses={409: {"description": "Not allowed in the current status"}})


class SurfacePage(BaseModel):
    items: list[SurfacePublic]
    total: int
    offset: int
    limit: int


@router.get("/surfaces", response_model=SurfacePage)
def list_surfaces(
    user: CurrentUser,
    session: SessionDep,
    site: Annotated[int | None, Query(description="Site id")] = None,
    kind: SurfaceKind | None = None,
    status: SurfaceStatus | None = None,
    subdistrict: Annotated[str | None, Query(max_length=50)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> SurfacePage:
    """Surfaces you may see, filtered by site, kind, review status and subdistrict (街道)."""
    page = register.list_surfaces(
        session=session,
        user=user,
        site_id=site,
        kind=kind,
        status=status,
        subdistrict=subdistrict,
        offset=offset,
        limit=limit,
    )
    return SurfacePage(
        items=[SurfacePublic.model_validate(s) for s in page.items],
        total=page.total,
        offset=page.offset,
        limit=page.limit,
    )


@router.post("/surfaces", response_model=SurfacePublic, status_code=http.HTTP_201_CREATED)
def create_surface(data: SurfaceCreate, user: CurrentUser, session: SessionDep) -> SurfacePublic:
    """Add a surface (draft): geometry, or surveyed tilt/azimuth/areas; areas in m², angles in degrees."""
    return SurfacePublic.model_validate(register.create_surface(session=session, actor=user, data=data))


@router.get("/surfaces/{surface_id}", response_model=SurfacePublic)
def read_surface(surface_id: int, user: CurrentUser, session: SessionDep) -> SurfacePublic:
    return SurfacePublic.model_validate(
        register.get_surface(session=session, user=user, surface_id=surface_id)
    )


@router.patch("/surfaces/{surface_id}", response_model=SurfacePublic)
def update_surface(
    surface_id: int, changes: SurfaceUpdate, user: CurrentUser, session: SessionDep
) -> SurfacePublic:
    """Edit a surface; an approved surface goes back to review."""
    surface = register.update_surface(session=session, actor=user, surface_id=surface_id, changes=changes)
    return SurfacePublic.model_validate(surface)


@router.post("/surfaces/{surface_id}/submit", response_model=SurfacePublic)
def submit_surface(surface_id: int, user: CurrentUser, session: SessionDep) -> SurfacePublic:
    surface = register.submit_surface(session=session, actor=user, surface_id=surface_id)
    return SurfacePublic.model_validate(surface)


@router.post("/surfaces/{surface_id}/approve", response_model=SurfacePublic)
def approve_surface(
    surface_id: int, checks: SurfaceApproval, user: CurrentUser, session: SessionDep
) -> SurfacePublic:
    """Approve (office) with the eligibility checks; an ineligible surface is refused with 422."""
    surface = register.approve_surface(session=session, actor=user, surface_id=surface_id, checks=checks)
    return SurfacePublic.model_validate(surface)


@router.post("/surfaces/{surface_id}/reject", response_model=SurfacePublic)
def reject_surface(
    surface_id: int, rejection: SurfaceRejection, user: CurrentUser, session: SessionDep
) -> SurfacePublic:
    surface = register.reject_surface(
        session=session, actor=user, surface_id=surface_id, reason=rejection.reason
    )
    return SurfacePublic.model_validate(surface)


@router.post("/surfaces/{surface_id}/withdraw", response_model=SurfacePublic)
def withdraw_surface(surface_id: int, user: CurrentUser, session: SessionDep) -> SurfacePublic:
    surface = register.withdraw_surface(session=session, actor=user, surface_id=surface_id)
    return SurfacePublic.model_validate(surface)
