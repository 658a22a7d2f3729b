"""Office page "Bundle": run the optimiser, watch it live, then edit, lock and publish the drafts."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlmodel import Session, select
from starlette.responses import Response

from optimiser.bundling.progress import PHASES
from pvhub.bundling import bundles
from pvhub.bundling import runs as bundling
from pvhub.bundling.enums import BundleStatus
from pvhub.bundling.models import BundlingRun
from pvhub.bundling.runs import BundlingParameters
from pvhub.core import policy
from pvhub.core.enums import RunStatus
from pvhub.core.errors import DomainError, NotFound
from pvhub.core.http import SessionDep
from pvhub.core.ids import parse_id, parse_ids
from pvhub.economics.cashflow import Economics
from pvhub.jobs import service as jobs
from pvhub.jobs.deps import StartJob
from pvhub.monitoring import demonstration
from pvhub.weather import service as weather
from web import csrf, i18n
from web.bundling.reasons import translate_reason, translate_run_message
from web.charts import line_chart
from web.economics import format as money
from web.form_data import PageForm
from web.shell import LoggedIn, base_context
from web.templating import render
from web.validation import problem_text
from web.vocabulary import N_

router = APIRouter(include_in_schema=False)

TYPED = "bundling_form"  # session key: the form's values when they were rejected

# The form's fields and their labels (also used to name a bad field in the error message).
FIELDS = {
    "min_capacity_kwp": N_("Minimum per bundle (kWp)"),
    "max_capacity_kwp": N_("Maximum per bundle (kWp)"),
    "max_sites": N_("Sites per bundle, at most"),
    "max_distance_m": N_("Distance to the anchor site, at most (m)"),
    "bundle_count": N_("Number of bundles (empty: the optimiser chooses)"),
    "bundle_cost_m": N_("Cost per bundle (m of distance)"),
    "time_limit_s": N_("Time limit (s)"),
    "min_value_cny": N_("Bankability floor: each bundle's value, at least (CNY; empty: no floor)"),
    "same_group": N_("Keep each bundle to one"),
}
# What a bundle may be kept to (BundlingParameters.same_group), in the order the page offers them.
SAME_GROUP = {
    "none": N_("no restriction"),
    "business_model": N_("business model"),
    "subdistrict": N_("subdistrict"),
}


def _back(request: Request, error: str | None = None) -> Response:
    if error:
        request.session["flash_error"] = error
    return RedirectResponse("/bundles", status_code=303)


def _latest_run(session: Session) -> BundlingRun | None:
    return session.exec(select(BundlingRun).order_by(BundlingRun.id.desc()).limit(1)).first()  # type: ignore[union-attr]


def run_context(session: Session, run: BundlingRun | None) -> dict[str, Any]:
    """The run panel: status, progress, live chart of best cost and bound, result figures."""
    if run is None:
        return {"run": None}
    state, job = bundling.run_state(session, run)
    detail = (job.detail or {}) if job else {}
    series = list(detail.get("series", []))
    active = state in (RunStatus.queued, RunStatus.running)
    return {
        "run": run,
        "run_status": state.value,
        "run_active": active,
        "run_phase": detail.get("phase") if active and detail.get("phase") in PHASES else None,
        "run_progress": 1.0 if state == RunStatus.succeeded else (job.progress if job else 0.0),
        "run_error": (
            i18n.job_error_text(job, translate_run_message)
            if job is not None and state != RunStatus.succeeded
            else None
        ),
        "chart": line_chart(
            {
                "cost": [(p["t"], p["cost_m"]) for p in series if p.get("cost_m") is not None],
                "bound": [(p["t"], p["bound_m"]) for p in series if p.get("bound_m") is not None],
            }
        ),
    }


def _unbundled(session: Session, run: BundlingRun | None) -> list[dict[str, Any]]:
    """Sites the last stored run left out, with the optimiser's or the register's reason."""
    if run is None or not run.result:
        return []
    rows = [{"site_id": int(u["id"]), "reason": u["reason"]} for u in run.result.get("unbundled", [])]
    rows += [{"site_id": int(s["site_id"]), "reason": s["reason"]} for s in run.result.get("skipped", [])]
    names = bundles.site_names(session, [r["site_id"] for r in rows])
    return [
        {**r, "name": names.get(r["site_id"], str(r["site_id"])), "reason": translate_reason(r["reason"])}
        for r in rows
    ]


@router.get("/bundles")
def bundles_page(request: Request, user: LoggedIn, session: SessionDep) -> Response:
    """Parameters and run, live progress, the drafts on a map and in a table, the unbundled sites."""
    policy.require(user, "bundle:run")
    views = bundles.list_bundles(session=session, user=user)
    latest = _latest_run(session)
    stored = session.exec(
        select(BundlingRun).where(BundlingRun.status == RunStatus.succeeded).order_by(BundlingRun.id.desc())  # type: ignore[union-attr]
    ).first()
    points = demonstration.points_progress(session)
    names = bundles.site_names(
        session, [s for v in views for s in v.site_ids] + [s for p in points for s in p.site_ids]
    )
    context = base_context(request, user, session)
    context.update(
        run_context(session, latest),
        views=views,
        names=names,
        points=points,
        editable=[v for v in views if v.status != BundleStatus.published],
        published=[v for v in views if v.status == BundleStatus.published],
        markers=bundles.site_markers(session, views),
        unbundled=_unbundled(session, stored),
        form=_form_values(request, latest),
        candidates=demonstration.propose_candidates(session, limit=5),
        flash_error=request.session.pop("flash_error", None),
        weather=weather.current_summary(session=session),
        economics=economics_rows(bundles.bundles_economics(session, views)),
        same_group_choices=SAME_GROUP,
    )
    return render(request, "bundling/bundles.html", context)


def economics_rows(found: dict[int, Economics]) -> dict[int, dict[str, Any]]:
    """Per bundle what the table shows: the model, the investment, the LCOE, the IRR of the party that
    invests (the owners under EPC, the investor otherwise) and the owners' first-year saving or income."""
    rows = {}
    for bundle_id, e in found.items():
        investing = e.investing_party
        rows[bundle_id] = {
            "model": e.business_model,
            "investment": money.cny(e.investment_cny),
            "lcoe": money.cny_per_kwh(e.lcoe_cny_per_kwh),
            "irr": money.share(investing.irr),
            "irr_missing": investing.irr is None,
            "value": money.cny(e.value_cny),
            "owner_year": money.cny(e.parties["owner"].first_year_net_cny),
        }
    return rows


