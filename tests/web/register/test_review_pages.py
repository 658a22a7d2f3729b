"""The office's review queue: who may see it, filters, approving with checks, rejecting with a reason."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from pvhub.accounts.models import User
from pvhub.core.enums import Role
from pvhub.register import service as register
from pvhub.register.enums import SurfaceStatus
from pvhub.register.models import Surface, SurfaceCreate
from tests.pvhub.register.test_register import new_site, rectangle
from tests.web.test_pages import csrf_of, login

HX = {"HX-Request": "true"}


def submitted(session: Session, owner: User, site_id: int, kind: str = "roof", **fields: object) -> Surface:
    data: dict[str, Any] = {"site_id": site_id, "kind": kind, "geometry": rectangle(20, 10), **fields}
    if kind != "roof":
        data = {
            "site_id": site_id,
            "kind": kind,
            "tilt_deg": 90 if kind == "curtain_wall" else 0,
            "azimuth_deg": 180,
            "gross_area_m2": 120,
            "usable_area_m2": 100,
            "height_m": 12,
        }
    surface = register.create_surface(session=session, actor=owner, data=SurfaceCreate.model_validate(data))
    assert surface.id is not None
    register.submit_surface(session=session, actor=owner, surface_id=surface.id)
    session.commit()
    return surface


def setup_queue(session: Session, make_user: Any) -> dict[str, Any]:
    owner = make_user("w@x.cn", Role.owner, "外滩物业")
    make_user("o@x.cn", Role.office, "项目办")
    bund = new_site(session, owner, name="外滩大楼", name_en="Bund House", subdistrict="外滩街道")
    old = new_site(session, owner, name="老洋房", subdistrict="南京东路街道", heritage_protected=True)
    roof = submitted(session, owner, bund.id)
    wall = submitted(session, owner, bund.id, kind="curtain_wall")
    heritage_roof = submitted(session, owner, old.id)
    return {"roof": roof, "wall": wall, "heritage_roof": heritage_roof, "owner": owner}


def test_an_owner_may_not_open_the_review_queue(client: TestClient, session: Session, make_user: Any) -> None:
    setup_queue(session, make_user)
    login(client, "w@x.cn")
    assert client.get("/review").status_code == 403


def test_the_office_sees_submitted_surfaces_with_a_map(
    client: TestClient, session: Session, make_user: Any
) -> None:
    setup_queue(session, make_user)
    client.cookies.set("lang", "en")
    login(client, "o@x.cn")
    page = client.get("/review")
    assert page.status_code == 200
    assert "3 surfaces" in page.text
    assert "Bund House" in page.text and "老洋房" in page.text
    assert 'data-map="review-map"' in page.text
    assert 'href="/review"' in page.text  # the nav link
    approved = client.get("/review?status=approved")
    assert "0 surfaces" in approved.text and "No surfaces match these filters." in approved.text


def test_filters_by_kind_and_subdistrict_return_only_the_list_to_htmx(
    client: TestClient, session: Session, make_user: Any
) -> None:
    setup_queue(session, make_user)
    client.cookies.set("lang", "en")
    login(client, "o@x.cn")
    walls = client.get("/review?kind=curtain_wall&status=submitted", headers=HX)
    assert walls.status_code == 200 and "<html" not in walls.text
    assert "1 surfaces" in walls.text and walls.text.count('class="review-item"') == 1
    assert 'hx-get="/review/' in walls.text and "外滩大楼" not in walls.text  # English name in English
    by_place = client.get("/review", params={"subdistrict": "南京东路街道"})
    assert "1 surfaces" in by_place.text and "老洋房" in by_place.text and "Bund House" not in by_place.text


def test_pagination_keeps_the_filters(client: TestClient, session: Session, make_user: Any) -> None:
    owner = make_user("w@x.cn", Role.owner, "外滩物业")
    make_user("o@x.cn", Role.office, "项目办")
    site = new_site(session, owner, name="外滩大楼", subdistrict="外滩街道")
    for _ in range(51):
        submitted(session, owner, site.id, kind="walkway")
    login(client, "o@x.cn")
    first = client.get("/review?kind=walkway")
    assert "1 / 2" in first.text and "kind=walkway" in first.text and "page=2" in first.text
    second = client.get("/review?status=submitted&kind=walkway&page=2")
    assert "2 / 2" in second.text and second.text.count('class="review-item"') == 1


def test_approving_needs_every_check_and_heritage_clearance(
    client: TestClient, session: Session, make_user: Any
) -> None:
    queue = setup_queue(session, make_user)
    client.cookies.set("lang", "en")
    login(client, "o@x.cn")
    page = client.get("/review")
    token = csrf_of(page.text)
    roof, heritage_roof = queue["roof"], queue["heritage_roof"]

    form = client.get(f"/review/{heritage_roof.id}/approve", headers=HX)
    assert 'name="heritage_ok"' in form.text
    assert 'name="heritage_ok"' not in client.get(f"/review/{roof.id}/approve", headers=HX).text

    checks = {
        "csrf_token": token,
        "structural_load_ok": "true",
        "fire_rating_ok": "true",
        "glare_risk_ok": "true",
    }
    refused = client.post(f"/review/{heritage_roof.id}/approve", data=checks, headers=HX)
    assert refused.status_code == 200 and "heritage clearance not confirmed" in refused.text
    session.expire_all()
    assert session.get(Surface, heritage_roof.id).status == SurfaceStatus.submitted  # type: ignore[union-attr]

    partial = client.post(f"/review/{roof.id}/approve", data={**checks, "glare_risk_ok": ""}, headers=HX)
    assert "glare risk not confirmed" in partial.text
    assert 'name="fire_rating_ok" value="true" checked' in partial.text  # what was ticked stays ticked

    done = client.post(f"/review/{roof.id}/approve", data=checks, headers=HX)
    assert done.status_code == 200 and "Approved;" in done.text
    session.expire_all()
    approved = session.get(Surface, roof.id)
    assert (
        approved is not None and approved.status == SurfaceStatus.approved and approved.glare_risk_ok is True
    )


def test_rejecting_needs_a_reason(client: TestClient, session: Session, make_user: Any) -> None:
    queue = setup_queue(session, make_user)
    client.cookies.set("lang", "en")
    login(client, "o@x.cn")
    token = csrf_of(client.get("/review").text)
    wall = queue["wall"]

    assert 'name="reason"' in client.get(f"/review/{wall.id}/reject", headers=HX).text
    refused = client.post(f"/review/{wall.id}/reject", data={"csrf_token": token, "reason": "  "}, headers=HX)
    assert refused.status_code == 200 and "A rejection needs a reason" in refused.text
    plain = client.post(f"/review/{wall.id}/reject", data={"csrf_token": token, "reason": ""})
    assert plain.status_code == 422
    session.expire_all()
    assert session.get(Surface, wall.id).status == SurfaceStatus.submitted  # type: ignore[union-attr]

    done = client.post(
        f"/review/{wall.id}/reject",
        data={"csrf_token": token, "reason": "Glass too old; send a survey."},
        headers=HX,
    )
    assert done.status_code == 200 and "Rejected;" in done.text and "Glass too old" in done.text
    session.expire_all()
    rejected = session.get(Surface, wall.id)
    assert rejected is not None and rejected.status == SurfaceStatus.rejected
    assert rejected.rejection_reason == "Glass too old; send a survey."


def test_posting_without_the_csrf_token_is_refused(
    client: TestClient, session: Session, make_user: Any
) -> None:
    queue = setup_queue(session, make_user)
    login(client, "o@x.cn")
    response = client.post(f"/review/{queue['wall'].id}/reject", data={"reason": "x"})
    assert response.status_code == 403
