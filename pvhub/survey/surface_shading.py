"""Building shade of the register's surfaces from the stock (issue #19): sample, cast, store, estimate.

For registered surfaces with a drawn geometry, :func:`compute_shades` takes the stock's buildings
within ``radius_m`` of their sites, puts them in one Embree scene in one metric frame
(:func:`pvhub.survey.rows.stock_from_rows`), samples each surface and casts its points' horizons
(:mod:`gis.shading`); :func:`shade_surfaces` stores them as :class:`SurfaceShade` rows, which
:func:`pvhub.estimates.service.estimate_surfaces` applies hour by hour. :func:`estimate_job` (the
"estimate" job kind) shades what is missing or out of date, then estimates.

Placing a surface in 3D (the register keeps plan geometry, WGS84):

* **Roof, corridor, walkway** (a Polygon in plan): its exterior ring at ``height_m`` above the ground of
  the site's building (``Building.base_m`` of a linked building; else the nearest building's; else 0),
  tilted by ``tilt_deg`` towards ``azimuth_deg`` about its plan centroid (each vertex lifted vertically
  onto that plane), then :func:`gis.shading.sample_polygons`.
* **Curtain wall** (a LineString ground line): a vertical band whose bottom is ``height_m`` above the
  ground (the register stores a drawn wall's ``height_from_m`` there, and an offered candidate's band
  bottom) and whose height is ``gross_area_m2`` / the line's length, facing ``azimuth_deg``;
  :func:`gis.shading.sample_wall_bands`.
* **A point inside a building** must not come out fully shaded: a surface typed a little off (a roof a
  metre below the stock's roof, a wall line drawn just inside the footprint) would otherwise see only
  the inside of its own building. A roof point below a roof face of a building it stands in (in plan
  within the face, above the building's bottom) is lifted onto the lowest such roof face. A canopy's
  (corridor, walkway) points inside a building are left out (a skybridge's ends run into the buildings
  it joins; that part carries no PV), unless all of them are, when they are lifted as a roof's. A
  wall point within a building's footprint and height range is moved out along its normal to just
  outside the footprint (at most :data:`MAX_WALL_PUSH_M`; farther, it is left where it is).

A surface without geometry gets no shade (the estimate says "none": no geometry). The stock changes
on every import (:func:`stock_version`); :func:`mark_shade_outdated` (called by the stock import)
drops the shade of the surfaces near changed buildings and flags their estimates stale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely.geometry import LineString, Polygon, shape
from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlmodel import Session, col, delete, func, select

from gis.crs import WGS84
from gis.distance import project_points, projection_for_points
from gis.shading import (
    AZIMUTH_STEP_DEG,
    DEFAULT_RADIUS_M,
    LIFT_M,
    SamplePoints,
    Scene,
    horizons,
    plane_horizon,
    sample_polygons,
    sample_wall_bands,
    sky_view_factor,
)
from gis.shading_inside import buildings_at, push_out_of_footprints, roof_above
from gis.stock import MetricFrame, Stock
from pvhub.core.errors import Phrase
from pvhub.estimates import service as estimates
from pvhub.estimates.models import Estimate, SurfaceShade
from pvhub.estimates.shade import pack_horizon
from pvhub.jobs.progress import ProgressFn
from pvhub.register.enums import SurfaceKind
from pvhub.register.models import Site, Surface
from pvhub.survey.models import Building, SiteBuilding, StockImport
from pvhub.survey.rows import footprint_polygon, stock_from_rows

#: Sample points of a roof, corridor or walkway at most (the contract's default for polygons).
POLYGON_MAX_POINTS = 16
#: Sample points along a curtain wall at most (the contract's default for wall bands).
WALL_MAX_POINTS = 8
#: A wall point inside a building is moved out along its normal at most this far, m: a line drawn a
#: little inside the footprint, not a wall of another building's inside.
MAX_WALL_PUSH_M = 10.0
#: Ids per IN (...) query.
_CHUNK = 5_000
#: Decimals stored: lon/lat 1e-7° (about 1 cm), heights cm, sky view 1e-4.
_LONLAT_DECIMALS = 7
_HEIGHT_DECIMALS = 2
_SKY_DECIMALS = 4
#: Metres per degree of latitude (a sphere of the WGS84 mean radius: 6,371,008.8 m × π / 180).
_M_PER_DEG = 111_195.0

#: Told the share done (0–1) as the shade is computed.
ShadeProgress = Callable[[float], None]


def stock_version(session: Session) -> str:
    """The state of the building stock, changed by every import: the last import's id, how many
    buildings the stock holds and the highest building id (an import that only updates rows still
    adds an import)."""
    last = session.exec(select(func.max(StockImport.id))).one()
    count, top = session.exec(select(func.count(col(Building.id)), func.max(Building.id))).one()
    return f"stock-{last or 0}-{count or 0}-{top or 0}"


# --- which surfaces need shade ---------------------------------------------------------------------


def surfaces_to_shade(session: Session, surface_ids: Sequence[int]) -> list[int]:
    """Of these surfaces, those whose building shade is computed (not typed), that have geometry and
    whose stored shade is missing, of another stock version, or older than the surface's last edit."""
    version = stock_version(session)
    out: list[int] = []
    for chunk in _chunks(sorted(set(surface_ids))):
        rows = session.execute(  # five columns: SQLAlchemy's select (SQLModel's types stop at four)
            sa_select(
                col(Surface.id),
                col(Surface.geometry),
                col(Surface.updated_at),
                col(SurfaceShade.stock_version),
                col(SurfaceShade.computed_at),
            )
            .outerjoin(SurfaceShade, col(SurfaceShade.surface_id) == col(Surface.id))
            .where(col(Surface.id).in_(chunk), col(Surface.shading_manual).is_(False))
        ).all()
        for surface_id, geometry, updated_at, version_of, computed_at in rows:
            if surface_id is None or not geometry:  # a JSON null is not SQL NULL: checked here
                continue
            if version_of != version or computed_at is None or computed_at < updated_at:
                out.append(int(surface_id))
    return out


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


