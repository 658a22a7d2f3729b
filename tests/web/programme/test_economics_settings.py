"""The economics section of the settings page (issue #20): every assumption with its unit, range and
the source of its default, shares in per cent, a save stored as an audited version with who saved it,
a refusal marked at its field with nothing stored and what was typed kept; owners are kept out."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from markupsafe import escape
from sqlmodel import Session, col, select

from pvhub.core.enums import Role
from pvhub.economics.assumptions import EDITABLE_FIELDS, SOURCES
from pvhub.economics.models import EconomicSettings
from pvhub.economics.settings import current_economics
from tests.web.programme.test_settings_pages import EN, PAGE, ZH, _events, _office
from tests.web.test_pages import csrf_of, login


def _save(client: TestClient, headers: dict[str, str] = ZH, **data: str) -> str:
    token = csrf_of(client.get(PAGE, headers=headers).text)
    response = client.post(f"{PAGE}/economics", data={"csrf_token": token, **data}, headers=headers)
    assert response.status_code == 200, response.text
    return response.text


def _value(html: str, name: str) -> str:
    match = re.search(rf'name="{re.escape(name)}" id="[^"]*" value="([^"]*)"', html)
    assert match, f"an input named {name}"
    return match.group(1)


def _versions(session: Session) -> list[EconomicSettings]:
    session.expire_all()
    return list(session.exec(select(EconomicSettings).order_by(col(EconomicSettings.id))))


def test_the_section_shows_every_assumption_in_both_languages(client: TestClient, make_user: Any) -> None:
    _office(client, make_user)
    zh = client.get(PAGE, headers=ZH).text
    section = zh[zh.index('id="economics"') :]
    assert "经济假设" in section and "默认值来源" in section and "保存经济假设" in section
    for spec in EDITABLE_FIELDS:
        names = [f"{spec.name}.{k}" for k in spec.per] or [spec.name]
        for name in names:
            assert f'name="{name}"' in section, name
    # fractions in per cent, sums as they are
    assert _value(section, "discount_rate") == "6" and _value(section, "emc_discount") == "15"
    assert _value(section, "self_use_share.office") == "85"
    assert _value(section, "investment_cny_per_kwp.curtain_wall") == "9000"
    assert "上海燃煤基准价" in section and "一般工商业" in section and 'id="tax-note"' in section
    en = client.get(PAGE, headers=EN).text
    english = en[en.index('id="economics"') :]
    assert "Economic assumptions" in english and str(escape(SOURCES["export_price_cny_per_kwh"])) in english
    assert "Office → office" in english and "Hotel → commercial" in english
    assert "No version has been saved" in english


def test_a_save_stores_an_audited_version_with_who_saved_it(
    client: TestClient, session: Session, make_user: Any
) -> None:
    _office(client, make_user)
    done = _save(client, EN, discount_rate="8", **{"tariff_cny_per_kwh.office": "0.9"}, lifetime_years="30")
    assert "The economic assumptions are saved" in done
    values = current_economics(session=session).values
    assert values.discount_rate == 0.08 and values.tariff_cny_per_kwh["office"] == 0.9
    assert values.lifetime_years == 30 and values.emc_discount == 0.15  # the rest as it was
    (event,) = _events(session, "economics")
    assert event.before is not None and event.after is not None
    assert event.before["discount_rate"] == 0.06 and event.after["discount_rate"] == 0.08
    history = done[done.index('id="economics-history"') :]
    assert "office@x.cn" in history and "8.0 %" in history
    assert _value(done, "discount_rate") == "8"
    again = _save(client, EN, discount_rate="8")
    assert "Nothing changed" in again and len(_versions(session)) == 1


def test_a_refusal_marks_its_field_stores_nothing_and_keeps_what_was_typed(
    client: TestClient, session: Session, make_user: Any
) -> None:
    _office(client, make_user)
    refused = _save(client, ZH, discount_rate="7", **{"tariff_cny_per_kwh.office": "9"})
    assert _versions(session) == []
    marked = re.search(r'name="tariff_cny_per_kwh.office"[^>]*aria-invalid="true"', refused)
    assert marked and "业主电价 · 办公" in refused and "未保存" in refused
    assert _value(refused, "discount_rate") == "7" and _value(refused, "tariff_cny_per_kwh.office") == "9"
    # a share typed beyond 100 % is refused in per cent, naming its field
    over = _save(client, EN, emc_discount="150")
    assert re.search(r'name="emc_discount"[^>]*aria-invalid="true"', over)
    assert "EMC discount: 150.0 is outside 0 … 99 (per cent)." in over
    assert "not a number" in _save(client, EN, om_cny_per_kwp_year="lots")
    assert _versions(session) == []


def test_owners_may_not_save_economic_assumptions(client: TestClient, make_user: Any) -> None:
    make_user("owner@x.cn", Role.owner)
    login(client, "owner@x.cn")
    token = csrf_of(client.get("/", headers=ZH).text)
    refused = client.post(f"{PAGE}/economics", data={"csrf_token": token, "discount_rate": "1"}, headers=ZH)
    assert refused.status_code == 403
