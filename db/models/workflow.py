"""Deployed process definitions, running instances and the inbox projection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, utcnow


class ProcessDefinition(Base):
    """One immutable deployed version of a process key.

    The spec is serialised once here, so instances store only their own state.
    """

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("key", "version", name="key_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int]
    # Deferred: loading an instance needs the spec only on a cache miss (see
    # workflows.definitions.specs), and the XML only when someone opens the diagram.
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    spec_json: Mapped[str] = mapped_column(Text, deferred=True)
    checksum: Mapped[str] = mapped_column(String(64))
    serializer_version: Mapped[str] = mapped_column(String(40))
    lane_roles: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    deployed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessInstance(Base):
    """A running (or finished) process; ``lock_version`` makes concurrent saves collide
    instead of silently overwriting each other."""

    __tablename__ = "process_instance"
    __table_args__ = (Index("ix_process_instance_subject", "subject_type", "subject_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    # Which body each role of the model's lanes stands for in this instance.
    role_bodies: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[bytes] = mapped_column(LargeBinary)
    serializer_version: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16), default="running")
    next_timer_at: Mapped[datetime | None] = mapped_column(index=True)
    lock_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    definition: Mapped[ProcessDefinition] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": lock_version}


class UserTask(Base):
    """A READY user task, kept in step with the instance on every save (the inbox reads it)."""

    __tablename__ = "user_task"
    __table_args__ = (
        UniqueConstraint("instance_id", "task_id", name="instance_task"),
        Index("ix_user_task_inbox", "body_id", "role", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(255))
    lane: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(16))
    body_id: Mapped[int | None] = mapped_column(ForeignKey("body.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