# --- computing -------------------------------------------------------------------------------------


@dataclass
class _Placed:
    """Sample points of the surfaces placed so far, and each surface's ground (frame z, m)."""

    surfaces: list[Surface]
    points: SamplePoints
    ground: np.ndarray  # per surface


def compute_shades(
    *,
    session: Session,
    surface_ids: Sequence[int],
    radius_m: float = DEFAULT_RADIUS_M,
    step_deg: float = AZIMUTH_STEP_DEG,
    progress: ShadeProgress | None = None,
) -> list[SurfaceShade]:
    """The building shade of these surfaces, as SurfaceShade rows not yet added to ``session``.

    Reads only, so a job may report progress meanwhile. Surfaces without a usable geometry get no
    row. The rows carry the stock version in force.
    """
    surfaces = _surfaces(session, surface_ids)
    if not surfaces:
        return []
    sites = {
        s.id: s
        for s in session.exec(
            select(Site).where(col(Site.id).in_(sorted({x.site_id for x in surfaces})))
        ).all()
    }
    buildings = _buildings_near(session, list(sites.values()), radius_m)
    frame, stock = _frame_and_stock(buildings, list(sites.values()))
    placed = _place(session, surfaces, sites, buildings, frame)
    if placed is None:
        return []
    _out_of_buildings(placed, stock)
    if progress is not None:
        progress(0.1)
    points = placed.points
    convergence = np.asarray(frame.convergence_deg(points.xyz[:, 0], points.xyz[:, 1]), dtype=float)
    horizon = _horizons(stock, points, convergence, radius_m, step_deg, progress)
    tilt = np.array([s.tilt_deg for s in placed.surfaces], dtype=float)[points.surface]
    azimuth = np.array([s.azimuth_deg for s in placed.surfaces], dtype=float)[points.surface]
    sky = np.asarray(sky_view_factor(horizon, tilt, azimuth, step_deg=step_deg), dtype=float)
    lon, lat = frame.to_wgs84(points.xyz[:, 0], points.xyz[:, 1])
    above = points.xyz[:, 2] - placed.ground[points.surface]
    version = stock_version(session)
    rows = []
    for index, surface in enumerate(placed.surfaces):
        mine = np.flatnonzero(points.surface == index)
        assert surface.id is not None
        rows.append(
            SurfaceShade(
                surface_id=surface.id,
                stock_version=version,
                step_deg=step_deg,
                points=int(mine.size),
                horizon=pack_horizon(horizon[mine]),
                sky_view=[round(float(v), _SKY_DECIMALS) for v in np.clip(sky[mine], 0.0, 1.0)],
                xyz=[
                    [
                        round(float(lon[i]), _LONLAT_DECIMALS),
                        round(float(lat[i]), _LONLAT_DECIMALS),
                        round(float(above[i]), _HEIGHT_DECIMALS),
                    ]
                    for i in mine
                ],
            )
        )
    if progress is not None:
        progress(1.0)
    return rows


