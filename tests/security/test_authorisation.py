"""Authorisation on every object route: every /api/v1 route with a path parameter × every role ×
someone else's object, on the demo district.

The routes come from the app at collection time, so a route added later is in the table without
anyone listing it. Each path parameter names an object kind; :data:`OBJECTS` says how to find one
that belongs to *someone else* (another owner's site, another supplier's bid, the office's run…).
A parameter nobody has described fails the test with a message saying what to add.

Each request carries a schema-valid body (the smallest one Hypothesis can find for the operation),
so the request reaches the handler and the service's own check, not just FastAPI's validation.
Expected: never a 5xx; never a 2xx for a role that must not see or change the object — except the
few (route, role) pairs in :data:`SHARED_BY_DESIGN` / :data:`PUBLIC_BY_DESIGN`, each with its reason —
and for such a role a refusal (403, or 404 for a hidden object), not a later check's 409 or 422.
The office may do nearly everything by design, so it is asked only to read, and must not fail (5xx).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from pvhub.accounts.models import User
from pvhub.bundling.enums import BundleStatus
from pvhub.bundling.models import Bundle, BundlingRun
from pvhub.construction import documents as milestone_documents
from pvhub.construction.models import Construction, Milestone, MilestoneDocument
from pvhub.core.enums import RunStatus
from pvhub.core.settings import Settings
from pvhub.demo.loader import DEMO_PASSWORD, OFFICE_EMAIL, load_demo
from pvhub.jobs.models import Job
from pvhub.notifications.models import Notification
from pvhub.programme.models import DemonstrationPoint
from pvhub.register.models import Site, Surface
from pvhub.survey.models import Building, BuildingOffer
from pvhub.tendering import documents as tenders_documents
from pvhub.tendering.models import Award, AwardRun, Bid, Objection, Tender, TenderDocument
from pvhub.weather.models import WeatherDataset
from tests.conftest import _empty
from tests.security.routes import Route, api_routes
from web.app import create_app

ROLES = ("anonymous", "owner", "supplier", "office")
EMAILS = {"owner": "owner01@demo.pvhub", "supplier": "supplier01@demo.pvhub", "office": OFFICE_EMAIL}

# (method, path) → roles that may get a 2xx on an object that is not theirs, and why.
SHARED_BY_DESIGN: dict[tuple[str, str], set[str]] = {
    # a published tender is public to every signed-in bidder and owner (DESIGN: the flow, step 4)
    ("GET", "/api/v1/tenders/{tender_id}"): {"owner", "supplier"},
    ("GET", "/api/v1/tenders/{tender_id}/documents/{document_id}"): {"owner", "supplier"},
    ("GET", "/api/v1/tenders/{tender_id}/ocds"): {"owner", "supplier"},
    # the proposed winners are published (公示) so that bidders may object
    ("GET", "/api/v1/tenders/{tender_id}/awards"): {"owner", "supplier"},
    # a supplier lists its *own* bids and receipts on any tender (filtered to its organisation)
    ("GET", "/api/v1/tenders/{tender_id}/bids"): {"supplier"},
    ("GET", "/api/v1/tenders/{tender_id}/receipts"): {"supplier"},
    # any supplier may bid on a published tender and object to a proposed award
    ("POST", "/api/v1/tenders/{tender_id}/bids"): {"supplier"},
    ("POST", "/api/v1/awards/{award_id}/objections"): {"supplier"},
    # the building stock is the district's, nobody's own: every signed-in reader may open a building
    ("GET", "/api/v1/buildings/{building_id}"): {"owner", "supplier"},
}
# Object routes anyone may read without logging in.
PUBLIC_BY_DESIGN: set[tuple[str, str]] = {
    # the public potential map's drill-down: a building's candidates, without owner status (issue #18)
    ("GET", "/api/v1/survey/buildings/{building_id}/candidates"),
}
# Reads the office is refused by design (everything else it reads, which shows the probes are well formed).
OFFICE_CANNOT_READ = {
    ("GET", "/api/v1/tenders/{tender_id}/receipts"): "a supplier's own bid receipts",
}


@dataclass(frozen=True)
class Actor:
    role: str
    user: User | None
    headers: dict[str, str]

    @property
    def org(self) -> int | None:
        return self.user.organisation_id if self.user else None


Finder = Callable[[Session, Actor], int | None]


def _first(session: Session, statement: Any) -> int | None:
    return session.exec(statement.limit(1)).first()


def _sites_built_by(org: int | None) -> Any:
    return (
        select(Surface.site_id)
        .join(Construction, col(Construction.surface_id) == Surface.id)
        .where(Construction.supplier_id == org)
    )


def _foreign_site(session: Session, actor: Actor) -> int | None:
    """Another owner's site, which the actor's organisation does not build either."""
    return _first(
        session,
        select(Site.id)
        .where(Site.organisation_id != actor.org, col(Site.id).not_in(_sites_built_by(actor.org)))
        .order_by(Site.id),
    )


def _foreign_surface(session: Session, actor: Actor) -> int | None:
    """A surface under construction by another supplier on another owner's site (milestones exist)."""
    return _first(
        session,
        select(Surface.id)
        .join(Site, col(Site.id) == Surface.site_id)
        .join(Construction, col(Construction.surface_id) == Surface.id)
        .where(Site.organisation_id != actor.org, Construction.supplier_id != actor.org)
        .where(col(Site.id).not_in(_sites_built_by(actor.org)))
        .order_by(Surface.id),
    )


