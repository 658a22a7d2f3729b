"""Alembic, driven from code so the CLI, tests and deployment share one configuration."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from pvhub.core.db import normalise_url

MIGRATIONS_DIR = Path(__file__).parent.parent / "migrations"  # pvhub/migrations: the whole schema


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at pvhub's migrations and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalise_url(database_url).replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema up to ``revision``."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    """Take the schema down to ``revision``."""
    command.downgrade(alembic_config(database_url), revision)


def check(database_url: str) -> None:
    """Raise when the models and the migrations have drifted apart (``alembic check``)."""
    command.check(alembic_config(database_url))
