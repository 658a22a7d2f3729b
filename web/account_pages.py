"""The office's directory of organisations and users: add an organisation or a user, let a user in
or keep them out, set a new password. Rules live in :mod:`pvhub.services.accounts`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import Response

from pvhub.api.deps import SessionDep
from pvhub.errors import DomainError, InvalidInput
from pvhub.models import Role
from pvhub.services import accounts
from web import csrf, i18n
from web.pages import LoggedIn
from web.templating import render
from web.tender_pages import _back, page_context

router = APIRouter(include_in_schema=False)
BACK = "/accounts"


@router.get("/accounts")
def accounts_page(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    context = page_context(request, user, session)
    context["directory"] = accounts.directory(session=session, actor=user)
    context["kinds"] = [Role.owner, Role.supplier, Role.office]
    return render(request, "accounts.html", context)


@router.post("/accounts/organisations", dependencies=[Depends(csrf.verify)])
def add_organisation(
    request: Request,
    user: LoggedIn,
    session: SessionDep,
    name: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    annual_capacity_kw: Annotated[str, Form()] = "",
) -> Response:
    try:
        role = _role(kind)
        capacity = _optional_number(annual_capacity_kw, "annual_capacity_kw")
        accounts.create_organisation(
            session=session,
            actor=user,
            name=name,
            kind=role,
            annual_capacity_kw=capacity if role == Role.supplier else None,
        )
    except DomainError as exc:
        session.rollback()
        return _back(request, BACK, error=i18n.error_text(exc))
    return _back(request, BACK, message=i18n.gettext("The organisation is added."))


@router.post("/accounts/users", dependencies=[Depends(csrf.verify)])
def add_user(
    request: Request,
    user: LoggedIn,
    session: SessionDep,
    email: Annotated[str, Form()] = "",
    full_name: Annotated[str, Form()] = "",
    organisation: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    try:
        org = accounts.get_organisation_by_name(session=session, name=organisation)
        if org is None:
            raise InvalidInput("Choose the user's organisation.", field="organisation")
        accounts.create_user(
            session=session,
            actor=user,
            email=email,
            role=org.kind,
            organisation=org.name,
            password=password,
            full_name=full_name.strip() or None,
        )
    except DomainError as exc:
        session.rollback()
        return _back(request, BACK, error=i18n.error_text(exc))
    return _back(request, BACK, message=i18n.gettext("The user is added; give them the password."))


@router.post("/accounts/users/{user_id}/active", dependencies=[Depends(csrf.verify)])
def set_active(
    request: Request, user_id: int, user: LoggedIn, session: SessionDep, active: Annotated[str, Form()] = ""
) -> Response:
    try:
        changed = accounts.set_active(session=session, actor=user, user_id=user_id, active=active == "1")
    except DomainError as exc:
        session.rollback()
        return _back(request, BACK, error=i18n.error_text(exc))
    said = "{email} can log in again." if changed.active else "{email} can no longer log in."
    return _back(request, BACK, message=i18n.gettext(said).format(email=changed.email))


@router.post("/accounts/users/{user_id}/password", dependencies=[Depends(csrf.verify)])
def reset_password(
    request: Request, user_id: int, user: LoggedIn, session: SessionDep, password: Annotated[str, Form()] = ""
) -> Response:
    try:
        changed = accounts.reset_password(session=session, actor=user, user_id=user_id, password=password)
    except DomainError as exc:
        session.rollback()
        return _back(request, BACK, error=i18n.error_text(exc))
    return _back(
        request, BACK, message=i18n.gettext("{email} has a new password.").format(email=changed.email)
    )


def _role(kind: str) -> Role:
    try:
        return Role(kind)
    except ValueError:
        raise InvalidInput("Choose the kind of organisation.", field="kind") from None


def _optional_number(raw: str, field: str) -> float | None:
    text = raw.strip().replace(",", "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput("{field} must be a number (got {raw!r}).", raw=raw, field=field) from None
    if not value >= 0 or value == float("inf"):
        raise InvalidInput("{field} must be 0 or more.", field=field)
    return value


@router.get("/password")
def password_form(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    """Any user changes their own password."""
    return render(request, "password.html", page_context(request, user, session))


@router.post("/password", dependencies=[Depends(csrf.verify)])
def change_password(
    request: Request,
    user: LoggedIn,
    session: SessionDep,
    current_password: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    repeat: Annotated[str, Form()] = "",
) -> Response:
    try:
        if password != repeat:
            raise InvalidInput("The two new passwords differ.", field="repeat")
        accounts.change_own_password(session=session, user=user, current=current_password, new=password)
    except DomainError as exc:
        session.rollback()
        return _back(request, "/password", error=i18n.error_text(exc))
    return _back(request, "/password", message=i18n.gettext("Your password is changed."))
