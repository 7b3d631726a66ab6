"""Process designer drafts and instance migrations.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 04:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "process_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("bpmn_xml", sa.Text(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "lock_version >= 1", name=op.f("ck_process_draft_lock_version_positive")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_process_draft_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_process_draft_updated_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_draft")),
        sa.UniqueConstraint("key", name=op.f("uq_process_draft_key")),
    )
    op.create_table(
        "instance_migration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("from_definition_id", sa.Integer(), nullable=False),
        sa.Column("to_definition_id", sa.Integer(), nullable=False),
        sa.Column("migrated_by_id", sa.Integer(), nullable=False),
        sa.Column("migrated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_definition_id"],
            ["process_definition.id"],
            name=op.f("fk_instance_migration_from_definition_id_process_definition"),
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name=op.f("fk_instance_migration_instance_id_process_instance"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["migrated_by_id"],
            ["user_account.id"],
            name=op.f("fk_instance_migration_migrated_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["to_definition_id"],
            ["process_definition.id"],
            name=op.f("fk_instance_migration_to_definition_id_process_definition"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instance_migration")),
    )
    with op.batch_alter_table("instance_migration", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_instance_migration_instance_id"), ["instance_id"], unique=False
        )
        batch_op.create_index(
            "ix_instance_migration_to", ["to_definition_id", "migrated_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("instance_migration", schema=None) as batch_op:
        batch_op.drop_index("ix_instance_migration_to")
        batch_op.drop_index(batch_op.f("ix_instance_migration_instance_id"))

    op.drop_table("instance_migration")
    op.drop_table("process_draft")
