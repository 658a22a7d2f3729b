"""Construction pages: the lists behind the dashboard's numbers, a surface's milestones (the supplier
reports, the office confirms or sends back), measured-energy upload, and demonstration points.

Forms are plain POST + redirect (303); a refused action comes back as a message on the same page.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from pvhub.construction import documents as milestone_documents
from pvhub.construction import energy as measured_energy
from pvhub.construction import service as construction
from pvhub.construction.enums import MilestoneKind
from pvhub.construction.schemas import MilestoneReport, SendBack
from pvhub.core import policy
from pvhub.core.enums import Role
from pvhub.core.errors import DomainError, InvalidInput
from pvhub.core.http import SessionDep
from pvhub.core.ids import parse_id, parse_ids
from pvhub.core.uploads import read_limited
from pvhub.estimates import service as estimates
from pvhub.monitoring import demonstration, progress
from pvhub.monitoring.progress import STAGES, StageFilter
from pvhub.programme import service as programme_service
from pvhub.register import service as register
from pvhub.register.enums import SurfaceKind
from web import csrf, i18n, import_report
from web.binding import bind
from web.form_data import PageForm
from web.shell import LoggedIn, base_context
from web.templating import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


def _today(request: Request) -> date:
    return construction.today_in(request.app.state.settings.timezone)


@router.get("/construction")
def construction_list(
    request: Request,
    user: LoggedIn,
    session: SessionDep,
    stage: str = "",
    at_least: str = "",
    kind: str = "",
    subdistrict: str = "",
    point: str = "",
    overdue: str = "",
    page: int = 1,
) -> Response:
    """Surfaces by stage (the office all; a supplier those it builds; an owner its own), filtered."""
    if not policy.can(user, "construction:read_own"):
        policy.require(user, "construction:read_all")
    page = max(page, 1)
    filters = StageFilter(
        stage=stage if stage in STAGES else None,
        at_least=at_least in ("1", "true", "on"),
        kind=kind if kind in SurfaceKind.__members__ else None,
        subdistrict=subdistrict.strip()[:50] or None,
        point_id=parse_id(point, "point") if point.strip() else None,
        overdue=overdue in ("1", "true", "on"),
    )
    total, total_kwp, rows = progress.list_by_stage(
        session,
        user=user,
        filters=filters,
        today=_today(request),
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    pages = max(1, -(-total // PAGE_SIZE))
    query = filters.as_query()

    def page_url(number: int) -> str:
        return "/construction?" + urlencode({**query, "page": number})

    context = base_context(request, user, session)
    context.update(
        rows=rows,
        total=total,
        total_kwp=total_kwp,
        filters=filters,
        stages=STAGES,
        kinds=[k.value for k in SurfaceKind],
        subdistricts=register.list_subdistricts(session=session),
        points=demonstration.points_progress(session),
        page_no=page,
        pages=pages,
        prev_url=page_url(page - 1) if page > 1 else None,
        next_url=page_url(page + 1) if page < pages else None,
        export_query=urlencode(query),
    )
    return render(request, "construction/list.html", context, block="results")


@router.get("/construction/surfaces/{surface_id}")
def surface_page(request: Request, surface_id: int, user: LoggedIn, session: SessionDep) -> Response:
    """A surface's eight milestones, with the report form (winner) or confirm / send back (office)."""
    today = _today(request)
    view = construction.get_surface_construction(session, user=user, surface_id=surface_id, today=today)
    estimate = estimates.estimates_for(session=session, surface_ids=[surface_id]).get(surface_id)
    energy = measured_energy.measured_for(session, surface_id)
    context = base_context(request, user, session)
    context.update(
        view=view,
        reportable=[v.milestone.kind.value for v in view.milestones if v.can_report],
        installed_from=construction.RANK[MilestoneKind.installed],
        rank=construction.RANK,
        documents=milestone_documents.evidence_for(
            session, [v.milestone.id for v in view.milestones if v.milestone.id is not None]
        ),
        estimate=estimate,
        energy=[(m, estimate.monthly_kwh[m.month - 1] if estimate else None) for m in energy],
        today=today.isoformat(),
        flash_error=request.session.pop("flash_error", None),
        flash_ok=request.session.pop("flash_ok", None),
        is_supplier=user.role == Role.supplier,
    )
    return render(request, "construction/surface.html", context)


def _back(surface_id: int) -> RedirectResponse:
    return RedirectResponse(f"/construction/surfaces/{surface_id}", status_code=303)


def _parse_kwp(text: str) -> float | None:
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInput("Not a number of kWp: {text!r}", text=text, field="installed_kwp") from None


