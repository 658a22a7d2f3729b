"""pvhub's REST API under /api/v1: thin handlers over the services."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from pvhub.api import accounts, auth, bundling, exports, imports, jobs, json_text, programme, sites, surfaces
from pvhub.api import awards as awards_api
from pvhub.api import construction as construction_api
from pvhub.api import notifications as notifications_api
from pvhub.api import progress as progress_api
from pvhub.api import tenders as tenders_api

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"description": "Malformed request"},
    401: {"description": "Not authenticated"},
    403: {"description": "Not allowed for this role"},
    404: {"description": "Not found, or not visible to you"},
    422: {"description": "Invalid input: the message names the field"},
}


def build_router() -> APIRouter:
    """The /api/v1 router with every route's error responses documented; no JSON body reaches a
    handler with a text that is not Unicode (:mod:`pvhub.api.json_text`)."""
    router = APIRouter(
        prefix="/api/v1",
        responses=ERROR_RESPONSES,
        dependencies=[Depends(json_text.refuse_lone_surrogates)],
    )
    router.include_router(auth.router)
    router.include_router(programme.router)
    router.include_router(jobs.router)
    router.include_router(imports.router)
    router.include_router(exports.router)
    router.include_router(sites.router)
    router.include_router(surfaces.router)
    router.include_router(bundling.router)
    router.include_router(progress_api.router)
    router.include_router(construction_api.router)
    router.include_router(tenders_api.router)
    router.include_router(awards_api.router)
    router.include_router(notifications_api.router)
    router.include_router(accounts.router)
    return router
