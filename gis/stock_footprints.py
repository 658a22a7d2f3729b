"""Building footprints with OpenStreetMap-style properties (GeoJSON or CSV) → :class:`gis.stock.Stock`.

Properties (GeoJSON ``properties``; CSV columns of the same names):

- ``height`` — metres to the top, a number or text such as ``"45"``, ``"45 m"``, ``"45.5m"``
  (feet, ``150'`` or ``150 ft``, are refused: give metres); ``min_height`` where the building
  starts above the ground (else ``building:min_level`` × the storey height);
- ``building:levels`` (and ``roof:levels``, ``roof:height``) — where no ``height`` is given, the
  height is levels × :data:`gis.stock.DEFAULT_STOREY_HEIGHT_M` plus ``roof:height`` (or roof
  levels × the storey height), and ``attributes["height_source"]`` says ``"levels"``;
- ``roof:shape``, ``name``, ``addr:full`` or ``addr:city``/``addr:district``/``addr:street``/
  ``addr:housenumber`` (joined in that order into ``address``), ``subdistrict``, ``building``
  (the use; ``yes`` means unknown);
- ``building:part`` features: a part whose ``building`` or ``building_id`` property is the id of a
  building in the file joins that building (listed in ``parts``); otherwise it is a building of its
  own. As in OpenStreetMap's Simple 3D Buildings scheme (wiki.openstreetmap.org/wiki/Simple_3D_Buildings:
  "the outline ... is not rendered" when parts exist), a building with parts takes its 3D shape
  from its parts, not from its outline.

Ids: the feature's ``id`` (or the property ``id`` / ``@id``; the CSV column ``id`` / ``@id``), else
the feature's 0-based index (CSV: its line number) as text; a repeated id is a problem.

Skipped (with the reason): features that are not buildings (no ``building``/``building:part``,
``building=no``, ``highway=*``, ``bridge=yes`` without ``building``, ``man_made=bridge``) and
non-polygon geometries (a point has no outline to extrude). A building with neither height nor
levels is kept with its footprint, no faces and a ``note``. Invalid values (a negative height,
levels that are not a number, a self-intersecting ring, coordinates out of range) are
:class:`~gis.stock.StockProblem`\\ s naming ``feature N`` (CSV: ``line N``) and the property.

3D shape (the prism): faces are numbered roofs first — one flat roof face per polygon of the
footprint at z = ``height_m`` (rings exterior counter-clockwise seen from above, then holes) — then
one vertical wall quad per footprint edge from ``min_height_m`` to ``height_m``, polygon by polygon,
each polygon's exterior ring then its holes, edges in ring order; every wall's vertices run
counter-clockwise seen from outside, so Newell's normal (:mod:`gis.plane`) points outward. For a
Polygon footprint the roof is face 0 and the walls are faces 1…. ``roof:shape`` is recorded, not
modelled: the prism's roof is flat at the top.

Speed: footprints are checked, converted (GCJ-02/BD-09 → WGS84, then UTM) and extruded on whole
numpy arrays; per-feature Python is limited to reading the properties and rings.
"""

from __future__ import annotations

import csv
import gc
import io
import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, cast

import numpy as np
import shapely
from shapely.validation import explain_validity

from gis import stock_messages as say
from gis.chinese_crs import Datum, to_wgs84
from gis.crs import local_projection
from gis.stock import (
    DEFAULT_STOREY_HEIGHT_M,
    Face,
    FloatArray,
    MetricFrame,
    Skipped,
    SourceRef,
    Stock,
    StockBuilding,
    StockError,
    StockProblem,
    because,
    problem,
)
from gis.stock_frames import utm_frame
from gis.validate import MAX_RING_POSITIONS

_DATUMS = ("wgs84", "cgcs2000", "gcj02", "bd09")
# A height in metres as OSM writes it: "45", "45 m", "45.5m" (wiki.openstreetmap.org/wiki/Key:height).
_METRES = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(?:m|metres?|meters?|米)?\s*$", re.IGNORECASE)
_FEET = re.compile(r"(\d\s*(?:'|′|ft\b|feet\b|foot\b))", re.IGNORECASE)
_MIN_AREA_DEG2 = 1e-14  # as gis.validate: ~0.0001 m² in Shanghai; anything smaller is a line or a point
_CHINA_LAT = (18.0, 54.0)  # as gis.validate, to recognise [lat, lon] written for [lon, lat]
_CHINA_LON = (73.0, 135.0)
_ADDRESS_KEYS = ("addr:city", "addr:district", "addr:street", "addr:housenumber")
_GEOMETRY_COLUMNS = ("wkt", "geometry")
_POLYGON = int(shapely.GeometryType.POLYGON)
_MULTIPOLYGON = int(shapely.GeometryType.MULTIPOLYGON)


