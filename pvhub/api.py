"""pvhub's REST API under /api/v1, put together from each domain's routes (thin handlers over its
services)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from pvhub.accounts.api import auth, users
from pvhub.audit import api as audit
from pvhub.bundling import api as bundling
from pvhub.construction import api as construction
from pvhub.core import json_text
from pvhub.economics import api as economics
from pvhub.estimates import api as estimates
from pvhub.jobs import api as jobs
from pvhub.monitoring.api import programme, progress
from pvhub.notifications import api as notifications
from pvhub.programme import api as assumptions
from pvhub.register.api import exports, imports, sites, surfaces
from pvhub.survey import api as survey
from pvhub.survey import api_stock as building_stock
from pvhub.tendering.api import awards, tenders
from pvhub.weather import api as weather
from pvhub.weather import api_measured as measured_weather

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    400: {"description": "Malformed request"},
    401: {"description": "Not authenticated"},
    403: {"description": "Not allowed for this role"},
    404: {"description": "Not found, or not visible to you"},
    422: {"description": "Invalid input: the message names the field"},
}


def build_router() -> APIRouter:
    """The /api/v1 router with every route's error responses documented; no JSON body reaches a
    handler with a text that is not Unicode (:mod:`pvhub.core.json_text`)."""
    router = APIRouter(
        prefix="/api/v1",
        responses=ERROR_RESPONSES,
        dependencies=[Depends(json_text.refuse_lone_surrogates)],
    )
    router.include_router(auth.router)
    router.include_router(programme.router)
    router.include_router(weather.router)
    router.include_router(measured_weather.router)
    router.include_router(assumptions.router)
    router.include_router(jobs.router)
    router.include_router(estimates.router)
    router.include_router(economics.router)
    router.include_router(imports.router)
    router.include_router(exports.router)
    router.include_router(sites.router)
    router.include_router(surfaces.router)
    router.include_router(bundling.router)
    router.include_router(progress.router)
    router.include_router(construction.router)
    router.include_router(tenders.router)
    router.include_router(awards.router)
    router.include_router(notifications.router)
    router.include_router(users.router)
    router.include_router(building_stock.router)
    router.include_router(survey.router)
    router.include_router(audit.router)
    return router
