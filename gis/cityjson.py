"""CityJSON 1.1 / 2.0 import: LoD2 buildings → candidate PV surfaces.

A ``Building`` is a site; its ``BuildingPart`` children (recursively) add their surfaces to it. For
each object the geometry with the highest LoD in 2.x is used (LoD2 is what roofs and walls are
modelled in; if there is no 2.x geometry, the highest LoD available). Faces with semantics
``RoofSurface`` become roof candidates, ``WallSurface`` curtain-wall candidates; other semantics
(ground, closure, …) and faces without semantics are ignored but counted.

Azimuths are relative to true north: the projected CRS's grid north is corrected by the meridian
convergence at each building (about 1° in Zürich's LV95).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pyproj import CRS, Geod, Transformer

from gis.crs import WGS84, crs_from_reference, horizontal_crs, parse_epsg, utm_epsg
from gis.plane import orientation, plane_of, polygon_centroid

SurfaceKind = Literal["roof", "curtain_wall"]
_KIND_OF_SEMANTIC: Mapping[str, SurfaceKind] = {"RoofSurface": "roof", "WallSurface": "curtain_wall"}
_GEOD = Geod(ellps="WGS84")
_SUPPORTED_VERSIONS = ("1.0", "1.1", "2.0")
# No city model reaches this far from its CRS's origin in metres, feet or degrees; a vertex that does
# came from a broken transform (a scale of 1e300) or broken data, and the CRS cannot place it.
COORDINATE_LIMIT = 1e9
# Where pvhub can measure (UTM): a building placed beyond these latitudes came from a wrong CRS.
_LAT_RANGE = (-80.0, 84.0)


class CityJSONError(ValueError):
    """The file as a whole cannot be read (wrong type or structure, no CRS, no vertices, a broken
    transform)."""


@dataclass(frozen=True)
class CandidateSurface:
    """One roof or wall face that could hold PV.

    Attributes
    ----------
    object_id : str
        Id of the CityObject (Building or BuildingPart) the face belongs to.
    kind : {"roof", "curtain_wall"}
    semantic : str
        CityJSON semantic type (``RoofSurface``, ``WallSurface``).
    surface_tilt, surface_azimuth : float
        Degrees, pvlib convention, azimuth from true north.
    area_m2 : float
        True 3D area, m².
    centroid : (lon, lat)
        WGS84 degrees.
    height_m : float
        Mean z of the face's exterior ring in the file's vertical datum, m.
    outline : tuple of (lon, lat)
        Exterior ring projected to the ground, WGS84 degrees (a line for vertical walls).
    """

    object_id: str
    kind: SurfaceKind
    semantic: str
    surface_tilt: float
    surface_azimuth: float
    area_m2: float
    centroid: tuple[float, float]
    height_m: float
    outline: tuple[tuple[float, float], ...]


@dataclass
class ParsedBuilding:
    """A CityJSON Building (a pvhub site) with its candidate surfaces.

    ``centroid`` is the (lon, lat) mean of its vertices in WGS84 degrees; ``parts`` lists the ids
    of the BuildingParts merged into it.
    """

    id: str
    attributes: dict[str, Any]
    surfaces: list[CandidateSurface]
    centroid: tuple[float, float]
    parts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SkippedFaces:
    """How many faces of an object were skipped, and why."""

    object_id: str
    reason: str
    count: int


@dataclass(frozen=True)
class ParseError:
    """A problem in one CityObject (``field`` names the part of it, e.g. ``geometry``)."""

    object_id: str
    field: str
    message: str


@dataclass
class ParseReport:
    """Result of :func:`parse_cityjson`: buildings, skipped faces, errors and the source EPSG code."""

    buildings: list[ParsedBuilding]
    skipped: list[SkippedFaces]
    errors: list[ParseError]
    epsg: int


@dataclass(frozen=True)
class ParseOptions:
    """Filters applied to faces.

    Attributes
    ----------
    min_area_m2 : float
        Faces with a smaller true area are skipped, m².
    skip_north_walls : bool
        Skip walls facing north (azimuth within ``north_half_angle_deg`` of 0).
    north_half_angle_deg : float
        Half-width of the "north-facing" sector, degrees.
    """

    min_area_m2: float = 1.0
    skip_north_walls: bool = False
    north_half_angle_deg: float = 45.0


class _Context:
    def __init__(self, vertices: np.ndarray, epsg: int, options: ParseOptions) -> None:
        self.vertices = vertices
        self.options = options
        self.skipped: Counter[tuple[str, str]] = Counter()
        self.errors: list[ParseError] = []
        source = horizontal_crs(CRS.from_epsg(epsg))
        self.to_wgs84 = Transformer.from_crs(source, WGS84, always_xy=True)
        self.from_wgs84 = Transformer.from_crs(WGS84, source, always_xy=True)
        self.unit = 1.0
        self.to_metric: Transformer | None = None
        if source.is_geographic:
            lon, lat = (float(v) for v in vertices[:, :2].mean(axis=0))
            self.to_metric = Transformer.from_crs(source, CRS.from_epsg(utm_epsg(lon, lat)), always_xy=True)
        else:
            self.unit = float(source.axis_info[0].unit_conversion_factor or 1.0)

    def metric(self, points: np.ndarray) -> np.ndarray:
        out = points.astype(float).copy()
        if self.to_metric is not None:
            out[:, 0], out[:, 1] = self.to_metric.transform(points[:, 0], points[:, 1])
        else:
            out[:, :2] *= self.unit
        return out

    def lonlat(self, xy: np.ndarray) -> np.ndarray:
        lon, lat = self.to_wgs84.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    def places(self, xy: np.ndarray, lonlat: tuple[float, float]) -> bool:
        """Whether the CRS maps ``xy`` to ``lonlat`` and back: outside its domain, a projection gives
        some longitude/latitude that does not map back (a transverse Mercator wraps around)."""
        x, y = self.from_wgs84.transform(*lonlat)
        tolerance = 1e-5 if self.to_metric is not None else 1.0 / self.unit  # degrees, or 1 m
        return bool(abs(x - xy[0]) <= tolerance and abs(y - xy[1]) <= tolerance)


def _shown(value: Any, limit: int = 60) -> str:
    """A JSON value as the file writes it, cut short."""
    text = json.dumps(value, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _member(value: Any, member: str) -> Mapping[str, Any]:
    """An optional member that must be a JSON object (empty when absent)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise CityJSONError(f"{member} must be a JSON object")
    return value


