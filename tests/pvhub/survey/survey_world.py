"""A small building stock in Huangpu, stored as the stock import stores it, for the survey's tests."""

from __future__ import annotations

import math
from typing import Any

from sqlmodel import Session, select

from gis.stock_footprints import read_geojson_stock
from pvhub.survey.models import Building, StockImport
from pvhub.survey.rows import building_rows

CENTRE = (121.49, 31.23)


def box(lon: float, lat: float, width_m: float = 30.0, depth_m: float = 20.0) -> list[list[float]]:
    """A closed lon/lat ring of a width × depth rectangle (east-west × north-south) at (lon, lat)."""
    dlon = width_m / (111_320 * math.cos(math.radians(lat)))
    dlat = depth_m / 110_574
    return [[lon, lat], [lon + dlon, lat], [lon + dlon, lat + dlat], [lon, lat + dlat], [lon, lat]]


def stock_doc(n: int = 4) -> dict[str, Any]:
    """``n`` OSM-style buildings 80 m apart along a street, 15 to 60 m tall, named and addressed."""
    features = []
    for i in range(n):
        lon = CENTRE[0] + i * 0.0009
        features.append(
            {
                "type": "Feature",
                "id": f"b{i}",
                "properties": {
                    "building": "office",
                    "height": 15.0 * (i + 1),
                    "building:levels": 5 * (i + 1),
                    "name": f"测试大楼{i}",
                    "addr:street": "中山东一路",
                    "addr:housenumber": str(i + 1),
                },
                "geometry": {"type": "Polygon", "coordinates": [box(lon, CENTRE[1])]},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def seed_stock(session: Session, n: int = 4, neighbours: int = 1) -> list[Building]:
    """Store ``n`` buildings; the last ``neighbours`` of them lie outside the district."""
    stock = read_geojson_stock(stock_doc(n))
    assert not stock.problems, stock.problems
    imported = StockImport(name="test.geojson", sha256="1" * 64, source_format="geojson")
    session.add(imported)
    session.flush()
    assert imported.id is not None
    inside = [i < n - neighbours for i in range(n)]
    rows = building_rows(stock, stock_import_id=imported.id, subdistricts=["外滩街道"] * n, inside=inside)
    session.add_all(rows)
    session.commit()
    return list(session.exec(select(Building).order_by(Building.id)).all())  # type: ignore[arg-type]
