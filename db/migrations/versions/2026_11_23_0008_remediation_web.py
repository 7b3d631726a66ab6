"""Indexes the remediation pages read through: a record's audit history (the timeline) and
the process instance of a requirement or conclusion (the inbox join).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 04:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_event_subject", "audit_event", ["subject_type", "subject_id", "seq"])
    op.create_index("ix_requirement_process_instance_id", "requirement", ["process_instance_id"])
    op.create_index("ix_conclusion_process_instance_id", "conclusion", ["process_instance_id"])


def downgrade() -> None:
    op.drop_index("ix_conclusion_process_instance_id", "conclusion")
    op.drop_index("ix_requirement_process_instance_id", "requirement")
    op.drop_index("ix_audit_event_subject", "audit_event")
