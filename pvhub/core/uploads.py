"""Documents users upload (tender documents, milestone evidence): which types, checked how.

Only a few document types are accepted, checked by the file's first bytes as well as its name, so a
renamed executable is refused whichever domain stores the file.
"""

from __future__ import annotations

from pathlib import PurePath

from pvhub.core.errors import InvalidInput

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
