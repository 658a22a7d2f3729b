"""The yield engine stores its weather-year label and method in English (they are provenance);
pages show them in the reader's language."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pvhub.yieldengine.shading import EXACT_METHOD, TABLE_METHOD
from web import i18n
from web.templating import weather_label, yield_method

DEFAULT_YEAR = "synthetic: Shanghai Longhua (WMO 583670) monthly normals"


@pytest.fixture(autouse=True)
def _default_locale_after() -> Iterator[None]:
    yield
    i18n.set_locale(i18n.DEFAULT_LOCALE)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("zh_CN", "上海龙华站（WMO 583670）月均值"), ("en", "Shanghai Longhua (WMO 583670) monthly normals")],
)
def test_the_embedded_default_year_is_named_in_the_page_language(locale: str, expected: str) -> None:
    i18n.set_locale(locale)
    assert weather_label(DEFAULT_YEAR) == expected


def test_a_weather_file_of_the_office_is_named_as_it_is() -> None:
    i18n.set_locale("zh_CN")
    assert weather_label("PVGIS TMY 31.230N 121.480E") == "PVGIS TMY 31.230N 121.480E"
    assert weather_label(None) == ""


def test_the_method_of_a_run_is_translated_part_by_part() -> None:
    i18n.set_locale("zh_CN")
    shown = yield_method("bilinear 2° (tilt, azimuth) table; exact per distinct orientation")
    assert shown == "按 2° 间隔的（倾角，方位角）发电量表双线性插值; 按每个不同朝向逐一精确计算"
    assert yield_method("something new") == "something new"


def test_the_building_shade_methods_are_translated() -> None:
    i18n.set_locale("zh_CN")
    assert (
        yield_method(f"{TABLE_METHOD}; {EXACT_METHOD}")
        == "发电量表结果乘以（1 − 当月有效辐照损失）; 逐表面逐时完整计算"
    )