def write_shades(session: Session, rows: Sequence[SurfaceShade]) -> int:
    """Store ``rows``, replacing the stored shade of their surfaces; returns how many were written."""
    ids = [row.surface_id for row in rows]
    for chunk in _chunks(ids):
        session.exec(delete(SurfaceShade).where(col(SurfaceShade.surface_id).in_(chunk)))
    session.add_all(rows)
    session.flush()
    return len(rows)


def shade_surfaces(
    *,
    session: Session,
    surface_ids: Sequence[int],
    radius_m: float = DEFAULT_RADIUS_M,
    progress: ShadeProgress | None = None,
) -> int:
    """Compute and store the building shade of these surfaces (replacing what was stored); returns
    how many surfaces got a SurfaceShade row (those with a usable geometry)."""
    rows = compute_shades(session=session, surface_ids=surface_ids, radius_m=radius_m, progress=progress)
    return write_shades(session, rows)


def _surfaces(session: Session, surface_ids: Sequence[int]) -> list[Surface]:
    out: list[Surface] = []
    for chunk in _chunks(sorted(set(surface_ids))):
        out.extend(session.exec(select(Surface).where(col(Surface.id).in_(chunk))).all())
    return [s for s in out if s.geometry]


def _buildings_near(session: Session, sites: Sequence[Site], radius_m: float) -> list[Building]:
    """Buildings with faces whose footprint (or point) lies within ``radius_m`` of a site: a lon/lat
    box around the sites first, then the distance in a local metric projection."""
    if not sites:
        return []
    lons = np.array([s.lon for s in sites], dtype=float)
    lats = np.array([s.lat for s in sites], dtype=float)
    dlat = radius_m / _M_PER_DEG + 0.002  # 0.002° (about 200 m): a footprint's centroid to its outline
    dlon = dlat / max(0.1, float(np.cos(np.radians(np.abs(lats).max()))))
    rows = session.exec(
        select(Building).where(
            col(Building.lon).between(float(lons.min()) - dlon, float(lons.max()) + dlon),
            col(Building.lat).between(float(lats.min()) - dlat, float(lats.max()) + dlat),
        )
    ).all()
    rows = [b for b in rows if b.faces]
    if not rows:
        return []
    near = _within([_site_geometry(s) for s in sites], [_building_geometry(b) for b in rows], radius_m)
    return [rows[i] for i in sorted(near)]


def _site_geometry(site: Site) -> Any:
    return _lonlat_geometry(site.lon, site.lat, site.footprint)


def _building_geometry(building: Building) -> Any:
    return _lonlat_geometry(building.lon, building.lat, building.footprint)


def _lonlat_geometry(lon: float, lat: float, footprint: Any) -> Any:
    """The footprint (GeoJSON, lon/lat) as a shapely geometry, else the point."""
    polygon = footprint_polygon(footprint)
    return polygon if polygon is not None else shapely.Point(lon, lat)


def _within(near_to: Sequence[Any], candidates: Sequence[Any], radius_m: float) -> set[int]:
    """Indexes of ``candidates`` (lon/lat geometries) within ``radius_m`` of any of ``near_to``,
    measured in the UTM zone of them all."""
    every = np.asarray([*near_to, *candidates], dtype=object)
    projection = projection_for_points(shapely.get_coordinates(shapely.centroid(every)))

    def metric(geoms: Sequence[Any]) -> Any:  # one projection call for all the vertices
        return shapely.transform(np.asarray(geoms, dtype=object), lambda pts: project_points(pts, projection))

    tree = shapely.STRtree(metric(candidates))
    _near, hits = tree.query(metric(near_to), predicate="dwithin", distance=radius_m)
    return {int(i) for i in hits}


