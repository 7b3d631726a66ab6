"""Working-day calendar, monitor rules and their flags.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 04:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('off', 'working')", name=op.f("ck_calendar_day_kind")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_calendar_day_created_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_calendar_day")),
    )
    op.create_table(
        "working_day",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_working_day")),
    )
    op.create_table(
        "monitor_rule",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("changes_seen_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("full_pass_needed", sa.Boolean(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('slow', 'formal')", name=op.f("ck_monitor_rule_kind")),
        sa.CheckConstraint(
            "severity IN ('info', 'warning', 'critical')", name=op.f("ck_monitor_rule_severity")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_monitor_rule_updated_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitor_rule")),
    )
    op.create_table(
        "flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(length=40), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dismissed_by_id", sa.Integer(), nullable=True),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dismiss_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'dismissed', 'resolved')", name=op.f("ck_flag_status")
        ),
        sa.CheckConstraint(
            "severity IN ('info', 'warning', 'critical')", name=op.f("ck_flag_severity")
        ),
        sa.ForeignKeyConstraint(
            ["dismissed_by_id"],
            ["user_account.id"],
            name=op.f("fk_flag_dismissed_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["requirement_id"], ["requirement.id"], name=op.f("fk_flag_requirement_id_requirement")
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["monitor_rule.id"], name=op.f("fk_flag_rule_id_monitor_rule")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag")),
    )
    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flag_requirement_id"), ["requirement_id"])
        batch_op.create_index("ix_flag_rule_status", ["rule_id", "status"])
        batch_op.create_index("ix_flag_status_opened_at", ["status", "opened_at"])
        batch_op.create_index(
            "uq_flag_active_requirement_rule",
            ["requirement_id", "rule_id"],
            unique=True,
            postgresql_where=sa.text("resolved_at IS NULL"),
            sqlite_where=sa.text("resolved_at IS NULL"),
        )
    op.create_table(
        "report_signature",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("sketch", sa.LargeBinary(), nullable=False),
        sa.Column("similar_report_id", sa.Integer(), nullable=True),
        sa.Column("similarity", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["progress_report.id"],
            name=op.f("fk_report_signature_report_id_progress_report"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["similar_report_id"],
            ["progress_report.id"],
            name=op.f("fk_report_signature_similar_report_id_progress_report"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("report_id", name=op.f("pk_report_signature")),
    )
    with op.batch_alter_table("report_signature", schema=None) as batch_op:
        batch_op.create_index("ix_report_signature_similarity", ["similarity"])
    op.create_table(
        "report_anchor",
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("anchor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["progress_report.id"],
            name=op.f("fk_report_anchor_report_id_progress_report"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("report_id", "rank", name=op.f("pk_report_anchor")),
    )
    with op.batch_alter_table("report_anchor", schema=None) as batch_op:
        batch_op.create_index("ix_report_anchor_key_report", ["anchor", "report_id"])
    op.create_table(
        "evidence_summary",
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("evidence_count", sa.Integer(), nullable=False),
        sa.Column("cited_count", sa.Integer(), nullable=False),
        sa.Column("earliest_doc_date", sa.Date(), nullable=True),
        sa.Column("earliest_evidence_id", sa.Integer(), nullable=True),
        sa.Column("recycled_evidence_id", sa.Integer(), nullable=True),
        sa.Column("recycled_from_id", sa.Integer(), nullable=True),
        sa.Column("foreign_recycled_evidence_id", sa.Integer(), nullable=True),
        sa.Column("foreign_recycled_from_id", sa.Integer(), nullable=True),
        sa.Column("last_evidence_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirement.id"],
            name=op.f("fk_evidence_summary_requirement_id_requirement"),
        ),
        sa.PrimaryKeyConstraint("requirement_id", name=op.f("pk_evidence_summary")),
    )
    with op.batch_alter_table("evidence_summary", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evidence_summary_last_evidence_id"), ["last_evidence_id"]
        )
    with op.batch_alter_table("requirement", schema=None) as batch_op:
        batch_op.create_index("ix_requirement_updated_at", ["updated_at"])


def downgrade() -> None:
    with op.batch_alter_table("requirement", schema=None) as batch_op:
        batch_op.drop_index("ix_requirement_updated_at")
    with op.batch_alter_table("evidence_summary", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_summary_last_evidence_id"))
    op.drop_table("evidence_summary")
    with op.batch_alter_table("report_anchor", schema=None) as batch_op:
        batch_op.drop_index("ix_report_anchor_key_report")
    op.drop_table("report_anchor")
    with op.batch_alter_table("report_signature", schema=None) as batch_op:
        batch_op.drop_index("ix_report_signature_similarity")
    op.drop_table("report_signature")
    with op.batch_alter_table("flag", schema=None) as batch_op:
        batch_op.drop_index("uq_flag_active_requirement_rule")
        batch_op.drop_index("ix_flag_status_opened_at")
        batch_op.drop_index("ix_flag_rule_status")
        batch_op.drop_index(batch_op.f("ix_flag_requirement_id"))
    op.drop_table("flag")
    op.drop_table("monitor_rule")
    op.drop_table("working_day")
    op.drop_table("calendar_day")
