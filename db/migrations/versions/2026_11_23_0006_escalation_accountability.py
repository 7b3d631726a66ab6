"""Escalations up the supervision chain and accountability cases.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 04:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("body", schema=None) as batch_op:
        batch_op.add_column(sa.Column("head_user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_body_head_user_id_user_account"),
            "user_account",
            ["head_user_id"],
            ["id"],
            ondelete="SET NULL",
        )
    _create_threshold()
    _create_escalation()
    _create_accountability_case()


def _create_threshold() -> None:
    op.create_table(
        "escalation_threshold",
        sa.Column("body_kind", sa.String(length=32), nullable=False),
        sa.Column("level", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("overdue_days", sa.Integer(), nullable=True),
        sa.Column("open_flags", sa.Integer(), nullable=True),
        sa.Column("flag_severity", sa.String(length=8), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "flag_severity IN ('warning', 'critical')",
            name=op.f("ck_escalation_threshold_flag_severity"),
        ),
        sa.CheckConstraint("level BETWEEN 0 AND 3", name=op.f("ck_escalation_threshold_level")),
        sa.CheckConstraint(
            "open_flags IS NULL OR open_flags >= 1", name=op.f("ck_escalation_threshold_open_flags")
        ),
        sa.CheckConstraint(
            "overdue_days IS NULL OR overdue_days >= 0",
            name=op.f("ck_escalation_threshold_overdue_days"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_escalation_threshold_updated_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("body_kind", "level", name=op.f("pk_escalation_threshold")),
    )


def _create_escalation() -> None:
    op.create_table(
        "escalation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("from_body_id", sa.Integer(), nullable=False),
        sa.Column("to_body_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=24), nullable=True),
        sa.CheckConstraint(
            "decision IS NULL OR decision IN ('noted', 'instructed', 'accountability')",
            name=op.f("ck_escalation_decision"),
        ),
        sa.CheckConstraint(
            "reason IN ('overdue', 'flags', 'process', 'supervisor')",
            name=op.f("ck_escalation_reason"),
        ),
        sa.CheckConstraint("level BETWEEN 0 AND 3", name=op.f("ck_escalation_level")),
        sa.ForeignKeyConstraint(
            ["acknowledged_by_id"],
            ["user_account.id"],
            name=op.f("fk_escalation_acknowledged_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["from_body_id"], ["body.id"], name=op.f("fk_escalation_from_body_id_body")
        ),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirement.id"],
            name=op.f("fk_escalation_requirement_id_requirement"),
        ),
        sa.ForeignKeyConstraint(
            ["to_body_id"], ["body.id"], name=op.f("fk_escalation_to_body_id_body")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation")),
        sa.UniqueConstraint("requirement_id", "level", name=op.f("uq_escalation_requirement_id")),
    )
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_escalation_from_body_id"), ["from_body_id"], unique=False
        )
        batch_op.create_index(
            "ix_escalation_to_body_raised", ["to_body_id", "raised_at"], unique=False
        )


def _user_fk(column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ["user_account.id"],
        name=op.f(f"fk_accountability_case_{column}_user_account"),
    )


def _create_accountability_case() -> None:
    op.create_table(
        "accountability_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=True),
        sa.Column("escalation_id", sa.Integer(), nullable=True),
        sa.Column("subject_body_id", sa.Integer(), nullable=False),
        sa.Column("subject_user_id", sa.Integer(), nullable=True),
        sa.Column("handling_body_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("explanation_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("request_note", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("explanation", sa.Text(), nullable=True),
        sa.Column("explained_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("explained_by_id", sa.Integer(), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.Column("document_filename", sa.String(length=255), nullable=True),
        sa.Column("process_instance_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "decision IS NULL OR decision IN ('none', 'reminder', 'reprimand', 'warning', 'removal', 'expulsion', 'legal_referral')",
            name=op.f("ck_accountability_case_decision"),
        ),
        sa.CheckConstraint(
            "reason IN ('escalation', 'not_implementable', 'supervisor', 'process')",
            name=op.f("ck_accountability_case_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'explanation_requested', 'explained', 'reviewed', 'closed')",
            name=op.f("ck_accountability_case_status"),
        ),
        _user_fk("decided_by_id"),
        sa.ForeignKeyConstraint(
            ["escalation_id"],
            ["escalation.id"],
            name=op.f("fk_accountability_case_escalation_id_escalation"),
        ),
        _user_fk("explained_by_id"),
        sa.ForeignKeyConstraint(
            ["handling_body_id"],
            ["body.id"],
            name=op.f("fk_accountability_case_handling_body_id_body"),
        ),
        _user_fk("opened_by_id"),
        sa.ForeignKeyConstraint(
            ["process_instance_id"],
            ["process_instance.id"],
            name=op.f("fk_accountability_case_process_instance_id_process_instance"),
        ),
        _user_fk("requested_by_id"),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirement.id"],
            name=op.f("fk_accountability_case_requirement_id_requirement"),
        ),
        _user_fk("reviewed_by_id"),
        sa.ForeignKeyConstraint(
            ["subject_body_id"],
            ["body.id"],
            name=op.f("fk_accountability_case_subject_body_id_body"),
        ),
        _user_fk("subject_user_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accountability_case")),
        sa.UniqueConstraint("escalation_id", name=op.f("uq_accountability_case_escalation_id")),
    )
    with op.batch_alter_table("accountability_case", schema=None) as batch_op:
        for column in ("handling_body_id", "requirement_id", "subject_body_id"):
            batch_op.create_index(
                batch_op.f(f"ix_accountability_case_{column}"), [column], unique=False
            )


def downgrade() -> None:
    op.drop_table("accountability_case")
    op.drop_table("escalation")
    op.drop_table("escalation_threshold")
    with op.batch_alter_table("body", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_body_head_user_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_column("head_user_id")
