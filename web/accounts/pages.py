"""The office's directory of organisations and users: add an organisation or a user, let a user in
or keep them out, set a new password; and any user's own password. Rules live in
:mod:`pvhub.accounts.service`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from sqlmodel import Session
from starlette.responses import Response

from pvhub.accounts import service as accounts
from pvhub.accounts.schemas import OrganisationCreate, UserChange, UserCreate
from pvhub.core.enums import Role
from pvhub.core.errors import DomainError, InvalidInput
from pvhub.core.http import SessionDep
from web import csrf, i18n
from web.binding import bind
from web.form_data import PageForm
from web.shell import LoggedIn, flash_back, page_context
from web.templating import render

router = APIRouter(include_in_schema=False)
BACK = "/accounts"


def _act(request: Request, session: Session, change: Callable[[], str], back: str = BACK) -> Response:
    """Run a change and flash what it says, or roll back and flash the refusal."""
    try:
        said = change()
    except DomainError as exc:
        session.rollback()
        return flash_back(request, back, error=i18n.error_text(exc))
    return flash_back(request, back, message=said)


@router.get("/accounts")
def accounts_page(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    context = page_context(request, user, session)
    context["directory"] = accounts.directory(session=session, actor=user)
    context["kinds"] = [Role.owner, Role.supplier, Role.office]
    return render(request, "accounts/accounts.html", context)


@router.post("/accounts/organisations", dependencies=[Depends(csrf.verify)])
def add_organisation(
    request: Request,
    user: LoggedIn,
    session: SessionDep,
    form: PageForm,
) -> Response:
    def change() -> str:
        body = bind(OrganisationCreate, form)
        accounts.create_organisation(
            session=session,
            actor=user,
            name=body.name,
            kind=body.kind,
            annual_capacity_kw=body.annual_capacity_kw,
        )
        return i18n.gettext("The organisation is added.")

    return _act(request, session, change)


@router.post("/accounts/users", dependencies=[Depends(csrf.verify)])
def add_user(
    request: Request,
    user: LoggedIn,
    session: SessionDep,
    form: PageForm,
) -> Response:
    def change() -> str:
        body = bind(UserCreate, form)
        accounts.create_user(
            session=session,
            actor=user,
            email=body.email,
            organisation=body.organisation,
            password=body.password,
            full_name=body.full_name,
        )
        return i18n.gettext("The user is added; give them the password.")

    return _act(request, session, change)


@router.post("/accounts/users/{user_id}/active", dependencies=[Depends(csrf.verify)])
def set_active(
    request: Request, user_id: int, user: LoggedIn, session: SessionDep, form: PageForm
) -> Response:
    def change() -> str:
        active = bind(UserChange, form, password=None).active
        changed = accounts.set_active(session=session, actor=user, user_id=user_id, active=bool(active))
        said = "{email} can log in again." if changed.active else "{email} can no longer log in."
        return i18n.gettext(said).format(email=changed.email)

    return _act(request, session, change)


@router.post("/accounts/users/{user_id}/password", dependencies=[Depends(csrf.verify)])
def reset_password(
    request: Request, user_id: int, user: LoggedIn, session: SessionDep, form: PageForm
) -> Response:
    def change() -> str:
        password = bind(UserChange, form, active=None).password or ""
        changed = accounts.reset_password(session=session, actor=user, user_id=user_id, password=password)
        return i18n.gettext("{email} has a new password.").format(email=changed.email)

    return _act(request, session, change)


@router.get("/password")
def password_form(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    """Any user changes their own password."""
    return render(request, "accounts/password.html", page_context(request, user, session))


@router.post("/password", dependencies=[Depends(csrf.verify)])
def change_password(
    request: Request,
    user: LoggedIn,
    session: SessionDep,
    current_password: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    repeat: Annotated[str, Form()] = "",
) -> Response:
    """Change one's own password: every other session and token of the user ends, this one stays."""

    def change() -> str:
        if password != repeat:  # the form's own check: two fields that must agree
            raise InvalidInput("The two new passwords differ.", field="repeat")
        changed = accounts.change_own_password(
            session=session, user=user, current=current_password, new=password
        )
        # The change ends every session of the user; this one made it, so it carries on.
        request.session["ver"] = changed.credential_version
        return i18n.gettext("Your password is changed.")

    return _act(request, session, change, back="/password")
