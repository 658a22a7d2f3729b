"""construction: per-surface build state, milestone reports, evidence, measured energy

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import pvhub.core.columns

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "construction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("surface_id", sa.Integer(), nullable=False),
        sa.Column("award_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("schedule_days", sa.Integer(), nullable=False),
        sa.Column("stage_rank", sa.Integer(), nullable=False),
        sa.Column("installed_kwp", sa.Float(), nullable=True),
        sa.Column("connected_on", sa.Date(), nullable=True),
        sa.Column("updated_at", pvhub.core.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["award_id"], ["award.id"]),
        sa.ForeignKeyConstraint(["supplier_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["surface_id"], ["surface.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("surface_id"),
    )
    with op.batch_alter_table("construction") as batch:
        batch.create_index("ix_construction_award_id", ["award_id"])
        batch.create_index("ix_construction_supplier_id", ["supplier_id"])
        batch.create_index("ix_construction_stage_rank", ["stage_rank"])
        batch.create_index("ix_construction_connected_on", ["connected_on"])

    op.create_table(
        "measuredenergy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("surface_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("energy_kwh", sa.Float(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.Column("imported_at", pvhub.core.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["imported_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["surface_id"], ["surface.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("surface_id", "year", "month", name="uq_measuredenergy_month"),
    )
    with op.batch_alter_table("measuredenergy") as batch:
        batch.create_index("ix_measuredenergy_surface_id", ["surface_id"])

    with op.batch_alter_table("milestone") as batch:
        batch.add_column(
            sa.Column("reported_at", pvhub.core.columns.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("reported_by_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("confirmed_at", pvhub.core.columns.UTCDateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("confirmed_by_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("sent_back_reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True)
        )
        batch.create_foreign_key("fk_milestone_reported_by_id_user", "user", ["reported_by_id"], ["id"])
        batch.create_foreign_key("fk_milestone_confirmed_by_id_user", "user", ["confirmed_by_id"], ["id"])
        batch.create_unique_constraint("uq_milestone_surface_kind", ["surface_id", "kind"])
        batch.create_index("ix_milestone_status_planned_date", ["status", "planned_date"])

    op.create_table(
        "milestonedocument",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("milestone_id", sa.Integer(), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", pvhub.core.columns.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["milestone_id"], ["milestone.id"]),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("milestonedocument") as batch:
        batch.create_index("ix_milestonedocument_milestone_id", ["milestone_id"])

    with op.batch_alter_table("estimate") as batch:
        batch.create_index("ix_estimate_surface_capacity", ["surface_id", "capacity_kwp"])
    with op.batch_alter_table("programme") as batch:
        batch.add_column(
            sa.Column("demo_point_radius_m", sa.Float(), nullable=False, server_default=sa.text("100"))
        )


def downgrade() -> None:
    with op.batch_alter_table("programme") as batch:
        batch.drop_column("demo_point_radius_m")
    with op.batch_alter_table("estimate") as batch:
        batch.drop_index("ix_estimate_surface_capacity")
    with op.batch_alter_table("milestonedocument") as batch:
        batch.drop_index("ix_milestonedocument_milestone_id")
    op.drop_table("milestonedocument")
    with op.batch_alter_table("milestone") as batch:
        batch.drop_index("ix_milestone_status_planned_date")
        batch.drop_constraint("uq_milestone_surface_kind", type_="unique")
        batch.drop_constraint("fk_milestone_confirmed_by_id_user", type_="foreignkey")
        batch.drop_constraint("fk_milestone_reported_by_id_user", type_="foreignkey")
        batch.drop_column("sent_back_reason")
        batch.drop_column("confirmed_by_id")
        batch.drop_column("confirmed_at")
        batch.drop_column("reported_by_id")
        batch.drop_column("reported_at")
    with op.batch_alter_table("measuredenergy") as batch:
        batch.drop_index("ix_measuredenergy_surface_id")
    op.drop_table("measuredenergy")
    with op.batch_alter_table("construction") as batch:
        batch.drop_index("ix_construction_connected_on")
        batch.drop_index("ix_construction_stage_rank")
        batch.drop_index("ix_construction_supplier_id")
        batch.drop_index("ix_construction_award_id")
    op.drop_table("construction")
