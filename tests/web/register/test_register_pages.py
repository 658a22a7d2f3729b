"""Owners register and edit sites through the pages; another owner's site stays out of reach."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from pvhub.core.enums import Role
from pvhub.register.models import Site, Surface
from tests.conftest import ROOF_22_SOUTH, add_site
from tests.web.test_pages import csrf_of, login

OUTLINE = {
    "type": "Polygon",
    "coordinates": [
        [[121.480, 31.230], [121.4805, 31.230], [121.4805, 31.2304], [121.480, 31.2304], [121.480, 31.230]]
    ],
}


def test_an_owner_registers_then_edits_a_site_and_its_location_follows_the_outline(
    client: TestClient,
    session: Session,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    make_user("w@x.cn", Role.owner, "Owner")
    login(client, "w@x.cn")
    form = client.get("/sites/new")
    created = client.post(
        "/sites/new",
        data={
            "csrf_token": csrf_of(form.text),
            "name": "测试楼",
            "height_m": "30",
            "use": "office",
            "business_model": "emc",
            "footprint": json.dumps(OUTLINE),
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    site = session.exec(select(Site)).one()
    assert abs(site.lon - 121.48025) < 1e-4 and site.business_model.value == "emc"
    edit = client.get(f"/sites/{site.id}/edit")
    assert edit.status_code == 200 and "测试楼" in edit.text
    typed = "121.490, 31.240\n121.4905, 31.240\n121.4905, 31.2404\n121.490, 31.2404"
    saved = client.post(
        f"/sites/{site.id}/edit",
        data={
            "csrf_token": csrf_of(edit.text),
            "name": "测试楼（新）",
            "use": "office",
            "business_model": "epc",
            "coordinates": typed,
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    session.expire_all()
    site = session.exec(select(Site)).one()
    assert site.name == "测试楼（新）" and abs(site.lon - 121.49025) < 1e-4
    bad = client.post(
        f"/sites/{site.id}/edit",
        data={"csrf_token": csrf_of(edit.text), "name": "x", "coordinates": "121.49; north"},
    )
    assert bad.status_code == 422 and "建筑轮廓第 1 行：应填写经度、纬度，而不是" in bad.text


def test_an_owner_cannot_open_another_owners_site_for_editing(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    other = make_user("t@x.cn", Role.owner, "Theirs")
    make_user("w@x.cn", Role.owner, "Mine")
    site = Site(name="Theirs", organisation_id=other.organisation_id, lon=121.48, lat=31.23)
    session.add(site)
    session.commit()
    login(client, "w@x.cn")
    assert client.get(f"/sites/{site.id}/edit").status_code == 404
    page = client.get("/sites/new")
    denied = client.post(
        f"/sites/{site.id}/edit", data={"csrf_token": csrf_of(page.text), "name": "mine now"}
    )
    assert denied.status_code == 404


def test_a_site_page_charts_the_estimated_monthly_energy(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    from pvhub.estimates import service as estimates

    owner = make_user("w@x.cn", Role.owner, "Mine")
    site, (roof,) = add_site(session, owner.organisation_id, "Chart tower", ROOF_22_SOUTH)
    assert roof.id is not None
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[roof.id])
    session.commit()
    login(client, "w@x.cn")
    page = client.get(f"/sites/{site.id}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert page.text.count('class="bar-month"') == 12
    assert "Estimated monthly energy (kWh)" in page.text and "synthetic year" in page.text


def test_an_owner_types_a_horizon_profile_and_can_clear_it(
    client: TestClient,
    session: Session,
    make_user,  # type: ignore[no-untyped-def]
) -> None:
    owner = make_user("w@x.cn", Role.owner, "Owner")
    site, _ = add_site(session, owner.organisation_id, "塔楼")
    login(client, "w@x.cn")
    edit = client.get(f"/sites/{site.id}/edit")
    fields = {"csrf_token": csrf_of(edit.text), "name": "塔楼", "use": "office", "business_model": "epc"}
    skyline = "0 4\n90, 12\n180\t18\n\n270 6\n"
    saved = client.post(f"/sites/{site.id}/edit", data={**fields, "horizon": skyline}, follow_redirects=False)
    assert saved.status_code == 303
    session.expire_all()
    stored = session.get(Site, site.id)
    assert stored is not None
    assert stored.horizon == {"azimuth_deg": [0, 90, 180, 270], "elevation_deg": [4, 12, 18, 6]}
    shown = client.get(f"/sites/{site.id}/edit").text
    assert "0 4\n90 12\n180 18\n270 6</textarea>" in shown
    assert "地平线轮廓：4 个方向，天际线最高 18°" in client.get(f"/sites/{site.id}").text
    unordered = client.post(f"/sites/{site.id}/edit", data={**fields, "horizon": "90 5\n0 4\n180 3"})
    assert unordered.status_code == 422 and "方位角必须在 0–360 之间严格递增" in unordered.text
    typo = client.post(f"/sites/{site.id}/edit", data={**fields, "horizon": "0 4\n90 north\n180 3"})
    assert typo.status_code == 422 and "地平线轮廓第 2 行" in typo.text and "Horizon, line" not in typo.text
    session.expire_all()
    assert session.get(Site, site.id).horizon["elevation_deg"] == [4, 12, 18, 6]  # type: ignore[union-attr]
    cleared = client.post(f"/sites/{site.id}/edit", data={**fields, "horizon": ""}, follow_redirects=False)
    assert cleared.status_code == 303
    session.expire_all()
    assert session.get(Site, site.id).horizon is None  # type: ignore[union-attr]


def test_a_surface_the_model_refuses_is_named_by_its_label_in_the_readers_language(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    """The surface form is bound to the API's SurfaceCreate (web.binding): its complaint is the page's
    words, not pydantic's English sentence, and nothing is stored."""
    owner = make_user("w@x.cn", Role.owner, "Owner")
    site, _ = add_site(session, owner.organisation_id, "Tower")
    login(client, "w@x.cn")
    token = csrf_of(client.get(f"/sites/{site.id}").text)
    steep = {
        "csrf_token": token,
        "kind": "roof",
        "tilt_deg": "95",
        "azimuth_deg": "180",
        "gross_area_m2": "100",
    }
    for language, said in (("zh-CN", "倾角：不能大于 90。"), ("en", "Tilt: must be at most 90.")):
        preview = client.post(
            f"/sites/{site.id}/surfaces/preview", data=steep, headers={"Accept-Language": language}
        )
        assert said in preview.text and "Input should be" not in preview.text
    added = client.post(f"/sites/{site.id}/surfaces", data=steep, headers={"Accept-Language": "en"})
    assert "Tilt: must be at most 90." in added.text  # on the site page it goes back to
    assert session.exec(select(Surface).where(Surface.site_id == site.id)).all() == []