@dataclass
class _Row:
    """One building or building part as the file gives it, before its geometry is checked."""

    number: int  # GeoJSON: 0-based feature index; CSV: line number
    where: str  # "feature 3" / "line 4"
    id: str
    properties: Mapping[str, Any]
    raw: Any  # GeoJSON: the list of polygons' rings as given; CSV: the WKT text
    multi: bool
    part: bool
    geometry_field: str = "geometry"  # the property or column the outline came from
    heights: _Heights | None = None  # read from the properties


@dataclass
class _Collected:
    rows: list[_Row] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    problems: list[StockProblem] = field(default_factory=list)


@dataclass
class _Heights:
    height: float | None
    min_height: float
    storeys: int | None
    roof_height: float | None
    source: str | None


# ---------------------------------------------------------------------------------------------------
# Public readers


def read_geojson_stock(doc: Any, *, datum: str = "wgs84") -> Stock:
    """Read a parsed GeoJSON FeatureCollection of building footprints (lon/lat in ``datum``).

    Raises
    ------
    StockError
        If ``doc`` is not a FeatureCollection, or ``datum`` is unknown.
    """
    checked = _datum(datum)
    if not isinstance(doc, Mapping) or doc.get("type") != "FeatureCollection":
        raise StockError.of(say.NOT_FEATURE_COLLECTION)
    features = doc.get("features")
    if not isinstance(features, list):
        raise StockError.of(say.NO_FEATURES)
    with _gc_paused():
        collected = _Collected()
        for index, feature in enumerate(features):
            _collect_feature(index, feature, collected)
        return _build(collected, checked, "geojson")


def read_csv_stock(text: str, *, datum: str = "wgs84") -> Stock:
    """Read CSV building footprints: the GeoJSON properties as columns, the outline as WKT in a
    ``wkt`` (or ``geometry``) column. Rows with only ``lon``/``lat`` are points and are skipped, as a
    GeoJSON Point is. ``source.feature`` and problems use the line number (header = line 1).

    Raises
    ------
    StockError
        If the text is not CSV with a header naming a ``wkt``/``geometry`` (or ``lon``/``lat``) column.
    """
    checked = _datum(datum)
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise StockError.of(say.CSV_EMPTY)
        columns = [title.strip() for title in header]
        if not any(c in columns for c in (*_GEOMETRY_COLUMNS, "lon", "lat")):
            raise StockError.of(say.CSV_NO_WKT_COLUMN, columns=", ".join(columns[:12]))
        collected = _Collected()
        line = reader.line_num
        for row in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            values = {
                name: row[i].strip() for i, name in enumerate(columns) if i < len(row) and row[i].strip()
            }
            _collect_csv_row(start, values, collected)
    except csv.Error as exc:
        raise StockError.of(say.CSV_UNREADABLE, line=reader.line_num, error=str(exc)) from exc
    with _gc_paused():
        return _build(collected, checked, "csv")


# ---------------------------------------------------------------------------------------------------
# Collecting rows


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a file's buildings are made.

    A city file makes about a million small objects (faces, their rings) and creates no reference
    cycles; each full collection rescans every live object (the parsed document included), which
    doubled the time of reading 100,000 footprints (16 s → 9 s measured). Restored on exit.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _datum(datum: str) -> Datum:
    if datum not in _DATUMS:
        raise StockError.of(say.UNKNOWN_DATUM, datum=datum, datums=", ".join(_DATUMS))
    return cast(Datum, datum)


def _text(value: Any) -> str | None:
    """A property as text, None when absent or blank."""
    if value is None or isinstance(value, dict | list):
        return None
    text = str(value).strip()
    return text or None


def _prop(props: Mapping[str, Any], key: str) -> str | None:
    """A property as text, None when absent or blank (most keys are absent: no call to _text then)."""
    value = props.get(key)
    return None if value is None else _text(value)


def _not_a_building(props: Mapping[str, Any]) -> dict[str, Any] | None:
    """Why a feature is not a building, as :func:`gis.stock.because` gives it (None when it is one or
    a building part)."""
    building, part = _prop(props, "building"), _prop(props, "building:part")
    if _prop(props, "man_made") == "bridge":
        return because(say.BRIDGE_MAN_MADE)
    if building is None and part in (None, "no"):
        if _prop(props, "bridge") not in (None, "no"):
            return because(say.BRIDGE)
        if _prop(props, "highway"):
            return because(say.HIGHWAY, highway=_prop(props, "highway"))
        return because(say.NO_BUILDING_TAG)
    if building == "no" and part in (None, "no"):
        return because(say.BUILDING_NO)
    return None


