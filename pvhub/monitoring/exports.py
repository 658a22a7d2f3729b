"""Progress exports: one row per approved surface the reader may see, as CSV or GeoJSON.

Columns: where the surface is, its stage, the kWp counted, its planned and actual grid connection,
its next milestone and whether that is overdue, its demonstration point, measured energy and yield
ratio. No personal data and no bid content (prices are never part of progress).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import sqlalchemy as sa
from shapely.geometry import Point, shape
from sqlmodel import Session, col

from gis.geojson import feature_collection
from pvhub.accounts.models import User
from pvhub.construction.enums import MilestoneKind, MilestoneStatus
from pvhub.construction.models import Construction, Milestone
from pvhub.construction.service import ORDER, today_in
from pvhub.monitoring.progress import STAGES, stage_columns, visible_surfaces, yield_ratios
from pvhub.programme.models import DemonstrationPointSite
from pvhub.register.enums import SurfaceStatus
from pvhub.register.exports import neutralise
from pvhub.register.models import Site, Surface

COLUMNS = (
    "surface_id",
    "site_id",
    "site_name",
    "subdistrict",
    "kind",
    "height_m",
    "stage",
    "kwp",
    "demonstration_point_id",
    "planned_grid_connection",
    "grid_connected_on",
    "next_milestone",
    "next_planned_date",
    "overdue",
    "measured_kwh",
    "yield_ratio",
    "lon",
    "lat",
)


def progress_records(session: Session, *, user: User, today: date | None = None) -> list[dict[str, Any]]:
    """The export rows, ordered by surface id, with the surface's geometry under ``_geometry``."""
    today = today or today_in()
    rank, kwp, joined = stage_columns()
    point = sa.select(col(DemonstrationPointSite.site_id), col(DemonstrationPointSite.point_id)).subquery(
        "point"
    )
    query = (
        sa.select(
            col(Surface.id),
            col(Site.id),
            col(Site.name),
            col(Site.subdistrict),
            col(Surface.kind),
            col(Surface.height_m),
            rank,
            kwp,
            point.c.point_id,
            col(Construction.connected_on),
            col(Site.lon),
            col(Site.lat),
            col(Surface.geometry),
        )
        .select_from(joined.outerjoin(point, point.c.site_id == col(Surface.site_id)))
        .where(col(Surface.status) == SurfaceStatus.approved, visible_surfaces(user))
        .order_by(col(Surface.id))
    )
    conn = session.connection()
    rows = conn.execute(query).all()
    ids = [r[0] for r in rows]
    milestones = _milestones(session, ids)
    ratios = {item.surface_id: item for item in yield_ratios(session, user=user).items}
    out = []
    for sid, site_id, name, sd, kind, height, r, k, point_id, connected_on, lon, lat, geometry in rows:
        plan = milestones.get(sid, {})
        pending = [m for m in (plan.get(kind_) for kind_ in ORDER) if m and m[1] != MilestoneStatus.confirmed]
        following = pending[0] if pending else None
        grid = plan.get(MilestoneKind.grid_connected)
        item = ratios.get(sid)
        out.append(
            {
                "surface_id": sid,
                "site_id": site_id,
                "site_name": name,
                "subdistrict": sd,
                "kind": kind.value,
                "height_m": height,
                "stage": STAGES[int(r)],
                "kwp": round(float(k), 2),
                "demonstration_point_id": point_id,
                "planned_grid_connection": grid[2].isoformat() if grid and grid[2] else None,
                "grid_connected_on": connected_on.isoformat() if connected_on else None,
                "next_milestone": following[0].value if following else None,
                "next_planned_date": following[2].isoformat() if following and following[2] else None,
                "overdue": bool(
                    following
                    and following[2]
                    and following[2] < today
                    and following[1] in (MilestoneStatus.planned, MilestoneStatus.sent_back)
                ),
                "measured_kwh": item.measured_kwh if item else None,
                "yield_ratio": round(item.ratio, 3) if item and item.ratio is not None else None,
                "lon": lon,
                "lat": lat,
                "_geometry": geometry,
            }
        )
    return out


def _milestones(
    session: Session, surface_ids: list[int]
) -> dict[int, dict[MilestoneKind, tuple[MilestoneKind, MilestoneStatus, date | None]]]:
    out: dict[int, dict[MilestoneKind, tuple[MilestoneKind, MilestoneStatus, date | None]]] = {}
    if not surface_ids:
        return out
    query = sa.select(
        col(Milestone.surface_id), col(Milestone.kind), col(Milestone.status), col(Milestone.planned_date)
    ).where(col(Milestone.surface_id).in_(surface_ids))
    for sid, kind, status, planned in session.connection().execute(query):
        out.setdefault(sid, {})[kind] = (kind, status, planned)
    return out


def progress_csv(session: Session, *, user: User, today: date | None = None) -> str:
    """CSV with a UTF-8 BOM (Excel opens Chinese text correctly); formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    for record in progress_records(session, user=user, today=today):
        writer.writerow({k: neutralise(v) for k, v in record.items() if k in COLUMNS})
    return "\ufeff" + buffer.getvalue()


def progress_geojson(session: Session, *, user: User, today: date | None = None) -> dict[str, Any]:
    """RFC 7946 FeatureCollection: each surface's geometry (or its site's point), WGS84 lon/lat."""
    features = []
    for record in progress_records(session, user=user, today=today):
        geometry = record.pop("_geometry")
        shape_ = shape(geometry) if geometry else Point(record["lon"], record["lat"])
        features.append((shape_, record, record["surface_id"]))
    return feature_collection(features)
