"""The site form's self-use share (issue #20): typed in per cent, stored as a fraction, shown back in
per cent on the edit form, emptied to return to the tariff class's default (stated on the form with
each class's share), refused beyond 100 % by its field with nothing changed."""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from pvhub.core.enums import Role
from pvhub.register.models import Site
from tests.web.register.test_office_for_owner_pages import OUTLINE
from tests.web.test_pages import csrf_of, login

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


def _shown(html: str) -> str:
    match = re.search(r'name="self_use_share" id="self_use_share" value="([^"]*)"', html)
    assert match, "the form has the self-use share"
    return match.group(1)


def _site(session: Session) -> Site:
    session.expire_all()
    return session.exec(select(Site)).one()


def test_an_owner_sets_changes_and_clears_the_self_use_share(
    client: TestClient, session: Session, make_user: Any
) -> None:
    make_user("w@x.cn", Role.owner, "外滩物业")
    login(client, "w@x.cn")
    form = client.get("/sites/new", headers=ZH).text
    assert "(%)" in form and "留空则采用场地电价类别的默认值" in form
    assert "办公 85.0 %" in form and "居民 60.0 %" in form and _shown(form) == ""
    english = client.get("/sites/new", headers=EN).text
    assert "Leave empty for the default of the site" in english and "office 85.0 %" in english
    fields = {"name": "外滩大楼", "use": "office", "business_model": "emc", "footprint": json.dumps(OUTLINE)}
    created = client.post(
        "/sites/new",
        data={"csrf_token": csrf_of(form), **fields, "self_use_share": "72.5"},
        headers=ZH,
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    site = _site(session)
    assert site.self_use_share == 0.725
    edit = client.get(f"/sites/{site.id}/edit", headers=ZH).text
    assert _shown(edit) == "72.5"
    token = csrf_of(edit)
    refused = client.post(
        f"/sites/{site.id}/edit", data={"csrf_token": token, **fields, "self_use_share": "120"}, headers=EN
    )
    assert refused.status_code == 422
    assert "Self-use share: 120.0 is not a share in per cent; enter 0 to 100." in refused.text
    assert _shown(refused.text) == "120" and _site(session).self_use_share == 0.725
    cleared = client.post(
        f"/sites/{site.id}/edit",
        data={"csrf_token": token, **fields, "self_use_share": ""},
        headers=ZH,
        follow_redirects=False,
    )
    assert cleared.status_code == 303 and _site(session).self_use_share is None