def _foreign_milestone(session: Session, actor: Actor) -> int | None:
    surface = _foreign_surface(session, actor)
    return _first(session, select(Milestone.id).where(Milestone.surface_id == surface).order_by(Milestone.id))


def _foreign_evidence(session: Session, actor: Actor) -> int | None:
    surface = _foreign_surface(session, actor)
    return _first(
        session,
        select(MilestoneDocument.id)
        .join(Milestone, col(Milestone.id) == MilestoneDocument.milestone_id)
        .where(Milestone.surface_id == surface),
    )


def _foreign_bid(session: Session, actor: Actor) -> int | None:
    return _first(session, select(Bid.id).where(Bid.supplier_id != actor.org).order_by(Bid.id))


def _foreign_award(session: Session, actor: Actor) -> int | None:
    return _first(
        session,
        select(Award.id)
        .join(Bid, col(Bid.id) == Award.bid_id)
        .where(Bid.supplier_id != actor.org)
        .order_by(Award.id),
    )


def _draft_bundle(session: Session, actor: Actor) -> int | None:
    """A bundle not yet published (suppliers see published ones by design)."""
    drafts = select(Bundle.id).where(Bundle.status != BundleStatus.published).order_by(Bundle.id)
    return _first(session, drafts) or _first(session, select(Bundle.id).order_by(Bundle.id))


def _any(model: Any) -> Finder:
    return lambda session, _actor: _first(session, select(model.id).order_by(model.id))


# path parameter (optionally "collection/param" where the name alone is ambiguous) → finder
OBJECTS: dict[str, Finder] = {
    "site_id": _foreign_site,
    "surface_id": _foreign_surface,
    "milestone_id": _foreign_milestone,
    "bid_id": _foreign_bid,
    "award_id": _foreign_award,
    "objection_id": lambda s, a: _first(
        s, select(Objection.id).where(Objection.supplier_id != a.org).order_by(Objection.id)
    ),
    "notification_id": lambda s, a: _first(
        s, select(Notification.id).where(Notification.organisation_id != a.org).order_by(Notification.id)
    ),
    "job_id": lambda s, a: _first(
        s, select(Job.id).where(Job.created_by_id != (a.user.id if a.user else None)).order_by(Job.id)
    ),
    "user_id": lambda s, a: _first(s, select(User.id).where(User.organisation_id != a.org).order_by(User.id)),
    "bundle_id": _draft_bundle,
    "point_id": _any(DemonstrationPoint),
    "tender_id": _any(Tender),
    "documents/document_id": _any(TenderDocument),
    "milestone-documents/document_id": _foreign_evidence,
    "bundling-runs/run_id": _any(BundlingRun),
    "award-runs/run_id": _any(AwardRun),
    # the office's measured weather (only the office may compare); the demo has none: MISSING_ID
    "measured-weather/dataset_id": _any(WeatherDataset),
    # a building of the demo's stock (issue #18)
    "building_id": _any(Building),
    # a building offered to another owner organisation (the demo offers one to owner01's)
    "offer_id": lambda s, a: _first(
        s, select(BuildingOffer.id).where(BuildingOffer.organisation_id != a.org).order_by(BuildingOffer.id)
    ),
}
MISSING_ID = 987_654_321  # where the demo has no such object at all, ask for one that does not exist


