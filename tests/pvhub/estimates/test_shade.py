"""Stored building shade (issue #19): horizons packed as half degrees, the engine's profile from the
rows of the computed surfaces only, and an estimate that applies it, writes the loss back and says
which shading it used; the register's inputs mark a typed loss as the override."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from pvhub.core import migrate
from pvhub.core.enums import Role
from pvhub.estimates import service as estimates
from pvhub.estimates.models import Estimate, SurfaceShade
from pvhub.estimates.shade import pack_horizon, shade_profile, unpack_horizon
from pvhub.register import service as register
from pvhub.register.enums import SurfaceKind, SurfaceStatus
from pvhub.register.imports.service import import_file
from pvhub.register.models import Site, Surface, SurfaceCreate, SurfaceUpdate

BINS = 180  # 2° azimuth bins


def test_a_packed_horizon_comes_back_within_a_quarter_degree() -> None:
    rng = np.random.default_rng(19)
    horizon = rng.uniform(0, 90, size=(5, BINS))
    back = unpack_horizon(pack_horizon(horizon), 5, 2.0)
    assert back.dtype == np.float32 and back.shape == (5, BINS)
    assert np.max(np.abs(back - horizon)) <= 0.25 + 1e-6
    # below the horizontal and NaN store as 0, above 90 as 90
    edge = np.array([[-20.0, np.nan, 95.0] + [10.0] * (BINS - 3)])
    assert unpack_horizon(pack_horizon(edge), 1, 2.0)[0, :3].tolist() == [0.0, 0.0, 90.0]
    assert len(pack_horizon(horizon)) == 4 * ((5 * BINS + 2) // 3)  # base64 of 900 bytes


def test_a_stored_horizon_of_the_wrong_size_is_refused_saying_why() -> None:
    text = pack_horizon(np.zeros((2, BINS)))
    with pytest.raises(ValueError, match=r"holds 360 values, not 3 points × 180 bins"):
        unpack_horizon(text, 3, 2.0)
    with pytest.raises(ValueError, match="not base64"):
        unpack_horizon("%%%", 1, 2.0)
    with pytest.raises(ValueError, match="azimuth step"):
        unpack_horizon(text, 2, 0.0)


@pytest.fixture
def site(session: Session, make_user: Any) -> Site:
    owner = make_user("w@x.cn", Role.owner, "Owner")
    row = Site(name="Tower", organisation_id=owner.organisation_id, lon=121.48, lat=31.23)
    session.add(row)
    session.commit()
    return row


def add_surface(session: Session, site: Site, **values: Any) -> Surface:
    spec: dict[str, Any] = {
        "site_id": site.id,
        "kind": SurfaceKind.curtain_wall,
        "tilt_deg": 90,
        "azimuth_deg": 180,
        "gross_area_m2": 300,
        "usable_area_m2": 200,
        "status": SurfaceStatus.approved,
        "geometry": {"type": "LineString", "coordinates": [[121.48, 31.23], [121.4803, 31.23]]},
        **values,
    }
    surface = Surface(**spec)
    session.add(surface)
    session.commit()
    return surface


def add_shade(session: Session, surface: Surface, horizon: np.ndarray, sky: list[float]) -> SurfaceShade:
    assert surface.id is not None
    row = SurfaceShade(
        surface_id=surface.id,
        stock_version="stock-1-1-1",
        step_deg=2.0,
        points=horizon.shape[0],
        horizon=pack_horizon(horizon),
        sky_view=sky,
        xyz=[[121.48, 31.23, 10.0]] * horizon.shape[0],
    )
    session.add(row)
    session.commit()
    return row


def wall_horizon(points: int, south_deg: float) -> np.ndarray:
    """A vertical south wall's own plane (90° over the northern half) and a skyline of
    ``south_deg`` over the southern half."""
    azimuth = np.arange(BINS) * 2.0
    behind = (azimuth < 90) | (azimuth > 270)
    row = np.where(behind, 90.0, south_deg)
    return np.tile(row, (points, 1))


def test_the_profile_takes_the_computed_surfaces_rows_in_order(session: Session, site: Site) -> None:
    typed = add_surface(session, site, shading_manual=True, shading_loss=0.2)
    computed = add_surface(session, site)
    bare = add_surface(session, site)  # computed, but no row: no building shade
    add_shade(session, typed, wall_horizon(2, 10), [0.4, 0.4])
    add_shade(session, computed, wall_horizon(3, 30), [0.3, 0.3, 0.3])
    profile, rows = shade_profile(session, [typed, computed, bare])
    assert profile is not None and set(rows) == {computed.id}
    assert profile.surface.tolist() == [1, 1, 1]  # the index into the surfaces given
    assert profile.horizon.shape == (3, BINS) and profile.horizon[0, 90] == 30.0
    assert profile.sky_view.tolist() == [0.3, 0.3, 0.3]
    assert shade_profile(session, [typed, bare]) == (None, {})


def test_an_estimate_applies_the_building_shade_and_writes_the_loss_back(
    session: Session, site: Site
) -> None:
    open_wall = add_surface(session, site)
    shaded = add_surface(session, site)
    typed = add_surface(session, site, shading_manual=True, shading_loss=0.25)
    add_shade(session, open_wall, wall_horizon(2, 0), [0.5, 0.5])
    add_shade(session, shaded, wall_horizon(2, 45), [0.25, 0.25])
    add_shade(session, typed, wall_horizon(2, 45), [0.25, 0.25])  # ignored: the typed loss wins
    ids = [s.id for s in (open_wall, shaded, typed) if s.id is not None]
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=ids)
    session.commit()
    rows = {r.surface_id: r for r in session.exec(select(Estimate)).all()}
    for surface in (open_wall, shaded, typed):
        session.refresh(surface)
    # a skyline at 45° over the whole southern half takes much of a south wall's light
    assert shaded.shading_loss > 0.3 and open_wall.shading_loss < 0.01
    assert rows[shaded.id].annual_kwh < 0.7 * rows[open_wall.id].annual_kwh  # type: ignore[index]
    assert shaded.shading_loss == round(shaded.shading_loss, 4)
    assert shaded.sky_view_factor == pytest.approx(0.25) and open_wall.sky_view_factor == pytest.approx(0.5)
    used = rows[shaded.id].assumptions  # type: ignore[index]
    assert used["shading"] == "building"
    assert used["building_shade"]["stock_version"] == "stock-1-1-1" and used["building_shade"]["points"] == 2
    assert used["building_shade"]["mismatch"] == "irradiance"
    assert used["surface"]["shading_loss"] == shaded.shading_loss
    # the typed surface keeps its figure: the unshaded wall less 25 %
    assert typed.shading_loss == 0.25 and typed.sky_view_factor is None
    assert rows[typed.id].assumptions["shading"] == "typed"  # type: ignore[index]
    assert rows[typed.id].annual_kwh == pytest.approx(  # type: ignore[index]
        rows[open_wall.id].annual_kwh / (1 - open_wall.shading_loss) * 0.75,
        rel=0.01,  # type: ignore[index]
    )


def test_a_computed_surface_without_a_row_is_estimated_without_shade(session: Session, site: Site) -> None:
    surface = add_surface(session, site, shading_loss=0.3)  # a stale computed value
    assert surface.id is not None
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[surface.id])
    session.commit()
    session.refresh(surface)
    row = session.exec(select(Estimate)).one()
    assert row.assumptions["shading"] == "none" and row.assumptions["shading_reason"] == "not_computed"
    assert surface.shading_loss == 0.0 and surface.sky_view_factor is None


def test_typing_a_loss_marks_the_override_and_null_clears_it(
    session: Session, site: Site, make_user: Any
) -> None:
    owner = session.get(Site, site.id)
    assert owner is not None
    user = make_user("o@x.cn", Role.office, "Office")
    line = {"type": "LineString", "coordinates": [[121.48, 31.23], [121.4803, 31.23]]}
    base = {
        "site_id": site.id,
        "kind": "curtain_wall",
        "geometry": line,
        "height_from_m": 0,
        "height_to_m": 10,
    }
    typed = register.create_surface(
        session=session, actor=user, data=SurfaceCreate.model_validate({**base, "shading_loss": 0.1})
    )
    blank = register.create_surface(session=session, actor=user, data=SurfaceCreate.model_validate(base))
    assert typed.shading_manual and typed.shading_loss == 0.1
    assert not blank.shading_manual and blank.shading_loss == 0.0
    assert typed.id is not None
    register.update_surface(
        session=session, actor=user, surface_id=typed.id, changes=SurfaceUpdate(shading_loss=None)
    )
    assert not typed.shading_manual and typed.shading_loss == 0.0
    register.update_surface(
        session=session, actor=user, surface_id=typed.id, changes=SurfaceUpdate(shading_loss=0.05)
    )
    assert typed.shading_manual and typed.shading_loss == 0.05


def test_a_csv_row_with_a_shading_loss_is_typed_one_without_is_computed(
    session: Session, make_user: Any
) -> None:
    owner = make_user("w@x.cn", Role.owner, "Owner")
    content = (
        b"site_name,lon,lat,kind,tilt_deg,azimuth_deg,gross_area_m2,shading_loss\n"
        b"A,121.49,31.24,roof,0,180,100,0.05\n"
        b"A,121.49,31.24,roof,10,180,100,\n"
    )
    report = import_file(
        session=session,
        actor=owner,
        organisation_id=owner.organisation_id,
        filename="s.csv",
        content=content,
        dry_run=False,
    )
    assert report.as_dict()["ok"]
    rows = session.exec(select(Surface).order_by(Surface.tilt_deg)).all()  # type: ignore[arg-type]
    assert [(r.shading_manual, r.shading_loss) for r in rows] == [(True, 0.05), (False, 0.0)]


def test_migration_0015_keeps_every_shading_loss_typed_before_as_the_override(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate.upgrade(url, "0014")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO organisation (id, name, kind, created_at) VALUES (1, 'o', 'owner', '2026-01-01')"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO site (id, organisation_id, name, address, subdistrict, use, height_m, lon, "
                "lat, business_model, heritage_protected, created_at, updated_at) VALUES (1, 1, 's', '', "
                "'', 'office', 0, 121.48, 31.23, 'epc', 0, '2026-01-01', '2026-01-01')"
            )
        )
        for i, loss in ((1, 0.0), (2, 0.12)):
            conn.execute(
                sa.text(
                    "INSERT INTO surface (id, site_id, kind, name, tilt_deg, azimuth_deg, gross_area_m2, "
                    "usable_area_m2, shading_loss, height_m, status, created_at, updated_at) VALUES "
                    f"({i}, 1, 'roof', '', 0, 180, 10, 8, {loss}, 0, 'draft', '2026-01-01', '2026-01-01')"
                )
            )
    migrate.upgrade(url, "0015")
    with engine.connect() as conn:
        got = conn.execute(sa.text("SELECT id, shading_manual FROM surface ORDER BY id")).all()
    engine.dispose()
    assert [(i, bool(m)) for i, m in got] == [(1, False), (2, True)]
