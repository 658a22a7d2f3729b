"""Building rows and back: a stock stored and rebuilt keeps its faces, footprints and attributes."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Transformer
from shapely.geometry import Polygon
from sqlmodel import Session, select

from gis.stock import Face, SourceRef, Stock, StockBuilding
from pvhub.survey.models import Building, StockImport
from pvhub.survey.rows import building_rows, metric_frame, stock_from_rows

UTM51N = 32651  # Shanghai's UTM zone


def _box_building(ident: str, x0: float, y0: float, height: float, feature: int) -> StockBuilding:
    """A 20 m × 10 m prism in UTM 51N (roof face 0, walls 1–4), footprint in lon/lat."""
    corners = np.array([[x0, y0], [x0 + 20, y0], [x0 + 20, y0 + 10], [x0, y0 + 10]])
    lon, lat = Transformer.from_crs(UTM51N, 4326, always_xy=True).transform(corners[:, 0], corners[:, 1])
    roof = np.column_stack([corners, np.full(4, height)])
    walls = []
    for i in range(4):
        a, b = corners[i], corners[(i + 1) % 4]
        walls.append(np.array([[*a, 0.0], [*b, 0.0], [*b, height], [*a, height]]))
    faces = [Face(None, (0,), "roof", None, (roof,))] + [
        Face(None, (i + 1,), "wall", None, (w,)) for i, w in enumerate(walls)
    ]
    return StockBuilding(
        id=ident,
        source=SourceRef(feature=feature),
        footprint=Polygon(zip(lon, lat, strict=True)),
        height_m=height,
        storeys=int(height // 3),
        use="office",
        name="测试大楼",
        attributes={"subdistrict": "外滩街道", "height": f"{height} m", "nan": float("nan")},
        faces=faces,
    )


def test_rows_round_trip_through_the_database(session: Session) -> None:
    stock = Stock(
        buildings=[
            _box_building("a", 352_000.123, 3_456_000.456, 45.0, 0),
            _box_building("b", 352_100.0, 3_456_050.0, 120.0, 1),
            StockBuilding(id="c", source=SourceRef(feature=2), footprint=None, note="no height nor levels"),
        ],
        skipped=[],
        problems=[],
        frame=metric_frame(UTM51N),
    )
    imported = StockImport(name="t.geojson", sha256="0" * 64, source_format="geojson")
    session.add(imported)
    session.flush()
    assert imported.id is not None
    session.add_all(building_rows(stock, stock_import_id=imported.id))
    session.commit()
    session.expire_all()

    rows = session.exec(select(Building).order_by(Building.source_id)).all()
    assert [r.source_id for r in rows] == ["a", "b", "c"]
    assert rows[0].subdistrict == "外滩街道"
    assert rows[0].attributes["nan"] is None and rows[0].attributes["parts"] == []
    assert rows[0].frame_epsg == UTM51N
    back = stock_from_rows(rows)
    assert back.frame.epsg == UTM51N
    for original, rebuilt in zip(stock.buildings, back.buildings, strict=True):
        assert rebuilt.id == original.id and rebuilt.source.feature == original.source.feature
        assert rebuilt.height_m == original.height_m and rebuilt.note == original.note
        assert len(rebuilt.faces) == len(original.faces)
        for a, b in zip(original.faces, rebuilt.faces, strict=True):
            assert (a.kind, a.indices) == (b.kind, b.indices)
            np.testing.assert_allclose(a.rings[0], b.rings[0], atol=5e-4)  # stored to the millimetre
        if original.footprint is not None:
            assert rebuilt.footprint is not None
            assert rebuilt.footprint.hausdorff_distance(original.footprint) < 1e-7  # 7 decimals kept
    x, y = np.array([352_010.0]), np.array([3_456_005.0])
    lon, lat = back.frame.to_wgs84(x, y)
    assert 121.4 < lon[0] < 121.5 and 31.2 < lat[0] < 31.3
    assert back.frame.convergence_deg(x, y)[0] == pytest.approx(-0.8, abs=0.3)  # west of 123°E


def test_rows_of_two_frames_come_back_in_one(session: Session) -> None:
    """A row stored in UTM 50N is moved into the frame most rows use (51N) and lands in the same place."""
    a = _box_building("a", 352_000.0, 3_456_000.0, 30.0, 0)
    stock = Stock(
        buildings=[a, _box_building("b", 352_200.0, 3_456_000.0, 30.0, 1)],
        skipped=[],
        problems=[],
        frame=metric_frame(UTM51N),
    )
    rows = building_rows(stock, stock_import_id=1)
    to50 = Transformer.from_crs(UTM51N, 32650, always_xy=True)
    moved = []
    for face in rows[0].faces:
        ring = np.asarray(face["rings"][0])
        x, y = to50.transform(ring[:, 0], ring[:, 1])
        moved.append({**face, "rings": [np.column_stack([x, y, ring[:, 2]]).tolist()]})
    rows[0].faces, rows[0].frame_epsg = moved, 32650
    extra = building_rows(stock, stock_import_id=1)[1]
    back = stock_from_rows([rows[0], rows[1], extra])
    assert back.frame.epsg == UTM51N
    np.testing.assert_allclose(back.buildings[0].faces[0].rings[0], a.faces[0].rings[0], atol=1e-3)
