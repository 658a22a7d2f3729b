"""A corpus of hostile register files, built in code (nothing large is committed).

Each :class:`Hostile` is one file an owner (or an attacker with an owner's login) might upload, with
what pvhub must answer: the field and words of the error, and the index (CSV line, GeoJSON feature,
CityJSON object) it names, or ``None`` for the whole file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Inside the test programme's boundary (see BOUNDARY below): the Bund, Shanghai.
LON, LAT = 121.4850, 31.2350
BOUNDARY = {
    "type": "Polygon",
    "coordinates": [[[121.46, 31.20], [121.51, 31.20], [121.51, 31.25], [121.46, 31.25], [121.46, 31.20]]],
}
CSV_HEADER = "site_name,address,lon,lat,kind,tilt_deg,azimuth_deg,gross_area_m2,usable_area_m2,shading_loss"
GOOD_CSV_ROW = f"外滩大楼,中山东一路1号,{LON},{LAT},roof,0,,1200,900,0.05"
FORMULA = "=cmd|' /C calc'!A0"
# Lone UTF-16 surrogates as JSON text writes them (half of a pair, not a character), and the raw bytes
# Python's JSON parser also reads as one (it decodes bytes with surrogatepass).
LONE_SURROGATES = ["\\ud800", "\\udfff", "a\\udc00b"]
RAW_SURROGATE = b"\xed\xa0\x80"
# Digits str.isdigit() (and int()) take that are not the ASCII digits an id is written with.
UNICODE_DIGITS = ["²", "٣", "１", "１２"]
SCRIPT = "<script>alert('pvhub')</script>"


@dataclass(frozen=True)
class Hostile:
    name: str
    filename: str
    build: Callable[[], bytes]
    field: str
    words: str
    index: int | str | None


def square(lon: float = LON, lat: float = LAT, size_deg: float = 0.0003) -> list[list[float]]:
    return [
        [lon, lat],
        [lon + size_deg, lat],
        [lon + size_deg, lat + size_deg],
        [lon, lat + size_deg],
        [lon, lat],
    ]


def feature(coordinates: Any, kind: str = "Polygon", **properties: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": kind, "coordinates": coordinates},
        "properties": {"site_name": "Bund 18", **properties},
    }


def geojson(*features: Any, allow_nan: bool = False) -> bytes:
    """A FeatureCollection whose first feature is always a good roof, so a bad one is never alone."""
    doc = {"type": "FeatureCollection", "features": [feature([square()]), *features]}
    return json.dumps(doc, ensure_ascii=False, allow_nan=allow_nan).encode()


def csv_file(*rows: str, encoding: str = "utf-8", header: str = CSV_HEADER) -> bytes:
    return ("\r\n".join([header, GOOD_CSV_ROW, *rows]) + "\r\n").encode(encoding)


def cityjson(boundaries: Any, vertices: Any = None) -> bytes:
    """One building with one roof face, in a metric CRS (CGCS2000 / 3-degree Gauss-Kruger CM 120E)."""
    return json.dumps(_cityjson_doc(boundaries, vertices)).encode()


def cityjson_changed(change: Callable[[dict[str, Any]], Any]) -> bytes:
    """The good one-roof building of :func:`cityjson`, changed by ``change`` (NaN written as NaN)."""
    doc = _cityjson_doc([[[0, 1, 2]]])
    change(doc)
    return json.dumps(doc).encode()


def _cityjson_doc(boundaries: Any, vertices: Any = None) -> dict[str, Any]:
    return {
        "type": "CityJSON",
        "version": "2.0",
        "transform": {"scale": [0.001, 0.001, 0.001], "translate": [500000.0, 3456000.0, 0.0]},
        "metadata": {"referenceSystem": "https://www.opengis.net/def/crs/EPSG/0/4549"},
        "CityObjects": {
            "b1": {
                "type": "Building",
                "geometry": [
                    {
                        "type": "MultiSurface",
                        "lod": "2",
                        "boundaries": boundaries,
                        "semantics": {"surfaces": [{"type": "RoofSurface"}], "values": [0]},
                    }
                ],
            }
        },
        "vertices": vertices
        if vertices is not None
        else [[0, 0, 30000], [20000, 0, 30000], [20000, 20000, 30000]],
    }


def with_surrogate(document: bytes, marker: bytes = b"SURROGATE") -> bytes:
    """``document`` with ``marker`` written as a lone surrogate: the JSON escape ``\\ud800``."""
    return document.replace(marker, LONE_SURROGATES[0].encode())


def _many_vertices() -> bytes:
    n = 50_000
    ring = [
        [LON + 0.0003 * math.cos(2 * math.pi * i / n), LAT + 0.0003 * math.sin(2 * math.pi * i / n)]
        for i in range(n)
    ]
    return geojson(feature([[*ring, ring[0]]]))


BOWTIE = [[LON, LAT], [LON + 0.0003, LAT + 0.0003], [LON + 0.0003, LAT], [LON, LAT + 0.0003], [LON, LAT]]
WORLD = [[-179.0, -89.0], [179.0, -89.0], [179.0, 89.0], [-179.0, 89.0], [-179.0, -89.0]]

CORPUS: list[Hostile] = [
    # --- broken GeoJSON
    Hostile("truncated JSON", "survey.geojson", lambda: geojson()[:-7], "file", "not valid JSON", None),
    Hostile(
        "binary garbage",
        "survey.geojson",
        lambda: b"\x89PNG\r\n\x1a\n\x00\x00",
        "file",
        "not valid JSON",
        None,
    ),
    Hostile("empty file", "survey.geojson", lambda: b"", "file", "not valid JSON", None),
    Hostile(
        "JSON nested 100,000 deep",
        "survey.geojson",
        lambda: b"[" * 100_000 + b"]" * 100_000,
        "file",
        "nested too deeply",
        None,
    ),
    Hostile(
        "a bare Geometry",
        "survey.geojson",
        lambda: json.dumps({"type": "Polygon", "coordinates": [square()]}).encode(),
        "file",
        "unrecognised file",
        None,
    ),
    Hostile(
        "features that are not objects", "survey.geojson", lambda: geojson(1, "x", None), "type", "Feature", 1
    ),
    Hostile(
        "coordinates as text",
        "survey.geojson",
        lambda: geojson(feature([[["121.48", "31.23"], [1, 2], [3, 4]]])),
        "geometry",
        "not a [lon, lat] pair",
        1,
    ),
    Hostile(
        "no geometry",
        "survey.geojson",
        lambda: geojson({"type": "Feature", "geometry": None, "properties": {"site_name": "x"}}),
        "geometry",
        "not no geometry",
        1,
    ),
    Hostile(
        "a ring of two points",
        "survey.geojson",
        lambda: geojson(feature([[[LON, LAT], [LON + 0.001, LAT]]])),
        "geometry",
        "",
        1,
    ),
    # --- self-intersecting and huge polygons
    Hostile(
        "bow-tie roof", "survey.geojson", lambda: geojson(feature([BOWTIE])), "geometry", "crosses itself", 1
    ),
    Hostile(
        "a polygon over the whole world",
        "survey.geojson",
        lambda: geojson(feature([WORLD])),
        "geometry",
        "outside",
        1,
    ),
    Hostile(
        "a roof of 4 km² inside the district",
        "survey.geojson",
        lambda: geojson(feature([square(121.47, 31.21, 0.02)])),
        "geometry",
        "at most 1,000,000 m²",
        1,
    ),
    Hostile("an outline of 50,000 corners", "survey.geojson", _many_vertices, "geometry", "at most 10000", 1),
    Hostile(
        "an infinite corner",
        "survey.geojson",
        lambda: geojson(
            feature([[[LON, LAT], [float("inf"), LAT], [LON, LAT + 0.001], [LON, LAT]]]), allow_nan=True
        ),
        "geometry",
        "not finite",
        1,
    ),
    # --- NaN, infinity, negative numbers, huge text and NUL in properties
    Hostile(
        "NaN tilt",
        "survey.geojson",
        lambda: geojson(feature([square()], tilt_deg=float("nan")), allow_nan=True),
        "tilt_deg",
        "finite",
        1,
    ),
    Hostile(
        "negative usable area",
        "survey.geojson",
        lambda: geojson(feature([square()], usable_area_m2=-5)),
        "usable_area_m2",
        "at least 0",
        1,
    ),
    Hostile(
        "negative shading loss",
        "survey.geojson",
        lambda: geojson(feature([square()], shading_loss=-0.2)),
        "shading_loss",
        "between 0 and 1",
        1,
    ),
    Hostile(
        "a 10 MB site name",
        "survey.geojson",
        lambda: geojson(feature([square()], site_name="A" * 10_000_000)),
        "site_name",
        "at most 200",
        1,
    ),
    Hostile(
        "a NUL in a name",
        "survey.geojson",
        lambda: geojson(feature([square()], site_name="Bund\u000018")),
        "site_name",
        "NUL",
        1,
    ),
    # --- CityJSON with dangling or malformed vertex indices
    Hostile(
        "a vertex index past the end",
        "model.city.json",
        lambda: cityjson([[[0, 1, 2, 99]]]),
        "geometry",
        "vertex that does not exist",
        "b1",
    ),
    Hostile(
        "a negative vertex index",
        "model.city.json",
        lambda: cityjson([[[0, 1, -5]]]),
        "geometry",
        "vertex that does not exist",
        "b1",
    ),
    Hostile(
        "vertex indices that are not numbers",
        "model.city.json",
        lambda: cityjson([[["a", None, {}]]]),
        "geometry",
        "",
        "b1",
    ),
    Hostile(
        "vertices that are not a list",
        "model.city.json",
        lambda: cityjson([[[0, 1, 2]]], vertices="x"),
        "file",
        "no vertices",
        None,
    ),
    # --- lone surrogates: text no database or UTF-8 answer can hold
    Hostile(
        "a lone surrogate in a GeoJSON name",
        "survey.geojson",
        lambda: with_surrogate(geojson(feature([square()], site_name="Bund SURROGATE"))),
        "file",
        "features.1.properties.site_name holds a lone UTF-16 surrogate",
        None,
    ),
    Hostile(
        "a lone surrogate in a GeoJSON property's key",
        "survey.geojson",
        lambda: with_surrogate(geojson(feature([square()], SURROGATE="x"))),
        "file",
        "lone UTF-16 surrogate",
        None,
    ),
    Hostile(
        "a lone surrogate in a CityJSON object id",
        "model.city.json",
        lambda: with_surrogate(cityjson([[[0, 1, 2]]]), b"b1"),
        "file",
        "lone UTF-16 surrogate",
        None,
    ),
    Hostile(
        "a lone surrogate in a CityJSON semantic",
        "model.city.json",
        lambda: with_surrogate(cityjson([[[0, 1, 2]]]), b"RoofSurface"),
        "file",
        "CityObjects.b1.geometry.0.semantics.surfaces.0.type holds a lone UTF-16 surrogate",
        None,
    ),
    # --- CityJSON whose structure or transform is broken
    Hostile(
        "CityObjects as a list",
        "model.city.json",
        lambda: cityjson_changed(lambda d: d.update(CityObjects=[d["CityObjects"]["b1"]])),
        "file",
        "CityObjects must be a JSON object",
        None,
    ),
    Hostile(
        "a transform scale of 1e300",
        "model.city.json",
        lambda: cityjson_changed(lambda d: d["transform"].update(scale=[1e300, 1e300, 1e300])),
        "file",
        "beyond ±1e9",
        None,
    ),
    Hostile(
        "a transform scale of 0",
        "model.city.json",
        lambda: cityjson_changed(lambda d: d["transform"].update(scale=[0, 0, 0])),
        "file",
        "transform.scale must be above 0 on each axis",
        None,
    ),
    Hostile(
        "a negative transform scale",
        "model.city.json",
        lambda: cityjson_changed(lambda d: d["transform"].update(scale=[-0.001, 0.001, 0.001])),
        "file",
        "transform.scale must be above 0 on each axis",
        None,
    ),
    Hostile(
        "a NaN translate",
        "model.city.json",
        lambda: cityjson_changed(lambda d: d["transform"].update(translate=[math.nan, 3456000.0, 0.0])),
        "file",
        "transform.translate must be three finite numbers",
        None,
    ),
    Hostile(
        "a transform that is a list",
        "model.city.json",
        lambda: cityjson_changed(lambda d: d.update(transform=[0.001, 0.001, 0.001])),
        "file",
        "transform must be a JSON object",
        None,
    ),
    Hostile(
        "a CityObject that is a number",
        "model.city.json",
        lambda: cityjson_changed(lambda d: d["CityObjects"].update(b2=5)),
        "type",
        "b2 must be a JSON object",
        "b2",
    ),
    Hostile(
        "children that are not ids",
        "model.city.json",
        lambda: cityjson_changed(lambda d: d["CityObjects"]["b1"].update(children=[["b2"]])),
        "children",
        "must be a list of CityObject ids",
        "b1",
    ),
    Hostile(
        "semantics that are not an object",
        "model.city.json",
        lambda: cityjson_changed(lambda d: d["CityObjects"]["b1"]["geometry"][0].update(semantics=[1])),
        "geometry",
        "semantics must be a JSON object",
        "b1",
    ),
    Hostile(
        "a building far beyond its CRS",
        "model.city.json",
        lambda: cityjson_changed(lambda d: d["transform"]["translate"].__setitem__(1, 9.3456e7)),
        "geometry",
        "CRS can place (its coordinates do not convert",
        "b1",
    ),
    # --- CSV in other encodings, with NUL, a cell over the csv module's limit, bad numbers
    Hostile(
        "CSV in UTF-16 with BOM", "sites.csv", lambda: csv_file(encoding="utf-16"), "file", "UTF-16", None
    ),
    Hostile(
        "CSV in UTF-16 without BOM",
        "sites.csv",
        lambda: csv_file(encoding="utf-16-le"),
        "file",
        "UTF-16",
        None,
    ),
    Hostile(
        "CSV in Shift-JIS",
        "sites.csv",
        lambda: "site_name,lon\r\n東京,1\r\n".encode("shift_jis") + b"\x81\x7f\xfc\xfc",
        "file",
        "neither UTF-8 nor GB18030",
        None,
    ),
    Hostile(
        "CSV with a NUL byte",
        "sites.csv",
        lambda: csv_file(f"A\x00B,x,{LON},{LAT},roof,0,,100,,"),
        "file",
        "NUL",
        3,
    ),
    Hostile(
        "CSV with a 10 MB cell",
        "sites.csv",
        lambda: csv_file("A" * 10_000_000 + f",x,{LON},{LAT},roof,0,,100,,"),
        "file",
        "field limit",
        3,
    ),
    Hostile(
        "CSV with NaN, inf and negatives",
        "sites.csv",
        lambda: csv_file(f"A,x,{LON},{LAT},roof,nan,,inf,-5,-0.1"),
        "gross_area_m2",
        "finite",
        3,
    ),
    Hostile(
        "CSV with 1e400",
        "sites.csv",
        lambda: csv_file("A,x,NaN,Infinity,roof,0,,1e400,,"),
        "lon",
        "finite",
        3,
    ),
    Hostile(
        "CSV with a 10 km² roof",
        "sites.csv",
        lambda: csv_file(f"A,x,{LON},{LAT},roof,0,,1e7,,"),
        "gross_area_m2",
        "at most 1,000,000",
        3,
    ),
]
