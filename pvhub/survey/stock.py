"""The district's building stock: import a building file, all or nothing, link sites to buildings,
and serve the footprints to maps.

Reading is :func:`gis.stock_files.read_stock_file`'s (GeoJSON/CSV footprints, CityJSON LoD1/LoD2);
this module decides what the application keeps:

- **All or nothing.** Any :class:`~gis.stock.StockProblem` (or a file that cannot be read at all)
  and nothing is written; the report lists every problem with where, field and message, as the
  register import lists its row errors.
- **Neighbours.** A building whose footprint centroid lies outside the programme's boundary is kept
  with ``inside_district`` false (it shades and is drawn, it yields no candidates). Without a
  boundary every building is inside.
- **Subdistrict (街道).** The file's ``subdistrict`` attribute when present; else the subdistrict of
  the registered site whose footprint contains the building's centroid; else that of the nearest
  registered site within :data:`NEAREST_SITE_M`; else empty.
- **A second file adds to the stock.** A file imported again under the same name *updates* the
  buildings of the earlier import(s) of that name with the same source id, in place: the row keeps
  its id (so survey candidates and offers stay attached) and moves to the new import. Buildings of
  the earlier file that the new one lacks are kept. Files of other names only add.
- **Site links.** After each import, :func:`link_sites` links every registered site to the
  buildings its footprint overlaps by more than :data:`LINK_OVERLAP` of the smaller of the two
  areas, or, for a site without a footprint, to the building that contains its point. Links are
  only added, never removed.

Rows are written in chunks of :data:`CHUNK` with bulk inserts, built from the stock as they go, so
a 100,000-building file is not held a second time as ORM objects.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import insert, update
from sqlmodel import Session, col, select

from gis.distance import project_points, projection_for_points
from gis.stock import Stock, StockBuilding, StockError, StockProblem
from gis.stock_files import read_stock_file
from pvhub.accounts.models import User
from pvhub.core import audit, policy
from pvhub.core.errors import InvalidInput, NotFound, Phrase
from pvhub.jobs.progress import ProgressFn
from pvhub.programme.service import get_programme
from pvhub.register.models import Site
from pvhub.survey.models import Building, SiteBuilding, StockImport
from pvhub.survey.rows import building_values, footprint_polygon
from pvhub.survey.surface_shading import mark_shade_outdated

#: The permission to import building files (the office's).
PERMISSION = "stock:import"
DATUMS = ("wgs84", "cgcs2000", "gcj02", "bd09")
#: A building without a subdistrict of its own takes the nearest registered site's within this, m.
NEAREST_SITE_M = 500.0
#: A site links to a building when their footprints share more than this share of the smaller one.
LINK_OVERLAP = 0.10
#: Buildings written per bulk statement.
CHUNK = 2_000
#: Rows the preview lists.
PREVIEW_ROWS = 20
#: Most buildings one map or API page returns.
MAX_NEAR = 5_000


@dataclass
class StockReport:
    """What a building file holds (a preview) or what its import did."""

    ok: bool
    dry_run: bool
    filename: str
    source_format: str | None = None
    crs: str = ""
    buildings: int = 0
    neighbours: int = 0
    without_shape: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    problems: list[StockProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    first_rows: list[dict[str, Any]] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    linked: int = 0
    stock_import_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON (API, CLI and the job's result)."""
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "filename": self.filename,
            "format": self.source_format,
            "crs": self.crs,
            "buildings": self.buildings,
            "neighbours": self.neighbours,
            "without_shape": dict(self.without_shape),
            "skipped": dict(self.skipped),
            "problems": [{"where": p.where, "field": p.field, "message": p.message} for p in self.problems],
            "warnings": list(self.warnings),
            "first_rows": list(self.first_rows),
            "created": self.created,
            "updated": self.updated,
            "linked": self.linked,
            "stock_import_id": self.stock_import_id,
        }


def _no_progress(_fraction: float, _message: str | Phrase) -> None:
    return None


def check_request(*, actor: User | None, filename: str, datum: str) -> None:
    """The refusals that need no file: who imports (``None`` is the CLI), the name, the datum."""
    if actor is not None:
        policy.require(actor, PERMISSION)
    if "\x00" in filename or not filename.strip():
        raise InvalidInput("{field} must be a file name without NUL characters.", field="filename")
    if datum not in DATUMS:
        raise InvalidInput(
            "unknown datum {datum!r}: use one of {datums}", datum=datum, datums=list(DATUMS), field="datum"
        )