def _feature_id(feature: Mapping[str, Any], props: Mapping[str, Any], default: int) -> str:
    for value in (feature.get("id"), props.get("id"), props.get("@id")):
        if _text(value) is not None:
            return str(_text(value))
    return str(default)


def _collect_feature(index: int, feature: Any, out: _Collected) -> None:
    where = say.FEATURE.format(number=index)
    if not isinstance(feature, Mapping) or feature.get("type") != "Feature":
        out.problems.append(problem(where, "type", say.NOT_A_FEATURE))
        return
    props = feature.get("properties") or {}
    if not isinstance(props, Mapping):
        out.problems.append(problem(where, "properties", say.BAD_PROPERTIES))
        return
    reason = _not_a_building(props)
    if reason is not None:
        out.skipped.append(Skipped(SourceRef(feature=index), **reason))
        return
    geometry = feature.get("geometry")
    kind = geometry.get("type") if isinstance(geometry, Mapping) else None
    if kind not in ("Polygon", "MultiPolygon"):
        why = (
            because(say.NOT_A_FOOTPRINT, geometry=kind) if isinstance(kind, str) else because(say.NO_GEOMETRY)
        )
        out.skipped.append(Skipped(SourceRef(feature=index), **why))
        return
    coordinates = cast(Mapping[str, Any], geometry).get("coordinates")
    raw_polygons = [coordinates] if kind == "Polygon" else coordinates
    part = _prop(props, "building:part") not in (None, "no")
    out.rows.append(
        _Row(
            index,
            where,
            _feature_id(feature, props, index),
            props,
            raw_polygons,
            kind == "MultiPolygon",
            part,
        )
    )


def _collect_csv_row(line: int, values: dict[str, str], out: _Collected) -> None:
    where = say.LINE.format(number=line)
    reason = _not_a_building(values)
    if reason is not None:
        out.skipped.append(Skipped(SourceRef(feature=line), **reason))
        return
    column = next((c for c in _GEOMETRY_COLUMNS if c in values), None)
    if column is None:
        why = because(say.CSV_POINT if "lon" in values else say.CSV_NO_WKT)
        out.skipped.append(Skipped(SourceRef(feature=line), **why))
        return
    part = _prop(values, "building:part") not in (None, "no")
    row_id = _prop(values, "id") or _prop(values, "@id") or str(line)
    out.rows.append(_Row(line, where, row_id, values, values[column], False, part, column))


def _polygons(
    raw: Any, where: str, multi: bool, problems: list[StockProblem], name: str = "geometry"
) -> list[list[FloatArray]] | None:
    if not isinstance(raw, list) or not raw:
        problems.append(problem(where, name, say.NO_POLYGON))
        return None
    out: list[list[FloatArray]] = []
    before = len(problems)
    for p, rings in enumerate(raw):
        label = f"{name}[{p}]" if multi else name
        if not isinstance(rings, list) or not rings:
            problems.append(problem(where, label, say.NO_RINGS))
            continue
        checked = []
        for r, ring in enumerate(rings):
            ring_label = label if r == 0 else f"{label}.hole[{r - 1}]"
            array = _ring(ring, where, ring_label, problems)
            if array is not None:
                checked.append(array)
        out.append(checked)
    return None if len(problems) > before else out


def _ring(raw: Any, where: str, label: str, problems: list[StockProblem]) -> FloatArray | None:
    """A ring as a closed (k, 2) float array, or None with a problem saying what is wrong."""
    array = _as_positions(raw)
    if array is None:
        problems.append(problem(where, label, say.BAD_RING))
        return None
    if len(array) > MAX_RING_POSITIONS:
        problems.append(
            problem(where, label, say.RING_TOO_LONG, count=len(array), maximum=MAX_RING_POSITIONS)
        )
        return None
    if len(array) and (array[0, 0] != array[-1, 0] or array[0, 1] != array[-1, 1]):
        array = np.vstack([array, array[:1]])
    if len(array) < 4:
        problems.append(problem(where, label, say.FEW_CORNERS, corners=max(len(array) - 1, 0)))
        return None
    return array  # finite, in range and simple: checked on all rings at once (_coordinate_problems)


def _as_positions(raw: Any) -> FloatArray | None:
    if isinstance(raw, np.ndarray) and raw.ndim == 2 and raw.shape[1] >= 2:
        return np.ascontiguousarray(raw[:, :2], dtype=float)
    if not isinstance(raw, list):
        return None
    try:
        array = np.asarray(raw)
    except ValueError:  # positions of mixed lengths ([lon, lat] and [lon, lat, z])
        if not all(isinstance(p, list) and len(p) >= 2 for p in raw):
            return None
        try:
            array = np.asarray([p[:2] for p in raw])
        except ValueError:
            return None
    if array.ndim != 2 or array.shape[1] < 2 or array.dtype.kind not in "iuf":
        return None
    return np.ascontiguousarray(array[:, :2], dtype=float)


