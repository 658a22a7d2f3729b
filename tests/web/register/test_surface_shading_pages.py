"""The surface page says which shading applies (issue #19): building shade computed from the stock
(loss and sky view), a typed loss that overrides it, or none and why; in both languages. The office
clears a typed loss by leaving the field empty."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlmodel import Session

from pvhub.core.enums import Role
from pvhub.estimates import service as estimates
from pvhub.register.models import Surface
from tests.conftest import ROOF_22_SOUTH, add_site
from tests.web.test_pages import csrf_of, login

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}


def shading_fact(html: str) -> str:
    found = re.search(r'<dd id="shading-in-force">(.*?)</dd>', html, re.S)
    assert found is not None
    return re.sub(r"<[^>]+>", "", found.group(1))


def test_the_page_says_typed_or_none_and_an_empty_field_clears_the_typed_loss(
    session: Session, client: TestClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("w@x.cn", Role.owner, "Bund Property")
    make_user("o@x.cn", Role.office, "Programme office")
    _site, (roof,) = add_site(session, owner.organisation_id, "外滩大楼", dict(ROOF_22_SOUTH))
    assert roof.id is not None
    login(client, "o@x.cn")

    # not estimated, no drawn shape: no building shade, and why
    assert "No building shade" in shading_fact(client.get(f"/surfaces/{roof.id}", headers=EN).text)
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[roof.id])
    session.commit()
    en = shading_fact(client.get(f"/surfaces/{roof.id}", headers=EN).text)
    assert "No building shade" in en and "no drawn shape" in en
    assert "无建筑遮挡" in shading_fact(client.get(f"/surfaces/{roof.id}", headers=ZH).text)

    # typed: it overrides, in both languages
    page = client.get(f"/surfaces/{roof.id}", headers=EN).text
    client.post(
        f"/surfaces/{roof.id}/assumptions",
        data={"csrf_token": csrf_of(page), "shading_loss_pct": "7"},
        follow_redirects=False,
    )
    session.expire_all()  # the page's request changed the surface
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[roof.id])
    session.commit()
    en = shading_fact(client.get(f"/surfaces/{roof.id}", headers=EN).text)
    assert "Shading (typed): 7.0 %" in en and "overrides the building shade" in en
    assert "遮挡（手工填写）" in shading_fact(client.get(f"/surfaces/{roof.id}", headers=ZH).text)
    page = client.get(f"/surfaces/{roof.id}", headers=EN).text
    assert 'name="shading_loss_pct" value="7"' in page

    # left empty: computed from the buildings again
    client.post(
        f"/surfaces/{roof.id}/assumptions",
        data={"csrf_token": csrf_of(page), "shading_loss_pct": ""},
        follow_redirects=False,
    )
    session.expire_all()
    row = session.get(Surface, roof.id)
    assert row is not None and not row.shading_manual and row.shading_loss == 0.0
    page = client.get(f"/surfaces/{roof.id}", headers=EN).text
    assert 'name="shading_loss_pct" value=""' in page


def test_a_computed_building_shade_shows_its_loss_and_sky_view(
    session: Session, client: TestClient, make_user
) -> None:  # type: ignore[no-untyped-def]
    owner = make_user("w@x.cn", Role.owner, "Bund Property")
    _site, (roof,) = add_site(session, owner.organisation_id, "外滩大楼", dict(ROOF_22_SOUTH))
    row = session.get(Surface, roof.id)
    assert row is not None
    row.shading_loss, row.sky_view_factor = 0.1234, 0.8765  # as an estimate with building shade writes
    session.add(row)
    session.commit()
    login(client, "w@x.cn")
    en = shading_fact(client.get(f"/surfaces/{roof.id}", headers=EN).text)
    assert "Building shade (computed): 12.3 %, sky view 0.88" in en
    zh = shading_fact(client.get(f"/surfaces/{roof.id}", headers=ZH).text)
    assert "建筑遮挡（计算值）" in zh and "天空可视因子" in zh
