"""read_stock_file reads any building file by what it holds, and names the file when it cannot."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gis.stock import StockError
from gis.stock_files import read_stock_file

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "cityjson"

RING = [[121.48, 31.23], [121.4803, 31.23], [121.4803, 31.2303], [121.48, 31.2303], [121.48, 31.23]]
GEOJSON = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "id": "a",
            "properties": {"building": "office", "height": "45 m", "name": "外滩大楼"},
            "geometry": {"type": "Polygon", "coordinates": [RING]},
        }
    ],
}
WKT = "POLYGON ((121.48 31.23, 121.4803 31.23, 121.4803 31.2303, 121.48 31.2303, 121.48 31.23))"


def test_geojson_bytes_are_read_as_footprints() -> None:
    stock = read_stock_file(json.dumps(GEOJSON).encode(), name="osm.geojson")
    assert stock.source_format == "geojson"
    assert [(b.id, b.height_m, b.name) for b in stock.buildings] == [("a", 45.0, "外滩大楼")]


def test_csv_in_gb18030_with_a_chinese_name_is_read(tmp_path: Path) -> None:
    path = tmp_path / "楼.csv"
    path.write_bytes(f'id,building,height,name,wkt\na,office,45,外滩大楼,"{WKT}"\n'.encode("gb18030"))
    stock = read_stock_file(path, name=path.name)
    assert stock.source_format == "csv"
    assert [(b.id, b.name, b.source.feature) for b in stock.buildings] == [("a", "外滩大楼", 2)]


def test_the_datum_reaches_the_footprint_reader() -> None:
    wgs = read_stock_file(json.dumps(GEOJSON).encode(), name="a.json")
    gcj = read_stock_file(json.dumps(GEOJSON).encode(), name="a.json", datum="gcj02")
    assert wgs.buildings[0].footprint is not None and gcj.buildings[0].footprint is not None
    assert not wgs.buildings[0].footprint.equals_exact(gcj.buildings[0].footprint, 1e-4)


@pytest.mark.skipif(not DATA.is_dir(), reason=f"the shared CityJSON samples are not at {DATA}")
def test_cityjson_is_recognised_and_takes_the_crs() -> None:
    path = DATA / "DH_01_subs.city.json"
    with pytest.raises(StockError, match=r"DH_01_subs\.city\.json: .*crs"):
        read_stock_file(path, name=path.name)
    stock = read_stock_file(path, name=path.name, crs="EPSG:7415")
    assert stock.source_format == "cityjson" and len(stock.buildings) == 4


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b'{"type": "Feature"', "not valid JSON: line 1"),
        (b'{"type": "Topology"}', "FeatureCollection or a CityJSON"),
        (b"[1, 2]", "JSON list"),
        (b"\xff\xfeh\x00i\x00", "UTF-16"),
        (b"id,building,height\na,yes,10\n", "wkt"),
        (b"", "empty"),
    ],
)
def test_unreadable_files_are_stock_errors_naming_the_file(content: bytes, words: str) -> None:
    with pytest.raises(StockError, match=r"^bad\.dat") as error:
        read_stock_file(content, name="bad.dat")
    assert words in str(error.value)


def test_a_projected_crs_for_footprints_is_refused() -> None:
    with pytest.raises(StockError, match="EPSG:32651"):
        read_stock_file(json.dumps(GEOJSON).encode(), name="a.json", crs="EPSG:32651")
    assert read_stock_file(json.dumps(GEOJSON).encode(), name="a.json", crs="EPSG:4326").buildings