# ---------------------------------------------------------------------------------------------------
# Properties


def _length(props: Mapping[str, Any], key: str, where: str, problems: list[StockProblem]) -> float | None:
    """A length in metres (``45``, ``"45 m"``); None when absent; a problem when unreadable or < 0."""
    value = props.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        if _FEET.search(value):
            problems.append(problem(where, key, say.FEET, value=value))
            return None
        match = _METRES.match(value.replace(",", "."))
        number = float(match.group(1)) if match else None
    if number is None or not math.isfinite(number):
        problems.append(problem(where, key, say.NOT_METRES, value=value))
        return None
    if number < 0:
        problems.append(problem(where, key, say.NEGATIVE_HEIGHT, value=value))
        return None
    return number


def _levels(props: Mapping[str, Any], key: str, where: str, problems: list[StockProblem]) -> float | None:
    """A number of storeys (``12``, ``"12"``; halves allowed as OSM tags them); None when absent."""
    value = props.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number: float | None = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        problems.append(problem(where, key, say.NOT_STOREYS, value=value))
        return None
    if number < 0:
        problems.append(problem(where, key, say.NEGATIVE_STOREYS, value=value))
        return None
    return number


def _heights(props: Mapping[str, Any], where: str, problems: list[StockProblem]) -> _Heights:
    height = _length(props, "height", where, problems)
    levels = _levels(props, "building:levels", where, problems)
    roof_height = _length(props, "roof:height", where, problems)
    roof_levels = _levels(props, "roof:levels", where, problems)
    min_height = _length(props, "min_height", where, problems)
    min_level = _levels(props, "building:min_level", where, problems)
    if min_height is None:
        min_height = (min_level or 0.0) * DEFAULT_STOREY_HEIGHT_M
    if roof_height is None and roof_levels is not None:
        roof_height = roof_levels * DEFAULT_STOREY_HEIGHT_M
    source: str | None = "height" if height is not None else None
    if height is None and levels is not None:
        height = levels * DEFAULT_STOREY_HEIGHT_M + (roof_height or 0.0)
        source = "levels"
    if height is not None and min_height >= height > 0:
        field_name = "min_height" if props.get("min_height") not in (None, "") else "building:min_level"
        problems.append(
            problem(where, field_name, say.STARTS_ABOVE_TOP, min_height=min_height, height=height)
        )
    storeys = math.ceil(levels) if levels is not None else None
    return _Heights(height, min_height, storeys, roof_height, source)


def _address(props: Mapping[str, Any]) -> str | None:
    full = _prop(props, "addr:full")
    if full:
        return full
    parts = [t for t in (_prop(props, k) for k in _ADDRESS_KEYS) if t]
    return " ".join(parts) or None


def _use(props: Mapping[str, Any], part: bool) -> str | None:
    value = _prop(props, "building:part" if part else "building")
    if part and value in (None, "yes"):
        value = _prop(props, "building")
    return None if value in (None, "yes") else value


# ---------------------------------------------------------------------------------------------------
# Geometry, on whole arrays


@dataclass
class _Ragged:
    """Every accepted row's rings in one array: coords (N, 2), ring/polygon/row offsets."""

    coords: FloatArray
    ring_offsets: np.ndarray
    polygon_offsets: np.ndarray
    row_offsets: np.ndarray


def _offsets(sizes: Any) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(np.asarray(sizes, dtype=np.int64))]).astype(np.int64)


def _ragged(polygons_by_row: list[list[list[FloatArray]]]) -> _Ragged:
    """Rows' checked rings (closed (k, 2) arrays) in one ragged array."""
    rings = [ring for polygons in polygons_by_row for polygon in polygons for ring in polygon]
    return _Ragged(
        np.concatenate(rings) if rings else np.empty((0, 2)),
        _offsets([len(r) for r in rings]),
        _offsets([len(p) for polygons in polygons_by_row for p in polygons]),
        _offsets([len(polygons) for polygons in polygons_by_row]),
    )


def _select(ragged: _Ragged, keep: np.ndarray) -> _Ragged:
    """The ragged array of the rows where ``keep`` is True."""
    polygons_per_row = np.diff(ragged.row_offsets)
    rings_per_polygon = np.diff(ragged.polygon_offsets)
    points_per_ring = np.diff(ragged.ring_offsets)
    polygon_keep = np.repeat(keep, polygons_per_row)
    ring_keep = np.repeat(polygon_keep, rings_per_polygon)
    return _Ragged(
        ragged.coords[np.repeat(ring_keep, points_per_ring)],
        _offsets(points_per_ring[ring_keep]),
        _offsets(rings_per_polygon[polygon_keep]),
        _offsets(polygons_per_row[keep]),
    )


