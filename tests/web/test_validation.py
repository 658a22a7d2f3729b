"""Form input the models reject comes back in the reader's language, naming the field, with what was
typed still in the form; and every sentence that can reach a page that way is in both catalogues."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from pvhub.bundling.models import BundlingRun
from pvhub.core.enums import Role
from pvhub.core.validation_problems import PROBLEMS
from tests.conftest import api_token
from tests.pvhub.bundling.test_bundling import _district
from tests.pvhub.bundling.test_bundling_api import finished
from tests.web.bundling.test_bundle_pages import FORM
from tests.web.test_pages import csrf_of, login

ROOT = Path(__file__).resolve().parents[2]
VALIDATORS = ("field_validator", "model_validator")
# modules whose every function may validate a model: the tables, the input models, the column types
MODEL_MODULES = ("models", "schemas", "columns")


def _catalogue(locale: str) -> dict[str, str]:
    path = ROOT / "web" / "translations" / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        return {m.id: m.string for m in read_po(fh) if isinstance(m.id, str) and m.id}


def _validator_sentences() -> set[str]:
    """``raise ValueError("…")`` in pydantic validators and in the models' own types."""
    found: set[str] = set()
    for path in (ROOT / "pvhub").rglob("*.py"):
        # the operators' settings are read at start-up and speak English; migrations validate nothing
        if "migrations" in path.parts or path.name == "settings.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef):
                continue
            names = {ast.unparse(d).split("(")[0].split(".")[-1] for d in func.decorator_list}
            if not (names & set(VALIDATORS) or path.stem in MODEL_MODULES):
                continue
            for node in ast.walk(func):
                if (
                    isinstance(node, ast.Raise)
                    and isinstance(node.exc, ast.Call)
                    and ast.unparse(node.exc.func) == "ValueError"
                    and node.exc.args
                    and isinstance(node.exc.args[0], ast.Constant)
                ):
                    found.add(str(node.exc.args[0].value))
    return found


def test_every_problem_and_validator_sentence_is_in_both_catalogues() -> None:
    sentences = _validator_sentences()
    assert "the minimum bundle capacity is above the maximum" in sentences  # the walk finds them
    wanted = set(PROBLEMS.values()) | sentences
    zh, en = _catalogue("zh_CN"), _catalogue("en")
    assert sorted(wanted - zh.keys()) == [] and sorted(wanted - en.keys()) == []
    for text in wanted:
        assert en[text] == text and zh[text] != text
        assert set(re.findall(r"{\w+}", zh[text])) == set(re.findall(r"{\w+}", text))


def test_a_rejected_bundling_form_says_why_and_keeps_what_was_typed(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    make_user("office@x.cn", Role.office, "Office")
    login(client, "office@x.cn")
    token = csrf_of(client.get("/lang/zh_CN?next=/bundles").text)
    bad = {**FORM, "max_sites": "-3", "bundle_cost_m": "2500", "require_all": "on", "csrf_token": token}
    zh = client.post("/bundles/runs", data=bad).text
    assert "每包站点数上限：不能小于 1" in zh and "Input should be" not in zh
    assert 'name="max_sites" value="-3"' in zh and 'name="bundle_cost_m" value="2500"' in zh
    assert 'name="require_all" checked' in zh
    client.get("/lang/en?next=/bundles")
    upside_down = {**FORM, "min_capacity_kwp": "3000", "max_capacity_kwp": "500", "csrf_token": token}
    en = client.post("/bundles/runs", data=upside_down).text
    assert "the minimum bundle capacity is above the maximum" in en
    client.get("/lang/zh_CN?next=/bundles")
    zh = client.post("/bundles/runs", data=upside_down).text
    assert "每包容量下限高于上限" in zh and 'name="min_capacity_kwp" value="3000"' in zh
    assert session.exec(select(BundlingRun)).all() == []
    # the next visit shows the defaults again: the typed values were shown once
    assert 'name="max_capacity_kwp" value="3000"' in client.get("/bundles").text


def test_the_form_starts_from_the_last_runs_parameters(
    client: TestClient, session: Session, make_user
) -> None:  # type: ignore[no-untyped-def]
    _district(session, make_user, n=8)
    login(client, "office@x.cn")
    token = csrf_of(client.get("/bundles").text)
    client.post("/bundles/runs", data={**FORM, "csrf_token": token}, follow_redirects=False)
    run_id = session.exec(select(BundlingRun.id)).one()
    finished(client, run_id, api_token(client, "office@x.cn"))
    page = client.get("/bundles").text
    assert 'name="max_capacity_kwp" value="1200"' in page and 'name="max_sites" value="4"' in page
    assert 'name="max_distance_m" value="1500"' in page and 'name="require_all">' in page
