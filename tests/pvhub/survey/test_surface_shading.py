"""Registered surfaces get building shade from the stock (issue #19): a wall facing a tower loses
energy, its twin in the open does not; a typed loss overrides; a changed building nearby outdates the
estimate, one 3 km away does not; a roof typed a little below its building's roof is not buried."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from pyproj import Transformer
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from pvhub.accounts.models import Organisation
from pvhub.core.enums import Role, RunStatus
from pvhub.estimates.models import Estimate, SurfaceShade
from pvhub.estimates.shade import unpack_horizon
from pvhub.jobs import service as jobs
from pvhub.jobs.models import Job
from pvhub.register import service as register
from pvhub.register.enums import SurfaceKind, SurfaceStatus
from pvhub.register.models import Site, Surface
from pvhub.survey import surface_shading
from pvhub.survey.stock import import_stock

_TO_WGS84 = Transformer.from_crs(32651, 4326, always_xy=True)
# a point in Huangpu in UTM 51N metres; the boxes below are metres east and north of it
X0, Y0 = Transformer.from_crs(4326, 32651, always_xy=True).transform(121.49, 31.23)
LOW = (0.0, 0.0, 40.0, 15.0)  # a 12 m slab
TOWER = (0.0, -60.0, 40.0, -30.0)  # 30 m south of the slab's south wall
TWIN = (3000.0, 0.0, 3040.0, 15.0)  # the same slab 3 km east, in the open
FAR = (3000.0, 200.0, 3020.0, 220.0)  # a building 3 km from the slab (near the twin)


def lonlat(x: float, y: float) -> list[float]:
    lon, lat = _TO_WGS84.transform(X0 + x, Y0 + y)
    return [float(lon), float(lat)]


def ring(box: tuple[float, float, float, float]) -> list[list[float]]:
    x0, y0, x1, y1 = box
    return [lonlat(x, y) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0))]


def feature(fid: str, box: tuple[float, float, float, float], height: float) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": fid,
        "properties": {"building": "yes", "height": height},
        "geometry": {"type": "Polygon", "coordinates": [ring(box)]},
    }


def import_file(session: Session, name: str, *features: dict[str, Any]) -> None:
    content = json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()
    report = import_stock(session=session, actor=None, filename=name, content=content)
    assert report.ok, report.problems


def quiet(_fraction: float, _message: object) -> None:
    return None


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    """The slab's site with a south curtain wall (3–9 m) facing the tower, and the twin's."""
    org = Organisation(name="owner", kind=Role.owner)
    session.add(org)
    session.flush()
    assert org.id is not None
    out: dict[str, Any] = {"org": org.id}
    for key, box in (("low", LOW), ("twin", TWIN)):
        x0, y0, x1, _y1 = box
        centre = lonlat((x0 + x1) / 2, 7.5)
        site = Site(
            name=key,
            organisation_id=org.id,
            lon=centre[0],
            lat=centre[1],
            height_m=12,
            footprint={"type": "Polygon", "coordinates": [ring(box)]},
        )
        session.add(site)
        session.flush()
        assert site.id is not None
        wall = Surface(
            site_id=site.id,
            kind=SurfaceKind.curtain_wall,
            geometry={"type": "LineString", "coordinates": [lonlat(x0, y0), lonlat(x1, y0)]},
            tilt_deg=90,
            azimuth_deg=180,
            gross_area_m2=40 * 6,
            usable_area_m2=200,
            height_m=3,  # the band's bottom: it spans 3–9 m, its points at 6 m
            status=SurfaceStatus.approved,
        )
        session.add(wall)
        session.flush()
        out[key] = site.id
        out[f"{key}_wall"] = wall.id
    import_file(session, "slabs.geojson", feature("low", LOW, 12), feature("tower", TOWER, 100))
    import_file(session, "twin.geojson", feature("twin", TWIN, 12))
    session.commit()
    return out


def estimate(session: Session, *ids: int) -> dict[int, Estimate]:
    surface_shading.estimate_job(session, {"surface_ids": list(ids)}, quiet)
    session.commit()
    rows = session.exec(select(Estimate).where(Estimate.surface_id.in_(ids))).all()  # type: ignore[attr-defined]
    return {row.surface_id: row for row in rows}


def test_a_wall_facing_a_tower_loses_energy_its_twin_in_the_open_does_not(
    session: Session, world: dict[str, Any]
) -> None:
    wall, twin = world["low_wall"], world["twin_wall"]
    rows = estimate(session, wall, twin)
    shaded, open_ = session.get(Surface, wall), session.get(Surface, twin)
    assert shaded is not None and open_ is not None
    assert shaded.shading_loss > 0.3  # a 100 m tower 30 m off blocks the southern sky up to ~70°
    assert open_.shading_loss < 0.02
    assert rows[wall].annual_kwh < 0.7 * rows[twin].annual_kwh
    # a vertical wall in the open sees half the sky; the tower takes a good part of it
    assert open_.sky_view_factor == pytest.approx(0.5, abs=0.03)
    assert shaded.sky_view_factor is not None and shaded.sky_view_factor < 0.4
    used = rows[wall].assumptions
    assert used["shading"] == "building"
    assert used["building_shade"]["stock_version"] == surface_shading.stock_version(session)
    assert used["building_shade"]["points"] >= 1
    stored = session.exec(select(SurfaceShade).where(SurfaceShade.surface_id == wall)).one()
    horizon = unpack_horizon(stored.horizon, stored.points, stored.step_deg)
    # due south (bin 90 of 2°) each point sees the tower's top: atan((100 - 6) / 30) ≈ 72°
    assert horizon[:, 90] == pytest.approx(np.degrees(np.arctan(94 / 30)), abs=2.0)
    # the points sit on the wall at mid-height, in lon/lat near the wall's line
    assert all(abs(h - 6.0) < 0.5 for _lon, _lat, h in stored.xyz)


def test_a_typed_shading_loss_overrides_the_building_shade(
    session: Session, world: dict[str, Any], make_user: Any
) -> None:
    office = make_user("office@x.cn", Role.office)
    wall, twin = world["low_wall"], world["twin_wall"]
    estimate(session, wall, twin)
    register.set_surface_assumptions(session=session, actor=office, surface_id=wall, shading_loss=0.1)
    register.set_surface_assumptions(session=session, actor=office, surface_id=twin, shading_loss=0.1)
    session.commit()
    rows = estimate(session, wall, twin)
    surface = session.get(Surface, wall)
    assert surface is not None and surface.shading_manual and surface.shading_loss == 0.1
    assert rows[wall].assumptions["shading"] == "typed"
    assert rows[wall].assumptions["building_shade"] is None
    # both typed 10 %: the tower no longer counts, the two walls yield the same
    assert rows[wall].annual_kwh == pytest.approx(rows[twin].annual_kwh, rel=1e-6)
    # blank again: computed from the buildings
    register.set_surface_assumptions(session=session, actor=office, surface_id=wall, shading_loss=None)
    session.commit()
    rows = estimate(session, wall)
    surface = session.get(Surface, wall)
    assert surface is not None and not surface.shading_manual and surface.shading_loss > 0.3
    assert rows[wall].assumptions["shading"] == "building"


def test_a_changed_building_nearby_outdates_the_estimate_one_3_km_away_does_not(
    session: Session, world: dict[str, Any]
) -> None:
    wall = world["low_wall"]
    estimate(session, wall)
    import_file(session, "far.geojson", feature("far", FAR, 30))
    session.commit()
    row = session.exec(select(Estimate).where(Estimate.surface_id == wall)).one()
    assert not row.stale
    assert session.exec(select(SurfaceShade).where(SurfaceShade.surface_id == wall)).first() is not None
    # the tower grows: the same file imported again updates it in place
    import_file(session, "slabs.geojson", feature("low", LOW, 12), feature("tower", TOWER, 150))
    session.commit()
    session.refresh(row)
    assert row.stale
    assert session.exec(select(SurfaceShade).where(SurfaceShade.surface_id == wall)).first() is None
    assert surface_shading.surfaces_to_shade(session, [wall]) == [wall]


def test_a_roof_typed_below_its_buildings_roof_is_lifted_onto_it(
    session: Session, world: dict[str, Any]
) -> None:
    x0, y0, x1, y1 = TWIN
    roof = Surface(
        site_id=world["twin"],
        kind=SurfaceKind.roof,
        geometry={"type": "Polygon", "coordinates": [ring((x0 + 2, y0 + 2, x1 - 2, y1 - 2))]},
        tilt_deg=0,
        azimuth_deg=180,
        gross_area_m2=396,
        usable_area_m2=300,
        height_m=11,  # the stock says 12 m: typed a metre low, inside the building
        status=SurfaceStatus.approved,
    )
    session.add(roof)
    session.commit()
    assert roof.id is not None
    estimate(session, roof.id)
    session.refresh(roof)
    assert roof.shading_loss < 0.02
    assert roof.sky_view_factor is not None and roof.sky_view_factor > 0.97
    stored = session.exec(select(SurfaceShade).where(SurfaceShade.surface_id == roof.id)).one()
    assert all(h == pytest.approx(12.05, abs=0.02) for _lon, _lat, h in stored.xyz)


def test_a_surface_without_geometry_has_no_building_shade(session: Session, world: dict[str, Any]) -> None:
    roof = Surface(
        site_id=world["low"],
        kind=SurfaceKind.roof,
        tilt_deg=0,
        azimuth_deg=180,
        gross_area_m2=500,
        usable_area_m2=300,
        height_m=12,
        status=SurfaceStatus.approved,
    )
    session.add(roof)
    session.commit()
    assert roof.id is not None
    rows = estimate(session, roof.id)
    assert rows[roof.id].assumptions["shading"] == "none"
    assert rows[roof.id].assumptions["shading_reason"] == "no_geometry"
    assert session.exec(select(SurfaceShade).where(SurfaceShade.surface_id == roof.id)).first() is None


def test_the_estimate_job_shades_then_estimates_while_reporting_progress(
    session: Session, engine: Engine, world: dict[str, Any]
) -> None:
    """Run as a job (progress committed on its own connection): nothing is written before the last
    progress report, so SQLite's one writer never keeps the progress waiting."""
    wall = world["low_wall"]
    job = jobs.submit(session=session, actor=None, kind="estimate", parameters={"surface_ids": [wall]})
    session.commit()
    assert job.id is not None
    jobs.run(engine, job.id)
    session.expire_all()
    done = session.get(Job, job.id)
    assert done is not None and done.status == RunStatus.succeeded, done.error
    assert done.result is not None and done.result["shaded"] == 1 and done.result["surfaces"] == 1
    assert session.exec(select(SurfaceShade).where(SurfaceShade.surface_id == wall)).one().points >= 1
    # shaded once: a second run finds nothing to shade and estimates again
    assert surface_shading.surfaces_to_shade(session, [wall]) == []