class _Irregular(Exception):
    """The fast path met something it does not check: the row-by-row reading will say what."""


def _geojson_geometry(rows: list[_Row], problems: list[StockProblem]) -> tuple[list[_Row], _Ragged]:
    """The rows' footprints as one ragged array; rows whose rings are malformed get a problem and go.

    Well-formed files (lists of [lon, lat] number pairs, rings of 4+ positions) take one numpy
    conversion of every position at once; anything else is read row by row to name the problem.
    """
    try:
        return rows, _geojson_fast(rows)
    except _Irregular:
        pass
    kept: list[_Row] = []
    polygons_by_row: list[list[list[FloatArray]]] = []
    for row in rows:
        polygons = _polygons(row.raw, row.where, row.multi, problems)
        if polygons is not None:
            kept.append(row)
            polygons_by_row.append(polygons)
    return kept, _ragged(polygons_by_row)


def _geojson_fast(rows: list[_Row]) -> _Ragged:
    rings: list[Any] = []
    polygon_sizes: list[int] = []
    row_sizes: list[int] = []
    for row in rows:
        polygons = row.raw
        if type(polygons) is not list or not polygons:
            raise _Irregular
        row_sizes.append(len(polygons))
        for polygon in polygons:
            if type(polygon) is not list or not polygon:
                raise _Irregular
            polygon_sizes.append(len(polygon))
            rings.extend(polygon)
    if any(type(ring) is not list for ring in rings):
        raise _Irregular
    sizes = np.fromiter((len(ring) for ring in rings), dtype=np.int64, count=len(rings))
    if len(sizes) == 0:
        return _Ragged(np.empty((0, 2)), _offsets([]), _offsets(polygon_sizes), _offsets(row_sizes))
    try:
        coords = np.array(list(chain.from_iterable(rings)))
    except (ValueError, TypeError) as exc:  # positions of mixed lengths, or not numbers
        raise _Irregular from exc
    if coords.ndim != 2 or coords.shape[1] < 2 or coords.dtype.kind not in "iuf" or sizes.min() < 3:
        raise _Irregular
    coords = np.ascontiguousarray(coords[:, :2], dtype=float)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    ends = starts + sizes
    unclosed = np.any(coords[starts] != coords[ends - 1], axis=1)
    if unclosed.any():  # GeoJSON rings repeat their first position; close those that do not
        coords = np.insert(coords, ends[unclosed], coords[starts[unclosed]], axis=0)
        sizes = sizes + unclosed
    if sizes.min() < 4 or sizes.max() > MAX_RING_POSITIONS:
        raise _Irregular
    return _Ragged(coords, _offsets(sizes), _offsets(polygon_sizes), _offsets(row_sizes))


def _csv_geometry(
    rows: list[_Row], problems: list[StockProblem], skipped: list[Skipped]
) -> tuple[list[_Row], _Ragged]:
    """The rows' WKT footprints, parsed at once; bad WKT is a problem, other geometry types skipped."""
    texts = np.array([row.raw for row in rows], dtype=object)
    geoms = shapely.from_wkt(texts, on_invalid="ignore") if len(texts) else np.empty(0, dtype=object)
    types = shapely.get_type_id(geoms)
    keep = np.zeros(len(rows), dtype=bool)
    for i, row in enumerate(rows):
        if geoms[i] is None:
            problems.append(_wkt_problem(row))
        elif types[i] not in (_POLYGON, _MULTIPOLYGON):
            name = geoms[i].geom_type
            skipped.append(
                Skipped(SourceRef(feature=row.number), **because(say.NOT_A_FOOTPRINT, geometry=name))
            )
        elif geoms[i].is_empty:
            problems.append(problem(row.where, row.geometry_field, say.EMPTY_FOOTPRINT))
        else:
            keep[i] = True
            row.multi = bool(types[i] == _MULTIPOLYGON)
    kept = [row for row, k in zip(rows, keep, strict=True) if k]
    if not kept:
        return kept, _ragged([])
    kind, coords, offsets = shapely.to_ragged_array(geoms[keep], include_z=False)
    ring_offsets, polygon_offsets = np.asarray(offsets[0], np.int64), np.asarray(offsets[1], np.int64)
    if kind == shapely.GeometryType.MULTIPOLYGON:
        row_offsets = np.asarray(offsets[2], dtype=np.int64)
    else:  # all Polygons: one polygon per row
        row_offsets = np.arange(len(kept) + 1, dtype=np.int64)
    ragged = _Ragged(np.asarray(coords, dtype=float), ring_offsets, polygon_offsets, row_offsets)
    big = np.diff(ragged.ring_offsets) > MAX_RING_POSITIONS
    if big.any():
        ring_row = np.repeat(
            np.repeat(np.arange(len(kept)), np.diff(ragged.row_offsets)), np.diff(ragged.polygon_offsets)
        )
        refused = set(ring_row[big].tolist())
        for i in sorted(refused):
            problems.append(
                problem(
                    kept[i].where, kept[i].geometry_field, say.A_RING_TOO_LONG, maximum=MAX_RING_POSITIONS
                )
            )
        mask = np.array([i not in refused for i in range(len(kept))])
        kept = [row for row, k in zip(kept, mask, strict=True) if k]
        ragged = _select(ragged, mask)
    return kept, ragged


