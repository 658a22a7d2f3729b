"""The demo district's building stock: the generated city around the registered sites, imported as
the office would import a building file (so the demo exercises :func:`pvhub.survey.stock.import_stock`).

The city (:func:`pvhub.demo.city.generate_city`: towers by the river, low-rise lanes) is spread
over the district's whole outline, so every registered site has neighbours that shade it, and
leaves room for the 300 demo sites' footprints; each site then adds its own building (its
footprint, height and storeys, its subdistrict), so every registered site is linked to the
building it stands on.
"""

from __future__ import annotations

import json
from typing import Any

from shapely.geometry import shape
from sqlmodel import Session, select

from pvhub.accounts.models import User
from pvhub.demo.city import generate_city
from pvhub.demo.district import DemoDistrict
from pvhub.survey.stock import StockReport, import_stock

#: Buildings the generated city holds besides the sites' own: a few thousand, as a district of
#: Huangpu's 20 km² holds (issue #18), small enough to keep ``pvhub demo`` quick.
CITY_BUILDINGS = 3_000
STOCK_FILENAME = "huangpu-demo-stock.geojson"


def demo_stock_document(district: DemoDistrict, *, n_buildings: int = CITY_BUILDINGS) -> dict[str, Any]:
    """The demo's building file: the generated city plus one building per registered site."""
    city = generate_city(
        n_buildings,
        seed=district.seed,
        avoid=[site.footprint for site in district.sites],
        area=shape(district.outline),
    )
    names = {s.code: s.name_zh for s in district.subdistricts}
    sites = [
        {
            "type": "Feature",
            "id": f"site-{site.key}",
            "properties": {
                "building": site.use,
                "height": site.height_m,
                "building:levels": site.storeys,
                "name": site.name_zh,
                "subdistrict": names[site.subdistrict_code],
            },
            "geometry": site.footprint,
        }
        for site in district.sites
    ]
    features = list(city.get("features", [])) + sites
    return {"type": "FeatureCollection", "features": features}


def load_demo_stock(session: Session, district: DemoDistrict, office_email: str) -> StockReport:
    """Import the demo's building file as the office and link the registered sites to it."""
    office = session.exec(select(User).where(User.email == office_email)).one()
    content = json.dumps(demo_stock_document(district), ensure_ascii=False).encode()
    report = import_stock(session=session, actor=office, filename=STOCK_FILENAME, content=content)
    if not report.ok:
        problems = "; ".join(f"{p.where} {p.field}: {p.message}" for p in report.problems[:5])
        raise RuntimeError(f"the demo's building stock was refused: {problems}")
    return report
