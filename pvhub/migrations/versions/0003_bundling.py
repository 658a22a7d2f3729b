"""bundling runs follow a job; jobs carry live detail and a cancel request; surfaces may override
the kind's module power density and system losses; sites may carry a horizon profile

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("detail", sa.JSON(), nullable=True))
        batch.add_column(
            sa.Column("cancel_requested", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("site") as batch:
        batch.add_column(sa.Column("horizon", sa.JSON(), nullable=True))
    with op.batch_alter_table("surface") as batch:
        batch.add_column(sa.Column("power_density_w_m2", sa.Float(), nullable=True))
        batch.add_column(sa.Column("losses_pct", sa.Float(), nullable=True))
    with op.batch_alter_table("bundlingrun") as batch:
        batch.add_column(sa.Column("job_id", sa.Integer(), nullable=True))
        batch.create_index("ix_bundlingrun_job_id", ["job_id"])
        batch.create_foreign_key("fk_bundlingrun_job_id_job", "job", ["job_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("bundlingrun") as batch:
        batch.drop_constraint("fk_bundlingrun_job_id_job", type_="foreignkey")
        batch.drop_index("ix_bundlingrun_job_id")
        batch.drop_column("job_id")
    with op.batch_alter_table("surface") as batch:
        batch.drop_column("losses_pct")
        batch.drop_column("power_density_w_m2")
    with op.batch_alter_table("site") as batch:
        batch.drop_column("horizon")
    with op.batch_alter_table("job") as batch:
        batch.drop_column("cancel_requested")
        batch.drop_column("detail")