def _wkt_problem(row: _Row) -> StockProblem:
    try:
        shapely.from_wkt(row.raw)
    except shapely.errors.GEOSException as exc:
        error = str(exc).splitlines()[0]
        return problem(row.where, row.geometry_field, say.NOT_WKT_BECAUSE, error=error)
    return problem(row.where, row.geometry_field, say.NOT_WKT)


def _coordinate_problems(rows: list[_Row], ragged: _Ragged) -> list[StockProblem]:
    """A problem for each row with a position that is not a finite longitude/latitude."""
    x, y = ragged.coords[:, 0], ragged.coords[:, 1]
    with np.errstate(invalid="ignore"):
        bad = ~((np.abs(x) <= 180.0) & (np.abs(y) <= 90.0))  # NaN fails both
    if not bad.any():
        return []
    point_row = _point_rows(ragged)
    problems: list[StockProblem] = []
    done: set[int] = set()
    for point in np.flatnonzero(bad):
        i = int(point_row[point])
        if i in done:
            continue
        done.add(i)
        lon, lat = ragged.coords[point]
        problems.append(
            problem(rows[i].where, rows[i].geometry_field, say.NOT_LONLAT, lon=float(lon), lat=float(lat))
        )
    return problems


def _point_rows(ragged: _Ragged) -> np.ndarray:
    """The row index of every coordinate."""
    rings_per_polygon = np.diff(ragged.polygon_offsets)
    polygon_row = np.repeat(np.arange(len(ragged.row_offsets) - 1), np.diff(ragged.row_offsets))
    ring_row = np.repeat(polygon_row, rings_per_polygon)
    return np.repeat(ring_row, np.diff(ragged.ring_offsets))


def _orient(ragged: _Ragged) -> None:
    """Exterior rings counter-clockwise, holes clockwise (seen from above), in place."""
    x, y = ragged.coords[:, 0], ragged.coords[:, 1]
    n = len(x)
    if n == 0:
        return
    starts, ends = ragged.ring_offsets[:-1], ragged.ring_offsets[1:]
    ring_of_point = np.repeat(np.arange(len(starts)), ends - starts)
    x0 = x - x[starts][ring_of_point]  # about the ring's first vertex: precision
    y0 = y - y[starts][ring_of_point]
    cross = x0[:-1] * y0[1:] - x0[1:] * y0[:-1]
    cross = np.append(cross, 0.0)
    cross[ends - 1] = 0.0  # the last vertex of a ring closes it; no edge to the next ring
    signed = np.add.reduceat(cross, starts) if len(starts) else cross[:0]
    exterior = np.zeros(len(starts), dtype=bool)
    exterior[ragged.polygon_offsets[:-1]] = True
    flip = np.where(exterior, signed < 0, signed > 0)
    if not flip.any():
        return
    index = np.arange(n)
    flipped = flip[ring_of_point]
    r = ring_of_point[flipped]
    index[flipped] = starts[r] + ends[r] - 1 - index[flipped]
    ragged.coords = ragged.coords[index]


def _geometries(ragged: _Ragged) -> np.ndarray:
    return cast(
        np.ndarray,
        shapely.from_ragged_array(
            shapely.GeometryType.MULTIPOLYGON,
            ragged.coords,
            (ragged.ring_offsets, ragged.polygon_offsets, ragged.row_offsets),
        ),
    )


