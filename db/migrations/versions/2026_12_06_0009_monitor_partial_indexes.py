"""Partial indexes the monitor's whole passes read instead of scanning a million rows: recycled
evidence, documents dated before the conclusion (a new summary column), closed requirements
by conclusion and category (recurrence), formal-only rejections; the flags' index by rule
holds active flags only (resolving a flag no longer writes to it).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 07:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _where(condition: str) -> dict[str, Any]:
    return {"postgresql_where": sa.text(condition), "sqlite_where": sa.text(condition)}


def upgrade() -> None:
    op.drop_index("ix_flag_rule_status", "flag")
    op.create_index(
        "ix_flag_active_rule_status",
        "flag",
        ["rule_id", "status"],
        **_where("resolved_at IS NULL"),
    )
    op.add_column("evidence_summary", sa.Column("predates_issue_days", sa.Integer(), nullable=True))
    days = (
        "c.issue_date - evidence_summary.earliest_doc_date"
        if op.get_bind().dialect.name == "postgresql"
        else "CAST(julianday(c.issue_date) - julianday(evidence_summary.earliest_doc_date)"
        " AS INTEGER)"
    )
    op.execute(
        "UPDATE evidence_summary SET predates_issue_days = ("  # noqa: S608 - constant SQL
        f"SELECT {days} FROM requirement r JOIN conclusion c ON c.id = r.conclusion_id "
        "WHERE r.id = evidence_summary.requirement_id)"
    )
    op.create_index(
        "ix_evidence_summary_recycled",
        "evidence_summary",
        ["requirement_id"],
        **_where("recycled_evidence_id IS NOT NULL"),
    )
    op.create_index(
        "ix_evidence_summary_predates",
        "evidence_summary",
        ["predates_issue_days"],
        **_where("predates_issue_days > 0"),
    )
    op.create_index(
        "ix_requirement_closed_kind",
        "requirement",
        ["conclusion_id", "category"],
        postgresql_include=["closed_at", "id"],
        **_where("status = 'closed'"),
    )
    op.create_index(
        "ix_verification_formal_only",
        "verification",
        ["requirement_id", "id"],
        **_where("decision = 'formal_only'"),
    )


def downgrade() -> None:
    op.drop_index("ix_verification_formal_only", "verification")
    op.drop_index("ix_requirement_closed_kind", "requirement")
    op.drop_index("ix_evidence_summary_predates", "evidence_summary")
    op.drop_index("ix_evidence_summary_recycled", "evidence_summary")
    with op.batch_alter_table("evidence_summary") as batch:
        batch.drop_column("predates_issue_days")
    op.drop_index("ix_flag_active_rule_status", "flag")
    op.create_index("ix_flag_rule_status", "flag", ["rule_id", "status"])
