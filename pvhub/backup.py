"""Whole-database backup and restore (``pvhub export-all`` / ``pvhub import-all``).

The file is JSON Lines (gzip-compressed when its name ends in ``.gz``):

1. a header object whose first key, ``warning``, says in words that the file holds sealed bids and
   personal data — an operator who opens it sees that before anything else;
2. per table, in foreign-key order, a ``{"table": …, "columns": […]}`` line, then one JSON array per
   row (values in the column order, rows in primary-key order);
3. a trailer ``{"end": {table: row count, …}}``, so a truncated file is refused rather than half
   restored.

Values are encoded from the column's type, so that export → import → export gives the same bytes on
SQLite and PostgreSQL: times as ISO 8601 in UTC with the offset, dates as ISO dates, enums as their
stored value, floats as JSON numbers (Python writes the shortest text that reads back as the same
double; NaN and ±infinity as the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``), JSON columns as
their JSON text (``null`` in the file is SQL NULL, the string ``"null"`` a JSON null), bytes as
base64. A column type this module does not know stops the export instead of writing something lossy.

The restore writes only into an empty database migrated to the same schema revision as the file,
in one transaction (all or nothing), and then moves PostgreSQL's id sequences past the restored ids.
Documents stored on disk (``PVHUB_DATA_DIR``) are not in the database and need their own copy.
"""

from __future__ import annotations

import base64
import enum
import gzip
import json
import math
import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import IO, Any, Literal

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

import pvhub.tables  # noqa: F401  (registers every table)
from pvhub.core.errors import InvalidInput
from pvhub.core.migrate import alembic_config

FORMAT = "pvhub-backup"
VERSION = 1
WARNING = (
    "CONFIDENTIAL: this pvhub backup contains SEALED BIDS (prices and terms of bids whose tender "
    "deadline may not have passed) and PERSONAL DATA (names, phone numbers, e-mail addresses, password "
    "hashes). Keep it like the database itself: encrypted, access-controlled, never shared, and deleted "
    "when no longer needed."
)
BATCH_ROWS = 1000

Encoder = Callable[[Any], Any]
Decoder = Callable[[Any], Any]


class BackupError(InvalidInput):
    """A backup file or target database that cannot be used; the message says why and what to do."""


# ---- value codecs ------------------------------------------------------------------------------------


