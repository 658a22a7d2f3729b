"""Construction milestones (supplier reports, office decides) and measured energy."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile
from fastapi import status as http
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from pvhub.accounts.deps import CurrentUser
from pvhub.construction import documents as milestone_documents
from pvhub.construction import energy as measured_energy
from pvhub.construction import service as construction
from pvhub.construction.enums import MilestoneKind, MilestoneStatus
from pvhub.construction.models import MilestoneDocument
from pvhub.construction.schemas import MilestoneReport, SendBack
from pvhub.core.http import SessionDep, SettingsDep
from pvhub.core.uploads import read_limited
from pvhub.estimates import service as estimates

router = APIRouter(
    tags=["construction"], responses={409: {"description": "Not allowed in the milestone's current state"}}
)


class MilestoneOut(BaseModel):
    id: int
    kind: MilestoneKind
    status: MilestoneStatus
    planned_date: date | None
    actual_date: date | None
    note: str | None
    sent_back_reason: str | None
    reported_at: datetime | None
    confirmed_at: datetime | None
    overdue: bool = Field(description="Planned date passed, not reported (or sent back)")
    late: bool = Field(description="Reported after its planned date")


class ConstructionOut(BaseModel):
    surface_id: int
    site_id: int
    supplier_id: int
    started_on: date
    schedule_days: int
    stage: str = Field(description="awarded, or the last milestone confirmed")
    capacity_kwp: float = Field(description="Installed kWp where reported, else the estimate")
    installed_kwp: float | None
    connected_on: date | None
    milestones: list[MilestoneOut]


def _out(view: construction.SurfaceConstruction) -> ConstructionOut:
    c = view.construction
    stage = "awarded" if c.stage_rank == 0 else construction.ORDER[c.stage_rank - 1].value
    return ConstructionOut(
        surface_id=c.surface_id,
        site_id=view.site.id or 0,
        supplier_id=c.supplier_id,
        started_on=c.started_on,
        schedule_days=c.schedule_days,
        stage=stage,
        capacity_kwp=round(view.capacity_kwp, 3),
        installed_kwp=c.installed_kwp,
        connected_on=c.connected_on,
        milestones=[
            MilestoneOut(
                id=v.milestone.id or 0,
                kind=v.milestone.kind,
                status=v.milestone.status,
                planned_date=v.milestone.planned_date,
                actual_date=v.milestone.actual_date,
                note=v.milestone.note,
                sent_back_reason=v.milestone.sent_back_reason,
                reported_at=v.milestone.reported_at,
                confirmed_at=v.milestone.confirmed_at,
                overdue=v.overdue,
                late=v.late,
            )
            for v in view.milestones
        ],
    )


@router.get("/surfaces/{surface_id}/milestones", response_model=ConstructionOut)
def read_milestones(
    surface_id: int, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> ConstructionOut:
    """A surface's construction: its eight milestones in State Grid order, planned and actual dates."""
    view = construction.get_surface_construction(
        session, user=user, surface_id=surface_id, today=construction.today_in(settings.timezone)
    )
    return _out(view)


