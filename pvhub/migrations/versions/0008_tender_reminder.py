"""tender: when suppliers were reminded that the bid deadline is near

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 01:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import pvhub.core.columns

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tender") as batch:
        batch.add_column(
            sa.Column("reminded_at", pvhub.core.columns.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("tender") as batch:
        batch.drop_column("reminded_at")
