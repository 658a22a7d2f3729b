"""Tender documents: files the office attaches to a tender (drawings, contract terms, forms).

Stored on disk under ``<data dir>/documents/tenders/<tender id>/<sha256>``: the name is the content
hash, so the same file stored twice is one file, and a file left behind by a rolled-back request is
harmless (no row points at it). Only a few document types are accepted, checked by the file's
first bytes as well as its name, so a renamed executable is refused. Adding a document to a
published tender changes its conditions (bids need re-confirmation, see :mod:`tenders`).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path, PurePath

from sqlmodel import Session, col, select

from pvhub.accounts.models import User
from pvhub.core import audit, policy
from pvhub.core.errors import Conflict, NotFound
from pvhub.core.uploads import checked_type
from pvhub.tendering.enums import TenderStatus
from pvhub.tendering.models import Tender, TenderDocument
from pvhub.tendering.tenders import (
    TenderRules,
    conditions_changed,
    conditions_final,
    get_tender,
    lock_tender,
    utc_now,
)


def _path(data_dir: Path, tender_id: int, sha256: str) -> Path:
    return Path(data_dir) / "documents" / "tenders" / str(tender_id) / sha256


def check_documents_changeable(tender: Tender, now: datetime) -> None:
    """Documents are conditions: they may be attached until the bids open (:func:`conditions_final`)."""
    if conditions_final(tender, now):
        raise Conflict("Tender {code}'s bids have opened; its documents are final.", code=tender.code)


def add_document(
    *,
    session: Session,
    actor: User,
    tender_id: int,
    filename: str,
    content: bytes,
    data_dir: Path,
    max_bytes: int,
    rules: TenderRules | None = None,
    now: datetime | None = None,
) -> TenderDocument:
    """Attach a document (office), until the deadline; on a published tender it is a condition change."""
    policy.require(actor, "tender:manage")
    rules, now = rules or TenderRules(), utc_now(now)
    name = PurePath(filename.replace("\\", "/")).name[:255] or "document"
    content_type = checked_type(name, content, max_bytes)
    tender = lock_tender(session, tender_id)
    check_documents_changeable(tender, now)
    sha256 = hashlib.sha256(content).hexdigest()
    path = _path(data_dir, tender_id, sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(content)
    document = TenderDocument(
        tender_id=tender_id,
        filename=name,
        content_type=content_type,
        size_bytes=len(content),
        sha256=sha256,
        uploaded_by_id=actor.id,
        uploaded_at=now,
    )
    session.add(document)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity="tender_document",
        entity_id=document.id,
        action="add",
        after=audit.snapshot(document),
    )
    if tender.status == TenderStatus.published:
        conditions_changed(
            session=session, actor=actor, tender=tender, what=["documents"], rules=rules, now=now
        )
    return document


def list_documents(*, session: Session, tender_id: int) -> list[TenderDocument]:
    query = select(TenderDocument).where(TenderDocument.tender_id == tender_id)
    return list(session.exec(query.order_by(col(TenderDocument.id))).all())


def read_document(
    *, session: Session, user: User, tender_id: int, document_id: int, data_dir: Path
) -> tuple[TenderDocument, bytes]:
    """A document of a tender the user may read, with its bytes."""
    get_tender(session=session, user=user, tender_id=tender_id)
    document = session.get(TenderDocument, document_id)
    if document is None or document.tender_id != tender_id:
        raise NotFound("No document with id {document_id}.", document_id=document_id)
    path = _path(data_dir, tender_id, document.sha256)
    if not path.exists():
        raise NotFound(
            "The file of document {document_id} is missing from the data folder.", document_id=document_id
        )
    return document, path.read_bytes()
