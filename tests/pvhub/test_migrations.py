"""Every schema change is a migration that upgrades and downgrades; models and migrations never drift."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from pvhub.core import migrate


def test_models_and_migrations_agree(database_url: str) -> None:
    migrate.check(database_url)  # raises when autogenerate would emit operations


def test_downgrade_to_base_and_back_up(database_url: str, engine: Engine) -> None:
    migrate.downgrade(database_url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(database_url, "head")
    tables = set(inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