def _frame_and_stock(buildings: Sequence[Building], sites: Sequence[Site]) -> tuple[MetricFrame, Stock]:
    """One metric frame for the scene: the one most buildings use, else the sites' UTM zone."""
    epsg = None if buildings else _utm_epsg(sites)
    stock = stock_from_rows(list(buildings), epsg=epsg)
    return stock.frame, stock


def _utm_epsg(sites: Sequence[Site]) -> int:
    lon = float(np.mean([s.lon for s in sites]))
    lat = float(np.mean([s.lat for s in sites]))
    return (32600 if lat >= 0 else 32700) + int((lon + 180) // 6) + 1


def _place(
    session: Session,
    surfaces: Sequence[Surface],
    sites: dict[int | None, Site],
    buildings: Sequence[Building],
    frame: MetricFrame,
) -> _Placed | None:
    """Sample points of every surface whose geometry can be placed (the others are left out)."""
    to_frame = Transformer.from_crs(WGS84, CRS.from_epsg(frame.epsg), always_xy=True)
    grounds = _grounds(session, sites, buildings)
    convergence = _convergence(sites, to_frame, frame)
    kept: list[Surface] = []
    parts: list[SamplePoints] = []
    ground: list[float] = []
    for surface in surfaces:
        base = grounds.get(surface.site_id, 0.0)
        sample = _sample(surface, base, to_frame, convergence.get(surface.site_id, 0.0))
        if sample is None:
            continue
        kept.append(surface)
        parts.append(sample)
        ground.append(base)
    if not kept:
        return None
    return _Placed(kept, SamplePoints.concat(parts), np.array(ground, dtype=float))


def _convergence(
    sites: dict[int | None, Site], to_frame: Transformer, frame: MetricFrame
) -> dict[int | None, float]:
    """The frame's meridian convergence at each site, degrees (it changes by ~0.03° over 5 km: one
    value per site is enough to turn a surface's true azimuth into the frame's grid)."""
    keys = list(sites)
    x, y = to_frame.transform([sites[k].lon for k in keys], [sites[k].lat for k in keys])
    values = np.asarray(frame.convergence_deg(np.asarray(x, dtype=float), np.asarray(y, dtype=float)))
    return {k: float(v) for k, v in zip(keys, values.reshape(-1), strict=True)}


def _grounds(
    session: Session, sites: dict[int | None, Site], buildings: Sequence[Building]
) -> dict[int, float]:
    """Each site's ground in the frame's vertical datum: the lowest base of its linked buildings,
    else the base of the nearest building of the scene, else 0."""
    site_ids = [i for i in sites if i is not None]
    links = session.exec(
        select(SiteBuilding.site_id, Building.base_m)
        .join(Building, col(Building.id) == col(SiteBuilding.building_id))
        .where(col(SiteBuilding.site_id).in_(site_ids))
    ).all()
    out: dict[int, float] = {}
    for site_id, base in links:
        out[site_id] = min(out.get(site_id, float(base)), float(base))
    missing = [i for i in site_ids if i not in out]
    if missing and buildings:
        points = np.array([[b.lon, b.lat] for b in buildings], dtype=float)
        for site_id in missing:
            site = sites[site_id]
            nearest = int(np.argmin(np.hypot(points[:, 0] - site.lon, points[:, 1] - site.lat)))
            out[site_id] = float(buildings[nearest].base_m)
    return out


def _sample(
    surface: Surface, ground: float, to_frame: Transformer, convergence: float
) -> SamplePoints | None:
    geometry = shape(surface.geometry) if surface.geometry else None
    if surface.kind == SurfaceKind.curtain_wall:
        return (
            _wall(surface, geometry, ground, to_frame, convergence)
            if isinstance(geometry, LineString)
            else None
        )
    return _plane(surface, geometry, ground, to_frame, convergence) if isinstance(geometry, Polygon) else None


def _metric(coords: Any, to_frame: Transformer) -> np.ndarray:
    lonlat = np.asarray(coords, dtype=float)[:, :2]
    x, y = to_frame.transform(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])


