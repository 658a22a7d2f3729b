"""CityJSON import: each ``Building`` is a site, its roof and wall faces (and its parts') surfaces.

``RoofSurface`` faces become roofs and ``WallSurface`` faces curtain walls, with tilt, azimuth and
true 3D area from :func:`gis.cityjson.parse_cityjson`. Heights are above the building's lowest
vertex, m. A roof's usable area is its true area scaled by the share of its plan outline left
after the roof setback; a wall keeps its whole area (setback 0 by default). The surface geometry is
the face's lon/lat outline: a Polygon for a roof, a LineString (its two farthest corners) for a
wall. Faces the parser skipped, faces facing down, and buildings left without any face are listed
in ``skipped``. Errors are indexed by CityObject id.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations
from typing import Any

import numpy as np
from pyproj.exceptions import CRSError
from shapely.geometry import Point, Polygon

from gis.area import DEFAULT_SETBACK_M, gross_area_m2, usable_area_m2
from gis.cityjson import (
    CandidateSurface,
    CityJSONError,
    ParsedBuilding,
    city_objects,
    parse_cityjson,
    select_geometry,
)
from gis.crs import projection_for
from pvhub.register.enums import SurfaceKind
from pvhub.register.imports.rows import Foreign, Parsed, Problem, SiteDraft, Skip, SurfaceDraft

_DECIMALS = 7
_MAX_WALL_TILT_DEG = 90.5  # numerical noise on vertical walls; beyond this a face looks downward


def read_cityjson(
    doc: Mapping[str, Any], *, crs: str | None, min_area_m2: float, skip_north_walls: bool
) -> Parsed:
    """Read a parsed CityJSON document into site drafts (WGS84)."""
    parsed = Parsed()
    try:
        report = parse_cityjson(doc, crs=crs, min_area_m2=min_area_m2, skip_north_walls=skip_north_walls)
    except CityJSONError as exc:
        field = "crs" if "referenceSystem" in str(exc) or "--crs" in str(exc) else "file"
        parsed.errors.append(Problem.said(None, field, str(exc)))
        return parsed
    except (ValueError, CRSError) as exc:  # an unknown EPSG code, or coordinates that do not fit it
        parsed.errors.append(
            Problem(
                None,
                "crs",
                "cannot read the file in {crs}: {problem}; give --crs EPSG:NNNN",
                crs=crs,
                problem=Foreign(exc),
            )
            if crs
            else Problem(
                None,
                "crs",
                "cannot read the file in the file's referenceSystem: {problem}; give --crs EPSG:NNNN",
                problem=Foreign(exc),
            )
        )
        return parsed
    parsed.errors.extend(Problem.said(e.object_id, e.field, e.message) for e in report.errors)
    parsed.skipped.extend(
        Skip(s.object_id, "{count} faces: {reason}", count=s.count, reason=Foreign(s.reason))
        if s.count > 1
        else Skip(s.object_id, "{count} face: {reason}", count=s.count, reason=Foreign(s.reason))
        for s in report.skipped
    )
    ground = _ground_levels(doc)
    for building in report.buildings:
        site = _site(building, ground.get(building.id, (0.0, 0.0)), parsed)
        if site is not None:
            parsed.sites.append(site)
    return parsed


def _site(building: ParsedBuilding, levels: tuple[float, float], parsed: Parsed) -> SiteDraft | None:
    bottom, top = levels
    name = str(building.attributes.get("name") or building.id)[:200]
    site = SiteDraft(
        index=building.id,
        name=name,
        height_m=min(max(top - bottom, 0.0), 1000.0),
        lon=building.centroid[0],
        lat=building.centroid[1],
        external_ref=building.id[:100],
    )
    for candidate in building.surfaces:
        surface = _surface(candidate, bottom)
        if surface is None:
            parsed.skipped.append(Skip(candidate.object_id, "1 face: faces downward (tilt above 90°)"))
        else:
            site.surfaces.append(surface)
    if not site.surfaces:
        parsed.skipped.append(Skip(building.id, "building has no roof or wall face to register"))
        return None
    return site


def _surface(candidate: CandidateSurface, ground_m: float) -> SurfaceDraft | None:
    tilt = candidate.surface_tilt
    if tilt > _MAX_WALL_TILT_DEG:
        return None
    kind = SurfaceKind(candidate.kind)
    outline = [(round(x, _DECIMALS), round(y, _DECIMALS)) for x, y in candidate.outline]
    if kind == SurfaceKind.roof:
        ring = outline if outline[0] == outline[-1] else [*outline, outline[0]]
        geometry: dict[str, Any] = {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}
        usable = candidate.area_m2 * _usable_share(Polygon(ring))
    else:
        corners = sorted(set(outline))
        pairs = list(combinations(corners, 2)) or [(outline[0], outline[-1])]
        a, b = max(pairs, key=lambda ab: Point(ab[0]).distance(Point(ab[1])))
        geometry = {"type": "LineString", "coordinates": [list(a), list(b)]}
        usable = candidate.area_m2
    return SurfaceDraft(
        index=candidate.object_id,
        kind=kind,
        tilt_deg=min(tilt, 90.0),
        azimuth_deg=candidate.surface_azimuth % 360.0,
        gross_area_m2=candidate.area_m2,
        usable_area_m2=min(usable, candidate.area_m2),
        height_m=min(max(candidate.height_m - ground_m, 0.0), 1000.0),
        geometry=geometry,
        external_ref=candidate.object_id[:100],
    )


def _usable_share(plan: Polygon) -> float:
    """Share of a roof's plan outline left after the roof setback (1 for an outline seen edge-on)."""
    if not plan.is_valid or plan.area == 0.0:
        return 1.0
    projection = projection_for(plan)
    area = gross_area_m2(plan, projection)
    if area < 1e-6:
        return 1.0
    return usable_area_m2(plan, setback_m=DEFAULT_SETBACK_M["roof"], projection=projection) / area


def _ground_levels(doc: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """Lowest and highest z (m, file's vertical datum) of each Building with its parts."""
    try:
        z = np.asarray(doc["vertices"], dtype=float)[:, 2]
        transform = doc.get("transform") or {}
        z = z * float((transform.get("scale") or [1, 1, 1])[2]) + float(
            (transform.get("translate") or [0, 0, 0])[2]
        )
    except (KeyError, TypeError, ValueError, IndexError):
        return {}
    objects = city_objects(doc, [])  # the well-formed ones (parse_cityjson reported the others)
    out: dict[str, tuple[float, float]] = {}
    for object_id in objects:
        members = [object_id, *_descendants(objects, object_id)]
        ids = [i for m in members for i in _vertex_ids(objects.get(m) or {}) if 0 <= i < len(z)]
        if ids:
            out[object_id] = (float(z[ids].min()), float(z[ids].max()))
    return out


def _descendants(objects: Mapping[str, Any], object_id: str) -> list[str]:
    out: list[str] = []
    stack = list((objects.get(object_id) or {}).get("children") or [])
    while stack:
        child = stack.pop()
        if child in out or child == object_id:
            continue
        out.append(child)
        stack.extend((objects.get(child) or {}).get("children") or [])
    return out


def _vertex_ids(obj: Mapping[str, Any]) -> list[int]:
    geometry = select_geometry(obj.get("geometry") or [])
    if geometry is None:
        return []
    out: list[int] = []
    stack: list[Any] = [geometry.get("boundaries") or []]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, int):
            out.append(item)
    return out
