"""One entry point for a building file, whatever it holds: :func:`read_stock_file`.

The content decides, not the file's name: a JSON object is a GeoJSON FeatureCollection
(:func:`gis.stock_footprints.read_geojson_stock`) or a CityJSON document
(:func:`gis.stock_cityjson.read_cityjson_stock`); anything else is read as CSV
(:func:`gis.stock_footprints.read_csv_stock`), decoded as UTF-8 (with or without BOM) or, failing
that, GB18030 — what Excel saves in China, as the register's CSV import accepts.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gis import stock_messages as say
from gis.crs import parse_epsg
from gis.stock import Stock, StockError
from gis.stock_cityjson import read_cityjson_stock
from gis.stock_footprints import read_csv_stock, read_geojson_stock

# GeoJSON is WGS84 lon/lat (RFC 7946 §4); CGCS2000 is taken as WGS84 (gis.crs).
_LONLAT_EPSG = (4326, 4490)


def read_stock_file(
    path_or_bytes: str | Path | bytes,
    *,
    name: str,
    crs: str | int | None = None,
    datum: str = "wgs84",
) -> Stock:
    """Read a building file (GeoJSON, CSV or CityJSON) into the building stock.

    Parameters
    ----------
    path_or_bytes : path or bytes
        The file, or its content.
    name : str
        The file's name as the user knows it, for messages.
    crs : str or int, optional
        A CityJSON file's CRS when it has none (or to override it), e.g. ``"EPSG:7415"``; for GeoJSON
        and CSV only WGS84 / CGCS2000 (their coordinates are lon/lat; use ``datum`` for GCJ-02, BD-09).
    datum : str
        Datum of GeoJSON and CSV lon/lat: ``wgs84``, ``cgcs2000``, ``gcj02`` or ``bd09``.

    Raises
    ------
    StockError
        If the file cannot be read as any of the three formats; the message names the file.
    """
    content = path_or_bytes if isinstance(path_or_bytes, bytes) else Path(path_or_bytes).read_bytes()
    text = _decode(content, name)
    stripped = text.lstrip()
    if stripped.startswith("{"):
        doc = _json(stripped, name)
        kind = doc.get("type") if isinstance(doc, dict) else None
        if kind == "CityJSON":
            return _named(name, lambda: read_cityjson_stock(doc, crs=crs))
        if kind == "FeatureCollection":
            _check_lonlat(crs, name)
            return _named(name, lambda: read_geojson_stock(doc, datum=datum))
        raise StockError.of(say.JSON_OTHER, name=name, kind=kind)
    if stripped.startswith("["):
        raise StockError.of(say.JSON_LIST, name=name)
    _check_lonlat(crs, name)
    return _named(name, lambda: read_csv_stock(text, datum=datum))


def _decode(content: bytes, name: str) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise StockError.of(say.UTF16, name=name)
    if b"\x00" in content:
        raise StockError.of(say.NUL, name=name)
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return content.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise StockError.of(say.NOT_TEXT, name=name) from exc


def _json(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise StockError.of(
            say.BAD_JSON, name=name, line=exc.lineno, column=exc.colno, error=exc.msg
        ) from exc
    except RecursionError as exc:
        raise StockError.of(say.DEEP_JSON, name=name) from exc


def _check_lonlat(crs: str | int | None, name: str) -> None:
    if crs is None or crs == "":
        return
    try:
        epsg = parse_epsg(crs)
    except ValueError as exc:
        raise StockError.of(say.NAMED, name=name, message=str(exc)) from exc
    if epsg not in _LONLAT_EPSG:
        raise StockError.of(say.NOT_LONLAT_CRS, name=name, epsg=epsg)


def _named(name: str, read: Callable[[], Stock]) -> Stock:
    """Run a reader, prefixing a whole-file error with the file's name."""
    try:
        stock = read()
    except StockError as exc:  # the reader's code and values ride along for the pages
        raise StockError(
            say.NAMED.format(name=name, message=str(exc)),
            code=say.NAMED,
            params={"name": name, "message": str(exc), "code": exc.code, "params": exc.params},
        ) from exc
    return stock
