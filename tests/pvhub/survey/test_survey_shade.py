"""The survey job shades its candidates with every stored building near them: a tower from another
building file, outside the district, shades a slab's wall as much as it does in one file (real database,
rays and engine)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, col, select

from gis.stock_footprints import read_geojson_stock
from pvhub.survey import service as survey
from pvhub.survey.models import Building, StockImport, SurveyCandidate
from pvhub.survey.rows import building_rows
from pvhub.survey.rules import SurveyRules
from tests.pvhub.survey.tower_stock import feature

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

SLAB = feature("low", (0.0, 0.0, 40.0, 15.0), 30.0, 10)
ALL = SurveyRules(min_kwh_per_kwp=0.0)  # every band stored, however shaded
TOWER = feature("tower", (0.0, -70.0, 40.0, -40.0), 60.0, 15)


def store(session: Session, name: str, features: list[dict[str, Any]], *, inside: bool) -> None:
    """Import ``features`` as the stock import stores them, inside the district or as neighbours."""
    stock = read_geojson_stock({"type": "FeatureCollection", "features": features})
    assert not stock.problems, stock.problems
    imported = StockImport(name=name, sha256=name[0] * 64, source_format="geojson")
    session.add(imported)
    session.flush()
    assert imported.id is not None
    n = len(stock.buildings)
    session.add_all(
        building_rows(stock, stock_import_id=imported.id, subdistricts=[""] * n, inside=[inside] * n)
    )
    session.commit()


def south_bands(session: Session) -> list[SurveyCandidate]:
    slab = session.exec(select(Building).where(Building.source_id == "low")).one()
    rows = session.exec(
        select(SurveyCandidate)
        .where(SurveyCandidate.building_id == slab.id, SurveyCandidate.kind == "curtain_wall")
        .order_by(col(SurveyCandidate.z_m))
    ).all()
    return [c for c in rows if abs(c.azimuth_deg - 180.0) < 10.0]


def test_a_neighbour_from_another_file_shades_the_candidates_it_faces(session: Session) -> None:
    store(session, "slab.geojson", [SLAB], inside=True)
    survey.run_survey(session=session, rules=ALL)
    session.commit()
    alone = south_bands(session)
    assert len(alone) == 10 and all(c.shading_loss is not None for c in alone)
    assert max(float(c.shading_loss or 0.0) for c in alone) < 0.01
    store(session, "towers.geojson", [TOWER], inside=False)
    run = survey.run_survey(session=session, rules=ALL)
    session.commit()
    session.expire_all()
    faced = south_bands(session)
    losses = [float(c.shading_loss or 0.0) for c in faced]
    assert losses[0] > 0.2 and losses[0] > losses[-1] + 0.08  # as in one file (test_candidate_shading)
    assert all(c.sky_view_factor is not None and c.sky_view_factor < 0.5 for c in faced)
    assert all(c.kwh_per_kwp < c.kwh_per_kwp_unshaded for c in faced)
    tower = session.exec(select(Building).where(Building.source_id == "tower")).one()
    assert not session.exec(select(SurveyCandidate).where(SurveyCandidate.building_id == tower.id)).all()
    assert run.provenance["shading"]["radius_m"] == 1500.0
