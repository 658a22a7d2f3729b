"""Bankable bundling on the real register (issue #20): each site's value (its NPV at the hurdle rate)
and group reach the optimiser's instance, a floor keeps every bundle's summed value above it, so a
poor facade rides with a good roof instead of with another facade, bundles may be kept to one
business model, and a run that cannot meet the floor changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from pvhub.accounts.models import User
from pvhub.bundling import bundles
from pvhub.bundling import runs as bundling
from pvhub.bundling.models import Bundle, BundleSite
from pvhub.bundling.runs import BundlingParameters
from pvhub.core.enums import Role
from pvhub.core.errors import InvalidInput
from pvhub.economics.service import site_values
from pvhub.estimates import service as estimates
from pvhub.register.enums import BusinessModel
from tests.conftest import add_site

ROOF = {"kind": "roof", "tilt_deg": 10, "azimuth_deg": 180, "gross_area_m2": 2500, "usable_area_m2": 2000}
# a vertical south facade: a third less sun than the roof at 2.6 times its investment per kWp
FACADE = {
    "kind": "curtain_wall",
    "tilt_deg": 90,
    "azimuth_deg": 180,
    "gross_area_m2": 1200,
    "usable_area_m2": 1000,
    "height_from_m": 10,
    "height_to_m": 40,
}
LOOSE = {"min_capacity_kwp": 10, "max_capacity_kwp": 5000, "max_sites": 2, "max_distance_m": 1500}


def _sites(session: Session, make_user: Any, layout: list[tuple[str, dict[str, Any], float, str]]) -> User:
    """An office and the sites of ``layout`` (name, surface, longitude, business model) on one
    latitude, each surface approved and estimated."""
    office = make_user("office@x.cn", Role.office, "Office")
    owner = make_user("owner@x.cn", Role.owner, "Owner")
    surface_ids = []
    for name, surface, lon, model in layout:
        site, (row,) = add_site(session, owner.organisation_id, name, surface)
        site.lon, site.lat, site.business_model = lon, 31.22, BusinessModel(model)
        session.add(site)
        assert row.id is not None
        surface_ids.append(row.id)
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=surface_ids)
    session.commit()
    return office


def _bundles(session: Session) -> list[set[str]]:
    """Each bundle's sites by name."""
    rows = session.exec(
        select(Bundle.code, BundleSite.site_id).join(BundleSite, BundleSite.bundle_id == Bundle.id)  # type: ignore[arg-type]
    ).all()
    names = bundles.site_names(session, [s for _, s in rows])
    found: dict[str, set[str]] = {}
    for code, site_id in rows:
        found.setdefault(code, set()).add(names[site_id])
    return list(found.values())


# Two facades ~95 m apart in the west, two roofs ~95 m apart ~950 m east: without a floor the
# shortest bundles pair like with like; with it a facades-only bundle is refused.
PAIRS = [
    ("F1", FACADE, 121.470, "epc"),
    ("F2", FACADE, 121.471, "epc"),
    ("R1", ROOF, 121.480, "epc"),
    ("R2", ROOF, 121.481, "epc"),
]


def test_the_instance_carries_each_sites_value_and_group(session: Session, make_user: Any) -> None:
    _sites(session, make_user, [*PAIRS[:1], ("R1", ROOF, 121.48, "emc"), ("R2", ROOF, 121.481, "lease")])
    params = BundlingParameters(**LOOSE, min_value_cny=0, same_group="business_model")
    snap = bundling.snapshot_register(session, params)
    values = site_values(session=session, site_ids=[int(s.id) for s in snap.instance.sites])
    assert snap.instance.min_value == 0 and snap.instance.same_group_only is True
    for unit in snap.instance.sites:
        assert unit.value == pytest.approx(values[int(unit.id)], abs=0.01)
        assert unit.value == snap.site_value[int(unit.id)]
    assert sorted(u.group for u in snap.instance.sites if u.group) == ["emc", "epc", "lease"]
    # the facade is worth less than it costs, the roof more (EPC, the programme's defaults)
    facade, roof = snap.instance.sites[0], snap.instance.sites[1]
    assert facade.value < 0 < roof.value
    # without a floor or groups the values still ride along (the page sums them), unconstrained
    plain = bundling.snapshot_register(session, BundlingParameters(**LOOSE))
    assert plain.instance.min_value is None and plain.instance.same_group_only is False
    assert all(u.group is None for u in plain.instance.sites)


def test_a_floor_makes_the_facades_ride_with_the_roofs(session: Session, make_user: Any) -> None:
    office = _sites(session, make_user, PAIRS)
    bundling.run_now(session=session, actor=office, params=BundlingParameters(**LOOSE, time_limit_s=10))
    session.commit()
    assert sorted(map(sorted, _bundles(session))) == [["F1", "F2"], ["R1", "R2"]]
    bundling.run_now(
        session=session, actor=office, params=BundlingParameters(**LOOSE, time_limit_s=10, min_value_cny=0)
    )
    session.commit()
    formed = _bundles(session)
    assert len(formed) == 2 and all(b & {"F1", "F2"} and b & {"R1", "R2"} for b in formed)
    by_name = {v.code: v for v in bundles.list_bundles(session=session, user=office)}
    worth = site_values(session=session, site_ids=[s for v in by_name.values() for s in v.site_ids])
    assert all(sum(worth[s] for s in v.site_ids) >= 0 for v in by_name.values())


def test_bundles_kept_to_one_business_model_never_mix_them(session: Session, make_user: Any) -> None:
    layout = [(f"S{i}", ROOF, 121.47 + 0.001 * i, ("epc", "emc", "lease")[i % 3]) for i in range(6)]
    office = _sites(session, make_user, layout)
    params = BundlingParameters(**{**LOOSE, "max_sites": 3}, time_limit_s=10, same_group="business_model")
    bundling.run_now(session=session, actor=office, params=params)
    session.commit()
    model = {name: m for name, _s, _x, m in layout}
    formed = _bundles(session)
    assert formed and sum(len(b) for b in formed) == 6
    assert all(len({model[n] for n in b}) == 1 for b in formed)


def test_a_floor_no_bundle_can_meet_stores_nothing(session: Session, make_user: Any) -> None:
    office = _sites(session, make_user, PAIRS)
    bundling.run_now(session=session, actor=office, params=BundlingParameters(**LOOSE, time_limit_s=10))
    session.commit()
    before = _bundles(session)
    impossible = BundlingParameters(**LOOSE, time_limit_s=10, min_value_cny=1e9, require_all=True)
    with pytest.raises(InvalidInput):
        bundling.run_now(session=session, actor=office, params=impossible)
    session.rollback()
    assert sorted(map(sorted, _bundles(session))) == sorted(map(sorted, before))
