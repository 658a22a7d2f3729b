"""Files users upload: read within a size limit; documents (tender documents, milestone evidence)
of a few types, checked by name and first bytes.

Only a few document types are accepted, checked by the file's first bytes as well as its name, so a
renamed executable is refused whichever domain stores the file.
"""

from __future__ import annotations

from pathlib import PurePath

from fastapi import UploadFile, status

from pvhub.core.errors import DomainError, InvalidInput

# extension → (content type, accepted leading bytes)
_ZIP = (b"PK\x03\x04",)
DOCUMENT_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _ZIP),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _ZIP),
    ".zip": ("application/zip", _ZIP),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
}


def checked_type(filename: str, content: bytes, max_bytes: int) -> str:
    """The content type of an uploaded document, once it is known to be one of :data:`DOCUMENT_TYPES`
    by both its name and its first bytes and within ``max_bytes``; else :class:`InvalidInput` naming
    the file."""
    if not content:
        raise InvalidInput("{filename}: the file is empty.", filename=filename, field="file")
    if len(content) > max_bytes:
        raise InvalidInput(
            "{filename}: {size_mb:.1f} MB is more than the {max_mb:g} MB allowed.",
            filename=filename,
            size_mb=len(content) / 1e6,
            max_mb=max_bytes / 1e6,
            field="file",
        )
    suffix = PurePath(filename).suffix.lower()
    if suffix not in DOCUMENT_TYPES:
        raise InvalidInput(
            "{filename}: only {suffixes} files are accepted.",
            filename=filename,
            suffixes=sorted(DOCUMENT_TYPES),
            field="file",
        )
    content_type, magics = DOCUMENT_TYPES[suffix]
    if not content.startswith(magics):
        raise InvalidInput(
            "{filename}: the content is not a {type} file.",
            filename=filename,
            type=suffix[1:].upper(),
            field="file",
        )
    return content_type


class PayloadTooLarge(DomainError):
    status_code = status.HTTP_413_CONTENT_TOO_LARGE


def read_limited(upload: UploadFile, limit_bytes: int) -> bytes:
    """The upload's bytes, refusing (413) as soon as it grows past the limit.

    Synchronous on purpose: every handler that takes a file is a plain ``def``, run on the thread
    pool after FastAPI has received the form, so that reading and above all processing an upload
    (parsing 10,000 features) never holds up the event loop and every other user with it. The
    request body as a whole was capped before it was read (``web.request_body.BodyLimit``).
    """
    chunks: list[bytes] = []
    size = 0
    upload.file.seek(0)
    while chunk := upload.file.read(1 << 20):
        size += len(chunk)
        if size > limit_bytes:
            raise PayloadTooLarge(
                "The file is larger than the {limit_mb:.0f} MB limit; split it into smaller files.",
                limit_mb=limit_bytes / 1e6,
                field="file",
            )
        chunks.append(chunk)
    return b"".join(chunks)
