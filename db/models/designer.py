"""The process designer's drafts and the record of instances moved to a new version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow


class ProcessDraft(Base):
    """The one draft of a process key being edited in the designer.

    ``lock_version`` makes two designers saving the same draft collide: a save names the
    version it started from and is refused when someone else saved in between.
    """

    __tablename__ = "process_draft"
    __table_args__ = (CheckConstraint("lock_version >= 1", name="lock_version_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    bpmn_xml: Mapped[str] = mapped_column(Text, deferred=True)
    # The deployed version the draft was started from (None: a new process).
    base_version: Mapped[int | None]
    lock_version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    updated_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class InstanceMigration(Base):
    """One running instance moved from one deployed version to another (also audited)."""

    __tablename__ = "instance_migration"
    __table_args__ = (Index("ix_instance_migration_to", "to_definition_id", "migrated_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instance.id", ondelete="CASCADE"), index=True
    )
    from_definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    to_definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"))
    migrated_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    migrated_at: Mapped[datetime] = mapped_column(default=utcnow)
