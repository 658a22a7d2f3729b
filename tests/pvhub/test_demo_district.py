"""Tests of the deterministic demo Huangpu district generator (pure, no database)."""

from __future__ import annotations

import math
from collections import Counter
from itertools import combinations, pairwise

import numpy as np
import pytest
from pyproj import Transformer
from shapely import STRtree
from shapely.geometry import LineString, Polygon, shape

from pvhub.demo import (
    BUSINESS_MODELS,
    HUANGPU_OUTLINE,
    METRIC_CRS,
    SITE_USES,
    SURFACE_KINDS,
    DemoDistrict,
    build_demo_district,
)

_TO_M = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)


def _metric(geom: dict) -> Polygon | LineString:
    g = shape(geom)
    if isinstance(g, Polygon):
        x, y = _TO_M.transform(*np.asarray(g.exterior.coords).T)
        return Polygon(np.column_stack([x, y]))
    x, y = _TO_M.transform(*np.asarray(g.coords).T)
    return LineString(np.column_stack([x, y]))


@pytest.fixture(scope="module")
def district() -> DemoDistrict:
    return build_demo_district()


def test_deterministic() -> None:
    """The same seed builds the same district (how fast it builds is no test's business: rule 4)."""
    a = build_demo_district(2026)
    b = build_demo_district(2026)
    assert a == b
    c = build_demo_district(7)
    assert c != a


def test_outline() -> None:
    assert 20 <= len(HUANGPU_OUTLINE) <= 40
    poly = _metric({"type": "Polygon", "coordinates": [[*HUANGPU_OUTLINE, HUANGPU_OUTLINE[0]]]})
    assert isinstance(poly, Polygon)
    assert poly.is_valid
    assert poly.exterior.is_ccw
    assert 15e6 < poly.area < 25e6
    c = shape({"type": "Polygon", "coordinates": [list(HUANGPU_OUTLINE)]}).centroid
    assert abs(c.x - 121.48) < 0.02 and abs(c.y - 31.23) < 0.02


def test_subdistricts_partition_outline(district: DemoDistrict) -> None:
    outline = shape(district.outline)
    subs = [shape(s.polygon) for s in district.subdistricts]
    assert len(subs) == 10
    assert len({s.code for s in district.subdistricts}) == 10
    names = {s.name_zh for s in district.subdistricts}
    assert names == {
        "外滩",
        "南京东路",
        "豫园",
        "老西门",
        "小东门",
        "淮海中路",
        "瑞金二路",
        "打浦桥",
        "五里桥",
        "半淞园路",
    }
    for sd, poly in zip(district.subdistricts, subs, strict=True):
        assert poly.is_valid and poly.exterior.is_ccw
        assert poly.contains(shape({"type": "Point", "coordinates": sd.centre}))
    total = sum(p.area for p in subs)
    assert total == pytest.approx(outline.area, rel=1e-4)
    for a, b in combinations(subs, 2):
        assert a.intersection(b).area < 1e-9


def test_counts(district: DemoDistrict) -> None:
    assert 280 <= len(district.sites) <= 320
    assert 900 <= len(district.surfaces) <= 1100
    assert len(district.owners) == 30 and len(district.suppliers) == 8
    assert {s.subdistrict_code for s in district.sites} == {s.code for s in district.subdistricts}
    assert {s.owner_key for s in district.sites} == {o.key for o in district.owners}
    keys = [s.key for s in district.sites] + [s.key for s in district.surfaces]
    assert len(keys) == len(set(keys))
    assert all(o.role == "owner" and o.name_zh and o.name_en for o in district.owners)
    for sup in district.suppliers:
        assert sup.role == "supplier"
        assert sup.annual_capacity_kw is not None and 2000 <= sup.annual_capacity_kw <= 8000
        assert len(sup.certifications) >= 1


def test_sites_geometry(district: DemoDistrict) -> None:
    outline = shape(district.outline)
    subs = {s.code: shape(s.polygon) for s in district.subdistricts}
    feet = []
    for site in district.sites:
        poly = shape(site.footprint)
        assert 4 <= len(poly.exterior.coords) - 1 <= 8
        assert poly.is_valid and poly.exterior.is_ccw
        assert outline.contains(poly)
        assert subs[site.subdistrict_code].contains(poly)
        m = _metric(site.footprint)
        assert 300.0 <= m.area <= 6000.0
        assert m.area == pytest.approx(site.footprint_area_m2, rel=1e-3)
        c = poly.centroid
        assert site.location == pytest.approx((c.x, c.y), abs=1e-6)
        assert site.use in SITE_USES and site.business_model in BUSINESS_MODELS
        assert site.height_m > 0 and site.storeys >= 1
        assert site.address_zh.startswith("上海市黄浦区")
        feet.append(m)
    tree = STRtree(feet)
    for i, m in enumerate(feet):
        for j in tree.query(m.buffer(3.0), predicate="intersects"):
            assert j == i, f"{district.sites[i].key} closer than 3 m to {district.sites[int(j)].key}"


def test_heritage_only_in_bund_and_yuyuan(district: DemoDistrict) -> None:
    codes = {s.code for s in district.subdistricts if s.name_en in ("Waitan", "Yuyuan")}
    flagged = [s for s in district.sites if s.heritage]
    assert flagged
    assert all(s.subdistrict_code in codes for s in flagged)