def read_stock(content: bytes, *, filename: str, crs: str | None, datum: str) -> Stock | StockProblem:
    """The file's stock, or the one problem of a file that cannot be read at all."""
    try:
        return read_stock_file(content, name=filename, crs=crs or None, datum=datum)
    except StockError as exc:
        return StockProblem(where="file", field="file", message=str(exc))
    except RecursionError:  # lists within lists thousands deep: a broken or hostile file
        return StockProblem(where="file", field="file", message="the file's structure is nested too deeply")


def import_stock(
    *,
    session: Session,
    actor: User | None,
    filename: str,
    content: bytes,
    crs: str | None = None,
    datum: str = "wgs84",
    dry_run: bool = False,
    progress: ProgressFn = _no_progress,
) -> StockReport:
    """Import (or, with ``dry_run``, preview) a building file, all or nothing.

    Rows are added to ``session`` and flushed; the caller commits. ``progress`` is told each step
    before anything is written (none after) and may stop the import by raising.
    """
    check_request(actor=actor, filename=filename, datum=datum)
    sha256 = hashlib.sha256(content).hexdigest()
    progress(0.1, Phrase("reading {filename}", filename=filename))
    read = read_stock(content, filename=filename, crs=crs, datum=datum)
    del content  # the stock is all that is needed from here on
    report = StockReport(ok=False, dry_run=dry_run, filename=filename)
    if isinstance(read, StockProblem):
        report.problems = [read]
        return report
    stock = read
    progress(0.4, Phrase("placing {buildings} buildings", buildings=len(stock.buildings)))
    places = _places(session, stock.buildings)
    _describe(report, stock, places, crs)
    if not report.ok or dry_run:
        return report
    # the last step told: a job's progress is written on a connection of its own, which SQLite's one
    # writer would keep waiting once this transaction has written
    progress(0.6, Phrase("storing {buildings} buildings", buildings=len(stock.buildings)))
    stored = StockImport(
        name=filename[:200],
        sha256=sha256,
        source_format=stock.source_format,
        crs=report.crs,
        buildings=report.buildings,
        neighbours=report.neighbours,
        skipped=[{"source": s.source.as_dict(), "reason": s.reason} for s in stock.skipped[:10_000]],
        imported_by_id=actor.id if actor else None,
    )
    session.add(stored)
    session.flush()
    assert stored.id is not None
    report.stock_import_id = stored.id
    report.created, report.updated = _write(session, stock, stored.id, places, filename)
    report.linked = link_sites(session)
    # issue #19: registered surfaces near a created or updated building lose their building shade
    changed = session.exec(select(Building.id).where(Building.stock_import_id == stored.id)).all()
    mark_shade_outdated(session, [i for i in changed if i is not None])
    audit.record(
        session,
        actor=actor,
        entity="stock_import",
        entity_id=stored.id,
        action="import",
        after={
            "filename": filename,
            "sha256": sha256,
            "format": stock.source_format,
            "buildings": report.buildings,
            "neighbours": report.neighbours,
            "created": report.created,
            "updated": report.updated,
            "linked": report.linked,
        },
    )
    session.flush()
    return report


def _describe(report: StockReport, stock: Stock, places: _Places, crs: str | None) -> None:
    report.source_format = stock.source_format
    report.crs = (crs or f"EPSG:{stock.frame.source_epsg}")[:40]
    report.problems = list(stock.problems)
    report.ok = not report.problems
    report.warnings = list(stock.warnings)
    report.buildings = len(stock.buildings)
    report.neighbours = int(sum(1 for inside in places.inside if not inside))
    report.without_shape = dict(Counter(b.note or "no 3D shape" for b in stock.buildings if not b.faces))
    report.skipped = dict(Counter(s.reason for s in stock.skipped))
    report.first_rows = [
        _preview_row(b, places.subdistricts[i], places.inside[i])
        for i, b in enumerate(stock.buildings[:PREVIEW_ROWS])
    ]


def _preview_row(building: StockBuilding, subdistrict: str, inside: bool) -> dict[str, Any]:
    return {
        "id": building.id,
        "name": building.name or "",
        "use": building.use or "",
        "height_m": building.height_m,
        "storeys": building.storeys,
        "faces": len(building.faces),
        "subdistrict": subdistrict,
        "inside_district": inside,
        "note": building.note or "",
    }


# --- where each building lies: district, subdistrict ---------------------------------------------


@dataclass
class _Places:
    subdistricts: list[str]
    inside: list[bool]


