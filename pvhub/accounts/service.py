"""Organisations and users: create, look up, authenticate."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from pvhub.accounts.login_throttle import LoginThrottle
from pvhub.accounts.models import Organisation, User
from pvhub.core import audit, policy
from pvhub.core.enums import Role
from pvhub.core.errors import Conflict, InvalidInput, NotFound
from pvhub.core.security import DUMMY_HASH, hash_password, verify_password


def get_organisation_by_name(*, session: Session, name: str) -> Organisation | None:
    if "\x00" in name:
        return None  # no stored text holds a NUL (pvhub.core.db); PostgreSQL would refuse the query itself
    return session.exec(select(Organisation).where(Organisation.name == name)).first()


def create_organisation(
    *,
    session: Session,
    actor: User | None,
    name: str,
    kind: Role,
    annual_capacity_kw: float | None = None,
) -> Organisation:
    """Create an organisation; names are unique. Only a supplier has a yearly installation capacity
    (the award caps what it may win by it); one given for another kind is not kept."""
    if actor is not None:
        policy.require(actor, "organisation:manage")
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("Give the organisation's name (1 to 200 characters).", field="name")
    if get_organisation_by_name(session=session, name=name) is not None:
        raise Conflict("An organisation named {name!r} already exists.", name=name, field="name")
    capacity = annual_capacity_kw if kind == Role.supplier else None
    if capacity is not None and not 0 <= capacity < float("inf"):
        raise InvalidInput("{field} must be 0 or more.", field="annual_capacity_kw")
    org = Organisation(name=name, kind=kind, annual_capacity_kw=capacity)
    session.add(org)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="organisation",
        entity_id=org.id,
        action="create",
        after=audit.snapshot(org),
    )
    return org


def get_user_by_email(*, session: Session, email: str) -> User | None:
    if "\x00" in email:
        return None  # no stored text holds a NUL (pvhub.core.db); PostgreSQL would refuse the query itself
    return session.exec(select(User).where(User.email == email.strip().lower())).first()


def get_user(*, session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No user with id {user_id}.", user_id=user_id)
    return user


def create_user(
    *,
    session: Session,
    actor: User | None,
    email: str,
    organisation: str,
    password: str,
    role: Role | None = None,
    full_name: str | None = None,
) -> User:
    """Create a user in an existing organisation whose kind matches the role (by default the
    organisation's kind: pages and the API name only the organisation).

    ``actor`` None means the operator at the command line (recorded as ``system``).
    """
    if actor is not None:
        policy.require(actor, "user:manage")
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise InvalidInput("{email!r} is not an e-mail address.", email=email, field="email")
    if len(password) < 10:
        raise InvalidInput("The password must have at least 10 characters.", field="password")
    org = get_organisation_by_name(session=session, name=organisation)
    if org is None:
        raise NotFound(
            "No organisation named {organisation!r}; create it first.",
            organisation=organisation,
            field="organisation",
        )
    role = org.kind if role is None else role
    if org.kind != role:
        raise InvalidInput(
            "Organisation {organisation!r} is a {kind} organisation; a {role} user cannot belong to it.",
            organisation=organisation,
            kind=org.kind,
            role=role,
            field="role",
        )
    if get_user_by_email(session=session, email=email) is not None:
        raise Conflict("A user with e-mail {email} already exists.", email=email, field="email")
    assert org.id is not None
    user = User(
        email=email,
        role=role,
        organisation_id=org.id,
        password_hash=hash_password(password),
        full_name=full_name,
    )
    session.add(user)
    session.flush()
    audit.record(
        session, actor=actor, entity="user", entity_id=user.id, action="create", after=audit.snapshot(user)
    )
    return user


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same work either way, against timing probes)."""
    user = get_user_by_email(session=session, email=email)
    if user is None:
        verify_password(DUMMY_HASH, password)
        return None
    if not verify_password(user.password_hash, password) or not user.active:
        return None
    return user


def signed_in_user(*, session: Session, user_id: int, credential_version: int) -> User | None:
    """The user a page session or an API token names, while that login still counts; else None.

    Every request asks this (the API's bearer tokens and the pages' session cookie alike), so what
    it refuses stops working at once: a deactivated user, and any login made before the user's
    credential version last rose — a new password or a deactivation (:func:`end_sessions`). A
    login carries the version it was made at; cookies and tokens are signed, so it cannot be
    forged upwards.
    """
    user = session.get(User, user_id)
    if user is None or not user.active or user.credential_version != credential_version:
        return None
    return user


def end_sessions(user: User) -> None:
    """End every page session and API token ``user`` holds, wherever it is.

    Sessions and tokens live in signed cookies and headers, not on the server, so they cannot be
    listed and revoked one by one; raising the version they must carry refuses them all in
    :func:`signed_in_user`. A session that should live on (the one a user changed their own
    password in) takes the new version from the user after the change.
    """
    user.credential_version += 1


def authenticate_throttled(
    *, session: Session, email: str, password: str, address: str | None, throttle: LoginThrottle
) -> User | None:
    """:func:`authenticate`, refused with :class:`TooManyLoginAttempts` after too many failures for
    the account or from the address (see :mod:`pvhub.accounts.login_throttle`)."""
    throttle.check(email, address)
    user = authenticate(session=session, email=email, password=password)
    if user is None:
        throttle.failed(email, address)
    else:
        throttle.succeeded(email)
    return user


def list_organisations(*, session: Session, kind: Role) -> list[Organisation]:
    """Organisations of one kind, by name."""
    return list(
        session.exec(select(Organisation).where(Organisation.kind == kind).order_by(Organisation.name)).all()
    )


# --- the office manages organisations and users (DESIGN, "Around the flow") -----


@dataclass
class OrganisationView:
    organisation: Organisation
    users: list[User]


def directory(*, session: Session, actor: User) -> list[OrganisationView]:
    """Every organisation with its users, by kind and name (office only: it shows personal data)."""
    policy.require(actor, "user:manage")
    users: dict[int, list[User]] = {}
    for user in session.exec(select(User).order_by(col(User.email))).all():
        users.setdefault(user.organisation_id, []).append(user)
    orgs = session.exec(select(Organisation).order_by(col(Organisation.kind), col(Organisation.name))).all()
    return [OrganisationView(org, users.get(org.id or 0, [])) for org in orgs]


def get_user_for(*, session: Session, actor: User, user_id: int) -> User:
    """A user, for the office (who manages users) only."""
    policy.require(actor, "user:manage")
    return get_user(session=session, user_id=user_id)


def set_active(*, session: Session, actor: User, user_id: int, active: bool) -> User:
    """Let a user in or keep them out; a deactivated user's sessions and tokens stop working at once
    (every request checks ``active``) and for good: letting the user in again does not revive them,
    they log in afresh. The office cannot lock itself out this way."""
    policy.require(actor, "user:manage")
    user = get_user(session=session, user_id=user_id)
    if user.id == actor.id and not active:
        raise Conflict("You cannot deactivate your own account.", field="active")
    before = audit.snapshot(user)
    if user.active and not active:
        end_sessions(user)
    user.active = active
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="user",
        entity_id=user.id,
        action="activate" if active else "deactivate",
        before=before,
        after=audit.snapshot(user),
    )
    return user