def test_surfaces(district: DemoDistrict) -> None:
    sites = {s.key: s for s in district.sites}
    counts = Counter(s.kind for s in district.surfaces)
    n = len(district.surfaces)
    assert set(counts) == set(SURFACE_KINDS)
    assert 0.55 <= counts["roof"] / n <= 0.65
    assert 0.15 <= counts["curtain_wall"] / n <= 0.25
    assert 0.05 <= counts["corridor"] / n <= 0.11
    assert 0.09 <= counts["walkway"] / n <= 0.15
    with_roof = {s.site_key for s in district.surfaces if s.kind == "roof"}
    assert len(with_roof) >= 0.95 * len(sites)
    for s in district.surfaces:
        site = sites[s.site_key]
        assert 0.0 < s.usable_area_m2 <= s.gross_area_m2
        assert 0.0 <= s.shading_loss <= 0.35
        assert 0.0 <= s.azimuth_deg < 360.0
        assert s.storey >= 1
        g = _metric(s.geometry)
        if s.kind == "curtain_wall":
            assert s.geometry["type"] == "LineString" and len(s.geometry["coordinates"]) == 2
            assert s.tilt_deg == 90.0
            assert 90.0 <= s.azimuth_deg <= 270.0
            assert site.height_m > 24.0
            assert s.height_from_m is not None and s.height_to_m is not None
            assert 0 < s.height_from_m < s.height_to_m <= site.height_m
            assert s.gross_area_m2 == pytest.approx(g.length * (s.height_to_m - s.height_from_m), rel=1e-3)
            assert 0.4 <= s.usable_area_m2 / s.gross_area_m2 <= 0.6 + 1e-3
            # the base line lies on the footprint boundary
            assert _metric(site.footprint).exterior.distance(g.interpolate(0.5, normalized=True)) < 0.1
            continue
        assert s.geometry["type"] == "Polygon" and isinstance(g, Polygon) and g.is_valid
        assert s.height_from_m is None and s.height_to_m is None
        flat_gross = g.area / math.cos(math.radians(s.tilt_deg))
        if s.kind == "roof":
            assert 0.0 <= s.tilt_deg <= 30.0
            if s.tilt_deg <= 10.0:
                assert s.azimuth_deg == 180.0
                assert s.gross_area_m2 == pytest.approx(g.area, rel=1e-3)
            else:
                assert s.tilt_deg >= 15.0
                assert s.gross_area_m2 == pytest.approx(flat_gross, rel=5e-3)
            assert _metric(site.footprint).buffer(0.05).contains(g)
            assert s.height_m <= site.height_m
        elif s.kind == "corridor":
            assert 0.0 <= s.tilt_deg <= 5.0
            assert 10.0 <= s.height_m <= 30.0
            assert s.linked_site_key in sites and s.linked_site_key != s.site_key
            other = _metric(sites[s.linked_site_key].footprint)
            own = _metric(site.footprint)
            assert own.distance(other) <= 40.0
            assert s.height_m < min(site.height_m, sites[s.linked_site_key].height_m)
            assert s.gross_area_m2 == pytest.approx(flat_gross, rel=5e-3)
        else:
            assert 0.0 <= s.tilt_deg <= 10.0
            assert 3.0 <= s.height_m <= 4.0 and s.storey == 1
            assert s.gross_area_m2 == pytest.approx(flat_gross, rel=5e-3)
            assert 0.8 <= s.usable_area_m2 / s.gross_area_m2 <= 0.9 + 1e-3
        if s.tilt_deg == 0.0:
            assert s.azimuth_deg == 180.0


def test_ground_surfaces_do_not_overlap_buildings(district: DemoDistrict) -> None:
    feet = [_metric(s.footprint) for s in district.sites]
    tree = STRtree(feet)
    for s in district.surfaces:
        if s.kind in ("walkway", "corridor"):
            g = _metric(s.geometry)
            for j in tree.query(g, predicate="intersects"):
                assert feet[int(j)].intersection(g).area < 0.5


def test_demo_point_candidates(district: DemoDistrict) -> None:
    assert len(district.demo_point_candidates) >= 2
    sites = {s.key: s for s in district.sites}
    names = {sd.code: sd.name_en for sd in district.subdistricts}
    where = set()
    for cluster in district.demo_point_candidates:
        assert all(k in sites for k in cluster)
        where.update(names[sites[k].subdistrict_code] for k in cluster)
        feet = [_metric(sites[k].footprint) for k in cluster]
        for a, b in combinations(feet, 2):
            assert a.distance(b) <= 100.0
        for a, b in pairwise(feet):
            assert a.distance(b) <= 40.0
        heights: dict[str, set[float]] = {}
        for s in district.surfaces:
            if s.site_key in cluster:
                # a wall stands for its band's middle (its height_m is the band's bottom)
                band = (s.height_from_m, s.height_to_m)
                level = (band[0] + band[1]) / 2 if band[0] is not None and band[1] is not None else s.height_m
                heights.setdefault(s.kind, set()).add(level)
        assert len(heights) >= 3
        # one surface per kind at pairwise different heights
        lowest = sorted(min(h) for h in heights.values())
        assert len(set(lowest)) == len(lowest) >= 3
    assert {"Nanjing East Road", "Dapuqiao"} <= where


@pytest.mark.parametrize("seed", [1, 42, 12345])
def test_other_seeds_valid(seed: int) -> None:
    d = build_demo_district(seed)
    assert 280 <= len(d.sites) <= 320
    assert 900 <= len(d.surfaces) <= 1100
    assert len({s.owner_key for s in d.sites}) == 30
    assert len({s.subdistrict_code for s in d.sites}) == 10
    feet = [_metric(s.footprint) for s in d.sites]
    tree = STRtree(feet)
    for i, m in enumerate(feet):
        assert [int(j) for j in tree.query(m.buffer(3.0), predicate="intersects")] == [i]
    assert len(d.demo_point_candidates) >= 2
