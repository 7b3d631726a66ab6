"""Conclusions and their requirements: progress reports, evidence, extensions, verifications.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 03:29:39.806640
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conclusion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("issuing_body_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("subject_body_id", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assessment", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("process_instance_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "source IN ('party_inspection', 'party_supervision', 'state_inspection', 'state_audit', 'investigation')",
            name=op.f("ck_conclusion_source"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'issued', 'in_progress', 'closed')",
            name=op.f("ck_conclusion_status"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_conclusion_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["issuing_body_id"], ["body.id"], name=op.f("fk_conclusion_issuing_body_id_body")
        ),
        sa.ForeignKeyConstraint(
            ["process_instance_id"],
            ["process_instance.id"],
            name=op.f("fk_conclusion_process_instance_id_process_instance"),
        ),
        sa.ForeignKeyConstraint(
            ["subject_body_id"], ["body.id"], name=op.f("fk_conclusion_subject_body_id_body")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conclusion")),
        sa.UniqueConstraint("number", name=op.f("uq_conclusion_number")),
    )
    with op.batch_alter_table("conclusion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conclusion_issuing_body_id"), ["issuing_body_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conclusion_subject_body_id"), ["subject_body_id"], unique=False
        )

    op.create_table(
        "requirement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conclusion_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("responsible_body_id", sa.Integer(), nullable=False),
        sa.Column("responsible_officer_id", sa.Integer(), nullable=True),
        sa.Column("supervising_body_id", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("original_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("target_amount", sa.Numeric(precision=20, scale=0), nullable=True),
        sa.Column("recovered_amount", sa.Numeric(precision=20, scale=0), nullable=False),
        sa.Column("progress_percent", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("grade", sa.String(length=8), nullable=True),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("planned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_report_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("process_instance_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "category IN ('financial', 'disciplinary', 'institutional', 'administrative', 'referral')",
            name=op.f("ck_requirement_category"),
        ),
        sa.CheckConstraint(
            "grade IS NULL OR grade IN ('full', 'most', 'partial', 'none')",
            name=op.f("ck_requirement_grade"),
        ),
        sa.CheckConstraint(
            "status IN ('issued', 'acknowledged', 'planned', 'in_progress', 'pending_verification', 'returned', 'overdue', 'closed', 'not_implementable', 'withdrawn')",
            name=op.f("ck_requirement_status"),
        ),
        sa.CheckConstraint(
            "escalation_level BETWEEN 0 AND 3", name=op.f("ck_requirement_escalation_level")
        ),
        sa.CheckConstraint(
            "progress_percent BETWEEN 0 AND 100", name=op.f("ck_requirement_progress_percent")
        ),
        sa.CheckConstraint("recovered_amount >= 0", name=op.f("ck_requirement_recovered_amount")),
        sa.CheckConstraint("seq >= 1", name=op.f("ck_requirement_seq_positive")),
        sa.CheckConstraint(
            "target_amount IS NULL OR target_amount >= 0", name=op.f("ck_requirement_target_amount")
        ),
        sa.ForeignKeyConstraint(
            ["conclusion_id"],
            ["conclusion.id"],
            name=op.f("fk_requirement_conclusion_id_conclusion"),
        ),
        sa.ForeignKeyConstraint(
            ["process_instance_id"],
            ["process_instance.id"],
            name=op.f("fk_requirement_process_instance_id_process_instance"),
        ),
        sa.ForeignKeyConstraint(
            ["responsible_body_id"],
            ["body.id"],
            name=op.f("fk_requirement_responsible_body_id_body"),
        ),
        sa.ForeignKeyConstraint(
            ["responsible_officer_id"],
            ["user_account.id"],
            name=op.f("fk_requirement_responsible_officer_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["user_account.id"],
            name=op.f("fk_requirement_submitted_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["supervising_body_id"],
            ["body.id"],
            name=op.f("fk_requirement_supervising_body_id_body"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requirement")),
        sa.UniqueConstraint("conclusion_id", "seq", name="conclusion_seq"),
    )
    with op.batch_alter_table("requirement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_requirement_responsible_body_id"), ["responsible_body_id"], unique=False
        )
        batch_op.create_index(
            "ix_requirement_status_deadline", ["status", "deadline"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_requirement_supervising_body_id"), ["supervising_body_id"], unique=False
        )

    op.create_table(
        "extension_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("current_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected')",
            name=op.f("ck_extension_request_status"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_extension_request_decided_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["user_account.id"],
            name=op.f("fk_extension_request_requested_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirement.id"],
            name=op.f("fk_extension_request_requirement_id_requirement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extension_request")),
    )
    with op.batch_alter_table("extension_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_extension_request_requirement_id"), ["requirement_id"], unique=False
        )

    op.create_table(
        "progress_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("percent", sa.Integer(), nullable=False),
        sa.Column("amount_recovered", sa.Numeric(precision=20, scale=0), nullable=False),
        sa.Column("is_completion", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "amount_recovered >= 0", name=op.f("ck_progress_report_amount_recovered")
        ),
        sa.CheckConstraint("percent BETWEEN 0 AND 100", name=op.f("ck_progress_report_percent")),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["user_account.id"],
            name=op.f("fk_progress_report_author_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirement.id"],
            name=op.f("fk_progress_report_requirement_id_requirement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_progress_report")),
    )
    with op.batch_alter_table("progress_report", schema=None) as batch_op:
        batch_op.create_index(
            "ix_progress_report_requirement_created", ["requirement_id", "created_at"], unique=False
        )

    op.create_table(
        "verification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("verifier_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=24), nullable=False),
        sa.Column("grade", sa.String(length=8), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "decision IN ('implemented', 'partial', 'incomplete', 'formal_only', 'not_implementable')",
            name=op.f("ck_verification_decision"),
        ),
        sa.CheckConstraint(
            "grade IS NULL OR grade IN ('full', 'most', 'partial', 'none')",
            name=op.f("ck_verification_grade"),
        ),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirement.id"],
            name=op.f("fk_verification_requirement_id_requirement"),
        ),
        sa.ForeignKeyConstraint(
            ["verifier_id"],
            ["user_account.id"],
            name=op.f("fk_verification_verifier_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification")),
    )
    with op.batch_alter_table("verification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_verification_requirement_id"), ["requirement_id"], unique=False
        )

    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("doc_number", sa.String(length=64), nullable=True),
        sa.Column("doc_date", sa.Date(), nullable=True),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("size >= 0", name=op.f("ck_evidence_size")),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["progress_report.id"],
            name=op.f("fk_evidence_report_id_progress_report"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user_account.id"],
            name=op.f("fk_evidence_uploaded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_report_id"), ["report_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_sha256"), ["sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_sha256"))
        batch_op.drop_index(batch_op.f("ix_evidence_report_id"))

    op.drop_table("evidence")
    with op.batch_alter_table("verification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verification_requirement_id"))

    op.drop_table("verification")
    with op.batch_alter_table("progress_report", schema=None) as batch_op:
        batch_op.drop_index("ix_progress_report_requirement_created")

    op.drop_table("progress_report")
    with op.batch_alter_table("extension_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_extension_request_requirement_id"))

    op.drop_table("extension_request")
    with op.batch_alter_table("requirement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_requirement_supervising_body_id"))
        batch_op.drop_index("ix_requirement_status_deadline")
        batch_op.drop_index(batch_op.f("ix_requirement_responsible_body_id"))

    op.drop_table("requirement")
    with op.batch_alter_table("conclusion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conclusion_subject_body_id"))
        batch_op.drop_index(batch_op.f("ix_conclusion_issuing_body_id"))

    op.drop_table("conclusion")
