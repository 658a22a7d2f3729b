"""CityJSON 1.1 / 2.0 city models (LoD1 or LoD2) → the building stock (:class:`gis.stock.Stock`).

Objects. A ``Building`` is a building of the stock; its ``BuildingPart`` children (recursively)
count with it (``parts``) and add their faces, each face keeping its part's id. A BuildingPart
with no Building or BuildingPart parent is a building of its own. Every other CityObject is skipped
with the reason, one entry per object: bridges (``Bridge``, ``BridgePart``, …) as "bridge: not a
candidate", the rest as e.g. "Road: not a building".

Coordinates. A projected CRS (any EPSG, compound ones such as EPSG:7415 = RD New + NAP height
included) is the metric frame: faces keep the file's coordinates after its ``transform``. A
geographic CRS goes to the UTM zone of the file's centre, as footprints do. ``crs`` gives the CRS
of a file without ``metadata.referenceSystem`` (Den Haag and Rotterdam samples: EPSG:7415) and
overrides one it has.

Faces. Each object's geometry of the highest LoD (:func:`gis.cityjson.select_geometry`) is read
surface by surface; a surface's index is its position in the boundaries with shells and solids
concatenated (:func:`gis.cityjson.surfaces`). Kind: with semantics, ``RoofSurface`` → roof,
``WallSurface`` → wall, ``GroundSurface`` → ground, any other → other. Without semantics (LoD1)
the Newell normal (:mod:`gis.plane`) decides: a face tilted :data:`WALL_TILT_DEG` (75°) or more from
horizontal, up to 105°, is a wall (75° is the register's limit between a plan surface and a wall);
an upward face below 75° is a roof; a downward face is ground when it lies at the building's base
(within 0.5 m), else other (the underside of an overhang).

Merging. Triangulated or split planes are merged back: faces of one object and one kind that lie in
one plane — normals within :data:`MERGE_ANGLE_DEG` (1°) of the seed face's, every vertex within
:data:`MERGE_OFFSET_M` (5 cm) of its plane; seeds are taken largest first — and whose union in the
plane's 2D coordinates is connected to the seed (a shared edge, or part of one at a T-junction; a
shared corner is not enough) become one face whose ``indices`` are the faces merged. The merged face
lies in the seed's plane, oriented as the seed (counter-clockwise seen from outside).

Building values: ``footprint`` is the union of the ground faces projected to the ground (of all
faces when there is no ground face), in WGS84; ``base_m`` the lowest vertex; ``height_m`` the
``measuredHeight`` attribute when present, else highest − lowest vertex; ``storeys`` from
``storeysAboveGround``; ``use`` from ``function`` (else ``usage``); ``name`` from ``name`` (else
``identificatie``); ``roof_shape`` from ``roofType``; ``lod`` the highest LoD read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import CRS
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from gis import stock_messages as say
from gis.cityjson import (
    SUPPORTED_VERSIONS,
    CityJSONError,
    ParseError,
    city_objects,
    resolve_epsg,
    select_geometry,
    surfaces,
    transformed_vertices,
)
from gis.crs import horizontal_crs, local_projection
from gis.plane import newell_vector
from gis.stock import (
    Face,
    FaceKind,
    FloatArray,
    MetricFrame,
    Skipped,
    SourceRef,
    Stock,
    StockBuilding,
    StockError,
    StockProblem,
    because,
)
from gis.stock_frames import projected_frame, utm_frame

#: Faces tilted this much from horizontal or more (up to 180° − it) are walls when the file has no
#: semantics, degrees (as the register: a plan surface steeper than 75° is a wall).
WALL_TILT_DEG = 75.0
#: Faces merge into one plane when their normals are within this angle, degrees …
MERGE_ANGLE_DEG = 1.0
#: … and every vertex lies within this distance of the seed face's plane, m.
MERGE_OFFSET_M = 0.05
_GROUND_BAND_M = 0.5  # a downward face this close to the building's base is its ground
_KIND_OF_SEMANTIC: Mapping[str, FaceKind] = {
    "RoofSurface": "roof",
    "WallSurface": "wall",
    "GroundSurface": "ground",
}
_BRIDGE_TYPES = ("Bridge", "BridgePart", "BridgeInstallation", "BridgeConstructiveElement", "BridgeRoom")
_LAT_RANGE = (-80.0, 84.0)  # where a UTM zone can measure; elsewhere the CRS is wrong


@dataclass
class _Surface:
    """One surface of an object, in metric coordinates."""

    index: int
    semantic: str | None
    rings: list[FloatArray]  # (k, 3), not closed
    normal: FloatArray  # unit
    area: float
    kind: FaceKind = "other"


class _Refused(Exception):
    def __init__(
        self, field: str, message: str, *, code: str = "", params: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.code, self.params = code, dict(params or {})

    @classmethod
    def of(cls, field: str, template: str, /, **params: Any) -> _Refused:
        """The refusal whose message is ``template`` (:mod:`gis.stock_messages`) filled with ``params``."""
        return cls(field, template.format(**params), code=template, params=params)


def read_cityjson_stock(doc: Mapping[str, Any], *, crs: str | int | None = None) -> Stock:
    """Read a parsed CityJSON document into the building stock.

    Parameters
    ----------
    doc : mapping
        CityJSON 1.1 or 2.0.
    crs : str or int, optional
        EPSG code (``"EPSG:7415"``, ``7415``, URL, URN) for a file without a referenceSystem, or to
        override it.

    Raises
    ------
    StockError
        If the document is not CityJSON of a supported version, has no vertices or no CRS, or its
        CRS is projected in a unit other than the metre.
    """
    if not isinstance(doc, Mapping) or doc.get("type") != "CityJSON":
        raise StockError.of(say.NOT_CITYJSON)
    version = str(doc.get("version", ""))
    if version not in SUPPORTED_VERSIONS:
        raise StockError.of(say.CITYJSON_VERSION, version=version)
    try:
        epsg = resolve_epsg(doc, crs)
        vertices = transformed_vertices(doc)
        errors: list[ParseError] = []
        objects = city_objects(doc, errors)
    except (CityJSONError, ValueError) as exc:
        raise StockError(str(exc)) from exc
    frame, metric = _frame(epsg, vertices)
    problems = [StockProblem(e.object_id, e.field, e.message) for e in errors]
    reader = _Reader(objects, metric, frame)
    skipped: list[Skipped] = []
    buildings: list[StockBuilding] = []
    for object_id, obj in objects.items():
        kind = str(obj.get("type"))
        if kind == "Building" or (kind == "BuildingPart" and not _has_building_parent(objects, obj)):
            try:
                building = reader.building(object_id, obj)
            except _Refused as refused:
                problems.append(
                    StockProblem(
                        object_id, refused.field, refused.message, code=refused.code, params=refused.params
                    )
                )
                continue
            if building is None:
                skipped.append(
                    Skipped(SourceRef(object=object_id), **because(say.CITY_NO_GEOMETRY, kind=kind))
                )
            else:
                buildings.append(building)
        elif kind == "BuildingPart":
            continue  # read with its building
        elif kind in _BRIDGE_TYPES:
            skipped.append(Skipped(SourceRef(object=object_id), **because(say.BRIDGE)))
        else:
            skipped.append(
                Skipped(SourceRef(object=object_id), **because(say.CITY_NOT_A_BUILDING, kind=kind))
            )
    skipped.extend(reader.skipped)
    return Stock(buildings, skipped, problems, frame, source_format="cityjson")


def _has_building_parent(objects: Mapping[str, Mapping[str, Any]], obj: Mapping[str, Any]) -> bool:
    parents = obj.get("parents") or []
    return any(objects.get(p, {}).get("type") in ("Building", "BuildingPart") for p in parents)


def _frame(epsg: int, vertices: FloatArray) -> tuple[MetricFrame, FloatArray]:
    """The metric frame and the vertices in it (the file's own when projected)."""
    try:
        horizontal = horizontal_crs(CRS.from_epsg(epsg))
    except Exception as exc:  # pyproj raises its own CRSError for unknown codes
        raise StockError.of(say.UNKNOWN_EPSG, epsg=epsg) from exc
    if horizontal.is_geographic:
        lo, hi = vertices.min(axis=0), vertices.max(axis=0)
        lon, lat = float((lo[0] + hi[0]) / 2), float((lo[1] + hi[1]) / 2)
        try:
            projection = local_projection(lon, lat)
        except ValueError as exc:
            raise StockError.of(say.CENTRE_OFF_EARTH, lon=lon, lat=lat, error=str(exc)) from exc
        x, y = projection.to_metric.transform(vertices[:, 0], vertices[:, 1])
        return utm_frame(lon, lat), np.column_stack([x, y, vertices[:, 2]])
    unit = horizontal.axis_info[0].unit_conversion_factor if horizontal.axis_info else 1.0
    if unit is not None and abs(unit - 1.0) > 1e-12:
        raise StockError.of(say.NOT_METRIC, epsg=epsg, unit=horizontal.axis_info[0].unit_name)
    return projected_frame(epsg), vertices


class _Reader:
    """Reads Building objects (with their parts) from one document."""

    def __init__(
        self,
        objects: Mapping[str, Mapping[str, Any]],
        metric: FloatArray,
        frame: MetricFrame,
    ) -> None:
        self.objects = objects
        self.metric = metric
        self.frame = frame
        self.skipped: list[Skipped] = []

    def building(self, object_id: str, obj: Mapping[str, Any]) -> StockBuilding | None:
        """The building with its parts' faces; None when neither it nor its parts have geometry."""
        part_ids = _parts(self.objects, object_id, {object_id})
        members = [(object_id, obj)] + [(pid, self.objects[pid]) for pid in part_ids]
        faces: list[Face] = []
        lods: list[float] = []
        used: list[np.ndarray] = []
        for member_id, member in members:
            geometry = select_geometry(member.get("geometry") or [])
            if geometry is None:
                continue
            lods.append(_lod(geometry))
            member_surfaces, indices = self._surfaces(member_id, geometry)
            used.append(indices)
            faces.extend(self._faces(member_id, member_surfaces))
        if not used or not any(len(u) for u in used):
            return None  # nothing to place or survey: skipped by the caller
        points = self.metric[np.unique(np.concatenate(used))]
        base, top = float(points[:, 2].min()), float(points[:, 2].max())
        self._check_place(points)
        attributes = dict(obj.get("attributes") or {})
        return StockBuilding(
            id=object_id,
            source=SourceRef(object=object_id),
            footprint=self._footprint(faces),
            base_m=base,
            height_m=_number(attributes.get("measuredHeight")) or (top - base),
            storeys=_storeys(attributes.get("storeysAboveGround")),
            use=_text(attributes.get("function")) or _text(attributes.get("usage")),
            name=_text(attributes.get("name")) or _text(attributes.get("identificatie")),
            roof_shape=_text(attributes.get("roofType")),
            attributes=attributes,
            faces=faces,
            parts=part_ids,
            lod=_lod_text(max(lods)) if lods else None,
            note=None if faces else say.NOTE_NO_FACES,
            note_code="" if faces else say.NOTE_NO_FACES,
        )

    def _check_place(self, points: FloatArray) -> None:
        x, y = points[:, 0].mean(), points[:, 1].mean()
        lon, lat = (float(v[0]) for v in self.frame.to_wgs84(np.array([x]), np.array([y])))
        if not (-180.0 <= lon <= 180.0 and _LAT_RANGE[0] <= lat <= _LAT_RANGE[1]):  # inf: outside the CRS
            raise _Refused.of(
                "geometry",
                say.OFF_EARTH,
                lon=lon,
                lat=lat,
            )

    def _surfaces(self, object_id: str, geometry: Mapping[str, Any]) -> tuple[list[_Surface], np.ndarray]:
        """The object's surfaces with an area, and every vertex index its geometry uses."""
        semantics = geometry.get("semantics") or {}
        meta = semantics.get("surfaces") if isinstance(semantics, Mapping) else None
        meta = meta if isinstance(meta, list) else []
        try:
            raw = list(surfaces(geometry))
        except (ValueError, TypeError) as exc:
            raise _Refused("geometry", str(exc)) from exc
        out: list[_Surface] = []
        used: list[np.ndarray] = []
        for index, (rings, value) in enumerate(raw):
            ids = self._indices(object_id, index, rings)
            used.extend(ids)
            semantic = None
            if isinstance(value, int) and 0 <= value < len(meta) and isinstance(meta[value], Mapping):
                semantic = meta[value].get("type")
                semantic = semantic if isinstance(semantic, str) else None
            points = [self.metric[i] for i in ids]
            vector = newell_vector(points[0]) if len(points[0]) >= 3 else np.zeros(3)
            length = float(np.linalg.norm(vector))
            if length < 1e-9:
                self.skipped.append(
                    Skipped(SourceRef(object=object_id, faces=(index,)), **because(say.DEGENERATE_FACE))
                )
                continue
            normal = vector / length
            holes = sum(abs(float(np.dot(newell_vector(h), normal))) for h in points[1:] if len(h) >= 3)
            out.append(_Surface(index, semantic, points, normal, (length - holes) / 2.0))
        indices = np.concatenate(used) if used else np.empty(0, dtype=np.int64)
        if len(indices):
            base = float(self.metric[indices, 2].min())
            for surface in out:
                surface.kind = _kind(surface, base)
        return out, indices

    def _indices(self, object_id: str, index: int, rings: Any) -> list[np.ndarray]:
        if not isinstance(rings, list) or not rings:
            raise _Refused.of("geometry", say.SURFACE_NO_RINGS, index=index)
        out = []
        for ring in rings:
            try:
                ids = np.asarray(ring, dtype=np.int64).reshape(-1)
            except (TypeError, ValueError) as exc:
                raise _Refused.of("geometry", say.SURFACE_BAD_INDICES, index=index) from exc
            if len(ids) and (ids.min() < 0 or ids.max() >= len(self.metric)):
                raise _Refused.of("geometry", say.SURFACE_NO_VERTEX, index=index)
            out.append(ids)
        return out

    def _faces(self, object_id: str, found: list[_Surface]) -> list[Face]:
        """Merge each kind's coplanar neighbours and return the object's faces in index order."""
        groups: dict[tuple[FaceKind, str | None], list[_Surface]] = {}
        for surface in found:
            groups.setdefault((surface.kind, surface.semantic), []).append(surface)
        faces: list[Face] = []
        for (kind, semantic), group in groups.items():
            for cluster, outline, plane in _clusters(group):
                faces.append(_merged(object_id, kind, semantic, cluster, outline, plane))
        faces.sort(key=lambda face: face.indices[0])
        return faces

    def _footprint(self, faces: list[Face]) -> Polygon | MultiPolygon | None:
        # ground faces are the footprint; without them, what lies over it (walls project to lines)
        ground = [f for f in faces if f.kind == "ground"] or [f for f in faces if f.kind != "wall"] or faces
        outlines = []
        for face in ground:
            polygon = Polygon(face.rings[0][:, :2], [r[:, :2] for r in face.rings[1:]])
            if not polygon.is_valid:
                polygon = shapely.make_valid(polygon)
            if polygon.area > 1e-6:
                outlines.append(polygon)
        if not outlines:
            return None
        union: BaseGeometry = shapely.union_all(outlines)
        union = shapely.transform(union, _to_wgs84(self.frame), interleaved=False)
        polygons = [g for g in getattr(union, "geoms", [union]) if isinstance(g, Polygon) and not g.is_empty]
        if not polygons:
            return None
        return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def _to_wgs84(frame: MetricFrame) -> Any:
    def transform(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        return frame.to_wgs84(x, y)

    return transform


def _kind(surface: _Surface, base: float) -> FaceKind:
    if surface.semantic is not None:
        return _KIND_OF_SEMANTIC.get(surface.semantic, "other")
    tilt = math.degrees(math.acos(max(-1.0, min(1.0, float(surface.normal[2])))))
    if WALL_TILT_DEG <= tilt <= 180.0 - WALL_TILT_DEG:
        return "wall"
    if tilt < WALL_TILT_DEG:
        return "roof"
    top = max(float(r[:, 2].max()) for r in surface.rings)
    return "ground" if top - base <= _GROUND_BAND_M else "other"


@dataclass(frozen=True)
class _Plane:
    """A face's plane with 2D axes in it (u, v, normal form a right-handed frame)."""

    origin: FloatArray
    normal: FloatArray
    u: FloatArray
    v: FloatArray

    @classmethod
    def of(cls, surface: _Surface) -> _Plane:
        u = _perpendicular(surface.normal)
        return cls(surface.rings[0][0], surface.normal, u, _cross(surface.normal, u))

    def offsets(self, surface: _Surface) -> FloatArray:
        """Distances of the surface's vertices from the plane, m."""
        return np.asarray(np.abs((np.concatenate(surface.rings) - self.origin) @ self.normal), dtype=float)

    def polygon(self, surface: _Surface) -> BaseGeometry:
        """The surface in the plane's 2D coordinates (repaired when its outline crosses itself)."""
        flat = [
            np.column_stack([(r - self.origin) @ self.u, (r - self.origin) @ self.v]) for r in surface.rings
        ]
        polygon = Polygon(flat[0], flat[1:])
        return polygon if polygon.is_valid else shapely.make_valid(polygon)

    def lift(self, xy: FloatArray) -> FloatArray:
        """2D plane coordinates back to 3D."""
        return np.asarray(self.origin + xy[:, :1] * self.u + xy[:, 1:2] * self.v, dtype=float)


def _clusters(group: list[_Surface]) -> list[tuple[list[_Surface], Polygon | None, _Plane]]:
    """Coplanar neighbours grown from the largest face: faces within MERGE_ANGLE_DEG and
    MERGE_OFFSET_M of the seed's plane whose union with it in the plane is connected (sharing an
    edge, or part of one at a T-junction; touching at a corner is not enough). Each cluster comes
    with its outline in the seed's plane (None for a face left alone)."""
    normals = np.array([s.normal for s in group])
    cos_limit = math.cos(math.radians(MERGE_ANGLE_DEG))
    done = np.zeros(len(group), dtype=bool)
    out: list[tuple[list[_Surface], Polygon | None, _Plane]] = []
    for seed in sorted(range(len(group)), key=lambda k: -group[k].area):
        if done[seed]:
            continue
        plane = _Plane.of(group[seed])
        near = np.flatnonzero(~done & (normals @ plane.normal >= cos_limit))
        candidates = [seed] + [
            int(k) for k in near if k != seed and plane.offsets(group[k]).max() <= MERGE_OFFSET_M
        ]
        done[seed] = True
        if len(candidates) == 1:
            out.append(([group[seed]], None, plane))
            continue
        polygons = np.array([plane.polygon(group[k]) for k in candidates], dtype=object)
        # a 0.1 mm grid nodes shared edges and T-junctions that floating point leaves a hair apart
        union = shapely.union_all(shapely.set_precision(polygons, 1e-4))
        pieces = [g for g in getattr(union, "geoms", [union]) if isinstance(g, Polygon) and not g.is_empty]
        if not pieces:
            out.append(([group[seed]], None, plane))
            continue
        if len(pieces) == 1:  # one connected outline: every candidate is in it
            piece, inside = pieces[0], np.ones(len(candidates), dtype=bool)
        else:
            piece = max(pieces, key=lambda g: float(g.intersection(polygons[0]).area))
            inside = shapely.area(shapely.intersection(piece, polygons)) >= 0.5 * shapely.area(polygons)
            inside[0] = True
        members = [candidates[i] for i in np.flatnonzero(inside)]
        done[members] = True
        out.append(([group[k] for k in members], piece if len(members) > 1 else None, plane))
    return out


def _merged(
    object_id: str,
    kind: FaceKind,
    semantic: str | None,
    cluster: list[_Surface],
    outline: Polygon | None,
    plane: _Plane,
) -> Face:
    """One face for a cluster of coplanar surfaces: the seed's own rings when it is alone, else the
    cluster's outline in the seed's plane, counter-clockwise seen from the side the seed faces."""
    if outline is None:
        only = cluster[0]
        return Face(object_id, (only.index,), kind, semantic, tuple(only.rings))
    oriented = shapely.orient_polygons(outline, exterior_cw=False)
    rings = tuple(
        plane.lift(np.asarray(ring.coords)[:-1]) for ring in (oriented.exterior, *oriented.interiors)
    )
    return Face(object_id, tuple(sorted(s.index for s in cluster)), kind, semantic, rings)


def _cross(a: FloatArray, b: FloatArray) -> FloatArray:
    """The cross product of two 3-vectors (numpy's np.cross costs ten times more on one pair)."""
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]])


def _perpendicular(normal: FloatArray) -> FloatArray:
    """A unit vector in the plane: horizontal when the plane is not (so walls keep x-y lines)."""
    axis = np.array([0.0, 0.0, 1.0]) if abs(normal[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    u = _cross(axis, normal)
    return np.asarray(u / np.linalg.norm(u), dtype=float)


def _parts(objects: Mapping[str, Mapping[str, Any]], object_id: str, seen: set[str]) -> list[str]:
    out: list[str] = []
    for child in objects.get(object_id, {}).get("children") or []:
        if child in seen or objects.get(child, {}).get("type") != "BuildingPart":
            continue
        seen.add(child)
        out.append(child)
        out.extend(_parts(objects, child, seen))
    return out


def _lod(geometry: Mapping[str, Any]) -> float:
    try:
        return float(geometry.get("lod", 0))
    except (TypeError, ValueError):
        return 0.0


def _lod_text(lod: float) -> str:
    return f"{lod:g}"


def _number(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
        return float(value)
    return None


def _storeys(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None