def _form_values(request: Request, latest: BundlingRun | None) -> dict[str, str]:
    """What the form shows: the values just rejected (nothing typed is lost), else the last run's
    parameters (to adjust and run again), else the defaults."""
    typed = request.session.pop(TYPED, None)
    if isinstance(typed, dict):
        return {k: str(typed.get(k) or "") for k in (*FIELDS, "require_all")}
    params = BundlingParameters()
    if latest is not None:
        with contextlib.suppress(ValidationError):
            params = BundlingParameters.model_validate(latest.parameters)
    shown = {k: _plain(getattr(params, k)) for k in FIELDS if k != "same_group"}
    shown["same_group"] = params.same_group
    return shown | {"require_all": "on" if params.require_all else ""}


def _plain(value: float | int | None) -> str:
    """A number as the form takes it back: 1500 rather than 1500.0, nothing for no limit."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _parameters(form: dict[str, str], require_all: bool) -> BundlingParameters:
    values: dict[str, Any] = {k: form[k].strip() for k in FIELDS if k in form and form[k].strip() != ""}
    for optional in ("max_sites", "max_distance_m", "bundle_count", "min_value_cny"):
        values.setdefault(optional, None)
    return BundlingParameters.model_validate({**values, "require_all": require_all})


def _explain(exc: ValidationError) -> str:
    """One line per bad field, in the user's language where the field has a label."""
    parts = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else ""
        label = i18n.gettext(FIELDS[field]) if field in FIELDS else (field or i18n.gettext("Parameters"))
        parts.append(i18n.gettext("{label}: {problem}").format(label=label, problem=problem_text(err)))
    return i18n.gettext("; ").join(parts)


