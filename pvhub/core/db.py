"""Database engine and sessions. The caller (request or CLI command) owns the transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Mapper
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

from pvhub.core.errors import InvalidInput


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given without a driver."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, *, connections: int = 40) -> Engine:
    """Create an engine; SQLite gets WAL and a busy timeout so several writers can wait their turn.

    ``connections`` bounds the PostgreSQL pool; the app passes more than the requests it admits at
    once (web/admission.py), so an admitted request never waits for a connection behind requests
    that wait for a row lock, and background jobs still find one.
    """
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # Mind PostgreSQL's max_connections (100) when running several workers: each holds its own pool.
    half = max(1, connections // 2)
    return create_engine(
        url, pool_pre_ping=True, pool_size=half, max_overflow=connections - half, pool_timeout=60
    )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back everything on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


_TEXT_COLUMNS: dict[type, tuple[str, ...]] = {}


def _text_columns(model: type) -> tuple[str, ...]:
    """The attributes of a table model stored as text (looked up once per model)."""
    if model not in _TEXT_COLUMNS:
        mapper: Mapper[Any] | None = sa.inspect(model, raiseerr=False)
        _TEXT_COLUMNS[model] = tuple(
            attr.key
            for attr in (mapper.column_attrs if mapper is not None else ())
            if _holds_text(attr.columns[0].type)
        )
    return _TEXT_COLUMNS[model]


def _holds_text(column_type: Any) -> bool:
    """VARCHAR and TEXT, also inside a decorated type (sqlmodel's AutoString); not enums."""
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    return isinstance(column_type, sa.String) and not isinstance(column_type, sa.Enum)


@event.listens_for(Session, "before_flush")
def _refuse_nul_in_text(session: Session, _context: Any, _instances: Any) -> None:
    """No text column holds a NUL character, whichever way the text came (form, API, file, CLI).

    PostgreSQL refuses one (the app then answers a generic 422) while SQLite stores it; the input
    models refuse it with their shared ``Text`` type (pvhub.core.columns), and this check, before
    anything is written, covers the services that take text from the pages directly and names the
    field, on both databases alike.
    """
    for row in (*session.new, *session.dirty):
        for key in _text_columns(type(row)):
            value = row.__dict__.get(key)  # loaded values only: never a lazy load from here
            if isinstance(value, str) and "\x00" in value:
                raise InvalidInput("{field} must not contain a NUL character.", field=key)
