"""Benchmark: importing a 10,000-surface GeoJSON FeatureCollection into the register.

Run: ``python benchmarks/register_import.py [--surfaces 10000] [--write]``. Prints the figures and,
with ``--write``, records them in the "## Register import" section of benchmarks/README.md.

The file holds district-like roofs in Huangpu (around 121.47 E, 31.22 N): rectangles of 10–60 m a
side on a street grid, two roofs per site (main roof and annex), tilt 0–30°. Each run uses a fresh
SQLite file migrated with Alembic. Timed, wall clock, file bytes in → report out:

* dry run (read, validate, measure areas; nothing written);
* real import (the same plus bulk inserts, the audit event and the commit);
* the same file with one self-intersecting feature: imports nothing and names its index;
* baseline, same run: the same sites and surfaces registered one at a time through the register
  service (``create_site``, ``create_surface``: what one API call per row does, without HTTP), in one
  transaction. The ratio baseline / real import is what the bulk path buys.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from sqlmodel import Session, func, select

from pvhub.accounts.models import Organisation, User
from pvhub.core import migrate
from pvhub.core.db import make_engine
from pvhub.core.enums import Role
from pvhub.register import service as register
from pvhub.register.enums import SurfaceKind
from pvhub.register.imports.service import ImportReport, import_file
from pvhub.register.models import Site, SiteCreate, Surface, SurfaceCreate

README = Path(__file__).with_name("README.md")
SUBDISTRICTS = [
    "外滩街道",
    "南京东路街道",
    "半淞园路街道",
    "小东门街道",
    "豫园街道",
    "老西门街道",
    "五里桥街道",
    "打浦桥街道",
]
_M_PER_DEG_LAT = 110_900.0
_M_PER_DEG_LON = 95_200.0  # at 31.22° N


def district(n: int, seed: int = 2026) -> dict[str, Any]:
    """A FeatureCollection of ``n`` roof polygons, two per site, on a grid around Huangpu."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n / 2)))
    features = []
    for i in range(n):
        site = i // 2
        row, col = divmod(site, side)
        lon0 = 121.455 + col * 90 / _M_PER_DEG_LON  # 90 m blocks
        lat0 = 31.205 + row * 90 / _M_PER_DEG_LAT
        if i % 2:
            lon0 += 50 / _M_PER_DEG_LON  # the annex sits east of the main building
        w, h = rng.uniform(10, 40), rng.uniform(10, 60)
        dx, dy = w / _M_PER_DEG_LON, h / _M_PER_DEG_LAT
        ring = [[lon0, lat0], [lon0 + dx, lat0], [lon0 + dx, lat0 + dy], [lon0, lat0 + dy], [lon0, lat0]]
        tilt = float(rng.choice([0.0, 0.0, 10.0, 20.0, 30.0]))
        properties = {
            "site_name": f"Building {site:05d}",
            "address": f"{row + 1} Lane {col + 1}",
            "subdistrict": SUBDISTRICTS[site % len(SUBDISTRICTS)],
            "kind": "roof",
            "tilt_deg": tilt,
            "azimuth_deg": 180.0 if tilt == 0 else float(rng.uniform(90, 270)),
            "shading_loss": round(float(rng.uniform(0, 0.15)), 3),
            "height_m": round(float(rng.uniform(10, 80)), 1),
        }
        geometry = {"type": "Polygon", "coordinates": [[[round(x, 7), round(y, 7)] for x, y in ring]]}
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    return {"type": "FeatureCollection", "features": features}


def with_bad_feature(doc: dict[str, Any], index: int) -> dict[str, Any]:
    """A copy with feature ``index`` drawn as a bow tie (its outline crosses itself)."""
    features = list(doc["features"])
    ring = features[index]["geometry"]["coordinates"][0]
    bow_tie = [ring[0], ring[2], ring[1], ring[3], ring[0]]
    features[index] = {**features[index], "geometry": {"type": "Polygon", "coordinates": [bow_tie]}}
    return {**doc, "features": features}


def timed_import(url: str, content: bytes, *, dry_run: bool) -> tuple[float, ImportReport, int, int]:
    """Wall seconds of one import (commit included), its report, and sites/surfaces in the database."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            org = session.exec(select(Organisation)).first()
            assert org is not None and org.id is not None
            t0 = time.perf_counter()
            report = import_file(
                session=session,
                actor=None,
                organisation_id=org.id,
                filename="huangpu_roofs.geojson",
                content=content,
                dry_run=dry_run,
            )
            session.commit()
            seconds = time.perf_counter() - t0
            sites = int(session.exec(select(func.count()).select_from(Site)).one())
            surfaces = int(session.exec(select(func.count()).select_from(Surface)).one())
        return seconds, report, sites, surfaces
    finally:
        engine.dispose()


def timed_one_by_one(url: str, doc: dict[str, Any]) -> tuple[float, int, int]:
    """Wall seconds to register the file's sites and roofs one at a time through the register
    service, commit included, and the sites/surfaces then in the database."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            owner = session.exec(select(User)).first()
            assert owner is not None
            t0 = time.perf_counter()
            site_ids: dict[str, int] = {}
            for feature in doc["features"]:
                p = feature["properties"]
                if p["site_name"] not in site_ids:
                    site = register.create_site(
                        session=session,
                        actor=owner,
                        data=SiteCreate(
                            name=p["site_name"],
                            address=p["address"],
                            subdistrict=p["subdistrict"],
                            height_m=p["height_m"],
                            footprint=feature["geometry"],
                        ),
                    )
                    assert site.id is not None
                    site_ids[p["site_name"]] = site.id
                register.create_surface(
                    session=session,
                    actor=owner,
                    data=SurfaceCreate(
                        site_id=site_ids[p["site_name"]],
                        kind=SurfaceKind.roof,
                        geometry=feature["geometry"],
                        tilt_deg=p["tilt_deg"],
                        azimuth_deg=p["azimuth_deg"],
                        shading_loss=p["shading_loss"],
                    ),
                )
            session.commit()
            seconds = time.perf_counter() - t0
            sites = int(session.exec(select(func.count()).select_from(Site)).one())
            surfaces = int(session.exec(select(func.count()).select_from(Surface)).one())
        return seconds, sites, surfaces
    finally:
        engine.dispose()