def _encode_float(value: float | None) -> float | str | None:
    if value is None or math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _decode_float(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, str):
        if value not in {"NaN", "Infinity", "-Infinity"}:
            raise ValueError(f"{value!r} is not a number")
        return float(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{value!r} is not a number")
    return float(value)


def _encode_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # a plain DateTime column: pvhub's times are UTC
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


def _decode_datetime(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone")
    return parsed.astimezone(UTC)


def _decode_date(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _decode_json(value: str | None) -> Any:
    # sa.null() is SQL NULL; a JSON column binds Python None as the JSON value null.
    return sa.null() if value is None else json.loads(value)


def _codecs(column: sa.Column[Any]) -> tuple[Encoder, Decoder]:
    """How one column's values go to and come from the file, chosen by its SQL type."""
    col_type = column.type
    while isinstance(col_type, TypeDecorator):  # judge UTCDateTime, AutoString… by what they store
        col_type = col_type.impl_instance
    if isinstance(col_type, sa.JSON):
        return (lambda v: v), _decode_json  # encoded by _read_rows, which also sees SQL NULL
    if isinstance(col_type, sa.Enum) and col_type.enum_class is not None:
        enum_class = col_type.enum_class
        return (lambda v: None if v is None else v.value), (lambda v: None if v is None else enum_class(v))
    python_type = col_type.python_type
    if issubclass(python_type, enum.Enum):
        return (lambda v: None if v is None else v.value), (lambda v: None if v is None else python_type(v))
    if python_type is datetime:
        return _encode_datetime, _decode_datetime
    if python_type is date:
        return (lambda v: None if v is None else v.isoformat()), _decode_date
    if python_type is float:
        return _encode_float, _decode_float
    if python_type is bytes:
        return (lambda v: None if v is None else base64.b64encode(v).decode()), (
            lambda v: None if v is None else base64.b64decode(v)
        )
    if python_type in (int, bool, str):
        return (lambda v: v), (lambda v: v)
    raise BackupError(
        "column {table}.{column} has type {type}, which the backup cannot "
        "store losslessly yet; teach pvhub/backup.py its encoding",
        table=column.table.name,
        column=column.name,
        type=repr(col_type),
    )


# ---- schema checks -----------------------------------------------------------------------------------


def head_revision() -> str | None:
    """The schema revision this version of pvhub migrates to."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def database_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _tables() -> list[sa.Table]:
    """Every table of pvhub's models, parents before children."""
    return list(SQLModel.metadata.sorted_tables)


def _ordered(table: sa.Table) -> sa.Select[Any]:
    json_nulls = [
        table.c[c.name].is_(None).label(f"{c.name}__sql_null")
        for c in table.columns
        if isinstance(c.type, sa.JSON)
    ]
    order = list(table.primary_key.columns) or list(table.columns)
    return sa.select(*table.columns, *json_nulls).order_by(*order)


# ---- export ------------------------------------------------------------------------------------------


def _open_text(path: Path, mode: Literal["r", "w"], *, gzipped: bool) -> IO[str]:
    if gzipped and mode == "w":
        return gzip.open(path, "wt", encoding="utf-8", newline="\n")
    if gzipped:
        return gzip.open(path, "rt", encoding="utf-8", newline="\n")
    return open(path, mode, encoding="utf-8", newline="\n")


def _read_rows(connection: Connection, table: sa.Table) -> Iterator[list[Any]]:
    """The table's rows, encoded, in primary-key order, streamed in batches."""
    encoders = [_codecs(c)[0] for c in table.columns]
    json_positions = [i for i, c in enumerate(table.columns) if isinstance(c.type, sa.JSON)]
    width = len(table.columns)
    result = connection.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(_ordered(table))
    for row in result:
        values = [enc(v) for enc, v in zip(encoders, row[:width], strict=True)]
        for flag_index, position in enumerate(json_positions):
            sql_null = bool(row[width + flag_index])
            values[position] = None if sql_null else _json_text(row[position])
        yield values


def export_all(engine: Engine, path: Path, *, overwrite: bool = False) -> dict[str, int]:
    """Write every table to ``path`` from one consistent snapshot; returns rows per table.

    The file is created readable by its owner only and appears complete or not at all (it is
    written under a temporary name and renamed at the end).
    """
    path = Path(path)
    if path.exists() and not overwrite:
        raise BackupError(
            "{path} already exists; choose another name or pass --force to replace it", path=str(path)
        )
    tables = _tables()
    for table in tables:  # refuse a column type without a lossless encoding before writing anything
        for column in table.columns:
            _codecs(column)
    tmp = path.with_name(f".{path.name}.partial-{os.getpid()}")
    counts: dict[str, int] = {}
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    try:
        with _snapshot(engine) as connection, _open_text(tmp, "w", gzipped=path.suffix == ".gz") as out:
            header = {
                "warning": WARNING,
                "format": FORMAT,
                "version": VERSION,
                "schema_revision": database_revision(connection),
                "source_dialect": engine.dialect.name,
                "exported_at": datetime.now(UTC).isoformat(),
                "note": "Documents stored under PVHUB_DATA_DIR are not in this file; copy that folder too.",
            }
            out.write(json.dumps(header, ensure_ascii=False) + "\n")
            for table in tables:
                out.write(
                    _json_text({"table": table.name, "columns": [c.name for c in table.columns]}) + "\n"
                )
                n = 0
                for values in _read_rows(connection, table):
                    out.write(json.dumps(values, ensure_ascii=False, separators=(",", ":")) + "\n")
                    n += 1
                counts[table.name] = n
            out.write(_json_text({"end": counts}) + "\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return counts


class _snapshot:
    """A read-only connection that sees one point in time for the whole export."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None

    def __enter__(self) -> Connection:
        if self._engine.dialect.name == "postgresql":
            conn = self._engine.connect().execution_options(isolation_level="REPEATABLE READ")
            conn.begin()
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        else:
            conn = self._engine.connect()
            conn.begin()
            if self._engine.dialect.name == "sqlite":
                # pysqlite defers BEGIN until a write; an explicit one makes every SELECT below
                # read the same WAL snapshot.
                conn.exec_driver_sql("BEGIN")
        self._connection = conn
        return conn

    def __exit__(self, *exc: object) -> None:
        assert self._connection is not None
        self._connection.rollback()
        self._connection.close()


# ---- import ------------------------------------------------------------------------------------------


def _check_target(connection: Connection) -> None:
    """Refuse a database that is not migrated to this pvhub's schema or holds any row."""
    revision, head = database_revision(connection), head_revision()
    if revision is None:
        raise BackupError(
            "the target database is not migrated; create an empty database and run `pvhub db upgrade` first"
        )
    if revision != head:
        raise BackupError(
            "the target database is at schema revision {revision}, this pvhub at {head}; "
            "run `pvhub db upgrade` on the empty database first",
            revision=revision,
            head=head,
        )
    for table in _tables():
        rows = connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        if rows:
            raise BackupError(
                "import-all restores only into an empty database, and table {table!r} holds {rows} "
                "rows; create a new database, run `pvhub db upgrade`, and import into that",
                table=table.name,
                rows=rows,
            )


def _parse(line: str, line_no: int) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise BackupError(
            "line {line}: not valid JSON ({problem}); the file is damaged", line=line_no, problem=exc.msg
        ) from None


def _read_header(source: IO[str]) -> dict[str, Any]:
    first = source.readline()
    header = _parse(first, 1) if first else None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BackupError("line 1: this is not a pvhub export-all file")
    if header.get("version") != VERSION:
        raise BackupError(
            "line 1: backup format version {version!r}; this pvhub reads {supported}",
            version=header.get("version"),
            supported=VERSION,
        )
    head = head_revision()
    if header.get("schema_revision") != head:
        raise BackupError(
            "the backup was made at schema revision {revision}, "
            "this pvhub is at {head}; restore it with the pvhub version that made it, then upgrade",
            revision=header.get("schema_revision"),
            head=head,
        )
    return header


def _pg_reset_sequences(connection: Connection) -> None:
    """Move each id sequence past the largest restored id, so the next insert does not collide."""
    for table in _tables():
        for column in table.primary_key.columns:
            if not (column.autoincrement is True or column.autoincrement == "auto") or not issubclass(
                column.type.python_type, int
            ):
                continue
            sequence = connection.execute(
                sa.text("SELECT pg_get_serial_sequence(:table, :column)"),
                {"table": f'"{table.name}"', "column": column.name},
            ).scalar_one()
            if sequence is None:
                continue
            top = f'MAX("{column.name}")'
            connection.execute(
                sa.text(f'SELECT setval(:seq, COALESCE({top}, 1), {top} IS NOT NULL) FROM "{table.name}"'),
                {"seq": sequence},
            )


def import_all(engine: Engine, path: Path) -> dict[str, int]:
    """Restore a backup into an empty, migrated database, all or nothing; returns rows per table."""
    path = Path(path)
    if not path.is_file():
        raise BackupError("{path}: no such file", path=str(path))
    tables = {t.name: t for t in _tables()}
    counts: dict[str, int] = {}
    try:
        with _open_text(path, "r", gzipped=path.suffix == ".gz") as source, engine.begin() as connection:
            _read_header(source)
            _check_target(connection)
            trailer = _restore_tables(connection, source, tables, counts)
            if trailer != counts:
                raise BackupError(
                    "the file's trailer counts {trailer} rows but it holds {counts}; the file is damaged",
                    trailer=str(trailer),
                    counts=str(counts),
                )
            if engine.dialect.name == "postgresql":
                _pg_reset_sequences(connection)
    except (UnicodeDecodeError, gzip.BadGzipFile, EOFError) as exc:
        raise BackupError(
            "{path}: cannot be read as a pvhub backup ({problem}); nothing was imported",
            path=str(path),
            problem=str(exc),
        ) from None
    return counts


def _restore_tables(
    connection: Connection, source: IO[str], tables: dict[str, sa.Table], counts: dict[str, int]
) -> dict[str, int]:
    """Insert the file's rows table by table; returns the trailer's counts."""
    table: sa.Table | None = None
    decoders: list[Decoder] = []
    batch: list[dict[str, Any]] = []

    def flush(line_no: int) -> None:
        if batch and table is not None:
            try:
                connection.execute(table.insert(), batch)
            except sa.exc.DBAPIError as exc:
                raise BackupError(
                    "table {table}, rows up to line {line}: the database refused them ({problem}); "
                    "nothing was imported",
                    table=table.name,
                    line=line_no,
                    problem=str(exc.orig),
                ) from None
            batch.clear()

    for line_no, line in enumerate(source, start=2):
        item = _parse(line, line_no)
        if isinstance(item, list):
            if table is None:
                raise BackupError(
                    "line {line}: a row before any table line; the file is damaged", line=line_no
                )
            if len(item) != len(decoders):
                raise BackupError(
                    "line {line}: {values} values for {columns} columns of {table}",
                    line=line_no,
                    values=len(item),
                    columns=len(decoders),
                    table=table.name,
                )
            try:
                values = [dec(v) for dec, v in zip(decoders, item, strict=True)]
            except (ValueError, TypeError) as exc:
                raise BackupError(
                    "line {line}: bad value for table {table}: {problem}",
                    line=line_no,
                    table=table.name,
                    problem=str(exc),
                ) from None
            batch.append(dict(zip((c.name for c in table.columns), values, strict=True)))
            counts[table.name] += 1
            if len(batch) >= BATCH_ROWS:
                flush(line_no)
        elif isinstance(item, dict) and "table" in item:
            flush(line_no)
            table = tables.get(item["table"])
            if table is None:
                raise BackupError(
                    "line {line}: table {table!r} does not exist in this schema",
                    line=line_no,
                    table=item["table"],
                )
            if item.get("columns") != [c.name for c in table.columns]:
                raise BackupError(
                    "line {line}: the columns of {table} in the file {found} "
                    "differ from the database's {wanted}",
                    line=line_no,
                    table=table.name,
                    found=str(item.get("columns")),
                    wanted=str([c.name for c in table.columns]),
                )
            decoders = [_codecs(c)[1] for c in table.columns]
            counts[table.name] = 0
        elif isinstance(item, dict) and "end" in item:
            flush(line_no)
            if not isinstance(item["end"], dict):
                raise BackupError("line {line}: a malformed trailer; the file is damaged", line=line_no)
            if source.readline():
                raise BackupError(
                    "line {line}: data after the trailer; the file is damaged", line=line_no + 1
                )
            return dict(item["end"])
        else:
            raise BackupError(
                "line {line}: neither a table, a row nor the trailer; the file is damaged", line=line_no
            )
    raise BackupError("the file ends before its trailer: it is truncated; nothing was imported")