def _geometry_problems(rows: list[_Row], geoms: np.ndarray) -> list[StockProblem]:
    problems: list[StockProblem] = []
    bounds = shapely.bounds(geoms)
    swapped = (
        (bounds[:, 0] >= _CHINA_LAT[0])
        & (bounds[:, 2] <= _CHINA_LAT[1])
        & (bounds[:, 1] >= _CHINA_LON[0])
        & (bounds[:, 3] <= _CHINA_LON[1])
    )
    area = shapely.area(geoms)
    valid = shapely.is_valid(geoms)
    for i in np.flatnonzero(swapped | (area < _MIN_AREA_DEG2) | ~valid):
        row = rows[int(i)]
        # a bow tie's lobes cancel in its signed area; the repaired outline measures both
        repaired = area[i] if valid[i] else shapely.area(shapely.make_valid(geoms[i]))
        if swapped[i]:
            found = problem(row.where, row.geometry_field, say.SWAPPED)
        elif repaired < _MIN_AREA_DEG2:
            found = problem(row.where, row.geometry_field, say.NO_AREA)
        else:
            reason = explain_validity(geoms[i])
            found = problem(row.where, row.geometry_field, say.SELF_CROSSING, reason=reason)
        problems.append(found)
    return problems


# ---------------------------------------------------------------------------------------------------
# Building the stock


def _build(collected: _Collected, datum: Datum, source_format: str) -> Stock:
    rows, problems, skipped = collected.rows, collected.problems, collected.skipped
    for row in rows:
        row.heights = _heights(row.properties, row.where, problems)
    seen: dict[str, int] = {}
    twice = say.DUPLICATE_ID_LINE if source_format == "csv" else say.DUPLICATE_ID_FEATURE
    for row in rows:
        if row.id in seen:
            problems.append(problem(row.where, "id", twice, id=row.id, number=seen[row.id]))
        else:
            seen[row.id] = row.number
    if source_format == "csv":
        rows, ragged = _csv_geometry(rows, problems, skipped)
    else:
        rows, ragged = _geojson_geometry(rows, problems)
    bad = _coordinate_problems(rows, ragged)
    if bad:
        problems.extend(bad)
        refused_rows = {problem.where for problem in bad}
        keep = np.array([row.where not in refused_rows for row in rows], dtype=bool)
        rows = [row for row, k in zip(rows, keep, strict=True) if k]
        ragged = _select(ragged, keep)
    if len(ragged.coords):
        lon, lat = to_wgs84(ragged.coords[:, 0], ragged.coords[:, 1], datum)
        ragged.coords = np.column_stack([lon, lat])
    _orient(ragged)
    geoms = _geometries(ragged) if rows else np.empty(0, dtype=object)
    problems.extend(_geometry_problems(rows, geoms))
    frame, metric = _frame(ragged.coords)
    refused = {problem.where for problem in problems}  # rows with a problem make no building
    buildings = _buildings(rows, geoms, ragged, metric, refused)
    problems.sort(key=lambda found: int(found.where.rsplit(" ", 1)[-1]))  # in file order
    skipped.sort(key=lambda skip: skip.source.feature or 0)
    return Stock(
        buildings=buildings,
        skipped=skipped,
        problems=problems,
        frame=frame,
        source_format="csv" if source_format == "csv" else "geojson",
    )


def _frame(coords: FloatArray) -> tuple[MetricFrame, FloatArray]:
    """The UTM frame of the footprints' centre and the footprints' coordinates in it."""
    if len(coords) == 0:
        return utm_frame(0.0, 0.0), coords  # no footprint at all: any frame serves, nothing is in it
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    lon, lat = float((lo[0] + hi[0]) / 2), float((lo[1] + hi[1]) / 2)
    x, y = local_projection(lon, lat).to_metric.transform(coords[:, 0], coords[:, 1])
    return utm_frame(lon, lat), np.column_stack([x, y])


def _buildings(
    rows: list[_Row],
    geoms: np.ndarray,
    ragged: _Ragged,
    metric: FloatArray,
    refused: set[str],
) -> list[StockBuilding]:
    ids = {row.id: i for i, row in enumerate(rows) if not row.part and row.where not in refused}
    parent: dict[int, int] = {}
    for i, row in enumerate(rows):
        if row.part and row.where not in refused:
            for key in ("building", "building_id"):
                target = _prop(row.properties, key)
                if target is not None and target in ids and target != row.id:
                    parent[i] = ids[target]
                    break
    children: dict[int, list[int]] = {}
    for child, owner in parent.items():
        children.setdefault(owner, []).append(child)
    heights = [_row_heights(row) for row in rows]
    extruder = _Extruder(rows, heights, ragged, metric)
    out: list[StockBuilding] = []
    for i, row in enumerate(rows):
        if i in parent or row.where in refused:
            continue
        out.append(_building(i, row, heights[i], geoms[i], children.get(i, []), rows, heights, extruder))
    return out


def _row_heights(row: _Row) -> _Heights:
    if row.heights is None:  # _build reads every row's heights first
        raise RuntimeError(f"{row.where}: heights not read")
    return row.heights


