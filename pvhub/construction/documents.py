"""Milestone evidence: site photos, signed forms, the grid company's letters attached to a milestone.

Stored on disk under ``<data dir>/documents/milestones/<surface id>/<sha256>`` (the content hash
names the file, as for tender documents, so a file left by a rolled-back request is harmless). The
same types are accepted as for tender documents, checked by the first bytes as well as the name.
The supplier building the surface attaches evidence until the milestone is confirmed; the office
may attach at any time; whoever may read the surface's construction may read its evidence.
"""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePath

from sqlmodel import Session, col, select

from pvhub.accounts.models import User
from pvhub.construction import service as construction
from pvhub.construction.enums import MilestoneStatus
from pvhub.construction.models import Milestone, MilestoneDocument
from pvhub.core import audit
from pvhub.core.enums import Role
from pvhub.core.errors import Conflict, NotFound, PermissionDenied
from pvhub.core.uploads import checked_type


def _path(data_dir: Path, surface_id: int, sha256: str) -> Path:
    return Path(data_dir) / "documents" / "milestones" / str(surface_id) / sha256


def add_evidence(
    session: Session,
    *,
    actor: User,
    milestone_id: int,
    filename: str,
    content: bytes,
    data_dir: Path,
    max_bytes: int,
) -> MilestoneDocument:
    """Attach a file to a milestone (its supplier until confirmed, or the office), audited."""
    milestone = session.get(Milestone, milestone_id)
    if milestone is None:
        raise NotFound("No milestone with id {milestone_id}.", milestone_id=milestone_id)
    view = construction.get_surface_construction(session, user=actor, surface_id=milestone.surface_id)
    if actor.role == Role.supplier:
        if view.construction.supplier_id != actor.organisation_id:
            raise PermissionDenied("Only the supplier building this surface adds evidence to its milestones.")
        if milestone.status == MilestoneStatus.confirmed:
            raise Conflict(
                "Milestone {milestone} is confirmed; its evidence is final.", milestone=milestone.kind
            )
    elif actor.role != Role.office:
        raise PermissionDenied("Only the supplier or the programme office adds evidence.")
    name = PurePath(filename.replace("\\", "/")).name[:255] or "evidence"
    content_type = checked_type(name, content, max_bytes)
    sha256 = hashlib.sha256(content).hexdigest()
    path = _path(data_dir, milestone.surface_id, sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(content)
    document = MilestoneDocument(
        milestone_id=milestone_id,
        filename=name,
        content_type=content_type,
        size_bytes=len(content),
        sha256=sha256,
        uploaded_by_id=actor.id,
    )
    session.add(document)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="milestone_document",
        entity_id=document.id,
        action="add",
        after=audit.snapshot(document),
    )
    return document


def evidence_for(session: Session, milestone_ids: list[int]) -> dict[int, list[MilestoneDocument]]:
    """Documents by milestone, oldest first."""
    out: dict[int, list[MilestoneDocument]] = {}
    if not milestone_ids:
        return out
    query = (
        select(MilestoneDocument)
        .where(col(MilestoneDocument.milestone_id).in_(milestone_ids))
        .order_by(col(MilestoneDocument.id))
    )
    for document in session.exec(query):
        out.setdefault(document.milestone_id, []).append(document)
    return out


def read_evidence(
    session: Session, *, user: User, document_id: int, data_dir: Path
) -> tuple[MilestoneDocument, bytes]:
    """A document the user may read (who may read the surface's construction), with its bytes."""
    document = session.get(MilestoneDocument, document_id)
    milestone = session.get(Milestone, document.milestone_id) if document else None
    if document is None or milestone is None:
        raise NotFound("No document with id {document_id}.", document_id=document_id)
    construction.get_surface_construction(session, user=user, surface_id=milestone.surface_id)
    path = _path(data_dir, milestone.surface_id, document.sha256)
    if not path.exists():
        raise NotFound(
            "The file of document {document_id} is missing from the data folder.", document_id=document_id
        )
    return document, path.read_bytes()
