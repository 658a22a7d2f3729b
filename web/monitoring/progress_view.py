"""The programme's progress as pages show it: the context and the map markers the dashboard and the
public page share, and the public page itself (served to visitors at ``/`` and at ``/public``).

Every number links to the list behind it: ``/construction`` with the stage, kind, subdistrict, point
or overdue filter that produced it (:func:`list_url`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from sqlmodel import Session
from starlette.responses import Response

from pvhub.accounts.models import User
from pvhub.construction import service as construction
from pvhub.monitoring import progress
from pvhub.monitoring.progress import STAGE_GROUPS, STAGES, Progress
from web import i18n
from web.monitoring import burnup
from web.shell import base_context
from web.templating import render


def list_url(**filters: object) -> str:
    """The construction list filtered as given (empty values left out)."""
    query = {k: ("1" if v is True else str(v)) for k, v in filters.items() if v not in (None, "", False)}
    return "/construction" + ("?" + urlencode(query) if query else "")


def current_progress(request: Request, session: Session) -> Progress:
    """The programme's progress as of today (reading writes nothing: construction starts where an
    award is confirmed, :func:`pvhub.tendering.awards.confirm`)."""
    timezone = request.app.state.settings.timezone
    return progress.programme_progress(session, today=construction.today_in(timezone))


def stage_markers(sites: list[progress.SiteStage], *, with_names: bool) -> list[dict[str, Any]]:
    """Sites coloured by stage group; names and links only for signed-in office users."""
    look = {
        rank: (colour, i18n.gettext(f"stagegroup.{group}"))
        for rank in range(len(STAGES))
        for group, colour in [progress.stage_group(rank)]
    }
    out = []
    for site in sites:
        colour, group = look[site.rank]
        # 6 decimals is 0.1 m: plenty for a dot, and a smaller page with thousands of sites
        marker: dict[str, Any] = {
            "lon": round(site.lon, 6),
            "lat": round(site.lat, 6),
            "colour": colour,
            "group": group,
        }
        if with_names:
            marker.update(id=site.site_id, name=site.name)
        out.append(marker)
    return out


def progress_context(
    request: Request, user: User | None, session: Session, result: Progress
) -> dict[str, Any]:
    """The context the dashboard and the public page share: the progress, its burn-up chart, the stages."""
    context = base_context(request, user, session)
    context.update(
        p=result,
        chart=burnup.build(result),
        stages=STAGES,
        stage_groups=[(name, colour) for name, _low, _high, colour in STAGE_GROUPS],
        list_url=list_url,
    )
    return context


def public_page(request: Request, session: Session) -> Response:
    """Programme totals, demonstration points and the map by stage: nothing personal, nothing about bids.

    Sites appear as coloured dots without names; demonstration points by their designated names.
    """
    result = current_progress(request, session)
    context = progress_context(request, None, session, result)
    context["markers"] = stage_markers(result.site_stages, with_names=False)
    return render(request, "monitoring/public.html", context, block="content")