def _building(
    i: int,
    row: _Row,
    h: _Heights,
    geom: Any,
    kids: list[int],
    rows: list[_Row],
    heights: list[_Heights],
    extruder: _Extruder,
) -> StockBuilding:
    footprint = geom if row.multi else geom.geoms[0]
    attributes = dict(row.properties)
    height, source = h.height, h.source
    faces: list[Face] = []
    note: dict[str, Any] = {}
    if kids:
        for k in kids:
            faces.extend(extruder.faces(k))
        part_tops = [heights[k].height for k in kids if heights[k].height is not None]
        if height is None and part_tops:
            height, source = max(cast(list[float], part_tops)), "parts"
        if not faces:
            note = because(say.NOTE_PARTS_NO_HEIGHT)
    else:
        faces = extruder.faces(i)
        if height is None:
            note = because(say.NOTE_NO_HEIGHT)
        elif height <= h.min_height:
            note = because(say.NOTE_FLAT, height=height)
    if source is not None:
        attributes["height_source"] = source
    subdistrict = _prop(row.properties, "subdistrict") or _prop(row.properties, "addr:subdistrict")
    if subdistrict is not None:
        attributes["subdistrict"] = subdistrict
    return StockBuilding(
        id=row.id,
        source=SourceRef(feature=row.number),
        footprint=footprint,
        height_m=height,
        min_height_m=h.min_height,
        storeys=h.storeys,
        use=_use(row.properties, row.part),
        name=_prop(row.properties, "name"),
        address=_address(row.properties),
        roof_shape=_prop(row.properties, "roof:shape"),
        roof_height_m=h.roof_height,
        attributes=attributes,
        faces=faces,
        parts=[rows[k].id for k in kids],
        part_sources={rows[k].id: SourceRef(feature=rows[k].number) for k in kids},
        note=note.get("reason"),
        note_code=note.get("code", ""),
        note_params=note.get("params", {}),
    )


class _Extruder:
    """The prisms of all rows at once: roof rings and wall quads as views of two big arrays."""

    def __init__(
        self, rows: list[_Row], heights: list[_Heights], ragged: _Ragged, metric: FloatArray
    ) -> None:
        self.rows = rows
        self.ragged = ragged
        n_rows = len(rows)
        top = np.array([h.height if h.height is not None else np.nan for h in heights], dtype=float)
        bottom = np.array([h.min_height for h in heights], dtype=float)
        self.extruded = np.isfinite(top) & (top > bottom)
        point_row = _point_rows(ragged)
        n = len(metric)
        z_top = top[point_row] if n else np.empty(0)
        self.roof_points = np.column_stack([metric, z_top]) if n else np.empty((0, 3))
        # an edge starts at every point but the last of its ring
        is_edge = np.ones(n, dtype=bool)
        is_edge[ragged.ring_offsets[1:] - 1] = False
        starts = np.flatnonzero(is_edge)
        a, b = metric[starts], metric[starts + 1]
        edge_row = point_row[starts]
        z0, z1 = bottom[edge_row], top[edge_row]
        self.quads = np.stack(
            [
                np.column_stack([a, z0]),
                np.column_stack([b, z0]),
                np.column_stack([b, z1]),
                np.column_stack([a, z1]),
            ],
            axis=1,
        )
        edges_per_row = np.bincount(edge_row, minlength=n_rows) if len(edge_row) else np.zeros(n_rows, int)
        self.edge_offsets = np.concatenate([[0], np.cumsum(edges_per_row)])
        self.cache: dict[int, list[Face]] = {}

    def faces(self, i: int) -> list[Face]:
        """Row ``i``'s prism: roof per polygon first, then walls by edge in ring order (empty without
        a height above its base)."""
        if not self.extruded[i]:
            return []
        cached = self.cache.get(i)
        if cached is not None:
            return cached
        ragged, object_id = self.ragged, self.rows[i].id
        faces: list[Face] = []
        for p in range(int(ragged.row_offsets[i]), int(ragged.row_offsets[i + 1])):
            rings = tuple(
                self.roof_points[int(ragged.ring_offsets[r]) : int(ragged.ring_offsets[r + 1]) - 1]
                for r in range(int(ragged.polygon_offsets[p]), int(ragged.polygon_offsets[p + 1]))
            )
            faces.append(Face(object_id, (len(faces),), "roof", None, rings))
        first = len(faces)
        quads = self.quads[int(self.edge_offsets[i]) : int(self.edge_offsets[i + 1])]
        faces.extend(Face(object_id, (first + k,), "wall", None, (quad,)) for k, quad in enumerate(quads))
        self.cache[i] = faces
        return faces
