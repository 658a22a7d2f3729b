"""The sun-path service (issue #19): the sun paths against the solar geometry of Shanghai, the hours
lost against skylines whose answer is known, and the chart of a surface with stored horizons."""

from __future__ import annotations

import numpy as np
import pvlib
import pytest
from sqlmodel import Session

from pvhub.core.enums import Role
from pvhub.estimates import sunpath
from pvhub.estimates.models import SurfaceShade
from pvhub.estimates.shade import pack_horizon
from pvhub.yieldengine import default_weather
from tests.conftest import ROOF_22_SOUTH, add_site

#: Obliquity of the ecliptic, about the June solstice's declination (IAU 2006: 23.439°).
OBLIQUITY_DEG = 23.44
FLAT = {"tilt_deg": 0.0, "azimuth_deg": 180.0}


def test_the_june_and_december_noon_suns_stand_where_the_latitude_and_the_obliquity_put_them() -> None:
    weather = default_weather()
    paths = sunpath.sun_paths(weather.latitude, weather.longitude, year=2026, timezone="Asia/Shanghai")
    by_label = {p.label: p for p in paths}
    assert list(by_label) == ["12-21", "1/11-21", "2/10-21", "3/9-21", "4/8-21", "5/7-21", "6-21"]
    june = max(el for _az, el in by_label["6-21"].points)
    december = max(el for _az, el in by_label["12-21"].points)
    # Shanghai (31.17° N): 90 − 31.2 + 23.44 ≈ 82.3° at the June solstice's noon, 35.4° in December
    assert june == pytest.approx(90.0 - weather.latitude + OBLIQUITY_DEG, abs=0.3)
    assert december == pytest.approx(90.0 - weather.latitude - OBLIQUITY_DEG, abs=0.3)
    # 10-minute steps, only while the sun is up; the summer day is the longest
    assert all(el > 0 for p in paths for _az, el in p.points)
    assert len(by_label["6-21"].points) > len(by_label["3/9-21"].points) > len(by_label["12-21"].points)
    assert 13.5 * 6 <= len(by_label["6-21"].points) <= 14.5 * 6
    # whole hours of both months of a pair; the noon sun of the local clock stands near the south
    hours = by_label["1/11-21"].hours
    assert {h for h, _a, _e in hours} >= set(range(8, 17)) and len(hours) > 2 * 9
    noon = [a for h, a, _e in by_label["6-21"].hours if h == 12]
    assert len(noon) == 1 and 170 < noon[0] < 190


def _independent_sunshine_hours() -> np.ndarray:
    """Hours per month with DNI > 0 and the sun's centre above the horizon at the interval's middle,
    by pvlib directly (no engine code): the sunshine the whole sky offers."""
    weather = default_weather()
    centres = weather.interval_centers()
    sun = pvlib.solarposition.get_solarposition(centres, weather.latitude, weather.longitude)
    lit = (weather.data["dni"].to_numpy() > 0) & (sun["apparent_elevation"].to_numpy() > 0)
    return np.array([lit[centres.month == m].sum() for m in range(1, 13)], dtype=float)


def test_a_flat_roof_loses_nothing_under_an_empty_skyline_and_every_sunshine_hour_under_a_full_one() -> None:
    weather = default_weather()
    empty = np.zeros((4, 180), dtype=np.float32)
    lost, sunshine = sunpath.monthly_hours(weather, empty, 2.0, **FLAT)
    assert lost.shape == (12,) and np.all(lost == 0.0)
    independent = _independent_sunshine_hours()
    # sunrise and sunset hours count by their sunlit share in the engine, whole here: within 3 %
    assert np.allclose(sunshine, independent, rtol=0.03), (sunshine, independent)
    lost_all, sunshine_all = sunpath.monthly_hours(weather, empty + 90.0, 2.0, **FLAT)
    assert np.allclose(lost_all, sunshine) and np.allclose(sunshine_all, sunshine)
    half = np.zeros((4, 180), dtype=np.float32)
    half[:2] = 90.0  # two of four points see no sky
    lost_half, _ = sunpath.monthly_hours(weather, half, 2.0, **FLAT)
    assert np.allclose(lost_half, sunshine / 2)


def test_a_south_wall_sees_less_sun_in_june_than_in_december_and_its_own_plane_is_no_loss() -> None:
    weather = default_weather()
    wall = {"tilt_deg": 90.0, "azimuth_deg": 180.0}
    # the wall's own plane alone, as gis.shading.plane_horizon gives it: 90° behind, 0 in front and along it
    plane = np.where(np.abs(np.arange(180) * 2.0 - 180.0) <= 90.0, 0.0, 90.0).astype(np.float32)
    lost, sunshine = sunpath.monthly_hours(weather, np.tile(plane, (3, 1)), 2.0, **wall)
    assert np.all(lost <= 1e-9)
    assert sunshine[5] < 0.7 * sunshine[11]  # the June sun rises and sets behind a south wall
    assert np.all(sunshine < _independent_sunshine_hours() + 1e-9)


@pytest.fixture
def roof(session: Session, make_user):  # type: ignore[no-untyped-def]
    owner = make_user("w@x.cn", Role.owner, "Bund Property")
    _site, (surface,) = add_site(session, owner.organisation_id, "外滩大楼", {**ROOF_22_SOUTH, "name": "R"})
    return surface


def test_the_chart_of_a_surface_carries_one_skyline_per_stored_point(session: Session, roof) -> None:  # type: ignore[no-untyped-def]
    assert sunpath.sun_path_chart(session=session, surface=roof) is None
    horizon = np.zeros((5, 180), dtype=np.float32)
    horizon[0, 80:100] = 45.0  # a tower due south of point 0
    session.add(
        SurfaceShade(
            surface_id=roof.id,
            stock_version="test",
            step_deg=2.0,
            points=5,
            horizon=pack_horizon(horizon),
            sky_view=[0.9] * 5,
            xyz=[[121.48, 31.23, 10.0]] * 5,
        )
    )
    session.commit()
    chart = sunpath.sun_path_chart(session=session, surface=roof)
    assert chart is not None and chart.points == 5 and len(chart.paths) == 7
    assert chart.skylines[0][0] == (0.0, 0.0) and chart.skylines[0][-1] == (360.0, 0.0)
    assert chart.skylines[0][90] == (180.0, 45.0) and len(chart.skylines[0]) == 181
    assert chart.timezone == "Asia/Shanghai" and "Longhua" in chart.weather_label
    # one point in five behind a 45° tower to the south: a winter noon sun (35°) is lost there
    assert 0 < chart.hours_lost[11] < chart.sunshine_hours[11] / 5 + 1e-6
    assert chart.hours_lost[11] > chart.hours_lost[5]
