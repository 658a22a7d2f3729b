"""A building's candidates and skipped parts, grouped by face for its page (pvhub.survey.grouping)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from pvhub.survey import potential
from pvhub.survey import service as survey
from pvhub.survey.grouping import group_candidates, group_skipped
from pvhub.survey.rules import SurveyRules
from tests.pvhub.survey.survey_world import seed_stock

YIELD = "{kind} {id}: {kwh_per_kwp:.0f} kWh/kWp, under the minimum {minimum:g} kWh/kWp"


def test_a_facades_storey_bands_make_one_row_with_their_sums_and_ranges(session: Session) -> None:
    buildings = seed_stock(session, n=4, neighbours=1)
    survey.run_survey(session=session)
    tall = buildings[2]  # 45 m, 15 storeys (numbered from 0, the ground storey)
    assert tall.id is not None
    detail = potential.building_detail(session=session, building_id=tall.id)
    groups = group_candidates(detail.candidates)
    assert len(groups) < len(detail.candidates)
    assert sum(g.kwp for g in groups) == pytest.approx(detail.kwp, abs=0.01)
    assert sum(g.annual_mwh for g in groups) == pytest.approx(detail.annual_mwh, abs=0.01)
    walls = [g for g in groups if g.kind == "curtain_wall"]
    assert walls and all(len(g.candidates) == 15 and g.storeys == (0, 14) for g in walls)
    for g in walls:
        assert g.bottom_m == pytest.approx(0.0) and g.top_m == pytest.approx(45.0)
        low, high = g.kwh_per_kwp  # the same at every height until shading comes (issue #19)
        assert low == min(c.kwh_per_kwp for c in g.candidates) and high == max(
            c.kwh_per_kwp for c in g.candidates
        )
        assert [c.z_m for c in g.candidates] == sorted(c.z_m for c in g.candidates)
        assert g.gross_area_m2 == pytest.approx(sum(c.gross_area_m2 for c in g.candidates))
    roofs = [g for g in groups if g.kind == "roof"]
    assert len(roofs) == 1 and roofs[0].faces == (0,) and len(roofs[0].candidates) == 1


def test_a_faces_bands_under_the_minimum_yield_make_one_line_with_the_ranges(session: Session) -> None:
    buildings = seed_stock(session, n=4, neighbours=1)
    survey.run_survey(session=session, rules=SurveyRules(min_kwh_per_kwp=2000.0))  # nothing reaches it
    tall = buildings[2]
    assert tall.id is not None
    detail = potential.building_detail(session=session, building_id=tall.id)
    assert not detail.candidates
    groups = group_skipped(detail.skipped)
    assert sum(g.count for g in groups) == len(detail.skipped)
    under = [g for g in groups if g.code == YIELD]
    walls = [g for g in under if g.count > 1]
    assert len(walls) == 3 and all(g.count == 15 and g.bands == (0, 14) for g in walls)
    for g in walls:
        assert g.params["minimum"] == 2000.0 and g.params["kind"] == "curtain_wall"  # the same in all
        assert g.params["kwh_per_kwp"] < 2000.0  # unshaded: the same at every height
        first, last = g.ranges["id"]
        assert first.endswith("/b0") and last.endswith("/b14")
    roof = [g for g in under if g.faces == (0,)]
    assert len(roof) == 1 and roof[0].count == 1 and roof[0].bands is None
    # each face is in one line per reason: no face and reason twice
    keys = [(g.object, g.feature, g.faces, g.code) for g in groups]
    assert len(keys) == len(set(keys))


def test_free_text_reasons_group_only_with_the_same_text() -> None:
    source: dict[str, Any] = {"object": None, "feature": 3, "faces": []}
    groups = group_skipped(
        [
            {"source": source, "reason": "no height and no building:levels: footprint only"},
            {"source": source, "reason": "something else"},
            {"source": source, "reason": "something else"},
        ]
    )
    assert [(g.reason, g.count, g.code) for g in groups] == [
        ("no height and no building:levels: footprint only", 1, ""),
        ("something else", 2, ""),
    ]


def test_numbers_that_differ_within_a_group_become_their_range() -> None:
    source = {"object": "t1-podium", "feature": None, "faces": [4]}
    items = [
        {"source": source, "reason": "…", "code": YIELD,
         "params": {"kind": "curtain_wall", "id": f"t1/t1-podium/4/b{k}", "kwh_per_kwp": 505.0 + k / 10,
                    "minimum": 600.0, "band": k}}
        for k in range(1, 81)
    ]  # fmt: skip
    [group] = group_skipped(items)
    assert group.count == 80 and group.bands == (1, 80) and group.faces == (4,)
    assert group.ranges["kwh_per_kwp"] == (505.1, 513.0) and group.params["minimum"] == 600.0
    assert group.ranges["id"] == ("t1/t1-podium/4/b1", "t1/t1-podium/4/b80")
