"""``pvhub survey FILE``: no database, the JSON of issue #18 on stdout, progress on stderr, exit 2 on a
bad file. Run through typer's CliRunner on a generated city and the real CityJSON samples."""

from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gis.candidates import CandidateRules, derive_candidates
from gis.plane import plane_of
from gis.stock import Stock
from gis.stock_files import read_stock_file
from pvhub.cli import app
from pvhub.demo.city import generate_city
from tests.pvhub.survey.tower_stock import write_stock

DATA = Path("/work/shared/data/cityjson")
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason=f"the shared CityJSON samples ({DATA}) are absent")
RUNNER = CliRunner()

CANDIDATE_KEYS = {
    "id": str, "building": str, "source": dict, "kind": str, "centroid": list, "lon": float, "lat": float,
    "z_m": float, "area_m2": float, "usable_area_m2": float, "tilt": float, "azimuth": float, "kwp": float,
    "annual_kwh": float, "kwh_per_kwp": float, "kwh_per_kwp_unshaded": float,
}  # fmt: skip


def survey(*args: str) -> tuple[int, str, str]:
    result = RUNNER.invoke(app, ["survey", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def city_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("city") / "city.geojson"
    path.write_text(json.dumps(generate_city(120, seed=5)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def city_json(city_file: Path) -> dict[str, Any]:
    code, out, err = survey(str(city_file), "--json", "--no-shading")
    assert code == 0, err
    assert "[100%]" in err  # progress on stderr, the JSON alone on stdout
    doc: dict[str, Any] = json.loads(out)
    return doc


def test_the_json_has_the_schema_of_issue_18_key_by_key(city_json: dict[str, Any]) -> None:
    doc = city_json
    assert list(doc) == ["buildings", "weather", "candidates", "skipped", "totals", "warnings", "wall_s"]
    assert doc["buildings"] == 120 and isinstance(doc["wall_s"], float) and doc["wall_s"] > 0
    assert set(doc["weather"]) == {"name", "sha256", "synthetic"} and doc["weather"]["synthetic"] is True
    assert len(doc["weather"]["sha256"]) == 64
    assert doc["candidates"], "a city has candidates"
    for row in doc["candidates"]:
        assert list(row) == [*CANDIDATE_KEYS, "shading_loss", "sky_view_factor"]
        for key, kind in CANDIDATE_KEYS.items():
            assert isinstance(row[key], kind), (key, row[key])
        assert row["shading_loss"] is None and row["sky_view_factor"] is None  # --no-shading
        assert row["kwh_per_kwp_unshaded"] == row["kwh_per_kwp"]
        assert set(row["source"]) == {"object", "feature", "faces"} and row["source"]["object"] is None
        assert isinstance(row["source"]["feature"], int) and row["source"]["faces"]
        assert row["kind"] in ("roof", "curtain_wall", "corridor", "walkway")
        x, y, z = row["centroid"]  # GeoJSON: lon, lat, metres
        assert x == pytest.approx(row["lon"]) and y == pytest.approx(row["lat"]) and z >= row["z_m"] - 1e-6
    for row in doc["skipped"]:
        assert list(row) == ["source", "reason"] and row["reason"]
    totals = doc["totals"]
    assert set(totals) == {"kwp", "annual_mwh", "by_kind"}
    assert set(totals["by_kind"]) == {"roof", "curtain_wall", "corridor", "walkway"}
    assert totals["kwp"] == pytest.approx(sum(c["kwp"] for c in doc["candidates"]), abs=0.1)
    walls = [c for c in doc["candidates"] if c["kind"] == "curtain_wall"]
    assert totals["by_kind"]["curtain_wall"]["count"] == len(walls)
    assert isinstance(doc["warnings"], list) and doc["warnings"] == []  # Huangpu is by Longhua


def test_the_city_has_walls_in_storey_bands_and_its_walkway_and_skybridge(city_json: dict[str, Any]) -> None:
    kinds = {c["kind"] for c in city_json["candidates"]}
    assert kinds == {"roof", "curtain_wall", "walkway", "corridor"}
    bands: dict[tuple[str, int], list[str]] = defaultdict(list)
    for c in city_json["candidates"]:
        if c["kind"] == "curtain_wall":
            bands[(c["building"], c["source"]["faces"][0])].append(c["id"])
    assert max(len(ids) for ids in bands.values()) > 10  # a tower's wall, band by band
    reasons = [s["reason"] for s in city_json["skipped"]]
    assert any("bridge" in r for r in reasons) and any("outside 90–270°" in r for r in reasons)
    assert any("under the minimum 600 kWh/kWp" in r for r in reasons)


def test_without_json_a_short_summary(city_file: Path) -> None:
    code, out, _ = survey(str(city_file), "--no-shading")
    assert code == 0
    assert "buildings: 120" in out and "candidates: " in out and "MWp" in out and "GWh" in out
    assert "skipped: " in out and "building shade: left out (--no-shading)" in out


@pytest.fixture(scope="module")
def tower_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_stock(tmp_path_factory.mktemp("tower") / "tower.geojson")


def test_shading_is_on_by_default_and_fills_every_candidate(tower_file: Path) -> None:
    code, out, err = survey(str(tower_file), "--json", "--radius", "800")
    assert code == 0, err
    assert "building shade: rays cast" in err  # the rays report their progress
    doc = json.loads(out)
    assert list(doc) == ["buildings", "weather", "candidates", "skipped", "totals", "warnings", "wall_s"]
    assert doc["candidates"]
    for row in doc["candidates"]:
        assert list(row) == [*CANDIDATE_KEYS, "shading_loss", "sky_view_factor"]
        loss, sky = row["shading_loss"], row["sky_view_factor"]
        assert isinstance(loss, float) and 0.0 <= loss <= 1.0, row["id"]
        assert isinstance(sky, float) and 0.0 <= sky <= (1 + math.cos(math.radians(row["tilt"]))) / 2 + 1e-4
        assert row["kwh_per_kwp"] <= row["kwh_per_kwp_unshaded"] + 0.1
    # the slab facing the tower keeps fewer bands above 600 kWh/kWp than its twin, out in the open
    low = [c for c in doc["candidates"] if c["building"] == "low" and c["kind"] == "curtain_wall"]
    twin = [c for c in doc["candidates"] if c["building"] == "twin" and c["kind"] == "curtain_wall"]
    assert len(low) < len(twin)
    code, unshaded, _ = survey(str(tower_file), "--json", "--no-shading")
    assert code == 0
    rows = json.loads(unshaded)["candidates"]
    assert all(r["shading_loss"] is None and r["sky_view_factor"] is None for r in rows)
    code, text, _ = survey(str(tower_file), "--radius", "800", "--mismatch", "martinez")
    assert code == 0 and "building shade: " in text and "martinez" in text and "sample points" in text


def test_a_bad_mismatch_or_radius_exits_2(tower_file: Path) -> None:
    code, out, err = survey(str(tower_file), "--mismatch", "sometimes")
    assert code == 2 and out == "" and "--mismatch must be irradiance or martinez" in err
    code, _, err = survey(str(tower_file), "--radius", "0")
    assert code == 2 and "--radius" in err


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a building file", "error: "),
        (b'{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"building": "yes", '
         b'"height": -5}, "geometry": {"type": "Polygon", "coordinates": [[[121.49, 31.23], '
         b'[121.4901, 31.23], [121.4901, 31.2301], [121.49, 31.23]]]}}]}', "feature 0, height"),
    ],
)  # fmt: skip
def test_a_bad_file_exits_2_with_a_message(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.geojson"
    path.write_bytes(content)
    code, out, err = survey(str(path), "--json")
    assert code == 2 and out == ""
    assert message in err


def test_a_missing_file_and_a_bad_weather_file_exit_2(city_file: Path, tmp_path: Path) -> None:
    code, _, err = survey(str(tmp_path / "none.geojson"))
    assert code == 2 and "error:" in err
    bad = tmp_path / "bad.epw"
    bad.write_text("LOCATION,nowhere\n", encoding="utf-8")
    code, _, err = survey(str(city_file), "--weather", str(bad))
    assert code == 2 and "error:" in err


@pytest.fixture(scope="module")
def delft() -> Stock:
    return read_stock_file(DATA / "delft.json", name="delft.json")


@needs_data
def test_delft_every_building_with_a_solid_has_its_roof_surveyed_and_the_rest_skipped_with_reasons(
    delft: Stock,
) -> None:
    # unshaded: Delft's narrow streets shade most walls under 600 kWh/kWp of the Shanghai year, and this
    # is about every face being accounted for (Zurich and Rotterdam below run shaded)
    code, out, err = survey(str(DATA / "delft.json"), "--json", "--no-shading")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["buildings"] == 160
    assert any("km from where the weather year was recorded" in w for w in doc["warnings"])
    stock = delft
    surveyed: dict[str | None, set[int]] = defaultdict(set)
    for row in doc["candidates"] + doc["skipped"]:
        surveyed[row["source"]["object"]].update(row["source"]["faces"])
    solids = [b for b in stock.buildings if b.faces]
    assert solids
    for b in solids:
        roofs = [f for f in b.faces if f.kind == "roof"]
        assert roofs, b.id
        for f in roofs:  # each roof face is a candidate or a skipped part, with the reason
            assert set(f.indices) <= surveyed[f.object_id], (b.id, f.indices)
    reasons = " | ".join(s["reason"] for s in doc["skipped"])
    for thing in ("Road", "PlantCover", "bridge"):
        assert thing in reasons
    walls = [c for c in doc["candidates"] if c["kind"] == "curtain_wall"]
    assert walls
    # walls are banded: the ids name the band, and the bands of a face stack up from its bottom
    assert all(c["id"].rsplit("/", 1)[1].startswith("b") for c in walls)
    x, y, _ = doc["candidates"][0]["centroid"]
    assert 80_000 < x < 90_000 and 440_000 < y < 450_000  # RD New metres, the file's own coordinates


@needs_data
def test_delft_walls_split_into_bands_whose_areas_add_up_to_the_face(delft: Stock) -> None:
    stock = delft
    rules = CandidateRules(min_area_m2=0.0, wall_azimuth_range=(0.0, 360.0))
    found = derive_candidates(stock, rules)
    parts: dict[tuple[str | None, tuple[int, ...]], float] = defaultdict(float)
    for c in found.candidates:
        parts[(c.source.object, c.source.faces)] += c.area_m2
    for s in found.skipped:
        parts[(s.source.object, s.source.faces)] += getattr(s, "area_m2", 0.0)
    walls = [(b, f) for b in stock.buildings for f in b.faces if f.kind == "wall"]
    banded = [
        c for c in found.candidates if c.kind == "curtain_wall" and c.storey is not None and c.storey > 0
    ]
    assert banded, "some Delft walls are taller than one storey"
    for _, f in walls:
        area = plane_of(f.rings[0], f.rings[1:]).area_m2
        assert parts[(f.object_id, f.indices)] == pytest.approx(area, rel=1e-6, abs=1e-6)


@needs_data
def test_zurich_triangulated_roofs_come_out_as_planes_whose_areas_add_up() -> None:
    stock = read_stock_file(DATA / "zurich_subset_lod2.json", name="zurich_subset_lod2.json")
    rules = CandidateRules(min_area_m2=0.0, max_roof_tilt_deg=90.0, wall_azimuth_range=(0.0, 360.0))
    found = derive_candidates(stock, rules)
    roofs = [c for c in found.candidates if c.kind == "roof"]
    assert any(len(c.source.faces) > 1 for c in roofs)  # a plane merged from the file's triangles
    by_face = {(c.source.object, c.source.faces): c for c in roofs}
    for b in stock.buildings:
        for f in b.faces:
            if f.kind != "roof":
                continue
            c = by_face[(f.object_id, f.indices)]
            assert c.area_m2 == pytest.approx(plane_of(f.rings[0], f.rings[1:]).area_m2, rel=1e-6)
    code, out, err = survey(str(DATA / "zurich_subset_lod2.json"), "--json")
    assert code == 0, err
    pitched = [c for c in json.loads(out)["candidates"] if c["kind"] == "roof" and c["tilt"] > 5]
    assert pitched and all(0 < c["tilt"] < 60 for c in pitched)


@needs_data
def test_a_file_without_a_reference_system_needs_crs() -> None:
    code, out, err = survey(str(DATA / "rotterdam_subset.json"), "--json")
    assert code == 2 and out == "" and "--crs EPSG:7415" in err
    code, out, err = survey(str(DATA / "rotterdam_subset.json"), "--crs", "EPSG:7415", "--json")
    assert code == 0, err
    doc = json.loads(out)
    assert {c["kind"] for c in doc["candidates"]} == {"roof", "curtain_wall"}
    assert all(c["source"]["object"] for c in doc["candidates"])  # CityJSON objects by id