def _plane(
    surface: Surface, polygon: Polygon, ground: float, to_frame: Transformer, convergence: float
) -> SamplePoints | None:
    """A plan polygon at ``height_m`` above the ground, tilted about its centroid."""
    xy = _metric(polygon.exterior.coords, to_frame)[:-1]  # GeoJSON rings are closed
    if len(xy) < 3 or Polygon(xy).area <= 0:
        return None
    centre = Polygon(xy).centroid
    cx, cy = float(centre.x), float(centre.y)
    facing = np.radians(surface.azimuth_deg - convergence)  # true = grid + convergence
    slope = np.tan(np.radians(min(surface.tilt_deg, 89.0)))
    # the plane falls towards the azimuth it faces: down along (sin az, cos az)
    downhill = (xy[:, 0] - cx) * np.sin(facing) + (xy[:, 1] - cy) * np.cos(facing)
    z = ground + surface.height_m - slope * downhill
    ring = np.column_stack([xy, z])
    return sample_polygons([ring], max_points=POLYGON_MAX_POINTS)


def _wall(
    surface: Surface, line: LineString, ground: float, to_frame: Transformer, convergence: float
) -> SamplePoints | None:
    """A vertical band on the ground line: bottom at ``height_m``, height gross area / length."""
    xy = _metric(line.coords, to_frame)
    start, end = xy[0], xy[-1]
    length = float(np.hypot(*(end - start)))
    if length <= 0.01:
        return None
    band = max(0.1, surface.gross_area_m2 / length)
    bottom = max(0.0, surface.height_m)
    facing = np.radians(surface.azimuth_deg - convergence)
    return sample_wall_bands(
        start.reshape(1, 2),
        end.reshape(1, 2),
        np.array([ground + bottom]),
        np.array([ground + bottom + band]),
        np.array([[np.sin(facing), np.cos(facing)]]),
        max_points=WALL_MAX_POINTS,
    )


# --- points inside a building ----------------------------------------------------------------------


def _out_of_buildings(placed: _Placed, stock: Stock) -> None:
    """Points inside a building (see the module's docstring): a roof's are lifted onto the roof above
    them; a canopy's (corridor, walkway) are left out, its part inside a building carries no PV,
    unless all of them are inside (then lifted as a roof's); a wall's are moved out along the normal.
    Changes ``placed.points`` (in place, or a copy without the points left out)."""
    points = placed.points
    near = buildings_at(stock, points.xyz[:, :2])
    if not near:
        return
    kinds = np.array([s.kind.value for s in placed.surfaces])[points.surface]
    walls = kinds == SurfaceKind.curtain_wall.value
    target = roof_above(points.xyz, ~walls, near)
    inside = np.isfinite(target)
    canopy = (kinds == SurfaceKind.corridor.value) | (kinds == SurfaceKind.walkway.value)
    # a canopy keeps the points outside buildings when it has any
    outside_per_surface = np.bincount(points.surface[~inside], minlength=len(placed.surfaces))
    drop = inside & canopy & (outside_per_surface[points.surface] > 0)
    lift = inside & ~drop
    points.xyz[lift, 2] = target[lift] + LIFT_M
    push_out_of_footprints(points, walls, near, max_push_m=MAX_WALL_PUSH_M)
    if drop.any():
        keep = ~drop
        placed.points = SamplePoints(points.xyz[keep], points.normal[keep], points.surface[keep])


# --- casting ---------------------------------------------------------------------------------------


def _horizons(
    stock: Stock,
    points: SamplePoints,
    convergence: np.ndarray,
    radius_m: float,
    step_deg: float,
    progress: ShadeProgress | None,
) -> np.ndarray:
    """Every point's horizon (P, A) in the scene of ``stock``; the plane's own horizon alone when the
    stock has no faces near."""
    has_faces = any(b.faces for b in stock.buildings)
    if not has_faces:
        return np.asarray(
            plane_horizon(points.normal, step_deg=step_deg, convergence_deg=convergence), dtype=np.float32
        )
    scene = Scene.from_stock(stock)
    report = None if progress is None else (lambda share: progress(0.1 + 0.85 * share))
    return horizons(
        scene, points, step_deg=step_deg, radius_m=radius_m, convergence_deg=convergence, progress=report
    )


