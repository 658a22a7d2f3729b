"""The office registers and imports for an owner through the pages (issue #18): the owner chosen is the
one the sites belong to, a missing or forged choice is refused by its field with the form kept as it
was filled, and nothing is written."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from pvhub.accounts.models import User
from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role
from pvhub.register.models import Site, Surface
from tests.web.register.test_import_job_pages import GOOD, HTMX
from tests.web.test_pages import csrf_of, login

OUTLINE = {
    "type": "Polygon",
    "coordinates": [
        [[121.480, 31.230], [121.4805, 31.230], [121.4805, 31.2304], [121.480, 31.2304], [121.480, 31.230]]
    ],
}
MakeUser = Callable[[str, Role, str], User]
OWNER_ERROR_SLOT = '<span id="error-organisation_id" class="error" role="alert"'


def sites_of(session: Session) -> list[tuple[str, int]]:
    session.rollback()
    return sorted((s.name, s.organisation_id) for s in session.exec(select(Site)).all())


def count(session: Session, model: type) -> int:
    session.rollback()
    return int(session.exec(select(func.count()).select_from(model)).one())


def post_import(client: TestClient, *, htmx: bool = False, **data: str) -> httpx.Response:
    token = csrf_of(client.get("/import").text)
    return client.post(
        "/import",
        data={"csrf_token": token, "action": "import", **data},
        files={"file": ("survey.csv", GOOD)},
        headers=HTMX if htmx else {},
        follow_redirects=False,
    )


def people(make_user: MakeUser) -> tuple[User, User, User]:
    owner = make_user("w@x.cn", Role.owner, "外滩物业")
    other = make_user("b@x.cn", Role.owner, "Bund Estates")
    office = make_user("o@x.cn", Role.office, "Programme office")
    return owner, other, office


def test_the_office_imports_for_the_owner_it_chose_and_the_owner_sees_the_sites(
    client: TestClient, session: Session, make_user: MakeUser
) -> None:
    owner, other, office = people(make_user)
    login(client, "o@x.cn")
    client.cookies.set("lang", "en")
    form = client.get("/import").text
    assert f'<option value="{owner.organisation_id}" >外滩物业</option>' in form
    assert f'value="{office.organisation_id}"' not in form  # the office's own organisation holds no sites
    answer = post_import(client, htmx=True, organisation_id=str(other.organisation_id))
    assert answer.status_code == 200 and "survey.csv" in answer.text
    assert sites_of(session) == [
        ("Xintiandi Mall", other.organisation_id),
        ("外滩大楼", other.organisation_id),
    ]
    (event,) = session.exec(select(AuditEvent).where(AuditEvent.entity == "import")).all()
    assert event.actor_id == office.id
    login(client, "b@x.cn")
    assert "Xintiandi Mall" in client.get("/sites").text
    login(client, "w@x.cn")
    assert "Xintiandi Mall" not in client.get("/sites").text


def test_the_office_must_choose_the_owner_and_the_form_keeps_what_it_chose(
    client: TestClient, session: Session, make_user: MakeUser
) -> None:
    people(make_user)
    login(client, "o@x.cn")
    client.cookies.set("lang", "en")
    plain = post_import(client, crs="EPSG:4547", datum="gcj02")
    assert plain.status_code == 422
    page = plain.text
    said = "Owner is required: choose the owner organisation the sites are registered for."
    assert f"{OWNER_ERROR_SLOT}>{said}</span>" in page  # by the owner's drop-down, not on an error page
    assert '<option value="gcj02" selected>' in page and 'value="EPSG:4547"' in page
    assert "Nothing was imported: correct the form and try again." in page
    assert count(session, Site) == 0 and count(session, Surface) == 0 and count(session, AuditEvent) == 0

    client.cookies.set("lang", "zh_CN")
    fragment = post_import(client, htmx=True)
    # htmx swaps 2xx answers only: the report panel says it, the owner's slot is replaced out of band
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert (
        f'{OWNER_ERROR_SLOT} hx-swap-oob="true">业主单位为必填项：请选择站点登记在哪个业主单位名下。</span>'
        in fragment.text
    )
    assert "未导入任何数据：请修改表单后重试。" in fragment.text
    assert count(session, Site) == 0


def test_an_owners_import_goes_to_its_own_organisation_and_a_forged_owner_is_refused(
    client: TestClient, session: Session, make_user: MakeUser
) -> None:
    owner, other, _ = people(make_user)
    login(client, "w@x.cn")
    client.cookies.set("lang", "en")
    assert 'name="organisation_id"' not in client.get("/import").text
    forged = post_import(client, organisation_id=str(other.organisation_id), crs="EPSG:4547")
    assert forged.status_code == 404  # as the API answers: another's organisation is not the owner's to name
    refusal = f"No organisation with id {other.organisation_id}."
    assert f"Nothing was imported.</strong><br>{refusal}" in forged.text
    assert '<form method="post" action="/import"' in forged.text and 'value="EPSG:4547"' in forged.text
    assert count(session, Site) == 0
    assert post_import(client).status_code == 200
    assert {org for _, org in sites_of(session)} == {owner.organisation_id}


def test_the_office_registers_a_site_for_an_owner_who_then_sees_it(
    client: TestClient, session: Session, make_user: MakeUser
) -> None:
    owner, _, office = people(make_user)
    login(client, "o@x.cn")
    client.cookies.set("lang", "en")
    form = client.get("/sites/new").text
    assert '<select name="organisation_id" required' in form
    assert f'<option value="{owner.organisation_id}" >外滩物业</option>' in form
    created = client.post(
        "/sites/new",
        data={
            "csrf_token": csrf_of(form),
            "organisation_id": str(owner.organisation_id),
            "name": "代登记大楼",
            "use": "office",
            "business_model": "epc",
            "footprint": json.dumps(OUTLINE),
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    site = session.exec(select(Site)).one()
    assert site.organisation_id == owner.organisation_id
    (event,) = session.exec(select(AuditEvent).where(AuditEvent.entity == "site")).all()
    assert (event.action, event.actor_id, event.entity_id) == ("create", office.id, str(site.id))
    login(client, "w@x.cn")
    assert "代登记大楼" in client.get("/sites").text
    assert client.get(f"/sites/{site.id}").status_code == 200
    login(client, "b@x.cn")
    assert "代登记大楼" not in client.get("/sites").text


def test_a_site_without_the_owner_is_refused_by_its_field_with_the_form_as_filled(
    client: TestClient, session: Session, make_user: MakeUser
) -> None:
    owner, _, _ = people(make_user)
    login(client, "o@x.cn")
    client.cookies.set("lang", "zh_CN")
    form = client.get("/sites/new").text
    typed = "121.490, 31.240\n121.4905, 31.240\n121.4905, 31.2404"
    refused = client.post(
        "/sites/new",
        data={
            "csrf_token": csrf_of(form),
            "organisation_id": "",
            "name": "未选业主的大楼",
            "address": "中山东一路 1 号",
            "height_m": "45",
            "use": "office",
            "business_model": "emc",
            "coordinates": typed,
            "footprint": json.dumps(OUTLINE),
        },
    )
    assert refused.status_code == 422
    page = refused.text
    assert f"{OWNER_ERROR_SLOT}>业主单位为必填项：请选择站点登记在哪个业主单位名下。</span>" in page
    assert "未保存：请修改下方标出的字段。" in page
    assert 'value="未选业主的大楼"' in page and 'value="中山东一路 1 号"' in page and 'value="45"' in page
    assert '<option value="emc" selected>' in page and typed in page
    assert "121.4805" in page  # the outline drawn is drawn again (the map's data) and sent again
    assert count(session, Site) == 0 and count(session, AuditEvent) == 0
    # chosen, the same form goes through
    assert (
        client.post(
            "/sites/new",
            data={
                "csrf_token": csrf_of(page),
                "organisation_id": str(owner.organisation_id),
                "name": "选好了",
                "coordinates": typed,
            },
            follow_redirects=False,
        ).status_code
        == 303
    )


def test_an_owner_has_no_owner_field_and_a_forged_one_is_refused(
    client: TestClient, session: Session, make_user: MakeUser
) -> None:
    owner, other, _ = people(make_user)
    login(client, "w@x.cn")
    client.cookies.set("lang", "en")
    form = client.get("/sites/new").text
    assert 'name="organisation_id"' not in form
    forged = client.post(
        "/sites/new",
        data={
            "csrf_token": csrf_of(form),
            "organisation_id": str(other.organisation_id),
            "name": "Mine",
            "footprint": json.dumps(OUTLINE),
        },
    )
    assert forged.status_code == 403
    assert "An owner registers sites for its own organisation only." in forged.text
    assert 'value="Mine"' in forged.text and count(session, Site) == 0
    own = client.post(
        "/sites/new",
        data={"csrf_token": csrf_of(form), "name": "Mine", "footprint": json.dumps(OUTLINE)},
        follow_redirects=False,
    )
    assert own.status_code == 303 and sites_of(session) == [("Mine", owner.organisation_id)]
