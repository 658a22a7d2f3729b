"""tenders: lot snapshots, bid versions, documents, award runs, objections, notifications

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import pvhub.core.columns

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = pvhub.core.columns.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notification",
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("read_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_notification_created_at"), "notification", ["created_at"], unique=False)
    op.create_index(
        op.f("ix_notification_organisation_id"), "notification", ["organisation_id"], unique=False
    )
    op.create_table(
        "awardrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tender_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "succeeded",
                "failed",
                "cancelled",
                name="ck_runstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("finished_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["job_id"], ["job.id"]),
        sa.ForeignKeyConstraint(["tender_id"], ["tender.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_awardrun_tender_id"), "awardrun", ["tender_id"], unique=False)
    op.create_table(
        "tenderdocument",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tender_id", sa.Integer(), nullable=False),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["tender_id"], ["tender.id"]),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_tenderdocument_tender_id"), "tenderdocument", ["tender_id"], unique=False)

    with op.batch_alter_table("tender", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("title_en", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "description",
                sqlmodel.sql.sqltypes.AutoString(length=10000),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(sa.Column("price_score_exponent", sa.Float(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("share_cap", sa.Float(), nullable=False, server_default="0.4"))
        batch_op.add_column(sa.Column("publicity_days", sa.Float(), nullable=False, server_default="3"))
        batch_op.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("updated_at", UTC, nullable=False, server_default=sa.text("CURRENT_TIMESTAMP"))
        )
        batch_op.create_foreign_key("fk_tender_created_by_id_user", "user", ["created_by_id"], ["id"])

    with op.batch_alter_table("tenderlot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("number", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("capacity_kwp", sa.Float(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("annual_kwh", sa.Float(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("snapshot", sa.JSON(), nullable=True))

    with op.batch_alter_table("bid", schema=None) as batch_op:
        batch_op.add_column(sa.Column("current", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column("conditions_version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("submitted_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("withdrawn_at", UTC, nullable=True))
        batch_op.add_column(sa.Column("price_score", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("total_score", sa.Float(), nullable=True))
        batch_op.create_index(batch_op.f("ix_bid_current"), ["current"], unique=False)
        batch_op.create_unique_constraint("uq_bid_version", ["lot_id", "supplier_id", "version"])
        batch_op.create_foreign_key("fk_bid_submitted_by_id_user", "user", ["submitted_by_id"], ["id"])

    with op.batch_alter_table("award", schema=None) as batch_op:
        batch_op.add_column(sa.Column("run_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("proposed_bid_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True))
        batch_op.add_column(
            sa.Column("share_cap_relaxed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("confirmed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("declined_at", UTC, nullable=True))
        batch_op.add_column(
            sa.Column("decline_reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_award_run_id"), ["run_id"], unique=False)
        batch_op.create_foreign_key("fk_award_run_id_awardrun", "awardrun", ["run_id"], ["id"])
        batch_op.create_foreign_key("fk_award_confirmed_by_id_user", "user", ["confirmed_by_id"], ["id"])
        batch_op.create_foreign_key("fk_award_proposed_bid_id_bid", "bid", ["proposed_bid_id"], ["id"])

    op.create_table(
        "objection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tender_id", sa.Integer(), nullable=False),
        sa.Column("award_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "answered",
                name="ck_objectionstatus",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("response", sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("answered_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["answered_by_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["award_id"], ["award.id"]),
        sa.ForeignKeyConstraint(["supplier_id"], ["organisation.id"]),
        sa.ForeignKeyConstraint(["tender_id"], ["tender.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_objection_award_id"), "objection", ["award_id"], unique=False)
    op.create_index(op.f("ix_objection_tender_id"), "objection", ["tender_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_objection_tender_id"), table_name="objection")
    op.drop_index(op.f("ix_objection_award_id"), table_name="objection")
    op.drop_table("objection")

    with op.batch_alter_table("award", schema=None) as batch_op:
        batch_op.drop_constraint("fk_award_proposed_bid_id_bid", type_="foreignkey")
        batch_op.drop_constraint("fk_award_confirmed_by_id_user", type_="foreignkey")
        batch_op.drop_constraint("fk_award_run_id_awardrun", type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_award_run_id"))
        for name in (
            "decline_reason",
            "declined_at",
            "confirmed_by_id",
            "share_cap_relaxed",
            "reason",
            "proposed_bid_id",
            "run_id",
        ):
            batch_op.drop_column(name)

    with op.batch_alter_table("bid", schema=None) as batch_op:
        batch_op.drop_constraint("fk_bid_submitted_by_id_user", type_="foreignkey")
        batch_op.drop_constraint("uq_bid_version", type_="unique")
        batch_op.drop_index(batch_op.f("ix_bid_current"))
        for name in (
            "total_score",
            "price_score",
            "withdrawn_at",
            "submitted_by_id",
            "conditions_version",
            "current",
        ):
            batch_op.drop_column(name)

    with op.batch_alter_table("tenderlot", schema=None) as batch_op:
        for name in ("snapshot", "annual_kwh", "capacity_kwp", "number"):
            batch_op.drop_column(name)

    with op.batch_alter_table("tender", schema=None) as batch_op:
        batch_op.drop_constraint("fk_tender_created_by_id_user", type_="foreignkey")
        for name in (
            "updated_at",
            "created_by_id",
            "publicity_days",
            "share_cap",
            "price_score_exponent",
            "description",
            "title_en",
        ):
            batch_op.drop_column(name)

    op.drop_index(op.f("ix_tenderdocument_tender_id"), table_name="tenderdocument")
    op.drop_table("tenderdocument")
    op.drop_index(op.f("ix_awardrun_tender_id"), table_name="awardrun")
    op.drop_table("awardrun")
    op.drop_index(op.f("ix_notification_organisation_id"), table_name="notification")
    op.drop_index(op.f("ix_notification_created_at"), table_name="notification")
    op.drop_table("notification")
