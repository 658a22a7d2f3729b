"""A supplier's company profile: annual installation capacity (kWp, the award respects it),
certifications and a contact phone."""

from __future__ import annotations

from sqlmodel import Session

from pvhub.accounts.models import Organisation, User
from pvhub.core import audit, policy
from pvhub.core.errors import NotFound
from pvhub.tendering.models import SupplierProfileUpdate


def get_profile(*, session: Session, actor: User) -> Organisation:
    policy.require(actor, "supplier:update_profile")
    org = session.get(Organisation, actor.organisation_id)
    if org is None:
        raise NotFound("Your organisation no longer exists.")
    return org


def update_profile(*, session: Session, actor: User, changes: SupplierProfileUpdate) -> Organisation:
    """Change the supplier's own profile (fields left out stay as they are), audited."""
    org = get_profile(session=session, actor=actor)
    before = audit.snapshot(org)
    for key, value in changes.model_dump(exclude_unset=True).items():
        setattr(org, key, value)
    session.add(org)
    audit.record(
        session,
        actor=actor,
        entity="organisation",
        entity_id=org.id,
        action="update_profile",
        before=before,
        after=audit.snapshot(org),
    )
    return org
