"""The optimiser's reasons for leaving a site out reach the bundles page in the reader's language.

The reasons come from real solves, so a change of wording in the optimiser that the page no
longer recognises fails here rather than silently showing English on the Chinese page.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from optimiser.bundling import BundlingInstance, Site, solve_bundling
from tests.optimiser.districts import district
from web import i18n
from web.bundling.reasons import translate_reason, translate_run_message


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    i18n.set_locale("zh_CN")
    yield
    i18n.set_locale(i18n.DEFAULT_LOCALE)


def _reasons(inst: BundlingInstance) -> dict[str, str]:
    result = solve_bundling(inst, time_limit_s=5, num_workers=1)
    return {u.id: u.reason for u in result.unbundled}


def _fits(i: int, **extra: object) -> Site:
    return Site(id=f"f{i}", x=100.0 * i, y=0.0, capacity_kw=600.0, **extra)  # type: ignore[arg-type]


def test_a_site_larger_than_a_bundle() -> None:
    inst = BundlingInstance(
        (Site(id="big", x=0.0, y=0.0, capacity_kw=2500.0), _fits(1), _fits(2)),
        min_capacity_kw=1000,
        max_capacity_kw=2000,
    )
    shown = translate_reason(_reasons(inst)["big"])
    assert shown == "2500 kWp，超过每包容量上限（2000 kWp）"


def test_a_demonstration_point_with_more_sites_than_a_bundle_may_hold() -> None:
    group = tuple(_fits(i, keep_with="point-7") for i in range(3))
    inst = BundlingInstance(
        (*group, _fits(5), _fits(6)), min_capacity_kw=500, max_capacity_kw=5000, max_sites=2
    )
    shown = translate_reason(_reasons(inst)["f0"])
    assert shown == "须同包的站点（立体示范点 7）：3 个须同包的站点，超过每包站点数上限（2）"


def test_sites_kept_together_but_too_far_apart() -> None:
    apart = (
        Site(id="w", x=0.0, y=0.0, capacity_kw=600.0, keep_with="campus"),
        Site(id="e", x=5000.0, y=0.0, capacity_kw=600.0, keep_with="campus"),
    )
    inst = BundlingInstance(
        (*apart, _fits(1), _fits(2)), min_capacity_kw=500, max_capacity_kw=5000, max_distance_m=2000
    )
    shown = translate_reason(_reasons(inst)["w"])
    assert shown == "须同包的站点（campus）：没有任何站点与它们全部相距 2000 米以内，无法作为其所在包的锚点"


def test_the_applications_own_reason_and_unknown_sentences() -> None:
    shown = translate_reason("2 approved surface(s) without a current estimate: re-estimate first")
    assert shown == "2 个已批准表面没有最新的发电量估算：请先重新估算"
    assert translate_reason("a reason of a new kind") == "a reason of a new kind"


def _message(inst: BundlingInstance, time_limit_s: float = 5) -> str:
    result = solve_bundling(inst, time_limit_s=time_limit_s, num_workers=1)
    assert result.status in ("infeasible", "unknown") and result.message
    return result.message


def test_why_a_run_has_no_bundles() -> None:
    """The run messages of real solves: a site that fits nowhere under require_all, limits no bundling
    meets, the same found on the nearest anchors of a large instance, and a cancelled run."""
    big = BundlingInstance(
        (Site(id="big", x=0.0, y=0.0, capacity_kw=2500.0), _fits(1), _fits(2)),
        max_capacity_kw=2000,
        require_all=True,
    )
    assert translate_run_message(_message(big)) == (
        "要求所有站点都打包，但有站点无法打包：2500 kWp，超过每包容量上限（2000 kWp）"
    )
    tight = BundlingInstance(tuple(_fits(i) for i in range(1, 4)), min_capacity_kw=5000, require_all=True)
    assert translate_run_message(_message(tight)).startswith(
        "在所有站点都必须打包的前提下，没有方案能满足全部限制"
    )
    large = district(450, 4, min_capacity_kw=20_000, max_capacity_kw=30_000, require_all=True)
    shown = translate_run_message(_message(large))
    assert "（仅在每个站点最近的 25 个锚点站点中搜索，其余未尝试）" in shown and "nearest" not in shown
    cancelled = solve_bundling(large, time_limit_s=5, num_workers=1, should_stop=lambda: True)
    assert translate_run_message(cancelled.message or "") == "已取消"
    assert translate_run_message("no solution found within 2.5 s") == (
        "在 2.5 秒的时间上限内未找到打包方案；请延长运行时间或放宽限制"
    )
    assert translate_run_message("a sentence the page does not know") == "a sentence the page does not know"