# --- staleness -------------------------------------------------------------------------------------


def mark_shade_outdated(
    session: Session, building_ids: Sequence[int], *, radius_m: float = DEFAULT_RADIUS_M
) -> int:
    """Buildings changed (created or updated by a stock import): the surfaces whose site lies within
    ``radius_m`` of one lose their stored shade, and the estimates of those whose shade is computed
    (not typed) are flagged stale. Returns how many surfaces lost their shade or estimate."""
    changed: list[Any] = []
    for chunk in _chunks(sorted(set(building_ids))):
        rows = session.exec(
            select(Building.lon, Building.lat, Building.footprint).where(col(Building.id).in_(chunk))
        ).all()
        changed.extend(_lonlat_geometry(lon, lat, footprint) for lon, lat, footprint in rows)
    if not changed:
        return 0
    with_surfaces = select(Surface.site_id).distinct()
    sites = session.exec(
        select(Site.id, Site.lon, Site.lat, Site.footprint).where(col(Site.id).in_(with_surfaces))
    ).all()
    if not sites:
        return 0
    near = _within(changed, [_lonlat_geometry(lon, lat, fp) for _i, lon, lat, fp in sites], radius_m)
    site_ids = [sites[i][0] for i in sorted(near) if sites[i][0] is not None]
    if not site_ids:
        return 0
    surfaces = session.exec(
        select(Surface.id, Surface.shading_manual).where(col(Surface.site_id).in_(site_ids))
    ).all()
    all_ids = [int(i) for i, _manual in surfaces if i is not None]
    computed = [int(i) for i, manual in surfaces if i is not None and not manual]
    for chunk in _chunks(all_ids):
        session.exec(delete(SurfaceShade).where(col(SurfaceShade.surface_id).in_(chunk)))
    for chunk in _chunks(computed):
        session.exec(
            update(Estimate)
            .where(col(Estimate.surface_id).in_(chunk), col(Estimate.stale).is_(False))
            .values(stale=True)
            .execution_options(synchronize_session=False)
        )
    session.flush()
    return len(all_ids)


# --- the estimate job ------------------------------------------------------------------------------


def estimate_job(session: Session, parameters: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    """Job "estimate": shade the listed surfaces (or the approved ones missing a current estimate;
    every approved one with ``all``) whose building shade is missing or out of date, then estimate
    them. The shade is written after the estimate, since a job's progress is committed on a
    connection of its own that SQLite's one writer would keep waiting (nothing is written before)."""
    ids = parameters.get("surface_ids")
    if not ids:
        ids = estimates.surfaces_to_estimate(
            session=session, only_missing_or_stale=not parameters.get("all", False)
        )
    needed = surfaces_to_shade(session, ids)
    progress(0.0, Phrase("building shade of {count} surfaces", count=len(needed)))
    rows = compute_shades(
        session=session,
        surface_ids=needed,
        radius_m=float(parameters.get("radius_m", DEFAULT_RADIUS_M)),
        progress=lambda share: progress(0.5 * share, Phrase("casting the building shade")),
    )

    def scaled(fraction: float, message: str | Phrase) -> None:
        progress(0.5 + 0.5 * fraction, message)

    summary = estimates.estimate_surfaces(
        session=session,
        actor=None,
        surface_ids=ids,
        progress=scaled,
        mismatch=parameters.get("mismatch", "irradiance"),
        shades={row.surface_id: row for row in rows},
    )
    written = write_shades(session, rows)
    return {**asdict(summary), "shaded": written}


def shade_and_estimate(*, session: Session, surface_ids: Sequence[int]) -> estimates.EstimateRunSummary:
    """Shade what needs it, then estimate (the command line and the demo; nothing else is writing)."""
    shade_surfaces(session=session, surface_ids=surfaces_to_shade(session, surface_ids))
    return estimates.estimate_surfaces(session=session, actor=None, surface_ids=surface_ids)