@router.post("/surfaces/{surface_id}/milestones", response_model=ConstructionOut)
def report_milestone(
    surface_id: int, data: MilestoneReport, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> ConstructionOut:
    """Report a milestone (the winning supplier), in order; the office then confirms or sends it back."""
    today = construction.today_in(settings.timezone)
    construction.report_milestone(
        session,
        actor=user,
        surface_id=surface_id,
        kind=data.kind,
        actual_date=data.date,
        note=data.note,
        installed_kwp=data.installed_kwp,
        today=today,
    )
    session.flush()
    return _out(construction.get_surface_construction(session, user=user, surface_id=surface_id, today=today))


@router.post("/milestones/{milestone_id}/confirm", response_model=ConstructionOut)
def confirm_milestone(
    milestone_id: int, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> ConstructionOut:
    """Confirm a reported milestone (office), in order."""
    milestone = construction.confirm_milestone(session, actor=user, milestone_id=milestone_id)
    session.flush()
    return _out(
        construction.get_surface_construction(
            session,
            user=user,
            surface_id=milestone.surface_id,
            today=construction.today_in(settings.timezone),
        )
    )


@router.post("/milestones/{milestone_id}/send-back", response_model=ConstructionOut)
def send_back_milestone(
    milestone_id: int, data: SendBack, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> ConstructionOut:
    """Send a reported milestone back to the supplier with a reason (office); the supplier is notified."""
    milestone = construction.send_back_milestone(
        session, actor=user, milestone_id=milestone_id, reason=data.reason
    )
    session.flush()
    return _out(
        construction.get_surface_construction(
            session,
            user=user,
            surface_id=milestone.surface_id,
            today=construction.today_in(settings.timezone),
        )
    )


# --- measured energy --------------------------------------------------------------------------------


class EnergyRowIn(BaseModel):
    surface_id: int
    month: str = Field(description="YYYY-MM, a complete month after the grid connection")
    energy_kwh: float = Field(description="AC energy delivered in the month, kWh")


class EnergyIn(BaseModel):
    rows: list[EnergyRowIn] = Field(min_length=1, max_length=measured_energy.MAX_ROWS)


ENERGY_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "Stored (months already stored are replaced)"},
    422: {"description": "Nothing stored: the report lists every bad row with its field and reason"},
}


@router.post("/measured-energy", responses=ENERGY_RESPONSES)
def import_energy_rows(data: EnergyIn, user: CurrentUser, session: SessionDep, settings: SettingsDep) -> Any:
    """Monthly meter readings of grid-connected surfaces, all or nothing (errors indexed from 0)."""
    report = measured_energy.import_rows(
        session,
        actor=user,
        rows=[(i, row.model_dump()) for i, row in enumerate(data.rows)],
        source="api",
        today=construction.today_in(settings.timezone),
    )
    return JSONResponse(report.as_dict(), status_code=http.HTTP_200_OK if report.ok else 422)


@router.post(
    "/measured-energy/import",
    responses={**ENERGY_RESPONSES, 413: {"description": "File too large"}},
)
def import_energy_csv(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="CSV: surface_id, month (YYYY-MM), energy_kwh")],
) -> Any:
    """The same from a CSV file (errors indexed by line, the header being line 1)."""
    content = read_limited(file, int(settings.max_upload_mb * 1e6))
    report = measured_energy.import_csv(
        session, actor=user, content=content, today=construction.today_in(settings.timezone)
    )
    return JSONResponse(report.as_dict(), status_code=http.HTTP_200_OK if report.ok else 422)


@router.get("/surfaces/{surface_id}/measured-energy")
def read_energy(
    surface_id: int, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> list[dict[str, Any]]:
    """A surface's stored months with the estimate for each (who may read its construction)."""
    view = construction.get_surface_construction(
        session, user=user, surface_id=surface_id, today=construction.today_in(settings.timezone)
    )
    estimate = estimates.estimates_for(session=session, surface_ids=[surface_id]).get(surface_id)
    return [
        {
            "month": f"{m.year:04d}-{m.month:02d}",
            "energy_kwh": m.energy_kwh,
            "estimated_kwh": estimate.monthly_kwh[m.month - 1] if estimate else None,
            "source": m.source,
        }
        for m in measured_energy.measured_for(session, view.surface.id or surface_id)
    ]


# --- evidence -----------------------------------------------------------------------------------------


class DocumentOut(BaseModel):
    id: int
    milestone_id: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime


@router.post(
    "/milestones/{milestone_id}/documents",
    response_model=DocumentOut,
    status_code=http.HTTP_201_CREATED,
    responses={413: {"description": "File too large"}},
)
def add_milestone_document(
    milestone_id: int,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="PDF, PNG, JPEG, DOCX, XLSX or ZIP")],
) -> DocumentOut:
    """Attach evidence (a site photo, a signed form): its supplier until confirmed, or the office."""
    limit = int(settings.max_upload_mb * 1e6)
    content = read_limited(file, limit)
    document = milestone_documents.add_evidence(
        session,
        actor=user,
        milestone_id=milestone_id,
        filename=file.filename or "evidence",
        content=content,
        data_dir=settings.data_dir,
        max_bytes=limit,
    )
    return DocumentOut.model_validate(document, from_attributes=True)


@router.get("/milestone-documents/{document_id}", response_class=Response)
def read_milestone_document(
    document_id: int, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> Response:
    """The file, for whoever may read the surface's construction."""
    document, content = milestone_documents.read_evidence(
        session, user=user, document_id=document_id, data_dir=settings.data_dir
    )
    return Response(
        content,
        media_type=document.content_type,
        headers={"Content-Disposition": f'attachment; filename="{_download_name(document)}"'},
    )


def _download_name(document: MilestoneDocument) -> str:
    """An ASCII file name for the download header (the stored name may be Chinese): hash + extension."""
    return f"{document.sha256[:12]}{Path(document.filename).suffix.lower()}"
