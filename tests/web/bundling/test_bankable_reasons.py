"""Why bankable bundling left a site out, in the reader's language (issue #20): the reasons come from
real solves with values, groups, a bankability floor and one group per bundle."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from optimiser.bundling import BundlingInstance, Site, solve_bundling
from web import i18n
from web.bundling.reasons import translate_reason, translate_run_message


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    i18n.set_locale("zh_CN")
    yield
    i18n.set_locale(i18n.DEFAULT_LOCALE)


def _site(name: str, x: float, **extra: object) -> Site:
    return Site(id=name, x=x, y=0.0, capacity_kw=extra.pop("kw", 600.0), **extra)  # type: ignore[arg-type]


def _reasons(inst: BundlingInstance) -> dict[str, str]:
    result = solve_bundling(inst, time_limit_s=5, num_workers=1)
    return {u.id: translate_reason(u.reason) for u in result.unbundled}


LIMITS: dict[str, Any] = {"min_capacity_kw": 500, "max_capacity_kw": 5000, "max_distance_m": 2000}


def test_a_facade_no_bundle_can_make_bankable() -> None:
    sites = (_site("f", 0, value=-1e6), _site("r", 100, value=1e5), _site("r2", 200, value=2e5))
    shown = _reasons(BundlingInstance(sites, **LIMITS, min_value=0))["f"]
    assert (
        shown.startswith("它可加入的任何项目包都达不到 0 元的可融资下限：其价值 -1e+06 元")
        and "CNY" not in shown
    )


def test_groups_too_small_or_mixed() -> None:
    small = (
        _site("a", 0, kw=100.0, group="lease"),
        _site("b", 50, kw=100.0, group="lease"),
        _site("c", 200, group="epc"),
    )
    shown = _reasons(BundlingInstance(small, **LIMITS, same_group_only=True))["a"]
    assert shown == "可与其同包的同组站点合计 200 kWp，低于每包容量下限 500 kWp"
    mixed = (
        _site("a", 0, keep_with="campus", group="epc"),
        _site("b", 100, keep_with="campus", group="emc"),
        _site("c", 200, group="epc"),
    )
    shown = _reasons(BundlingInstance(mixed, **LIMITS, same_group_only=True))["a"]
    assert shown == "须同包的站点（campus）：其站点属于不同的组（'emc', 'epc'），但每个项目包只能限于一组"


def test_a_run_no_bankable_bundling_can_satisfy() -> None:
    sites = (_site("f", 0, value=-1.5e5), _site("r", 100, value=1e5), _site("r2", 200, value=1e5))
    inst = BundlingInstance(
        sites,
        **LIMITS,
        max_sites=2,
        min_value=0,
        same_group_only=True,
        require_all=True,
    )
    result = solve_bundling(inst, time_limit_s=5, num_workers=1)
    assert result.status == "infeasible" and result.message
    shown = translate_run_message(result.message)
    assert shown.startswith("在所有站点都必须打包的前提下，没有方案能满足全部限制")
    assert "，且每包须达到 0 元的可融资下限" in shown and "，且每包限于一组" in shown
    assert "min_value" not in shown
    i18n.set_locale("en")
    assert "with a bankability floor of 0 CNY per bundle, with one group per bundle" in translate_run_message(
        result.message
    )
