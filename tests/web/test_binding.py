"""A form bound to the API's input model: the page takes what the API takes, and says what it refuses
by the field's label in the reader's language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from starlette.datastructures import FormData

from pvhub.core.errors import InvalidInput
from pvhub.tendering.models import (
    AwardOverride,
    BidCreate,
    ObjectionCreate,
    SupplierProfileUpdate,
    TenderCreate,
)
from web import i18n
from web.binding import bind


def _said(exc: InvalidInput, locale: str) -> str:
    i18n.set_locale(locale)
    try:
        return i18n.error_text(exc)
    finally:
        i18n.set_locale(i18n.DEFAULT_LOCALE)


def test_a_form_is_read_as_a_person_types_it() -> None:
    form = FormData(
        [
            ("csrf_token", "t"),
            ("lot_id", " 7 "),
            ("total_price_cny", "1,234,567.89"),
            ("schedule_days", "120"),
            ("module_tier", "tier1"),
            ("inverter_tier", "tier2"),
            ("warranty_years", "10"),
            ("notes", "  含五年运维  "),
        ]
    )
    data = bind(BidCreate, form)
    assert (data.lot_id, data.total_price_cny, data.schedule_days, data.notes) == (
        7,
        1234567.89,
        120,
        "含五年运维",
    )
    assert data.price_cny_per_w is None  # not in the form: the model's default
    profile = bind(
        SupplierProfileUpdate, FormData([("annual_capacity_kw", "4,000"), ("certifications", " ")])
    )
    assert profile.model_dump(exclude_unset=True) == {"annual_capacity_kw": 4000.0, "certifications": None}
    deadline = datetime(2027, 3, 1, 17, tzinfo=ZoneInfo("Asia/Shanghai"))  # the page reads it in its zone
    tender = bind(
        TenderCreate,
        FormData([("title", "第二批"), ("bundle_ids", "3"), ("bundle_ids", "5")]),
        deadline=deadline,
    )
    assert (tender.bundle_ids, tender.deadline, tender.title_en) == ([3, 5], deadline, None)


def test_what_the_api_refuses_the_form_refuses_naming_the_field() -> None:
    too_long = "异" * 5001
    with pytest.raises(ValidationError):  # the API's model, as the API reads a JSON body
        ObjectionCreate.model_validate({"text": too_long})
    with pytest.raises(InvalidInput) as refused:
        bind(ObjectionCreate, FormData([("text", too_long)]))
    assert refused.value.field == "text"
    assert _said(refused.value, "en") == "Objection: may have at most 5000 characters."
    assert _said(refused.value, "zh_CN") == "异议：最多 5000 个字符。"
    with pytest.raises(InvalidInput) as missing:
        bind(AwardOverride, FormData([("lot_id", "1"), ("reason", "Checked by hand.")]))
    assert _said(missing.value, "en") == "Winning bid: is required."


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ([("lot_id", "٣"), ("bid_id", "1"), ("reason", "Checked by hand.")], "lot_id"),  # ids: ASCII digits
        ([("lot_id", "1"), ("bid_id", "²"), ("reason", "Checked by hand.")], "bid_id"),
    ],
)
def test_an_id_in_digits_that_are_not_ascii_is_refused(form: list[tuple[str, str]], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        bind(AwardOverride, FormData(form))
    assert refused.value.field == field and "is not an id" in refused.value.message


@pytest.mark.parametrize("raw", ["nan", "inf", "1e400", "12 kWp"])
def test_what_is_not_a_finite_number_is_refused(raw: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        bind(SupplierProfileUpdate, FormData([("annual_capacity_kw", raw)]))
    assert refused.value.field == "annual_capacity_kw" and "is not a number" in refused.value.message
