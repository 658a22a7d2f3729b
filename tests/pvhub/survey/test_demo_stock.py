"""The demo district's building stock: a few thousand buildings, towers over 100 m, every site linked."""

from __future__ import annotations

from sqlmodel import Session, func, select

from pvhub.demo.loader import load_demo
from pvhub.register.models import Site
from pvhub.survey.models import Building, SiteBuilding


def test_the_demo_has_its_stock_and_every_site_stands_on_a_building(session: Session) -> None:
    assert load_demo(session=session) is not None
    session.commit()
    buildings = session.exec(select(func.count()).select_from(Building)).one()
    towers = session.exec(select(func.count()).select_from(Building).where(Building.height_m > 100)).one()
    assert buildings > 2_000 and towers > 0
    tallest = session.exec(select(func.max(Building.height_m))).one()
    assert tallest is not None and 100 < tallest <= 250  # Huangpu's towers by the river (issue #18)
    sites = session.exec(select(func.count()).select_from(Site)).one()
    linked = session.exec(select(func.count(func.distinct(SiteBuilding.site_id)))).one()
    assert linked == sites == 300
    # a site's own building carries its subdistrict
    named = session.exec(select(func.count()).select_from(Building).where(Building.subdistrict != "")).one()
    assert named >= 300
