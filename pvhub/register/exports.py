"""Exports of the register as GeoJSON (RFC 7946, opens in QGIS) and CSV (opens in Excel).

Each user exports what they may read: the office everything, an owner its own sites.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from shapely.geometry import Point, shape
from sqlmodel import Session, col, select

from gis.geojson import feature_collection
from pvhub.accounts.models import User
from pvhub.estimates.models import Estimate
from pvhub.register.models import Site, Surface
from pvhub.register.service import site_visibility

COLUMNS = (
    "surface_id",
    "site_id",
    "site_name",
    "address",
    "subdistrict",
    "kind",
    "status",
    "tilt_deg",
    "azimuth_deg",
    "gross_area_m2",
    "usable_area_m2",
    "shading_loss",
    "height_m",
    "capacity_kwp",
    "annual_kwh",
    "specific_yield_kwh_per_kwp",
    "lon",
    "lat",
)
# Spreadsheet programs run text starting with these as formulas (CSV injection, OWASP's list); the
# full-width forms too, which Chinese input methods type and some spreadsheet versions convert.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def _rows(session: Session, user: User) -> Iterator[tuple[Surface, Site, Estimate | None]]:
    query = (
        select(Surface, Site, Estimate)
        .join(Site, col(Site.id) == col(Surface.site_id))
        .join(Estimate, col(Estimate.surface_id) == col(Surface.id), isouter=True)
        .where(site_visibility(user))
        .order_by(col(Surface.id))
    )
    yield from session.exec(query)


def _record(surface: Surface, site: Site, estimate: Estimate | None) -> dict[str, Any]:
    return {
        "surface_id": surface.id,
        "site_id": site.id,
        "site_name": site.name,
        "address": site.address,
        "subdistrict": site.subdistrict,
        "kind": surface.kind.value,
        "status": surface.status.value,
        "tilt_deg": surface.tilt_deg,
        "azimuth_deg": surface.azimuth_deg,
        "gross_area_m2": round(surface.gross_area_m2, 2),
        "usable_area_m2": round(surface.usable_area_m2, 2),
        "shading_loss": surface.shading_loss,
        "height_m": surface.height_m,
        "capacity_kwp": round(estimate.capacity_kwp, 2) if estimate else None,
        "annual_kwh": round(estimate.annual_kwh, 1) if estimate else None,
        "specific_yield_kwh_per_kwp": round(estimate.specific_yield_kwh_per_kwp, 1) if estimate else None,
        "lon": site.lon,
        "lat": site.lat,
    }


def register_geojson(*, session: Session, user: User) -> dict[str, Any]:
    """One Feature per surface: its geometry (or the site's point when it has none), WGS84 lon/lat."""
    features = []
    for surface, site, estimate in _rows(session, user):
        geometry = shape(surface.geometry) if surface.geometry else Point(site.lon, site.lat)
        features.append((geometry, _record(surface, site, estimate), surface.id))
    return feature_collection(features)


def neutralise(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def register_csv(*, session: Session, user: User) -> str:
    """The register as CSV with a UTF-8 BOM (so Excel opens Chinese text correctly)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for surface, site, estimate in _rows(session, user):
        writer.writerow({k: neutralise(v) for k, v in _record(surface, site, estimate).items()})
    return "\ufeff" + buffer.getvalue()
