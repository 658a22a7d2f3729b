"""The programme: its one row of targets and district boundary, read by anyone's page and changed by
the office.

Reading never writes. A fresh database has no programme row: reads get the defaults, unsaved, and
the first write (:func:`update_programme`, :func:`set_boundary`, or loading the demo) stores the row.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from shapely.geometry import Polygon, mapping
from shapely.validation import explain_validity
from sqlmodel import Session, col, select

from gis.area import gross_area_m2
from gis.validate import close_ring, validate_ring
from pvhub.accounts.models import User
from pvhub.core import audit, policy
from pvhub.core.errors import InvalidInput
from pvhub.programme.models import Programme, ProgrammeUpdate

#: A district boundary's plausible area, km²: smaller is a building or a typo in the coordinates,
#: larger than a whole province's city region is a wrong unit or a world-sized polygon. Shanghai's
#: Huangpu District is about 20 km², the city 6,340 km².
BOUNDARY_AREA_KM2 = (0.1, 20_000.0)


def get_programme(*, session: Session) -> Programme:
    """The programme's row, or the defaults (not added to the session) while none is stored."""
    return _stored(session) or Programme()


def _stored(session: Session) -> Programme | None:
    return session.exec(select(Programme).order_by(col(Programme.id))).first()


def _stored_or_new(session: Session) -> Programme:
    programme = _stored(session)
    if programme is None:
        programme = Programme()
        session.add(programme)
        session.flush()
    return programme


def update_programme(*, session: Session, actor: User, changes: ProgrammeUpdate) -> Programme:
    """Change the targets (office only), audited; stores the row with its defaults first if missing."""
    policy.require(actor, "programme:update")
    programme = _stored_or_new(session)
    before = audit.snapshot(programme)
    for key, value in changes.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(programme, key, value)
    if programme.demo_points_min > programme.demo_points_max:
        raise InvalidInput(
            "The minimum number of demonstration points exceeds the maximum.", field="demo_points_min"
        )
    programme.updated_at = datetime.now(UTC)
    session.add(programme)
    audit.record(
        session,
        actor=actor,
        entity="programme",
        entity_id=programme.id,
        action="update",
        before=before,
        after=audit.snapshot(programme),
    )
    return programme


def read_boundary_file(content: bytes) -> object:
    """The JSON document of an uploaded boundary file (UTF-8, with or without a byte-order mark)."""
    try:
        return json.loads(content.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InvalidInput("{field}: the file is not UTF-8 text.", field="boundary") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            "{field}: the file is not JSON (line {line}, column {column}: {problem}).",
            line=exc.lineno,
            column=exc.colno,
            problem=exc.msg,
            field="boundary",
        ) from None


def set_boundary(*, session: Session, actor: User, geojson: object) -> Programme:
    """Set the district boundary (office only), audited: a GeoJSON Polygon, or a Feature or
    FeatureCollection holding exactly one, in WGS84 lon/lat degrees.

    The polygon is checked as the register checks a footprint (:func:`gis.validate.validate_ring`:
    numbers, lon/lat ranges, swapped pairs, a closed outline that does not cross itself; holes
    inside it) and its area must be plausible for a district (:data:`BOUNDARY_AREA_KM2`). It is
    stored as a closed GeoJSON Polygon. Sites already registered outside it stay (the register
    checks the boundary only for new geometry); ``pvhub.register.service.sites_outside`` says which.
    """
    policy.require(actor, "programme:update")
    polygon = boundary_polygon(geojson)
    programme = _stored_or_new(session)
    before = {"boundary": programme.boundary}
    programme.boundary = _as_lists(mapping(polygon))
    programme.updated_at = datetime.now(UTC)
    session.add(programme)
    audit.record(
        session,
        actor=actor,
        entity="programme",
        entity_id=programme.id,
        action="set_boundary",
        before=before,
        after={"boundary": programme.boundary},
    )
    return programme


def boundary_polygon(geojson: object) -> Polygon:
    """The one polygon of a boundary document, checked (see :func:`set_boundary`)."""
    geometry = _one_geometry(geojson)
    kind = geometry.get("type")
    rings = geometry.get("coordinates")
    if kind == "MultiPolygon" and isinstance(rings, list) and len(rings) == 1:
        kind, rings = "Polygon", rings[0]  # one part: a Polygon written as a MultiPolygon
    if kind != "Polygon":
        raise InvalidInput("{field}: expected one Polygon, got {got}.", got=str(kind), field="boundary")
    if not isinstance(rings, list) or not rings:
        raise InvalidInput("{field}: a Polygon needs a list of rings in 'coordinates'.", field="boundary")
    issues = validate_ring(rings[0])
    if issues:
        raise InvalidInput("{field}: {problem}.", problem=issues[0].message, field="boundary")
    for i, hole in enumerate(rings[1:], start=1):
        hole_issues = validate_ring(hole)
        if hole_issues:
            raise InvalidInput(
                "{field}: hole {hole}: {problem}.", hole=i, problem=hole_issues[0].message, field="boundary"
            )
    polygon = Polygon(close_ring(rings[0]), [close_ring(h) for h in rings[1:]])
    if not polygon.is_valid:
        raise InvalidInput(
            "{field}: {problem} — holes must lie inside the outline without crossing it.",
            problem=explain_validity(polygon),
            field="boundary",
        )
    area_km2 = gross_area_m2(polygon) / 1e6
    low, high = BOUNDARY_AREA_KM2
    if not low <= area_km2 <= high:
        raise InvalidInput(
            "{field}: the polygon covers {area:,.2f} km², not a district's area ({low:g}–{high:,.0f} km²): "
            "check the coordinates are longitude and latitude in degrees.",
            area=area_km2,
            low=low,
            high=high,
            field="boundary",
        )
    return polygon


def _one_geometry(geojson: object) -> Mapping[str, Any]:
    """The geometry of a Polygon, a Feature or a FeatureCollection of exactly one feature."""
    if not isinstance(geojson, Mapping):
        raise InvalidInput(
            "{field}: expected a GeoJSON object, got {got}.", got=type(geojson).__name__, field="boundary"
        )
    if geojson.get("type") == "FeatureCollection":
        features = geojson.get("features")
        if not isinstance(features, list) or len(features) != 1:
            count = len(features) if isinstance(features, list) else 0
            raise InvalidInput(
                "{field}: the FeatureCollection holds {count} features; the boundary is exactly one polygon.",
                count=count,
                field="boundary",
            )
        geojson = features[0]
    if isinstance(geojson, Mapping) and geojson.get("type") == "Feature":
        geojson = geojson.get("geometry")
    if not isinstance(geojson, Mapping):
        raise InvalidInput("{field}: the feature has no geometry.", field="boundary")
    return geojson


def _as_lists(value: Any) -> Any:
    """Shapely's mapping in plain JSON: tuples as lists."""
    if isinstance(value, tuple | list):
        return [_as_lists(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_lists(v) for k, v in value.items()}
    return value
