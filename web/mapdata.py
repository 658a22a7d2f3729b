"""Map data for display: pvhub stores WGS84; Chinese tile services draw in GCJ-02.

When ``PVHUB_MAP_TILE_CRS=gcj02`` the pages shift every coordinate they put on a map into GCJ-02,
and shift shapes drawn on such a map back to WGS84 before a service sees them, so the stored data
never depends on the tiles in use.
"""

from __future__ import annotations

from typing import Any, cast

from shapely.geometry import mapping, shape

from gis.chinese_crs import Datum, from_wgs84, geometry_from_wgs84, geometry_to_wgs84


def _as_lists(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_as_lists(v) for v in value]
    return value


def _convert(geojson: dict[str, Any] | None, datum: str, *, forward: bool) -> dict[str, Any] | None:
    if not geojson or datum == "wgs84":
        return geojson
    geom = shape(geojson)
    moved = (
        geometry_from_wgs84(geom, cast(Datum, datum))
        if forward
        else geometry_to_wgs84(geom, cast(Datum, datum))
    )
    return cast(dict[str, Any], _as_lists(dict(mapping(moved))))


def to_display(geojson: dict[str, Any] | None, datum: str) -> dict[str, Any] | None:
    """A stored WGS84 GeoJSON geometry in the datum of the map tiles."""
    return _convert(geojson, datum, forward=True)


def from_display(geojson: dict[str, Any] | None, datum: str) -> dict[str, Any] | None:
    """A geometry drawn on the map, back in WGS84 for storage."""
    return _convert(geojson, datum, forward=False)


def markers_for_display(markers: list[dict[str, Any]], datum: str) -> list[dict[str, Any]]:
    """Map markers with their point, footprint and geometry in the tiles' datum."""
    if datum == "wgs84":
        return markers
    out = []
    for marker in markers:
        moved = dict(marker)
        if marker.get("lon") is not None and marker.get("lat") is not None:
            lon, lat = from_wgs84(marker["lon"], marker["lat"], cast(Datum, datum))
            moved["lon"], moved["lat"] = float(lon), float(lat)
        for key in ("footprint", "geometry"):
            if marker.get(key):
                moved[key] = to_display(marker[key], datum)
        out.append(moved)
    return out


#: Above this many sites an overview map draws each site as a dot: a footprint is a few pixels wide
#: at district zoom, and 3,000 of them made the office's home page about 1 MB (benchmarks/load.py).
OVERVIEW_SHAPES_UP_TO = 500


def overview(markers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Markers for a district overview map: footprints only while there are few enough sites to see
    them; points rounded to 6 decimals (about 0.1 m), plenty for a dot."""
    out = []
    keep_shapes = len(markers) <= OVERVIEW_SHAPES_UP_TO
    for marker in markers:
        slim = {k: v for k, v in marker.items() if keep_shapes or k != "footprint"}
        for key in ("lon", "lat"):
            if isinstance(slim.get(key), float):
                slim[key] = round(slim[key], 6)
        out.append(slim)
    return out