def fresh_database(folder: Path, name: str) -> str:
    url = f"sqlite:///{folder / name}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        org = Organisation(name="Huangpu Estates", kind=Role.owner)
        session.add(org)
        session.flush()
        assert org.id is not None
        # the one-by-one baseline acts as this owner (the bulk import runs as the command line)
        owner = User(email="owner@huangpu.cn", role=Role.owner, organisation_id=org.id, password_hash="-")
        session.add(owner)
        session.commit()
    engine.dispose()
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--surfaces", type=int, default=10_000)
    parser.add_argument("--write", action="store_true", help="record the figures in benchmarks/README.md")
    args = parser.parse_args()
    n = args.surfaces
    doc = district(n)
    content = json.dumps(doc, ensure_ascii=False).encode()
    bad_index = n * 7 // 10 + 3
    bad_content = json.dumps(with_bad_feature(doc, bad_index), ensure_ascii=False).encode()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = fresh_database(folder, "register.db")
        dry_s, dry, dry_sites, _ = timed_import(url, content, dry_run=True)
        assert dry.ok and dry_sites == 0, dry.errors[:3]
        real_s, real, sites, surfaces = timed_import(url, content, dry_run=False)
        assert real.ok and surfaces == n and sites == real.sites, (real.errors[:3], sites, surfaces)
        bad_url = fresh_database(folder, "bad.db")
        bad_s, bad, bad_sites, bad_surfaces = timed_import(bad_url, bad_content, dry_run=False)
        base_s, base_sites, base_surfaces = timed_one_by_one(fresh_database(folder, "baseline.db"), doc)
        assert (base_sites, base_surfaces) == (sites, surfaces), (base_sites, base_surfaces)
    errors = bad.as_dict()["errors"]
    assert not bad.ok and bad_sites == bad_surfaces == 0
    assert [e["index"] for e in errors] == [bad_index], errors
    figures = {
        "surfaces": n,
        "sites": real.sites,
        "file_mb": len(content) / 1e6,
        "dry_s": dry_s,
        "real_s": real_s,
        "bad_s": bad_s,
        "bad_index": bad_index,
        "bad_message": f"{errors[0]['field']}: {errors[0]['message']}",
        "baseline_s": base_s,
    }
    print(
        f"{n:,} surfaces / {real.sites:,} sites, {figures['file_mb']:.1f} MB GeoJSON\n"
        f"dry run      {dry_s:6.2f} s\n"
        f"real import  {real_s:6.2f} s  ({surfaces:,} surfaces and {sites:,} sites in the database)\n"
        f"one bad      {bad_s:6.2f} s  (nothing written; errors: {errors})\n"
        f"one by one   {base_s:6.2f} s  (baseline: register service per row; "
        f"{base_s / real_s:.1f}x the real import)"
    )
    if args.write:
        write_readme(figures)


def write_readme(f: dict[str, Any]) -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    section = (
        "## Register import\n\n"
        f"`python benchmarks/register_import.py --write` — {time.strftime('%Y-%m-%d')}, "
        f"CPython {platform.python_version()}, {os.cpu_count()} CPUs, SQLite file migrated with Alembic. "
        f"Load average {load:.1f}.\n\n"
        f"A GeoJSON FeatureCollection of {f['surfaces']:,} district-like roof polygons in Huangpu "
        f"({f['sites']:,} sites, two roofs each, tilt 0–30°; {f['file_mb']:.1f} MB), imported with "
        "`pvhub.register.imports.service.import_file`; "
        "wall time from file bytes to report, commit included.\n\n"
        "| run | wall time | result |\n|---|---:|---|\n"
        f"| dry run | {f['dry_s']:.2f} s | counts only, nothing written |\n"
        f"| real import | {f['real_s']:.2f} s | {f['sites']:,} sites and {f['surfaces']:,} draft surfaces "
        "written, one audit event |\n"
        f"| one bad feature (index {f['bad_index']:,}) | {f['bad_s']:.2f} s | nothing written; "
        f"the report names feature {f['bad_index']} — `{f['bad_message'][:90]}…` |\n"
        f"| baseline: one at a time through the register service | {f['baseline_s']:.2f} s | the same "
        f"rows, one `create_site` / `create_surface` call each (an audit event per row), one commit: "
        f"**{f['baseline_s'] / f['real_s']:.1f}×** the real import |\n\n"
        "The machine is shared with other jobs, so wall times vary by a few tens of per cent.\n\n"
    )
    text = README.read_text() if README.exists() else "# Benchmarks\n\n"
    pattern = re.compile(r"^## Register import\n.*?(?=^## |\Z)", re.S | re.M)
    text = (
        pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    )
    README.write_text(text.rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