def _places(session: Session, buildings: Sequence[StockBuilding]) -> _Places:
    """Each building's subdistrict and whether it lies inside the programme's boundary."""
    points = np.array([_centroid(b) for b in buildings], dtype=float).reshape(-1, 2)
    located = np.isfinite(points[:, 0])
    inside = np.ones(len(buildings), dtype=bool)
    boundary = _boundary(session)
    if boundary is not None and len(points):
        inside[located] = shapely.covers(boundary, shapely.points(points[located]))
    own = [_own_subdistrict(b) for b in buildings]
    missing = [i for i, name in enumerate(own) if not name and located[i]]
    if missing:
        for i, name in zip(missing, _site_subdistricts(session, points[missing]), strict=True):
            own[i] = name
    return _Places(subdistricts=own, inside=[bool(v) for v in inside])


def _centroid(building: StockBuilding) -> tuple[float, float]:
    if building.footprint is None or building.footprint.is_empty:
        return float("nan"), float("nan")
    point = building.footprint.centroid
    return float(point.x), float(point.y)


def _own_subdistrict(building: StockBuilding) -> str:
    value = building.attributes.get("subdistrict")
    return str(value).strip()[:50] if value not in (None, "") else ""


def _boundary(session: Session) -> BaseGeometry | None:
    raw = get_programme(session=session).boundary
    if not isinstance(raw, dict):
        return None
    area = shape(raw)
    return area if not area.is_empty else None


def _site_subdistricts(session: Session, points: np.ndarray) -> list[str]:
    """Per lon/lat point: the subdistrict of the site whose footprint contains it, else of the
    nearest site within :data:`NEAREST_SITE_M`, else ""."""
    rows = session.exec(select(Site.subdistrict, Site.lon, Site.lat, Site.footprint)).all()
    sites = [(str(name), float(lon), float(lat), fp) for name, lon, lat, fp in rows if name]
    out = [""] * len(points)
    if not sites:
        return out
    query = shapely.points(points)
    outlined = [(name, footprint_polygon(fp)) for name, _lon, _lat, fp in sites]
    outlined = [(name, poly) for name, poly in outlined if poly is not None]
    if outlined:
        tree = shapely.STRtree([poly for _name, poly in outlined])
        hit_point, hit_site = tree.query(query, predicate="within")
        for p, s in zip(hit_point, hit_site, strict=True):
            out[int(p)] = out[int(p)] or outlined[int(s)][0]
    rest = [i for i, name in enumerate(out) if not name]
    if rest:
        site_xy = np.array([[lon, lat] for _n, lon, lat, _f in sites], dtype=float)
        projection = projection_for_points(np.vstack([site_xy, points[rest]]))
        tree = shapely.STRtree(shapely.points(project_points(site_xy, projection)))
        near = shapely.points(project_points(points[rest], projection))
        hit_point, hit_site = tree.query_nearest(near, max_distance=NEAREST_SITE_M)
        for p, s in zip(hit_point, hit_site, strict=True):
            out[rest[int(p)]] = out[rest[int(p)]] or str(sites[int(s)][0])
    return out


# --- writing --------------------------------------------------------------------------------------


def _write(
    session: Session, stock: Stock, stock_import_id: int, places: _Places, filename: str
) -> tuple[int, int]:
    """Insert the new buildings and update those an earlier import of the same name holds."""
    earlier = _earlier_ids(session, filename, stock_import_id)
    created = updated = 0
    for start in range(0, len(stock.buildings), CHUNK):
        part = Stock(
            buildings=stock.buildings[start : start + CHUNK], skipped=[], problems=[], frame=stock.frame
        )
        rows = building_values(
            part,
            stock_import_id=stock_import_id,
            subdistricts=places.subdistricts[start : start + CHUNK],
            inside=places.inside[start : start + CHUNK],
        )
        new: list[dict[str, Any]] = []
        old: list[dict[str, Any]] = []
        for values in rows:
            known = earlier.get(values["source_id"])
            (old if known is not None else new).append(values if known is None else {**values, "id": known})
        if new:
            session.execute(insert(Building), new)
        if old:
            session.execute(update(Building), old)
        created, updated = created + len(new), updated + len(old)
    return created, updated


def _earlier_ids(session: Session, filename: str, stock_import_id: int) -> dict[str, int]:
    """Source id → building id of the buildings earlier imports of the same file name hold."""
    imports = select(StockImport.id).where(
        StockImport.name == filename[:200], StockImport.id != stock_import_id
    )
    rows = session.exec(
        select(Building.source_id, Building.id)
        .where(col(Building.stock_import_id).in_(imports))
        .order_by(col(Building.id))
    ).all()
    return {source_id: int(building_id) for source_id, building_id in rows if building_id is not None}


