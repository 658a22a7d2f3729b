"""login security state: page sessions ended by logging out, failed logins for throttling

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import pvhub.core.columns

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "revokedsession",
        sa.Column("sid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("expires_at", pvhub.core.columns.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sid"),
    )
    op.create_index(op.f("ix_revokedsession_expires_at"), "revokedsession", ["expires_at"], unique=False)
    op.create_table(
        "loginfailure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("at_s", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_loginfailure_key"), "loginfailure", ["key"], unique=False)
    op.create_index(op.f("ix_loginfailure_at_s"), "loginfailure", ["at_s"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_loginfailure_at_s"), table_name="loginfailure")
    op.drop_index(op.f("ix_loginfailure_key"), table_name="loginfailure")
    op.drop_table("loginfailure")
    op.drop_index(op.f("ix_revokedsession_expires_at"), table_name="revokedsession")
    op.drop_table("revokedsession")
