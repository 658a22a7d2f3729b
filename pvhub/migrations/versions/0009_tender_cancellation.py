"""tender cancellation (when and why); a bundle may be a lot again after a cancelled or failed round

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import pvhub.core.columns

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite reflects the initial schema's UNIQUE (bundle_id) without a name; batch mode names it by
# this convention so it can be dropped (alembic docs, "Dropping Unnamed or Named Foreign Key
# Constraints", which applies to unique constraints alike).
_SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    with op.batch_alter_table("tender") as batch:
        batch.add_column(
            sa.Column("cancelled_at", pvhub.core.columns.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("cancel_reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True)
        )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table("tenderlot", naming_convention=_SQLITE_NAMES) as batch:
            batch.drop_constraint("uq_tenderlot_bundle_id", type_="unique")
            batch.create_index("ix_tenderlot_bundle_id", ["bundle_id"], unique=False)
    else:
        (name,) = [
            u["name"]
            for u in sa.inspect(bind).get_unique_constraints("tenderlot")
            if u["column_names"] == ["bundle_id"]
        ]
        op.drop_constraint(name, "tenderlot", type_="unique")
        op.create_index("ix_tenderlot_bundle_id", "tenderlot", ["bundle_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tenderlot") as batch:
        batch.drop_index("ix_tenderlot_bundle_id")
        batch.create_unique_constraint("uq_tenderlot_bundle_id", ["bundle_id"])
    with op.batch_alter_table("tender") as batch:
        batch.drop_column("cancel_reason")
        batch.drop_column("cancelled_at")
