"""Register exports for integrators (GeoJSON for GIS, CSV for spreadsheets)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from pvhub.accounts.deps import CurrentUser
from pvhub.core.http import ATTACHMENT, GeoJSONResponse, SessionDep
from pvhub.register import exports

router = APIRouter(tags=["register"])


@router.get(
    "/register/export.geojson",
    response_class=GeoJSONResponse,
    responses={200: {"description": "A GeoJSON FeatureCollection", "headers": ATTACHMENT}},
)
def export_geojson(user: CurrentUser, session: SessionDep) -> GeoJSONResponse:
    """The surfaces you may read as an RFC 7946 FeatureCollection (WGS84 lon/lat)."""
    return GeoJSONResponse(
        exports.register_geojson(session=session, user=user),
        headers={"Content-Disposition": 'attachment; filename="pvhub-register.geojson"'},
    )


@router.get(
    "/register/export.csv",
    response_class=Response,
    responses={
        200: {
            "description": "CSV, UTF-8 with a byte-order mark, header row first",
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "headers": ATTACHMENT,
        }
    },
)
def export_csv(user: CurrentUser, session: SessionDep) -> Response:
    """The surfaces you may read as CSV (UTF-8 with BOM; formulas neutralised)."""
    return Response(
        exports.register_csv(session=session, user=user),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="pvhub-register.csv"'},
    )
