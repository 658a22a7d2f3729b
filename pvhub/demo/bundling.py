"""Demo step: one bundling run over the demo district, then some bundles published for tender.

The demo's packages follow what a district office would tender: 1–2 MWp each, at most 30 sites
within 2 km of the anchor. The bundles holding demonstration points are published first (they
are the programme's showcase), then the next ones by code up to ``PUBLISHED`` in all, so the
demo shows both published and draft bundles.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from pvhub.accounts.models import User
from pvhub.bundling import bundles
from pvhub.bundling import runs as bundling
from pvhub.bundling.models import Bundle, BundleSite
from pvhub.bundling.runs import BundlingParameters
from pvhub.programme.models import DemonstrationPointSite

DEMO_PARAMETERS = BundlingParameters(
    min_capacity_kwp=1000, max_capacity_kwp=2000, max_sites=30, max_distance_m=2000, time_limit_s=5, seed=0
)
PUBLISHED = 6


def bundle_demo_district(session: Session, office_email: str) -> list[str]:
    """Run bundling as the office and publish some bundles; returns the published codes."""
    office = session.exec(select(User).where(User.email == office_email)).one()
    bundling.run_now(session=session, actor=office, params=DEMO_PARAMETERS)
    session.flush()
    point_sites = select(DemonstrationPointSite.site_id)
    with_points = session.exec(
        select(BundleSite.bundle_id).where(col(BundleSite.site_id).in_(point_sites)).distinct()
    ).all()
    ordered = list(with_points) + [
        b.id for b in session.exec(select(Bundle).order_by(col(Bundle.code))).all() if b.id not in with_points
    ]
    published = []
    for bundle_id in ordered[:PUBLISHED]:
        assert bundle_id is not None
        published.append(bundles.publish(session=session, actor=office, bundle_id=bundle_id).code)
    return published
