"""Demonstration points: which sites qualify, how candidates are proposed, the rules of designation."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, select

from pvhub.accounts.models import User
from pvhub.core.audit_events import AuditEvent
from pvhub.core.enums import Role
from pvhub.core.errors import Conflict, InvalidInput, PermissionDenied
from pvhub.monitoring import demonstration
from pvhub.monitoring.demonstration import Layer, qualifying_kinds
from pvhub.programme.models import DemonstrationPointSite, ProgrammeUpdate
from pvhub.programme.service import update_programme
from tests.pvhub.programme_state import confirmed_award, estimated_site

DLON = 1 / 95_180  # degrees of longitude per metre near Huangpu
LON, LAT = 121.48, 31.23

THREE_LAYERS = [("roof", 60.0, 50.0), ("curtain_wall", 30.0, 20.0), ("walkway", 4.0, 5.0)]


def set_radius(session: Session, office: User, radius_m: float) -> None:
    update_programme(session=session, actor=office, changes=ProgrammeUpdate(demo_point_radius_m=radius_m))


@pytest.fixture
def people(make_user: Any) -> dict[str, User]:
    return {
        "office": make_user("o@office.cn", Role.office, "Office"),
        "owner": make_user("a@owner.cn", Role.owner, "Owner A"),
        "supplier": make_user("s@supplier.cn", Role.supplier, "Supplier S"),
    }


def test_three_kinds_must_sit_at_pairwise_different_heights() -> None:
    assert len(qualifying_kinds([("roof", 20), ("curtain_wall", 20), ("walkway", 20)], height_step_m=3)) == 1
    assert len(qualifying_kinds([("roof", 20), ("curtain_wall", 18), ("walkway", 4)], height_step_m=3)) == 2
    layers = qualifying_kinds([("roof", 20), ("curtain_wall", 12), ("walkway", 4)], height_step_m=3)
    assert layers == [Layer("roof", 20), Layer("curtain_wall", 12), Layer("walkway", 4)]


def test_the_height_check_finds_a_choice_a_greedy_pick_would_miss() -> None:
    # The lowest curtain wall (1 m) clashes with the walkway; the one at 7 m does not.
    surfaces = [("walkway", 3.0), ("curtain_wall", 1.0), ("curtain_wall", 7.0), ("roof", 11.0)]
    assert {layer.kind for layer in qualifying_kinds(surfaces, height_step_m=3)} == {
        "walkway",
        "curtain_wall",
        "roof",
    }


def test_all_four_kinds_are_reported_when_they_can_be() -> None:
    surfaces = [("roof", 40), ("curtain_wall", 25), ("corridor", 12), ("walkway", 3), ("roof", 26)]
    assert len(qualifying_kinds(surfaces, height_step_m=3)) == 4


def test_a_site_with_three_layers_is_proposed_alone(session: Session, people: dict[str, User]) -> None:
    org = people["owner"].organisation_id
    tower, _ = estimated_site(session, org, "Tower", THREE_LAYERS)
    estimated_site(session, org, "Flat roof", [("roof", 20.0, 80.0)], lon=LON + 0.01)
    candidates = demonstration.propose_candidates(session)
    assert [c.site_ids for c in candidates] == [(tower.id,)]
    assert candidates[0].kinds == ("roof", "curtain_wall", "walkway")
    assert candidates[0].capacity_kwp == pytest.approx(75.0)


def test_nearby_sites_are_proposed_as_one_minimal_cluster(session: Session, people: dict[str, User]) -> None:
    org = people["owner"].organisation_id
    a, _ = estimated_site(session, org, "A", [("roof", 60.0, 50.0)])
    b, _ = estimated_site(session, org, "B", [("curtain_wall", 30.0, 20.0)], lon=LON + 40 * DLON)
    c, _ = estimated_site(session, org, "C", [("walkway", 4.0, 5.0)], lon=LON + 80 * DLON)
    estimated_site(session, org, "D, a second roof", [("roof", 20.0, 10.0)], lon=LON + 20 * DLON)
    estimated_site(session, org, "Far walkway", [("walkway", 4.0, 5.0)], lon=LON + 900 * DLON)
    keys = {cand.site_ids for cand in demonstration.propose_candidates(session, radius_m=100)}
    assert (a.id, b.id, c.id) in keys
    assert all(len(key) == 3 for key in keys)  # never padded with a site it does not need
    assert not demonstration.propose_candidates(session, radius_m=30)


def test_the_radius_comes_from_the_programme(session: Session, people: dict[str, User]) -> None:
    org = people["owner"].organisation_id
    estimated_site(session, org, "A", [("roof", 60.0, 50.0)])
    estimated_site(session, org, "B", [("curtain_wall", 30.0, 20.0), ("walkway", 3, 2)], lon=LON + 150 * DLON)
    assert not demonstration.propose_candidates(session)
    set_radius(session, people["office"], 200)
    session.commit()
    assert len(demonstration.propose_candidates(session)) == 1


def test_the_office_designates_a_point_and_the_audit_log_records_it(
    session: Session, people: dict[str, User]
) -> None:
    org = people["owner"].organisation_id
    tower, _ = estimated_site(session, org, "Tower", THREE_LAYERS)
    point = demonstration.designate_point(
        session, actor=people["office"], site_ids=[tower.id], name="外滩示范点", name_en="Bund demo"
    )
    session.commit()
    links = session.exec(select(DemonstrationPointSite)).all()
    assert [(link.point_id, link.site_id) for link in links] == [(point.id, tower.id)]
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "demonstration_point")).one()
    assert event.after is not None and event.after["site_ids"] == [tower.id]
    assert demonstration.propose_candidates(session) == []  # designated sites are no longer proposed


def test_only_the_office_designates(session: Session, people: dict[str, User]) -> None:
    tower, _ = estimated_site(session, people["owner"].organisation_id, "Tower", THREE_LAYERS)
    for role in ("owner", "supplier"):
        with pytest.raises(PermissionDenied):
            demonstration.designate_point(session, actor=people[role], site_ids=[tower.id], name="x")


def test_designation_refuses_sites_that_do_not_qualify(session: Session, people: dict[str, User]) -> None:
    org = people["owner"].organisation_id
    flat, _ = estimated_site(
        session, org, "Flat", [("roof", 20, 5), ("curtain_wall", 19, 5), ("walkway", 18, 5)]
    )
    with pytest.raises(InvalidInput, match="span only 1 kind"):
        demonstration.designate_point(session, actor=people["office"], site_ids=[flat.id], name="x")


def test_designation_refuses_sites_too_far_apart(session: Session, people: dict[str, User]) -> None:
    org = people["owner"].organisation_id
    a, _ = estimated_site(session, org, "A", [("roof", 60.0, 50.0)])
    b, _ = estimated_site(session, org, "B", [("curtain_wall", 30.0, 20.0)], lon=LON + 90 * DLON)
    c, _ = estimated_site(session, org, "C", [("walkway", 4.0, 5.0)], lon=LON + 180 * DLON)
    # B is within 100 m of both A and C: B is the centre, so the cluster is accepted…
    demonstration.designate_point(session, actor=people["office"], site_ids=[a.id, b.id, c.id], name="ok")
    session.rollback()
    # …but not with a 80 m radius.
    set_radius(session, people["office"], 80)
    session.commit()
    with pytest.raises(InvalidInput, match="too far apart"):
        demonstration.designate_point(session, actor=people["office"], site_ids=[a.id, b.id, c.id], name="x")


def test_a_site_joins_one_point_only_and_the_maximum_holds(session: Session, people: dict[str, User]) -> None:
    org = people["owner"].organisation_id
    sites = [estimated_site(session, org, f"T{i}", THREE_LAYERS, lon=LON + i * 0.01)[0] for i in range(3)]
    office = people["office"]
    demonstration.designate_point(session, actor=office, site_ids=[sites[0].id], name="one")
    with pytest.raises(Conflict, match="already belongs"):
        demonstration.designate_point(session, actor=office, site_ids=[sites[0].id], name="again")
    demonstration.designate_point(session, actor=office, site_ids=[sites[1].id], name="two")
    with pytest.raises(Conflict, match="maximum"):
        demonstration.designate_point(session, actor=office, site_ids=[sites[2].id], name="three")


def test_points_are_designated_before_bundling(session: Session, people: dict[str, User]) -> None:
    tower, _ = estimated_site(session, people["owner"].organisation_id, "Tower", THREE_LAYERS)
    confirmed_award(session, people["supplier"].organisation_id, [tower.id])
    with pytest.raises(Conflict, match="published bundle"):
        demonstration.designate_point(session, actor=people["office"], site_ids=[tower.id], name="late")
    assert demonstration.propose_candidates(session) == []


def test_a_point_can_be_removed_until_its_sites_are_tendered(
    session: Session, people: dict[str, User]
) -> None:
    tower, _ = estimated_site(session, people["owner"].organisation_id, "Tower", THREE_LAYERS)
    point = demonstration.designate_point(session, actor=people["office"], site_ids=[tower.id], name="p")
    session.commit()
    assert point.id is not None
    demonstration.remove_point(session, actor=people["office"], point_id=point.id)
    session.commit()
    assert demonstration.points_progress(session) == []
    again = demonstration.designate_point(session, actor=people["office"], site_ids=[tower.id], name="p2")
    session.commit()
    award = confirmed_award(session, people["supplier"].organisation_id, [tower.id])
    assert award.id is not None and again.id is not None
    with pytest.raises(Conflict, match="tendered"):
        demonstration.remove_point(session, actor=people["office"], point_id=again.id)


def test_a_new_point_starts_with_nothing_connected(session: Session, people: dict[str, User]) -> None:
    tower, _ = estimated_site(session, people["owner"].organisation_id, "Tower", THREE_LAYERS)
    demonstration.designate_point(session, actor=people["office"], site_ids=[tower.id], name="p")
    [progress] = demonstration.points_progress(session)
    assert (progress.surfaces, progress.connected_surfaces, progress.complete) == (3, 0, False)
    assert progress.capacity_kwp == pytest.approx(75.0)
