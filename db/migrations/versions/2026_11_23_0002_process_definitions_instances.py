"""Process definitions (immutable versions), instances with a lock version, user tasks.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 03:21:49.320759
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "process_definition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("bpmn_xml", sa.Text(), nullable=False),
        sa.Column("spec_json", sa.Text(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("serializer_version", sa.String(length=40), nullable=False),
        sa.Column("lane_roles", sa.JSON(), nullable=False),
        sa.Column("deployed_by_id", sa.Integer(), nullable=True),
        sa.Column("deployed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deployed_by_id"],
            ["user_account.id"],
            name=op.f("fk_process_definition_deployed_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_definition")),
        sa.UniqueConstraint("key", "version", name="key_version"),
    )
    with op.batch_alter_table("process_definition", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_process_definition_key"), ["key"], unique=False)

    op.create_table(
        "process_instance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=64), nullable=False),
        sa.Column("role_bodies", sa.JSON(), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=False),
        sa.Column("serializer_version", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("next_timer_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["process_definition.id"],
            name=op.f("fk_process_instance_definition_id_process_definition"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_instance")),
    )
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_process_instance_definition_id"), ["definition_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_process_instance_next_timer_at"), ["next_timer_at"], unique=False
        )
        batch_op.create_index(
            "ix_process_instance_subject", ["subject_type", "subject_id"], unique=False
        )

    op.create_table(
        "user_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("lane", sa.String(length=64), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("body_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["user_account.id"], name=op.f("fk_user_task_assignee_id_user_account")
        ),
        sa.ForeignKeyConstraint(["body_id"], ["body.id"], name=op.f("fk_user_task_body_id_body")),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name=op.f("fk_user_task_instance_id_process_instance"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_task")),
        sa.UniqueConstraint("instance_id", "task_id", name="instance_task"),
    )
    with op.batch_alter_table("user_task", schema=None) as batch_op:
        batch_op.create_index("ix_user_task_inbox", ["body_id", "role", "due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_user_task_instance_id"), ["instance_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("user_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_task_instance_id"))
        batch_op.drop_index("ix_user_task_inbox")

    op.drop_table("user_task")
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.drop_index("ix_process_instance_subject")
        batch_op.drop_index(batch_op.f("ix_process_instance_next_timer_at"))
        batch_op.drop_index(batch_op.f("ix_process_instance_definition_id"))

    op.drop_table("process_instance")
    with op.batch_alter_table("process_definition", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_definition_key"))

    op.drop_table("process_definition")
