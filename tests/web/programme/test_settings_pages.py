"""The office's programme settings page: targets, district boundary, weather year and estimating
assumptions, each posted on its own form, each change audited, each refusal naming its field with
nothing stored; owners and suppliers are kept out."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role
from pvhub.estimates import service as estimates
from pvhub.programme.models import AssumptionSettings, Programme
from pvhub.weather.models import WeatherChoice
from tests.conftest import ROOF_22_SOUTH, add_site
from tests.pvhub.weather.files import epw_bytes, greensboro, tmy3_bytes
from tests.web.test_pages import csrf_of, login

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}
PAGE = "/programme/settings"

#: A square of about 2.9 km × 3.3 km around People's Square, Huangpu.
SQUARE = [[121.45, 31.21], [121.48, 31.21], [121.48, 31.24], [121.45, 31.24], [121.45, 31.21]]


def _office(client: TestClient, make_user: Any) -> None:
    make_user("office@x.cn", Role.office)
    login(client, "office@x.cn")


def _post(client: TestClient, path: str, *, headers: dict[str, str] = ZH, **data: str) -> str:
    token = csrf_of(client.get(PAGE, headers=headers).text)
    return client.post(f"{PAGE}{path}", data={"csrf_token": token, **data}, headers=headers).text


def _upload(
    client: TestClient, path: str, name: str, content: bytes, *, headers: dict[str, str] = ZH, **data: str
) -> str:
    token = csrf_of(client.get(PAGE, headers=headers).text)
    field = "boundary" if path == "/boundary" else "file"
    response = client.post(
        f"{PAGE}{path}", data={"csrf_token": token, **data}, files={field: (name, content)}, headers=headers
    )
    return response.text


def _events(session: Session, entity: str) -> list[AuditEvent]:
    session.expire_all()
    return list(
        session.exec(select(AuditEvent).where(AuditEvent.entity == entity).order_by(col(AuditEvent.id)))
    )


def _alerts(html: str) -> list[str]:
    return re.findall(r'role="alert">(.*?)</p>', html)


def _programme(session: Session) -> Programme | None:
    session.expire_all()
    return session.exec(select(Programme)).first()


def test_only_the_office_opens_the_settings_page_and_its_menu_offers_it(
    client: TestClient, make_user: Any
) -> None:
    assert client.get(PAGE, follow_redirects=False).headers["location"].startswith("/login")
    make_user("owner@x.cn", Role.owner)
    login(client, "owner@x.cn")
    assert client.get(PAGE, headers=ZH).status_code == 403
    assert 'href="/programme/settings"' not in client.get("/", headers=ZH).text
    token = csrf_of(client.get("/", headers=ZH).text)
    refused = client.post(f"{PAGE}/targets", data={"csrf_token": token, "target_kwp": "1"}, headers=ZH)
    assert refused.status_code == 403
    client.cookies.clear()

    _office(client, make_user)
    home = client.get("/", headers=ZH).text
    assert 'href="/programme/settings"' in home and "设置" in home
    page = client.get(PAGE, headers=ZH)
    assert page.status_code == 200
    for heading in ("项目设置", "目标", "区界", "气象年", "估算假设"):
        assert heading in page.text
    # the demo-like default date: the page names the policy's end of 2025 only when the date differs
    assert "2025-12-31" in page.text and 'id="policy-date"' not in page.text
    english = client.get(PAGE, headers=EN).text
    assert "Programme settings" in english and "Estimating assumptions" in english


def test_the_office_sets_the_targets_audited_and_a_bad_value_names_its_field(
    client: TestClient, session: Session, make_user: Any
) -> None:
    _office(client, make_user)
    done = _post(
        client,
        "/targets",
        target_kwp="12,500",
        target_date="2027-12-31",
        demo_points_min="1",
        demo_points_max="3",
        demo_point_radius_m="150",
    )
    assert "目标已保存。" in done
    programme = _programme(session)
    assert programme is not None
    assert (programme.target_kwp, programme.target_date.isoformat(), programme.demo_points_max) == (
        12_500,
        "2027-12-31",
        3,
    )
    assert 'id="policy-date"' in done and "2025-12-31" in done and "2027-12-31" in done
    (event,) = _events(session, "programme")
    assert event.action == "update" and event.before and event.after
    assert event.before["target_kwp"] == 10_000 and event.after["target_kwp"] == 12_500

    assert _alerts(_post(client, "/targets", target_kwp="-5")) == ["装机容量目标：必须大于 0。"]
    assert _alerts(_post(client, "/targets", target_kwp="很多")) == [
        "装机容量目标：&#39;很多&#39; 不是数字。"
    ]
    crossed = _post(client, "/targets", demo_points_min="4", demo_points_max="2")
    assert _alerts(crossed) == ["示范点数量下限超过了上限。"]
    english = _post(client, "/targets", headers=EN, target_kwp="0")
    assert "Capacity target" in english
    programme = _programme(session)
    assert programme is not None and programme.target_kwp == 12_500 and programme.demo_points_min == 1
    assert len(_events(session, "programme")) == 1


def test_the_office_uploads_a_boundary_drawn_on_the_map_and_learns_which_sites_lie_outside(
    client: TestClient, session: Session, make_user: Any
) -> None:
    _office(client, make_user)
    owner = make_user("owner@x.cn", Role.owner)
    add_site(session, owner.organisation_id, "人民广场大楼", ROOF_22_SOUTH)  # 121.48, 31.23: inside
    far, _ = add_site(session, owner.organisation_id, "外滩以东", ROOF_22_SOUTH)
    far.lon, far.lat = 121.60, 31.23
    session.add(far)
    session.commit()

    feature = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "黄浦"},
                "geometry": {"type": "Polygon", "coordinates": [SQUARE]},
            }
        ],
    }
    done = _upload(client, "/boundary", "huangpu.geojson", json.dumps(feature).encode())
    assert "区界已设置；有 1 个已登记站点位于边界之外。" in done
    assert "外滩以东" in done and "人民广场大楼" not in done.split('id="outside-sites"')[1].split("</ul>")[0]
    programme = _programme(session)
    assert programme is not None and programme.boundary == {"type": "Polygon", "coordinates": [SQUARE]}
    # drawn on the map: the boundary in the map's configuration, the outside site in red
    script = re.search(r'<script type="application/json" id="boundary-map">(.*?)</script>', done, re.S)
    assert script is not None
    data = json.loads(script[1])
    assert data["config"]["boundary"]["coordinates"] == [SQUARE]
    colours = {m["name"]: m["colour"] for m in data["markers"] if "kind" not in m}
    assert colours == {"人民广场大楼": "#0f6e5a", "外滩以东": "#c0392b"}
    (event,) = _events(session, "programme")
    assert event.action == "set_boundary" and event.after == {"boundary": programme.boundary}


def test_a_bad_boundary_file_says_why_and_changes_nothing(
    client: TestClient, session: Session, make_user: Any
) -> None:
    _office(client, make_user)
    cases = {
        b"{not json": "不是 JSON",
        json.dumps({"type": "FeatureCollection", "features": []}).encode(): "含 0 个要素",
        json.dumps({"type": "Point", "coordinates": [121.47, 31.23]}).encode(): "实际为 Point",
        json.dumps(
            {"type": "Polygon", "coordinates": [[[31.21, 121.45], [31.21, 121.48], [31.24, 121.48]]]}
        ).encode(): "[lat, lon]",
        json.dumps(
            {
                "type": "Polygon",
                "coordinates": [[[121.45, 31.21], [121.48, 31.24], [121.48, 31.21], [121.45, 31.24]]],
            }
        ).encode(): "crosses itself",
        json.dumps(
            {"type": "Polygon", "coordinates": [[[121.47, 31.23], [121.4701, 31.23], [121.4701, 31.2301]]]}
        ).encode(): "不像一个区的面积",
        json.dumps(
            {"type": "Polygon", "coordinates": [[[121.45, 31.21], [200, 31.21], [121.48, 31.24]]]}
        ).encode(): "not a longitude/latitude",
    }
    for content, said in cases.items():
        text = _upload(client, "/boundary", "b.geojson", content)
        assert "区界：" in text and said in text, (said, re.findall(r'role="alert">(.*?)</p>', text))
    assert "区界：请选择要上传的文件" in _post(client, "/boundary")
    english = _upload(client, "/boundary", "b.geojson", b"[]", headers=EN)
    assert "District boundary: expected a GeoJSON object, got list." in english
    programme = _programme(session)
    assert programme is None or programme.boundary is None
    assert _events(session, "programme") == []


def test_the_office_edits_the_assumptions_which_outdates_the_estimates_made_under_them(
    client: TestClient, session: Session, make_user: Any
) -> None:
    _office(client, make_user)
    owner = make_user("owner@x.cn", Role.owner)
    _site, surfaces = add_site(session, owner.organisation_id, "屋顶", ROOF_22_SOUTH, ROOF_22_SOUTH)
    estimates.estimate_surfaces(session=session, actor=None, surface_ids=[s.id for s in surfaces if s.id])
    session.commit()
    page = client.get(PAGE, headers=ZH).text
    assert 'id="out-of-date"' not in page and 'name="kinds.roof.losses_pct" value="14.08"' in page

    done = _post(client, "/assumptions", **{"kinds.roof.losses_pct": "12", "co2_t_per_mwh": "0.5"})
    assert "假设已保存。 2 条估算已过期。" in done
    assert 'id="out-of-date"' in done and 'action="/estimates/run"' in done
    assert 'name="kinds.roof.losses_pct" value="12.0"' in done
    session.expire_all()
    (version,) = session.exec(select(AssumptionSettings)).all()
    assert version.kinds["roof"]["losses_pct"] == 12 and version.co2_t_per_mwh == 0.5
    assert version.kinds["curtain_wall"]["losses_pct"] == 14.08
    (event,) = _events(session, "assumptions")
    assert event.before and event.after and event.after["kinds"]["roof"]["losses_pct"] == 12

    again = _post(client, "/assumptions", **{"kinds.roof.losses_pct": "12"})
    assert "没有变化" in again

    for value in ("150", "abc"):
        (said,) = _alerts(_post(client, "/assumptions", **{"kinds.roof.losses_pct": value}))
        assert said.startswith("屋顶 · 系统损耗") and value in said
    (wrong,) = _alerts(_post(client, "/assumptions", **{"kinds.walkway.mounting": "on_the_moon"}))
    assert wrong.startswith("步道 · 安装方式")
    english = _post(client, "/assumptions", headers=EN, **{"kinds.curtain_wall.dc_ac_ratio": "9"})
    assert "Curtain wall: DC/AC ratio" in english
    session.expire_all()
    assert len(session.exec(select(AssumptionSettings)).all()) == 1
    assert len(_events(session, "assumptions")) == 1


def test_the_office_uploads_a_weather_year_confirming_a_far_one_and_a_broken_file_changes_nothing(
    client: TestClient, session: Session, make_user: Any, tmp_path: Path
) -> None:
    _office(client, make_user)
    page = client.get(PAGE, headers=ZH).text
    assert "合成典型年" in page and "尚未设置气象年" in page

    broken = _upload(client, "/weather", "broken.epw", b"LOCATION,nowhere\nnot an epw\n")
    assert "broken.epw" in broken and 'role="alert"' in broken
    far = tmy3_bytes(tmp_path, greensboro())
    refused = _upload(client, "/weather", "greensboro.csv", far)
    assert "greensboro.csv" in refused and "100" in refused and 'role="alert"' in refused
    session.expire_all()
    assert session.exec(select(WeatherChoice)).all() == []

    confirmed = _upload(client, "/weather", "greensboro.csv", far, confirm_far="1")
    assert "项目的气象年现为 greensboro.csv" in confirmed
    near = epw_bytes(tmp_path)
    done = _upload(client, "/weather", "shanghai.epw", near, headers=EN)
    assert "The programme&#39;s weather year is now shanghai.epw" in done
    sha = hashlib.sha256(near).hexdigest()
    assert f'<code id="weather-sha">{sha}</code>' in done
    history = done.split('id="weather-history"')[1].split("</table>")[0]
    assert history.index("shanghai.epw") < history.index("greensboro.csv")
    assert "office@x.cn" in history
    session.expire_all()
    assert len(session.exec(select(WeatherChoice)).all()) == 2


def test_fetching_pvgis_offline_says_to_upload_a_file_and_changes_nothing(
    client: TestClient, session: Session, make_user: Any
) -> None:
    """The tests' PVGIS address is a port where nothing listens: the server is offline."""
    _office(client, make_user)
    en = _post(client, "/weather/pvgis", headers=EN)
    assert "PVGIS cannot be reached from this server (offline?): upload a file instead." in _alerts(en)
    zh = _post(client, "/weather/pvgis", headers=ZH)
    assert "本服务器无法连接 PVGIS（是否离线？）：请改为上传文件。" in _alerts(zh)
    session.expire_all()
    assert session.exec(select(WeatherChoice)).all() == []
