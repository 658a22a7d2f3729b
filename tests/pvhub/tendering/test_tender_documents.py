"""Tender documents: only real documents of the accepted types and sizes; adding one to a published
tender is a change of conditions; nothing is stored for a refused file."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from pvhub.core.errors import Conflict, InvalidInput, NotFound
from pvhub.tendering import documents as tenders_documents
from pvhub.tendering.enums import BidStatus
from pvhub.tendering.models import Bid, TenderDocument
from tests.pvhub.tenderworld import DEADLINE, T0, bid, build_world, lot_ids, publish_round

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture
def world(session: Session, make_user):  # type: ignore[no-untyped-def]
    return build_world(session, make_user)


def _add(session: Session, world, tender_id: int, name: str, content: bytes, tmp: Path, when=None):  # type: ignore[no-untyped-def]
    return tenders_documents.add_document(
        session=session,
        actor=world.office,
        tender_id=tender_id,
        filename=name,
        content=content,
        data_dir=tmp,
        max_bytes=1000,
        now=when or T0 + timedelta(days=1),
    )


def test_a_document_is_stored_by_hash_and_read_back(session: Session, world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tender = publish_round(session, world)
    doc = _add(session, world, tender.id, "../../招标文件.pdf", PDF, tmp_path)
    assert doc.filename == "招标文件.pdf" and doc.content_type == "application/pdf"
    stored, content = tenders_documents.read_document(
        session=session, user=world.suppliers[0], tender_id=tender.id, document_id=doc.id, data_dir=tmp_path
    )
    assert content == PDF and stored.sha256 == doc.sha256
    with pytest.raises(NotFound):
        tenders_documents.read_document(
            session=session, user=world.suppliers[0], tender_id=tender.id, document_id=999, data_dir=tmp_path
        )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("setup.exe", b"MZ\x90\x00", "only .docx, .jpeg, .jpg, .pdf, .png, .xlsx, .zip files"),
        ("terms.pdf", b"MZ\x90\x00 renamed", "not a PDF file"),
        ("empty.pdf", b"", "empty"),
        ("big.pdf", b"%PDF-" + b"x" * 2000, "more than"),
    ],
)
def test_a_bad_file_is_refused_and_nothing_is_stored(
    session: Session,
    world,
    tmp_path: Path,
    name: str,
    content: bytes,
    message: str,  # type: ignore[no-untyped-def]
) -> None:
    tender = publish_round(session, world)
    with pytest.raises(InvalidInput, match=message):
        _add(session, world, tender.id, name, content, tmp_path)
    assert session.exec(select(TenderDocument)).all() == []
    assert not any(tmp_path.rglob("*"))


def test_a_new_document_asks_bidders_to_reconfirm_and_none_after_the_deadline(
    session: Session,
    world,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    tender = publish_round(session, world)
    bid(session, world.suppliers[0], tender, lot_ids(session, tender)[0], 1_000_000)
    _add(session, world, tender.id, "addendum.pdf", PDF, tmp_path)
    assert session.exec(select(Bid)).one().status == BidStatus.needs_confirmation
    assert tender.conditions_version == 2
    with pytest.raises(Conflict, match="final"):
        _add(session, world, tender.id, "late.pdf", PDF, tmp_path, when=DEADLINE)