# --- site links -----------------------------------------------------------------------------------


def link_sites(session: Session) -> int:
    """Link every registered site to the buildings it stands on (see the module's docstring);
    returns how many links were added."""
    sites = session.exec(select(Site.id, Site.lon, Site.lat, Site.footprint)).all()
    if not sites:
        return 0
    buildings = list(_buildings_around(session, sites))
    if not buildings:
        return 0
    ids = [b[0] for b in buildings]
    shapes = [b[1] for b in buildings]
    tree = shapely.STRtree(shapes)
    existing = set(session.exec(select(SiteBuilding.site_id, SiteBuilding.building_id)).all())
    links: set[tuple[int, int]] = set()
    for site_id, lon, lat, raw in sites:
        assert site_id is not None
        footprint = footprint_polygon(raw)
        if footprint is None:
            for j in tree.query(shapely.points(lon, lat), predicate="within"):
                links.add((site_id, ids[int(j)]))
            continue
        for j in tree.query(footprint, predicate="intersects"):
            other = shapes[int(j)]
            shared = footprint.intersection(other).area
            if shared > LINK_OVERLAP * min(footprint.area, other.area):
                links.add((site_id, ids[int(j)]))
    new = sorted(links - existing)
    if new:
        session.execute(insert(SiteBuilding), [{"site_id": s, "building_id": b} for s, b in new])
    return len(new)


def _buildings_around(session: Session, sites: Sequence[Any]) -> Iterator[tuple[int, BaseGeometry]]:
    """Buildings with a footprint whose centroid lies within ~1 km of the sites' extent."""
    lons = [s[1] for s in sites]
    lats = [s[2] for s in sites]
    margin = 0.01  # degrees, about 1 km: a footprint's centroid lies well within it of its outline
    rows = session.exec(
        select(Building.id, Building.footprint).where(
            col(Building.lon).between(min(lons) - margin, max(lons) + margin),
            col(Building.lat).between(min(lats) - margin, max(lats) + margin),
        )
    )
    for building_id, raw in rows:
        poly = footprint_polygon(raw)
        if poly is not None and building_id is not None:
            yield building_id, poly


# --- reading the stock ----------------------------------------------------------------------------


Bbox = tuple[float, float, float, float]


def parse_bbox(text: str) -> Bbox:
    """``"west,south,east,north"`` in WGS84 degrees, checked."""
    parts = text.split(",")
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise InvalidInput(
            "bbox must be four numbers west,south,east,north in degrees, got {text!r}",
            text=text,
            field="bbox",
        ) from None
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        raise InvalidInput(
            "bbox {text!r} must have west <= east within ±180 and south <= north within ±90",
            text=text,
            field="bbox",
        )
    return west, south, east, north


def buildings_near(
    session: Session, bbox: Bbox | None, *, limit: int = MAX_NEAR, offset: int = 0, public: bool = False
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the buildings whose centroid lies in ``bbox`` (all without),
    by id, at most ``limit`` from ``offset``; names only when the reader is not the public.
    ``truncated`` says that more buildings lie in the box."""
    query = select(Building).order_by(col(Building.id))
    if bbox is not None:
        west, south, east, north = bbox
        query = query.where(col(Building.lon).between(west, east), col(Building.lat).between(south, north))
    limit = max(0, min(limit, MAX_NEAR))
    rows = session.exec(query.offset(max(0, offset)).limit(limit + 1)).all()
    features = [building_feature(b, public=public) for b in rows[:limit]]
    return {"type": "FeatureCollection", "features": features, "truncated": len(rows) > limit}


def building_feature(building: Building, *, public: bool = False) -> dict[str, Any]:
    """One building as a GeoJSON Feature for maps and the API (its point when it has no footprint)."""
    properties: dict[str, Any] = {
        "id": building.id,
        "height_m": building.height_m,
        "storeys": building.storeys,
        "use": building.use,
        "inside_district": building.inside_district,
    }
    if not public:
        properties["name"] = building.name
    geometry = building.footprint or {"type": "Point", "coordinates": [building.lon, building.lat]}
    return {"type": "Feature", "id": building.id, "geometry": geometry, "properties": properties}


def get_building(session: Session, building_id: int) -> Building:
    """One building, or :class:`NotFound`."""
    building = session.get(Building, building_id)
    if building is None:
        raise NotFound("No building with id {building_id}.", building_id=building_id)
    return building


def list_imports(session: Session) -> list[StockImport]:
    """The stock's imports, newest first."""
    return list(session.exec(select(StockImport).order_by(col(StockImport.id).desc())).all())
