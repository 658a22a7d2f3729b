"""The survey rules page in 简体中文 and English: the form, refusals by their field, the note on /survey."""

from __future__ import annotations

import html

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from pvhub.core.enums import Role
from pvhub.survey import rules
from pvhub.survey import service as survey
from pvhub.survey.models import SurveyRuleSettings
from tests.pvhub.survey.survey_world import seed_stock
from tests.web.test_pages import csrf_of, login

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


def _form(page: str, **changes: str) -> dict[str, str]:
    values = {
        spec.name: f"{v:g}" if (v := getattr(rules.DEFAULT_RULES, spec.name)) is not None else ""
        for spec in rules.RULE_SPECS
    }
    return {"csrf_token": csrf_of(page), **values, **changes}


@pytest.mark.parametrize(
    ("lang", "headers", "words"),
    [
        (
            "zh_CN",
            ZH,
            {
                "title": "排摸规则",
                "label": "最小可用面积",
                "refused": "不透明比例：1.5 超出范围 0 … 1。",
                "saved": "排摸规则已保存",
                "changed": "上次排摸之后规则已更改",
            },
        ),
        (
            "en",
            EN,
            {
                "title": "Survey rules",
                "label": "minimum usable area",
                "refused": "opaque share: 1.5 is outside 0 … 1.",
                "saved": "The survey rules are saved",
                "changed": "The rules changed since the last survey",
            },
        ),
    ],
)
def test_the_office_edits_the_rules_on_the_page(
    client: TestClient, session: Session, make_user, lang: str, headers: dict[str, str], words: dict[str, str]
) -> None:
    make_user("office@rules-page.test", Role.office)
    seed_stock(session, n=2, neighbours=0)
    survey.run_survey(session=session)
    session.commit()
    login(client, "office@rules-page.test")
    client.cookies.set("lang", lang)

    potential = client.get("/survey", headers=headers)
    assert 'href="/survey/rules"' in potential.text and words["changed"] not in potential.text
    page = client.get("/survey/rules", headers=headers)
    assert page.status_code == 200
    assert words["title"] in page.text and words["label"] in page.text
    assert "GB 50189-2015" in page.text and 'name="band_height_m" value=""' in page.text

    # a refused value: the form again as typed, the message next to its field, nothing stored
    refused = client.post(
        "/survey/rules", data=_form(page.text, opaque_share="1.5", min_area_m2="25"), headers=headers
    )
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert f'<span id="error-opaque_share" class="error" role="alert">{words["refused"]}</span>' in text
    assert 'value="1.5"' in refused.text and 'value="25"' in refused.text
    assert session.exec(select(SurveyRuleSettings)).all() == []
    not_a_number = client.post("/survey/rules", data=_form(page.text, min_area_m2="ten"), headers=headers)
    assert (
        not_a_number.status_code == 422
        and 'id="error-min_area_m2" class="error" role="alert">' in not_a_number.text
    )

    saved = client.post(
        "/survey/rules", data=_form(page.text, band_height_m="6", min_area_m2="25"), headers=headers
    )
    assert saved.status_code == 200 and words["saved"] in saved.text
    assert 'name="band_height_m" value="6"' in saved.text and 'id="rules-history"' in saved.text
    assert "office@rules-page.test" in saved.text  # who set the version
    session.expire_all()
    assert rules.current_rules(session).band_height_m == 6.0

    # the potential page states the rules in force and asks for a new run
    after = client.get("/survey", headers=headers)
    assert words["changed"] in after.text and "6 m" in after.text


def test_owners_and_the_public_cannot_edit_the_rules(client: TestClient, session: Session, make_user) -> None:
    make_user("owner@rules-page.test", Role.owner)
    assert client.get("/survey/rules", follow_redirects=False).status_code in (303, 401)
    public = client.get("/potential", headers=EN)
    assert public.status_code == 200 and "/survey/rules" not in public.text and "Survey rules:" in public.text
    login(client, "owner@rules-page.test")
    page = client.get("/survey/rules", headers=EN)
    assert page.status_code == 403
    token = csrf_of(client.get("/", headers=EN).text)
    post = client.post("/survey/rules", data={"csrf_token": token, "min_area_m2": "1"}, headers=EN)
    assert post.status_code == 403
    assert session.exec(select(SurveyRuleSettings)).all() == []
