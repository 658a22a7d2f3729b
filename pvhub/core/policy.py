"""Who may do what: the one place that decides, used by services, the API and the pages.

Actions are strings ``"<entity>:<verb>"``. ``can`` answers for a user (None = the public) and,
where ownership matters, the organisation that owns the object.
"""

from __future__ import annotations

from pvhub.core.actor import Actor
from pvhub.core.enums import Role
from pvhub.core.errors import NotAuthenticated, PermissionDenied

PUBLIC_ACTIONS = frozenset({"programme:read_totals"})

# Actions each role may take on any object, regardless of ownership.
ROLE_ACTIONS: dict[Role, frozenset[str]] = {
    Role.office: frozenset(
        {
            "programme:read_totals",
            "programme:read",
            "programme:update",
            "site:list_all",
            "site:read",
            "surface:read",
            "surface:review",
            "organisation:manage",
            "user:manage",
            "audit:read",
            "estimate:run",
            "surface:set_assumptions",  # a surface's own estimating assumptions (shading loss)
            "job:read_all",
            "bundle:run",
            "bundle:publish",
            "bundle:read_all",
            "bundle:edit",
            "tender:manage",
            "award:run",
            # construction and monitoring (issue 7)
            "demo_point:designate",
            "milestone:confirm",
            "construction:read_all",
            "progress:read",
            "energy:import",
            "site:create_for_others",
            "site:import",  # a register file, for any owner organisation (pvhub.register.imports.service)
            "stock:import",  # the district's building stock (pvhub.survey.stock)
            # the office corrects survey data during review and registers for owners
            "site:update",
            "site:delete",
            "surface:create",
            "surface:update",
            "surface:submit",
            # the survey (issue 18): run it, read the whole potential map, offer buildings to owners
            "survey:run",
            "survey:read",
            "survey:offer",
        }
    ),
    Role.owner: frozenset(
        # construction and energy: only for the owner's own sites (checked by the construction service)
        {
            "programme:read_totals",
            "programme:read",
            "site:create",
            "site:import",  # a register file, only into the owner's own organisation (checked by the import)
            "construction:read_own",
            "energy:import",
            # owners follow which supplier got their sites: they read published tenders (not bids)
            "tender:read_published",
            "survey:answer",  # buildings offered to the owner's own organisation (pvhub.survey.offers)
        }
    ),
    Role.supplier: frozenset(
        {
            "programme:read_totals",
            "programme:read",
            "tender:read_published",
            "bid:submit",
            "bundle:read_published",
            "award:object",
            "award:decline",
            "supplier:update_profile",
            # construction and energy: only for surfaces the supplier was awarded (checked by the service)
            "milestone:report",
            "construction:read_own",
            "energy:import",
        }
    ),
}

# Actions an owner may take only on objects its own organisation owns.
OWNED_ACTIONS = frozenset(
    {
        "site:read",
        "site:update",
        "site:delete",
        "surface:read",
        "surface:update",
        "surface:create",
        "surface:submit",
        "surface:withdraw",
    }
)


def can(user: Actor | None, action: str, *, owner_org_id: int | None = None) -> bool:
    """True when ``user`` may perform ``action`` (on an object owned by ``owner_org_id``)."""
    if user is None or not user.active:
        return action in PUBLIC_ACTIONS
    if action in ROLE_ACTIONS[user.role]:
        return True
    if user.role == Role.owner and action in OWNED_ACTIONS:
        return owner_org_id is not None and owner_org_id == user.organisation_id
    return False


def require(user: Actor | None, action: str, *, owner_org_id: int | None = None) -> None:
    """Raise a domain error unless ``user`` may perform ``action``."""
    if can(user, action, owner_org_id=owner_org_id):
        return
    if user is None:
        raise NotAuthenticated("Please log in to do this.")
    raise PermissionDenied("Your role ({role}) may not do this ({action}).", role=user.role, action=action)
