"""Bodies (organisations), their users and login attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, utcnow

BODY_KINDS = (
    "party_committee",
    "inspection_commission",
    "party_organization",
    "state_inspectorate",
    "state_audit",
    "investigation",
    "procuracy",
    "agency",
    "enterprise",
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ROLES = ("officer", "supervisor", "designer", "admin", "observer")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Body(Base):
    """An organisation: issues conclusions, remediates them, or supervises those who do."""

    __tablename__ = "body"
    __table_args__ = (
        CheckConstraint(_in("kind", BODY_KINDS), name="kind"),
        CheckConstraint("supervisor_id IS NULL OR supervisor_id <> id", name="not_own_supervisor"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("body.id"), index=True)
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("body.id"), index=True)
    # The person answerable for the body (escalations name them). user_account refers to
    # body too, so this side of the cycle is created after both tables (use_alter).
    head_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", use_alter=True, ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Body | None] = relationship(
        remote_side=[id], foreign_keys=[parent_id], lazy="joined"
    )
    supervisor: Mapped[Body | None] = relationship(
        remote_side=[id], foreign_keys=[supervisor_id], lazy="joined"
    )
    head: Mapped[User | None] = relationship(foreign_keys=[head_user_id], post_update=True)

    def __repr__(self) -> str:
        return f"<Body {self.code}>"


class User(Base):
    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint(_in("locale", ("vi", "en")), name="locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(255))
    body_id: Mapped[int] = mapped_column(ForeignKey("body.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    locale: Mapped[str] = mapped_column(String(8), default="vi")
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    body: Mapped[Body] = relationship(foreign_keys=[body_id], lazy="joined")
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.role_rows)

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    # The session-user protocol (Flask-Login reads these). The id carries the time of the last
    # password change, so changing a password ends every other session of that user.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.password_stamp}"

    @property
    def password_stamp(self) -> str:
        """Microseconds since the epoch of the last password change (exact, no float)."""
        return str((self.password_changed_at - _EPOCH) // timedelta(microseconds=1))

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class LoginAttempt(Base):
    """Every login attempt, kept to throttle guessing from one address across accounts."""

    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_ip_at", "ip", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    success: Mapped[bool]
    at: Mapped[datetime] = mapped_column(default=utcnow)