def _finder(route: Route, param: str) -> Finder:
    parts = route.path.split("/")
    collection = parts[parts.index(f"{{{param}}}") - 1]
    finder = OBJECTS.get(f"{collection}/{param}") or OBJECTS.get(param)
    if finder is None:
        pytest.fail(
            f"{route} has the path parameter {param!r}, which tests/security/test_authorisation.py does not "
            "know: add to OBJECTS how to find someone else's object of that kind"
        )
    return finder


def _collect_routes() -> list[Route]:
    app = create_app(Settings(env="test", database_url="sqlite://", secret_key="c" * 40))
    return [r for r in api_routes(app) if r.params]


OBJECT_ROUTES = _collect_routes()


def test_the_object_routes_are_collected() -> None:
    """An empty or partial listing would leave the table below with nothing, or little, to check."""
    assert len(OBJECT_ROUTES) >= 40
    assert Route("GET", "/api/v1/sites/{site_id}") in OBJECT_ROUTES
    assert Route("POST", "/api/v1/bids/{bid_id}/withdraw") in OBJECT_ROUTES


@dataclass
class Matrix:
    app: FastAPI
    engine: Engine
    actors: dict[str, Actor]
    schema: Any
    bodies: dict[Route, Any]


@pytest.fixture(scope="module")
def matrix(database_url: str, engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    """The demo district, a job and a tender document, and a token for each role."""
    data_dir = tmp_path_factory.mktemp("authz-data")
    settings = Settings(env="test", database_url=database_url, secret_key="m" * 40, data_dir=data_dir)
    with Session(engine, expire_on_commit=False) as session:
        load_demo(session=session)
        session.commit()
        office = session.exec(select(User).where(User.email == OFFICE_EMAIL)).one()
        session.add(Job(kind="estimate", parameters={}, created_by_id=office.id, message="done"))
        session.commit()
        _add_documents(session, office, data_dir)
    app = create_app(settings)
    try:
        with TestClient(app) as client, Session(engine, expire_on_commit=False) as session:
            actors = {"anonymous": Actor("anonymous", None, {})}
            for role, email in EMAILS.items():
                token = client.post("/api/v1/auth/token", data={"username": email, "password": DEMO_PASSWORD})
                assert token.status_code == 200, token.text
                user = session.exec(select(User).where(User.email == email)).one()
                actors[role] = Actor(role, user, {"Authorization": f"Bearer {token.json()['access_token']}"})
            schema = schemathesis.openapi.from_asgi("/openapi.json", app)
            yield Matrix(app, engine, actors, schema, {})
    finally:
        _wait_for_running_jobs(engine)
        app.state.engine.dispose()
        _empty(engine)


def _wait_for_running_jobs(engine: Engine, limit_s: float = 600.0) -> None:
    """Let the jobs the app runs in its threads finish before the tables are emptied: the demo's
    start-up survey (building shade since issue #19) can outlast the module, and a job left running
    would then write its progress into the next test's job of the same id."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        with Session(engine) as session:
            running = session.exec(
                select(sa.func.count()).select_from(Job).where(Job.status == RunStatus.running)
            ).one()
        if not running:
            return
        time.sleep(0.5)
    raise AssertionError(f"jobs still running after {limit_s:.0f} s")


def _add_documents(session: Session, office: User, data_dir: Path) -> None:
    """A tender document, and evidence on one milestone of every surface under construction.

    The tender document is written directly (the demo's tender has opened, so its documents are
    final); the evidence goes through the service, as the office.
    """
    content = b"%PDF-1.4\n% pvhub test document\n%%EOF\n"
    sha256 = hashlib.sha256(content).hexdigest()
    tender = session.exec(select(Tender.id).order_by(Tender.id)).first()
    if tender is not None:
        path = tenders_documents._path(data_dir, tender, sha256)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        session.add(
            TenderDocument(
                tender_id=tender,
                filename="conditions.pdf",
                content_type="application/pdf",
                size_bytes=len(content),
                sha256=sha256,
                uploaded_by_id=office.id,
            )
        )
    first_milestones = select(sa.func.min(Milestone.id)).group_by(Milestone.surface_id)
    for milestone_id in session.exec(first_milestones).all():
        milestone_documents.add_evidence(
            session,
            actor=office,
            milestone_id=milestone_id,
            filename="evidence.pdf",
            content=content,
            data_dir=data_dir,
            max_bytes=len(content),
        )
    session.commit()


def _simple_case(matrix: Matrix, route: Route) -> Any:
    """A simple schema-valid request of this operation (query and body), drawn once per route.

    Hypothesis's first draw is its simplest one (zeros, empty strings, minimal lists); drawing a
    single example without shrinking keeps this fast and the same from run to run.
    """
    if route not in matrix.bodies:
        operation = matrix.schema[route.path][route.method]
        drawn: list[Any] = []

        @hypothesis.settings(
            max_examples=1,
            phases=[hypothesis.Phase.generate],
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
        @hypothesis.given(operation.as_strategy())
        def draw(case: Any) -> None:
            drawn.append(case)

        draw()
        matrix.bodies[route] = drawn[0]
    return matrix.bodies[route]


def _request(matrix: Matrix, route: Route, actor: Actor, ids: dict[str, int]) -> int:
    template = _simple_case(matrix, route)
    operation = matrix.schema[route.path][route.method]
    case = operation.Case(
        path_parameters=ids,
        query=template.query,
        body=template.body,
        media_type=template.media_type,
        headers=actor.headers or None,
    )
    return int(case.call().status_code)


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=str)
def test_no_role_reaches_someone_elses_object(matrix: Matrix, route: Route) -> None:
    outcomes: dict[str, int] = {}
    ids_of: dict[str, dict[str, int]] = {}
    with Session(matrix.engine) as session:
        for role in ROLES:
            if role == "office" and route.method != "GET":
                continue  # the office may change every object by design; its reads must still not fail
            actor = matrix.actors[role]
            ids_of[role] = {p: _finder(route, p)(session, actor) or MISSING_ID for p in route.params}
            outcomes[role] = _request(matrix, route, actor, ids_of[role])
    allowed = SHARED_BY_DESIGN.get((route.method, route.path), set()) | {"office"}
    if (route.method, route.path) in PUBLIC_BY_DESIGN:
        allowed |= {"anonymous", "owner", "supplier"}
    errors = {role: code for role, code in outcomes.items() if code >= 500}
    leaks = {role: code for role, code in outcomes.items() if 200 <= code < 300 and role not in allowed}
    # a role that may not reach the object is refused by the permission check (403, or 404 where the
    # object is hidden); any other 4xx (422, 409, …) would be a later check answering in its place
    unchecked = {
        role: code
        for role, code in outcomes.items()
        if role not in allowed and role != "anonymous" and code not in (403, 404)
    }
    assert not errors, f"{route}: server errors {errors} (all answers: {outcomes})"
    assert not leaks, f"{route}: reached someone else's object as {leaks} (all answers: {outcomes})"
    assert not unchecked, (
        f"{route}: not refused by a permission check as {unchecked} (all answers: {outcomes})"
    )
    if "office" in outcomes and all(ids_of["office"][p] != MISSING_ID for p in route.params):
        expected_ok = (route.method, route.path) not in OFFICE_CANNOT_READ
        assert (200 <= outcomes["office"] < 300) == expected_ok, (
            f"{route}: the office got {outcomes['office']}; a well-formed probe lets it read every object "
            "(if it must not, add the route to OFFICE_CANNOT_READ with the reason)"
        )
    if "anonymous" in outcomes and (route.method, route.path) not in PUBLIC_BY_DESIGN:
        assert outcomes["anonymous"] == 401, f"{route}: anonymous got {outcomes['anonymous']}, not 401"


def test_every_object_kind_of_the_table_exists_in_the_demo(matrix: Matrix) -> None:
    """The matrix is only as good as its objects: each finder must find something for someone."""
    missing = []
    with Session(matrix.engine) as session:
        for key, finder in OBJECTS.items():
            if not any(finder(session, actor) for actor in matrix.actors.values()):
                missing.append(key)
    assert not missing, f"no object to probe for {missing}; the routes on them are only checked against 404"