def _triple(value: Any, member: str, default: tuple[float, float, float]) -> np.ndarray:
    """``transform.scale`` or ``transform.translate``: three finite numbers."""
    if value is None:
        return np.asarray(default, dtype=float)
    numbers = isinstance(value, list) and len(value) == 3
    if numbers and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
        try:
            out = np.asarray(value, dtype=float)
        except OverflowError:  # an integer beyond any float
            out = np.full(3, np.inf)
        if np.isfinite(out).all():
            return out
    raise CityJSONError(f"{member} must be three finite numbers, not {_shown(value)}")


def _transform(doc: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """The file's ``transform`` (scale, translate); a scale of 0 or below collapses or mirrors the model."""
    transform = _member(doc.get("transform"), "transform")
    scale = _triple(transform.get("scale"), "transform.scale", (1.0, 1.0, 1.0))
    if not (scale > 0).all():
        raise CityJSONError(f"transform.scale must be above 0 on each axis, not {_shown(transform['scale'])}")
    return scale, _triple(transform.get("translate"), "transform.translate", (0.0, 0.0, 0.0))


def _ids(obj: Mapping[str, Any], member: str) -> list[str]:
    value = obj.get(member) or []
    if not isinstance(value, list) or not all(isinstance(i, str) for i in value):
        raise _ObjectProblem(member, f"{member} must be a list of CityObject ids")
    return value


class _ObjectProblem(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _check_object(object_id: str, obj: Any) -> None:
    """The members of a CityObject that parsing walks have the types CityJSON gives them."""
    if not isinstance(obj, Mapping):
        raise _ObjectProblem("type", f"{object_id} must be a JSON object")
    if not isinstance(obj.get("geometry") or [], list):
        raise _ObjectProblem("geometry", "geometry must be a list")
    if not isinstance(obj.get("attributes") or {}, Mapping):
        raise _ObjectProblem("attributes", "attributes must be a JSON object")
    _ids(obj, "children")
    _ids(obj, "parents")


def city_objects(doc: Mapping[str, Any], errors: list[ParseError]) -> dict[str, Mapping[str, Any]]:
    """The document's CityObjects by id; one whose members are malformed is left out with an error."""
    raw = doc.get("CityObjects")
    if raw is not None and not isinstance(raw, Mapping):
        raise CityJSONError("CityObjects must be a JSON object")
    out: dict[str, Mapping[str, Any]] = {}
    for object_id, obj in (raw or {}).items():
        try:
            _check_object(object_id, obj)
        except _ObjectProblem as problem:
            errors.append(ParseError(object_id, problem.field, problem.message))
        else:
            out[object_id] = obj
    return out


def _resolve_epsg(doc: Mapping[str, Any], crs: str | int | None) -> int:
    if crs is not None:
        return parse_epsg(crs)
    reference = _member(doc.get("metadata"), "metadata").get("referenceSystem")
    if not reference:
        raise CityJSONError(
            "the file has no metadata.referenceSystem: give its CRS, e.g. --crs EPSG:7415 (API: crs field)"
        )
    try:
        return crs_from_reference(reference).to_epsg() or parse_epsg(reference)
    except Exception as exc:
        raise CityJSONError(
            f"unknown referenceSystem {reference!r}: give the CRS with --crs EPSG:NNNN"
        ) from exc


def _vertices(doc: Mapping[str, Any]) -> np.ndarray:
    raw = doc.get("vertices")
    if not isinstance(raw, list) or not raw:
        raise CityJSONError("the file has no vertices")
    try:
        vertices = np.asarray(raw, dtype=float)
    except (TypeError, ValueError, OverflowError) as exc:
        raise CityJSONError("vertices must be [x, y, z] number triples") from exc
    if vertices.ndim != 2 or vertices.shape[1] != 3:
        raise CityJSONError("vertices must be [x, y, z] number triples")
    scale, translate = _transform(doc)
    with np.errstate(over="ignore", invalid="ignore"):
        vertices = vertices * scale + translate
    beyond = np.flatnonzero(~(np.abs(vertices) <= COORDINATE_LIMIT).all(axis=1))  # NaN is beyond too
    if len(beyond):
        index = int(beyond[0])
        raise CityJSONError(
            f"vertex {index} lies at {_shown([float(v) for v in vertices[index]])}, beyond ±1e9 in "
            "the units of the file's CRS: check its transform (scale, translate) and vertices"
        )
    return vertices


def _lod(geometry: Mapping[str, Any]) -> float:
    try:
        return float(geometry.get("lod", 0))
    except (TypeError, ValueError):
        return 0.0


def select_geometry(geometries: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """Pick the geometry to use: the highest LoD within 2.x, else the highest LoD (templates ignored)."""
    usable = [g for g in geometries if isinstance(g, Mapping) and g.get("type") != "GeometryInstance"]
    if not usable:
        return None
    lod2 = [g for g in usable if 2.0 <= _lod(g) < 3.0]
    return max(lod2 or usable, key=_lod)


def _faces(geometry: Mapping[str, Any]) -> Iterator[tuple[list[Any], Any]]:
    """Yield (surface rings, semantic value) for every surface of a geometry."""
    kind = geometry.get("type")
    boundaries = geometry.get("boundaries") or []
    values = (geometry.get("semantics") or {}).get("values")
    depth = {"MultiSurface": 0, "CompositeSurface": 0, "Solid": 1, "MultiSolid": 2, "CompositeSolid": 2}
    if kind not in depth:
        raise ValueError(f"geometry type {kind!r} is not supported")

    def walk(bounds: list[Any], vals: Any, level: int) -> Iterator[tuple[list[Any], Any]]:
        if not isinstance(bounds, list):
            raise ValueError(f"the boundaries of a {kind} are not nested as its type needs")
        for i, item in enumerate(bounds):
            sub = vals[i] if isinstance(vals, list) and i < len(vals) else None
            if level == 0:
                yield item, sub
            else:
                yield from walk(item, sub, level - 1)

    yield from walk(boundaries, values, depth[str(kind)])


def _face(
    ctx: _Context, object_id: str, rings: list[Any], semantic: str, convergence: float
) -> CandidateSurface | None:
    kind = _KIND_OF_SEMANTIC[semantic]
    try:
        indices = [np.asarray(ring, dtype=int).reshape(-1) for ring in rings]
        if any(len(ix) and (ix.min() < 0 or ix.max() >= len(ctx.vertices)) for ix in indices):
            raise IndexError  # negative indices would silently wrap around in numpy
        points = [ctx.vertices[ix] for ix in indices]
    except IndexError:
        ctx.errors.append(
            ParseError(object_id, "geometry", f"a {semantic} refers to a vertex that does not exist")
        )
        return None
    except (TypeError, ValueError):
        ctx.errors.append(ParseError(object_id, "geometry", f"a {semantic} has malformed vertex indices"))
        return None
    if not points or len(points[0]) < 3:
        ctx.skipped[(object_id, "degenerate face (fewer than 3 vertices)")] += 1
        return None
    metric = [ctx.metric(p) for p in points]
    try:
        plane = plane_of(metric[0], metric[1:])
    except ValueError:
        ctx.skipped[(object_id, "degenerate face (no area)")] += 1
        return None
    if plane.area_m2 < ctx.options.min_area_m2:
        ctx.skipped[(object_id, f"area below {ctx.options.min_area_m2:g} m²")] += 1
        return None
    tilt, azimuth = orientation(plane.normal)
    if not (abs(plane.normal[0]) < 1e-12 and abs(plane.normal[1]) < 1e-12):
        azimuth = (azimuth + convergence) % 360.0
    half = ctx.options.north_half_angle_deg
    if kind == "curtain_wall" and ctx.options.skip_north_walls and (azimuth <= half or azimuth >= 360 - half):
        ctx.skipped[(object_id, "north-facing wall")] += 1
        return None
    centre = polygon_centroid(points[0])
    centre_ll = ctx.lonlat(centre[None, :2])[0]
    outline = ctx.lonlat(points[0][:, :2])
    return CandidateSurface(
        object_id=object_id,
        kind=kind,
        semantic=semantic,
        surface_tilt=tilt,
        surface_azimuth=azimuth,
        area_m2=plane.area_m2,
        centroid=(float(centre_ll[0]), float(centre_ll[1])),
        height_m=float(points[0][:, 2].mean()),
        outline=tuple((float(x), float(y)) for x, y in outline),
    )


def _object_surfaces(
    ctx: _Context, object_id: str, obj: Mapping[str, Any], convergence: float
) -> list[CandidateSurface]:
    geometry = select_geometry(obj.get("geometry") or [])
    if geometry is None:
        return []
    out: list[CandidateSurface] = []
    try:
        semantics = geometry.get("semantics") or {}
        if not isinstance(semantics, Mapping):
            raise ValueError("semantics must be a JSON object")
        surfaces_meta = semantics.get("surfaces") or []
        if not isinstance(surfaces_meta, list):
            raise ValueError("semantics.surfaces must be a list")
        for i, meta in enumerate(surfaces_meta):
            if not isinstance(meta, Mapping):
                raise ValueError(f"semantics.surfaces[{i}] must be a JSON object")
        faces = list(_faces(geometry))
    except (ValueError, TypeError) as exc:
        ctx.errors.append(ParseError(object_id, "geometry", str(exc)))
        return []
    for rings, value in faces:
        semantic = None
        if isinstance(value, int) and 0 <= value < len(surfaces_meta):
            semantic = surfaces_meta[value].get("type")
        if not isinstance(semantic, str) or semantic not in _KIND_OF_SEMANTIC:
            ctx.skipped[(object_id, f"not a roof or wall ({semantic or 'no semantics'})")] += 1
            continue
        surface = _face(ctx, object_id, rings, str(semantic), convergence)
        if surface is not None:
            out.append(surface)
    return out


def _used_vertices(ctx: _Context, objects: list[Mapping[str, Any]]) -> np.ndarray:
    ids: list[int] = []
    for obj in objects:
        geometry = select_geometry(obj.get("geometry") or [])
        boundaries = geometry.get("boundaries") if geometry is not None else None
        if isinstance(boundaries, list):  # malformed boundaries and indices are reported per face
            ids.extend(i for i in _flatten(boundaries) if type(i) is int)
    valid = [i for i in ids if 0 <= i < len(ctx.vertices)]
    return ctx.vertices[valid] if valid else np.empty((0, 3))


def _flatten(nested: Any) -> Iterator[Any]:
    for item in nested:
        if isinstance(item, list):
            yield from _flatten(item)
        else:
            yield item


def _convergence(ctx: _Context, xy: np.ndarray) -> float:
    """Angle from true north to grid north at ``xy`` (degrees, clockwise positive)."""
    if ctx.to_metric is not None:
        return 0.0  # geographic source: metric coordinates are UTM, whose convergence is small
    step = 100.0 / ctx.unit
    ends = ctx.lonlat(np.array([xy, xy + np.array([0.0, step])]))
    bearing, _, _ = _GEOD.inv(ends[0, 0], ends[0, 1], ends[1, 0], ends[1, 1])
    return float(bearing)


def _parts(city_objects: Mapping[str, Any], object_id: str, seen: set[str]) -> list[str]:
    out: list[str] = []
    for child in city_objects.get(object_id, {}).get("children") or []:
        if child in seen or city_objects.get(child, {}).get("type") != "BuildingPart":
            continue
        seen.add(child)
        out.append(child)
        out.extend(_parts(city_objects, child, seen))
    return out


def parse_cityjson(
    doc: Mapping[str, Any],
    *,
    crs: str | int | None = None,
    min_area_m2: float = 1.0,
    skip_north_walls: bool = False,
    north_half_angle_deg: float = 45.0,
) -> ParseReport:
    """Read a CityJSON document (parsed JSON) into buildings with candidate PV surfaces.

    Parameters
    ----------
    doc : mapping
        The CityJSON 1.1 or 2.0 document.
    crs : str or int, optional
        EPSG code overriding ``metadata.referenceSystem`` (``"EPSG:7415"``, ``7415``, URL or URN).
    min_area_m2 : float
        Faces with a smaller true area are skipped and counted, m².
    skip_north_walls : bool
        Skip walls facing within ``north_half_angle_deg`` degrees of north.
    north_half_angle_deg : float
        Half-width of the north sector, degrees.

    Raises
    ------
    CityJSONError
        If the document is not CityJSON, has no vertices, or has no CRS and none was given.
    """
    if not isinstance(doc, Mapping) or doc.get("type") != "CityJSON":
        raise CityJSONError('not a CityJSON document (expected "type": "CityJSON")')
    version = str(doc.get("version", ""))
    if version not in _SUPPORTED_VERSIONS:
        raise CityJSONError(f"CityJSON version {version!r} is not supported (1.1 or 2.0)")
    epsg = _resolve_epsg(doc, crs)
    vertices = _vertices(doc)
    errors: list[ParseError] = []
    objects = city_objects(doc, errors)
    ctx = _Context(vertices, epsg, ParseOptions(min_area_m2, skip_north_walls, north_half_angle_deg))
    ctx.errors.extend(errors)
    buildings: list[ParsedBuilding] = []
    for object_id, obj in objects.items():
        parents = obj.get("parents") or []
        is_site = obj.get("type") == "Building" or (
            obj.get("type") == "BuildingPart"
            and not any(objects.get(p, {}).get("type") in ("Building", "BuildingPart") for p in parents)
        )
        if not is_site:
            continue
        part_ids = _parts(objects, object_id, {object_id})
        members = [(object_id, obj)] + [(pid, objects[pid]) for pid in part_ids]
        used = _used_vertices(ctx, [m for _, m in members])
        if len(used) == 0:
            ctx.errors.append(ParseError(object_id, "geometry", "the building has no usable geometry"))
            continue
        mean_xy = used[:, :2].mean(axis=0)
        lon, lat = (float(v) for v in ctx.lonlat(mean_xy[None, :])[0])
        if not (-180.0 <= lon <= 180.0 and _LAT_RANGE[0] <= lat <= _LAT_RANGE[1]):  # inf: outside the CRS
            ctx.errors.append(
                ParseError(
                    object_id,
                    "geometry",
                    f"the building comes out at lon {lon:g}, lat {lat:g}, not a place pvhub can survey "
                    "(80°S–84°N): check the file's CRS and transform",
                )
            )
            continue
        if not ctx.places(mean_xy, (lon, lat)):
            ctx.errors.append(
                ParseError(
                    object_id,
                    "geometry",
                    "the building lies outside the area the file's CRS can place (its coordinates do not "
                    "convert to longitude/latitude and back): check the file's CRS and transform",
                )
            )
            continue
        convergence = _convergence(ctx, mean_xy)
        surfaces = [s for mid, m in members for s in _object_surfaces(ctx, mid, m, convergence)]
        buildings.append(
            ParsedBuilding(
                id=object_id,
                attributes=dict(obj.get("attributes") or {}),
                surfaces=surfaces,
                centroid=(lon, lat),
                parts=part_ids,
            )
        )
    skipped = [SkippedFaces(oid, reason, n) for (oid, reason), n in sorted(ctx.skipped.items())]
    return ParseReport(buildings, skipped, ctx.errors, epsg)


def is_north_facing(surface_azimuth: float, half_angle_deg: float = 45.0) -> bool:
    """Tell whether an azimuth (degrees) lies within ``half_angle_deg`` of north."""
    delta = abs((surface_azimuth + 180.0) % 360.0 - 180.0)
    return delta <= half_angle_deg and not math.isnan(delta)


# Public names for the building-stock reader (gis.stock_cityjson), which walks the same documents.
SUPPORTED_VERSIONS = _SUPPORTED_VERSIONS


def resolve_epsg(doc: Mapping[str, Any], crs: str | int | None) -> int:
    """The EPSG code of a document: ``crs`` when given, else its ``metadata.referenceSystem``.

    Raises
    ------
    CityJSONError
        If neither names a CRS pvhub knows.
    """
    return _resolve_epsg(doc, crs)


def transformed_vertices(doc: Mapping[str, Any]) -> np.ndarray:
    """The document's vertices as an (n, 3) float array after its ``transform`` (file CRS units).

    Raises
    ------
    CityJSONError
        If there are none, they are not number triples, or the transform puts one beyond ±1e9.
    """
    return _vertices(doc)


def surfaces(geometry: Mapping[str, Any]) -> Iterator[tuple[list[Any], Any]]:
    """Yield (rings of vertex indices, semantic value) for each surface of a geometry, in the order
    of its boundaries with shells and solids concatenated (a surface's index is its position).

    Raises
    ------
    ValueError
        If the geometry type is not a surface or solid type, or its boundaries are not nested as
        the type needs.
    """
    return _faces(geometry)