def reset_password(*, session: Session, actor: User, user_id: int, password: str) -> User:
    """Set a new password for a user (office), e.g. a temporary one given by phone.

    Every session and token of the user ends, the office's own included when it resets its own
    password: a reset is what the office does when an account may be in the wrong hands, and a
    session opened with the old password is exactly what those hands would hold."""
    policy.require(actor, "user:manage")
    if len(password) < 10:
        raise InvalidInput("The password must have at least 10 characters.", field="password")
    user = get_user(session=session, user_id=user_id)
    user.password_hash = hash_password(password)
    end_sessions(user)
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, entity="user", entity_id=user.id, action="reset_password")
    return user


def change_own_password(*, session: Session, user: User, current: str, new: str) -> User:
    """A user replaces their password (e.g. the first one the office gave them); the current one
    must be given, so an unattended open session cannot be used to take the account over.

    Every other session and token of the user ends (whoever knew the old password may hold one).
    The caller's own session ends too unless it takes ``user.credential_version`` from the returned
    user, as the password page does: the person who just proved the password stays logged in."""
    if not verify_password(user.password_hash, current):
        raise InvalidInput("The current password is not right.", field="current_password")
    if len(new) < 10:
        raise InvalidInput("The password must have at least 10 characters.", field="password")
    if new == current:
        raise InvalidInput("Choose a password other than the current one.", field="password")
    user.password_hash = hash_password(new)
    end_sessions(user)
    session.add(user)
    session.flush()
    audit.record(session, actor=user, entity="user", entity_id=user.id, action="change_password")
    return user
