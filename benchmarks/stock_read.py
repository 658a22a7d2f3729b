"""Benchmark: reading building files into the building stock (gis.stock_footprints, gis.stock_cityjson).

Run: ``python benchmarks/stock_read.py [--buildings 100000] [--write]``. Prints the figures and, with
``--write``, records them in the "## Building stock readers" section of benchmarks/README.md.

The generated file holds district-like footprints around Huangpu (121.40–121.60 E, 31.15–31.25 N):
convex polygons of 4–8 corners, 10–30 m across, on a 400-column grid; half give ``height`` as text
("37.5 m"), half ``building:levels``. Timed, wall clock and CPU, parsed document in → Stock out
(JSON parsing and CSV writing are not timed): the GeoJSON, the same buildings as CSV with WKT, and
the CityJSON samples in ../shared/data/cityjson when present.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import platform
import re
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import shape

from gis.stock import Stock
from gis.stock_cityjson import read_cityjson_stock
from gis.stock_footprints import read_csv_stock, read_geojson_stock

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT.parent / "shared" / "data" / "cityjson"
SECTION = "## Building stock readers"


def footprints(count: int, seed: int = 1) -> dict[str, Any]:
    """A FeatureCollection of ``count`` generated OSM-style building footprints."""
    rng = np.random.default_rng(seed)
    features = []
    for i in range(count):
        lon, lat = 121.40 + (i % 400) * 0.0005, 31.15 + (i // 400) * 0.0004
        half_w, half_h = 0.00005 + rng.random() * 0.0001, 0.00005 + rng.random() * 0.0001
        angles = np.sort(rng.random(int(rng.integers(4, 9)))) * 2 * np.pi
        ring = [[round(lon + half_w * np.cos(a), 7), round(lat + half_h * np.sin(a), 7)] for a in angles]
        ring.append(ring[0])
        if i % 2:
            props = {"building": "residential", "building:levels": str(int(rng.integers(1, 30)))}
        else:
            props = {"building": "yes", "height": f"{rng.random() * 80 + 3:.1f} m", "name": f"B{i}"}
        geometry = {"type": "Polygon", "coordinates": [ring]}
        features.append({"type": "Feature", "id": f"w{i}", "properties": props, "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}


def as_csv(doc: dict[str, Any]) -> str:
    """The same buildings as CSV with a WKT column."""
    columns = ["id", "building", "height", "building:levels", "name", "wkt"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for f in doc["features"]:
        values = {"id": f["id"], **f["properties"], "wkt": shape(f["geometry"]).wkt}
        writer.writerow([values.get(c, "") for c in columns])
    return out.getvalue()


def timed(read: Callable[[], Stock]) -> tuple[Stock, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    stock = read()
    return stock, time.perf_counter() - wall, time.process_time() - cpu


def run(count: int) -> list[str]:
    doc = footprints(count)
    text = as_csv(doc)
    rows: list[str] = []
    for label, read in (
        ("GeoJSON", lambda: read_geojson_stock(doc)),
        ("CSV (WKT)", lambda: read_csv_stock(text)),
        ("GeoJSON, GCJ-02", lambda: read_geojson_stock(doc, datum="gcj02")),
    ):
        stock, wall, cpu = timed(read)
        faces = sum(len(b.faces) for b in stock.buildings)
        rows.append(
            f"| {label} | {len(stock.buildings):,} footprints | {faces:,} | {wall:.2f} s | {cpu:.2f} s |"
        )
        del stock
    for name, crs in (("delft.json", None), ("zurich_subset_lod2.json", None)):
        path = SAMPLES / name
        if not path.is_file():
            continue
        sample = json.loads(path.read_text())
        stock, wall, cpu = timed(partial(read_cityjson_stock, sample, crs=crs))
        faces = sum(len(b.faces) for b in stock.buildings)
        merged = sum(len(f.indices) for b in stock.buildings for f in b.faces)
        rows.append(
            f"| CityJSON {name} | {len(stock.buildings):,} buildings | {faces:,} (from {merged:,}) "
            f"| {wall:.2f} s | {cpu:.2f} s |"
        )
    return rows


def report(count: int, rows: list[str]) -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    head = (
        f"{SECTION}\n\n`python benchmarks/stock_read.py --buildings {count} --write` — "
        f"{time.strftime('%Y-%m-%d')}, CPython {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {load:.1f}. Generated footprints (see the script's docstring); parsed document in, "
        "Stock out. Bar: 100,000 footprints well under 20 s. Faces: a roof per polygon and a wall per edge "
        "(footprints); merged planar faces and the surfaces they merge (CityJSON).\n\n"
        "| file | read | faces | wall time | CPU time |\n|---|---:|---:|---:|---:|\n"
    )
    return head + "\n".join(rows) + "\n"


def write(text: str) -> None:
    path = Path(__file__).with_name("README.md")
    readme = path.read_text()
    pattern = re.compile(rf"{re.escape(SECTION)}\n.*?(?=\n## |\Z)", re.DOTALL)
    if pattern.search(readme):
        # the section keeps its table's newline; the next section's "\n## " then leaves a blank line
        readme = pattern.sub(lambda _: text.rstrip("\n") + "\n", readme)
    else:
        readme = readme + "\n" + text
    path.write_text(readme if readme.endswith("\n") else readme + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=100_000)
    parser.add_argument("--write", action="store_true", help="record the figures in benchmarks/README.md")
    args = parser.parse_args()
    text = report(args.buildings, run(args.buildings))
    print(text)
    if args.write:
        write(text)


if __name__ == "__main__":
    main()
