"""notification e-mail outbox: sent, claimed by a sender, attempts and the last error

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import pvhub.core.columns

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.add_column(
            sa.Column("emailed_at", pvhub.core.columns.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("email_claimed_at", pvhub.core.columns.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("email_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("email_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.drop_column("email_error")
        batch.drop_column("email_attempts")
        batch.drop_column("email_claimed_at")
        batch.drop_column("emailed_at")
