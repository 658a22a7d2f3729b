"""The survey's rules as settings: defaults, versions, history, refusals, and a run that uses them."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role
from pvhub.core.errors import InvalidInput, PermissionDenied
from pvhub.survey import rules
from pvhub.survey import service as survey
from pvhub.survey.models import SurveyCandidate, SurveyRuleSettings
from tests.pvhub.survey.survey_world import seed_stock

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_the_defaults_are_in_force_until_the_office_sets_rules(session: Session) -> None:
    assert rules.current_rules(session) == rules.DEFAULT_RULES
    version = rules.current_version(session)
    assert version.is_default and version.set_at is None
    assert rules.rules_history(session) == []
    assert rules.DEFAULT_RULES.candidate_rules().roof_usable_ratio == 0.70


def test_set_rules_stores_a_version_with_history_and_audit(session: Session, make_user) -> None:
    office = make_user("office@rules.test", Role.office)
    first = rules.set_rules(session, office, {"min_area_m2": 20, "band_height_m": 6})
    session.commit()
    assert first.min_area_m2 == 20.0 and first.band_height_m == 6.0
    assert first.opaque_share == rules.DEFAULT_RULES.opaque_share  # untouched rules keep their value
    second = rules.set_rules(session, office, {"band_height_m": None, "roof_usable_ratio": 0.5})
    session.commit()
    assert second.band_height_m is None and second.min_area_m2 == 20.0 and second.roof_usable_ratio == 0.5
    assert rules.current_rules(session) == second
    history = rules.rules_history(session)
    assert [v.rules for v in history] == [second, first]  # newest first
    assert history[0].set_by_id == office.id and not history[0].is_default
    # saving the same values again stores nothing: the history shows changes, not saves
    rules.set_rules(session, office, {"roof_usable_ratio": 0.5})
    assert len(session.exec(select(SurveyRuleSettings)).all()) == 2
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "survey_rules")).all()
    assert len(events) == 2 and events[0].before == rules.DEFAULT_RULES.as_dict()
    assert events[1].after is not None and events[1].after["roof_usable_ratio"] == 0.5


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("min_area_m2", 1001, "min_area_m2: 1001 is outside 0 … 1000 m²."),
        ("min_area_m2", -1, "min_area_m2: -1 is outside 0 … 1000 m²."),
        ("band_height_m", 0.5, "band_height_m: 0.5 is outside 1 … 20 m."),
        ("band_height_m", 25, "band_height_m: 25 is outside 1 … 20 m."),
        ("opaque_share", 1.2, "opaque_share: 1.2 is outside 0 … 1."),
        ("wall_azimuth_min", 361, "wall_azimuth_min: 361 is outside 0 … 360 °."),
        ("wall_azimuth_max", -5, "wall_azimuth_max: -5 is outside 0 … 360 °."),
        ("min_kwh_per_kwp", 1600, "min_kwh_per_kwp: 1600 is outside 0 … 1500 kWh/kWp."),
        ("roof_usable_ratio", 0.05, "roof_usable_ratio: 0.05 is outside 0.1 … 1."),
        ("min_area_m2", None, "min_area_m2: must be a number."),
        ("opaque_share", "0.3", "opaque_share: must be a number."),
        ("opaque_share", float("nan"), "opaque_share: must be a number."),
        ("min_kwh_per_kwp", True, "min_kwh_per_kwp: must be a number."),
        ("storey_height_m", 3, "storey_height_m: not a survey rule"),
    ],
)
def test_a_bad_value_is_refused_naming_the_rule_and_its_range(
    session: Session, make_user, name: str, value: object, said: str
) -> None:
    office = make_user("office@rules.test", Role.office)
    with pytest.raises(InvalidInput) as refused:
        rules.set_rules(session, office, {"min_area_m2": 12, name: value})
    assert refused.value.field == name and refused.value.message.startswith(said)
    session.rollback()
    assert session.exec(select(SurveyRuleSettings)).all() == []  # nothing stored, not even the good edit


def test_only_the_office_sets_the_rules(session: Session, make_user) -> None:
    owner = make_user("owner@rules.test", Role.owner)
    supplier = make_user("supplier@rules.test", Role.supplier)
    for user in (owner, supplier):
        with pytest.raises(PermissionDenied):
            rules.set_rules(session, user, {"min_area_m2": 20})
    assert rules.current_rules(session) == rules.DEFAULT_RULES


def _wall_bands(session: Session, building_id: int | None) -> set[tuple[float | None, float | None]]:
    session.expire_all()
    rows = session.exec(
        select(SurveyCandidate).where(
            SurveyCandidate.building_id == building_id, col(SurveyCandidate.kind) == "curtain_wall"
        )
    ).all()
    return {(c.band_bottom_m, c.band_top_m) for c in rows}


def test_a_run_uses_the_rules_in_force_and_records_them(session: Session, make_user) -> None:
    office = make_user("office@rules.test", Role.office)
    buildings = seed_stock(session, n=2, neighbours=0)  # 15 m of 5 storeys, 30 m of 10
    first = survey.run_survey(session=session)
    session.commit()
    assert len(_wall_bands(session, buildings[0].id)) == 5  # one band per storey of 3 m
    assert not rules.changed_since(session, first.rules)

    rules.set_rules(session, office, {"band_height_m": 6})
    session.commit()
    assert rules.changed_since(session, first.rules)  # the potential page asks for a new run
    second = survey.run_survey(session=session)
    session.commit()
    assert second.rules["band_height_m"] == 6.0 and second.rules["roof_usable_ratio"] == 0.70
    assert _wall_bands(session, buildings[0].id) == {(0.0, 6.0), (6.0, 12.0), (12.0, 15.0)}
    assert len(_wall_bands(session, buildings[1].id)) == 5  # 30 m: ten storeys, five bands of 6 m
    assert not rules.changed_since(session, second.rules)


def test_a_smaller_roof_share_makes_smaller_roofs(session: Session, make_user) -> None:
    office = make_user("office@rules.test", Role.office)
    buildings = seed_stock(session, n=1, neighbours=0)  # a 30 x 20 m roof

    def roof_area() -> float:
        session.expire_all()
        roof = session.exec(
            select(SurveyCandidate).where(
                SurveyCandidate.building_id == buildings[0].id, SurveyCandidate.kind == "roof"
            )
        ).one()
        return roof.usable_area_m2

    survey.run_survey(session=session)
    session.commit()
    assert roof_area() == pytest.approx(0.70 * 600, rel=0.01)  # the share, not the setback, binds
    rules.set_rules(session, office, {"roof_usable_ratio": 0.4})
    survey.run_survey(session=session)
    session.commit()
    assert roof_area() == pytest.approx(0.40 * 600, rel=0.01)


def test_a_run_recorded_before_a_rule_existed_counts_it_as_its_default(session: Session) -> None:
    old = {k: v for k, v in rules.DEFAULT_RULES.as_dict().items() if k != "roof_usable_ratio"}
    assert rules.recorded(old) == rules.DEFAULT_RULES
    assert not rules.changed_since(session, old) and not rules.changed_since(session, None)