@router.post("/construction/surfaces/{surface_id}/report", dependencies=[Depends(csrf.verify)])
def report(
    request: Request,
    surface_id: int,
    user: LoggedIn,
    session: SessionDep,
    form: PageForm,
    evidence: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """The winner reports a milestone reached (date, note, optional evidence), all or nothing; the
    form is read into the API's :class:`MilestoneReport`."""
    settings = request.app.state.settings
    content = read_limited(evidence, int(settings.max_upload_mb * 1e6)) if evidence else b""
    try:
        reached_on = str(form.get("reached_on") or "").strip()  # the API's "date"
        data = bind(
            MilestoneReport,
            form,
            installed_kwp=_parse_kwp(str(form.get("installed_kwp") or "")),
            **({"date": reached_on} if reached_on else {}),
        )
        milestone = construction.report_milestone(
            session,
            actor=user,
            surface_id=surface_id,
            kind=data.kind,
            actual_date=data.date,
            note=data.note,
            installed_kwp=data.installed_kwp,
            today=_today(request),
        )
        if content and evidence is not None and milestone.id is not None:
            milestone_documents.add_evidence(
                session,
                actor=user,
                milestone_id=milestone.id,
                filename=evidence.filename or "evidence",
                content=content,
                data_dir=settings.data_dir,
                max_bytes=int(settings.max_upload_mb * 1e6),
            )
        request.session["flash_ok"] = i18n.gettext(
            "Milestone reported; the programme office will confirm it."
        )
    except DomainError as exc:
        session.rollback()
        request.session["flash_error"] = i18n.error_text(exc)
    return _back(surface_id)


@router.get("/construction/documents/{document_id}")
def document(request: Request, document_id: int, user: LoggedIn, session: SessionDep) -> Response:
    """Download a milestone's evidence (whoever may read the surface's construction)."""
    found, content = milestone_documents.read_evidence(
        session, user=user, document_id=document_id, data_dir=request.app.state.settings.data_dir
    )
    suffix = found.filename.rsplit(".", 1)[-1].lower() if "." in found.filename else "bin"
    return Response(
        content,
        media_type=found.content_type,
        headers={"Content-Disposition": f'inline; filename="{found.sha256[:12]}.{suffix}"'},
    )


@router.post("/construction/milestones/{milestone_id}/confirm", dependencies=[Depends(csrf.verify)])
def confirm(request: Request, milestone_id: int, user: LoggedIn, session: SessionDep) -> Response:
    """The office confirms a reported milestone."""
    surface_id = construction.milestone_surface(session, milestone_id=milestone_id)
    try:
        construction.confirm_milestone(session, actor=user, milestone_id=milestone_id)
        request.session["flash_ok"] = i18n.gettext("Milestone confirmed.")
    except DomainError as exc:
        session.rollback()
        request.session["flash_error"] = i18n.error_text(exc)
    return _back(surface_id)


@router.post("/construction/milestones/{milestone_id}/send-back", dependencies=[Depends(csrf.verify)])
def send_back(
    request: Request,
    milestone_id: int,
    user: LoggedIn,
    session: SessionDep,
    form: PageForm,
) -> Response:
    """The office sends a reported milestone back to the supplier with a reason."""
    surface_id = construction.milestone_surface(session, milestone_id=milestone_id)
    try:
        data = bind(SendBack, form)
        construction.send_back_milestone(session, actor=user, milestone_id=milestone_id, reason=data.reason)
        request.session["flash_ok"] = i18n.gettext("Milestone sent back to the supplier.")
    except DomainError as exc:
        session.rollback()
        request.session["flash_error"] = i18n.error_text(exc)
    return _back(surface_id)


# --- measured energy ---------------------------------------------------------------------------------


@router.get("/construction/energy")
def energy_form(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    """Upload monthly meter readings (CSV) of grid-connected surfaces."""
    policy.require(user, "energy:import")
    return render(request, "construction/energy.html", base_context(request, user, session))


@router.post("/construction/energy", dependencies=[Depends(csrf.verify)])
def energy_upload(
    request: Request, user: LoggedIn, session: SessionDep, file: Annotated[UploadFile, File()]
) -> Response:
    """Import all rows or none; the report lists every bad line with its field and reason."""
    content = read_limited(file, int(request.app.state.settings.max_upload_mb * 1e6))
    report_ = measured_energy.import_csv(session, actor=user, content=content, today=_today(request))
    context: dict[str, Any] = base_context(request, user, session)
    context.update(
        report=report_.as_dict(), filename=file.filename, problems=import_report.problems(report_.errors)
    )
    failed = not report_.ok and request.headers.get("HX-Request") != "true"
    return render(
        request, "construction/energy.html", context, block="report", status_code=422 if failed else 200
    )


# --- demonstration points -------------------------------------------------------------------------------


@router.get("/demonstration")
def points_page(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    """Designated points with their progress, and pvhub's proposals to designate from (office)."""
    policy.require(user, "demo_point:designate")
    context = base_context(request, user, session)
    programme = programme_service.get_programme(session=session)
    context.update(
        points=demonstration.points_progress(session),
        candidates=demonstration.propose_candidates(session, limit=15),
        programme=programme,
        flash_error=request.session.pop("flash_error", None),
        flash_ok=request.session.pop("flash_ok", None),
    )
    return render(request, "construction/points.html", context)


@router.post("/demonstration", dependencies=[Depends(csrf.verify)])
def designate(request: Request, user: LoggedIn, session: SessionDep, form: PageForm) -> Response:
    """Designate a proposed site or cluster as a demonstration point."""
    try:
        site_ids = parse_ids(form.getlist("site_ids"), "site_ids")
        demonstration.designate_point(
            session,
            actor=user,
            site_ids=site_ids,
            name=str(form.get("name") or ""),
            name_en=str(form.get("name_en") or "") or None,
        )
        request.session["flash_ok"] = i18n.gettext("Demonstration point designated.")
    except DomainError as exc:
        session.rollback()
        request.session["flash_error"] = i18n.error_text(exc)
    return RedirectResponse("/demonstration", status_code=303)


@router.post("/demonstration/{point_id}/remove", dependencies=[Depends(csrf.verify)])
def remove_point(request: Request, point_id: int, user: LoggedIn, session: SessionDep) -> Response:
    try:
        demonstration.remove_point(session, actor=user, point_id=point_id)
        request.session["flash_ok"] = i18n.gettext("Demonstration point removed.")
    except DomainError as exc:
        session.rollback()
        request.session["flash_error"] = i18n.error_text(exc)
    return RedirectResponse("/demonstration", status_code=303)