@router.post("/bundles/runs", dependencies=[Depends(csrf.verify)])
def start_run(
    request: Request, user: LoggedIn, session: SessionDep, start_job: StartJob, form: PageForm
) -> Response:
    """Queue a run with the form's parameters; the page then follows it live."""
    typed = {k: str(v) for k, v in form.items()}
    try:
        params = _parameters(typed, require_all=typed.get("require_all") == "on")
        run = bundling.submit_run(session=session, actor=user, params=params)
    except ValidationError as exc:
        request.session[TYPED] = {k: typed.get(k, "") for k in (*FIELDS, "require_all")}
        return _back(request, _explain(exc))
    start_job.start(run.job_id)
    return _back(request)


@router.get("/bundles/runs/{run_id}/progress")
def run_progress(request: Request, run_id: int, user: LoggedIn, session: SessionDep) -> Response:
    """The run panel alone, polled by htmx while the run is active; reloads the page when it ends."""
    policy.require(user, "bundle:run")
    run = session.get(BundlingRun, run_id)
    if run is None:
        raise NotFound("No bundling run with id {run_id}.", run_id=run_id)
    context = base_context(request, user, session)
    context.update(run_context(session, run))
    response = render(request, "bundling/run.html", context)
    if not context["run_active"] and request.headers.get("HX-Request") == "true":
        response.headers["HX-Refresh"] = "true"
    return response


@router.post("/bundles/runs/{run_id}/cancel", dependencies=[Depends(csrf.verify)])
def cancel_run(request: Request, run_id: int, user: LoggedIn, session: SessionDep) -> Response:
    policy.require(user, "bundle:run")
    run = session.get(BundlingRun, run_id)
    if run is None or run.job_id is None:
        raise NotFound("No bundling run with id {run_id}.", run_id=run_id)
    jobs.cancel(session=session, actor=user, job_id=run.job_id)
    return _back(request)


def _act(request: Request, session: Session, action: Any) -> Response:
    try:
        action()
    except DomainError as exc:
        session.rollback()
        return _back(request, i18n.error_text(exc))
    session.commit()
    return _back(request)


@router.post("/bundles/{bundle_id}/lock", dependencies=[Depends(csrf.verify)])
def lock(request: Request, bundle_id: int, user: LoggedIn, session: SessionDep) -> Response:
    return _act(
        request,
        session,
        lambda: bundles.set_locked(session=session, actor=user, bundle_id=bundle_id, locked=True),
    )


@router.post("/bundles/{bundle_id}/unlock", dependencies=[Depends(csrf.verify)])
def unlock(request: Request, bundle_id: int, user: LoggedIn, session: SessionDep) -> Response:
    return _act(
        request,
        session,
        lambda: bundles.set_locked(session=session, actor=user, bundle_id=bundle_id, locked=False),
    )


@router.post("/bundles/{bundle_id}/publish", dependencies=[Depends(csrf.verify)])
def publish(request: Request, bundle_id: int, user: LoggedIn, session: SessionDep) -> Response:
    return _act(request, session, lambda: bundles.publish(session=session, actor=user, bundle_id=bundle_id))


@router.post("/bundles/points", dependencies=[Depends(csrf.verify)])
def designate(
    request: Request,
    user: LoggedIn,
    session: SessionDep,
    site_ids: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
    name_en: Annotated[str, Form()] = "",
) -> Response:
    """Designate a proposed candidate as a demonstration point (its sites are then bundled together)."""
    return _act(
        request,
        session,
        lambda: demonstration.designate_point(
            session,
            actor=user,
            site_ids=parse_ids(filter(None, map(str.strip, site_ids.split(","))), "site_ids"),
            name=name,
            name_en=name_en or None,
        ),
    )


@router.post("/bundles/points/{point_id}/remove", dependencies=[Depends(csrf.verify)])
def remove_point(request: Request, point_id: int, user: LoggedIn, session: SessionDep) -> Response:
    return _act(request, session, lambda: demonstration.remove_point(session, actor=user, point_id=point_id))


@router.post("/bundles/move", dependencies=[Depends(csrf.verify)])
def move(
    request: Request,
    user: LoggedIn,
    session: SessionDep,
    site_id: Annotated[int, Form()],
    bundle_id: Annotated[str, Form()] = "",
) -> Response:
    """Move a site into another unpublished bundle, or out of bundling (empty target)."""
    return _act(
        request,
        session,
        lambda: bundles.move_site(
            session=session,
            actor=user,
            site_id=site_id,
            bundle_id=parse_id(bundle_id, "bundle_id") if bundle_id.strip() else None,
        ),
    )
