"""revoked sessions: page sessions ended by logging out

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import pvhub.models.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "revokedsession",
        sa.Column("sid", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("expires_at", pvhub.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sid"),
    )
    op.create_index(op.f("ix_revokedsession_expires_at"), "revokedsession", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_revokedsession_expires_at"), table_name="revokedsession")
    op.drop_table("revokedsession")
