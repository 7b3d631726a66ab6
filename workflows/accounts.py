"""Users: create, authenticate with throttling and lockout, change password, edit.

Verbs flush but never commit; the caller's transaction holds the change and its audit event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.audit import record
from db.base import utcnow
from db.models import ROLES, Body, LoginAttempt, User, UserRole
from db.settings import Settings
from workflows.errors import Conflict, InvalidInput
from workflows.i18n import _l
from workflows.passwords import hash_password, needs_rehash, verify_password

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class NewUser:
    username: str
    full_name: str
    body_id: int
    roles: tuple[str, ...]
    password: str
    email: str | None = None
    locale: str = "vi"


def _check_user_fields(session: Session, data: NewUser) -> None:
    if not USERNAME_RE.match(data.username):
        raise InvalidInput(
            _l("User names use 3–64 lower-case letters, digits, dots, dashes or underscores."),
            field="username",
        )
    if not data.full_name.strip() or len(data.full_name) > 255:
        raise InvalidInput(_l("Enter the full name (at most 255 characters)."), field="full_name")
    if data.email and (len(data.email) > 255 or not EMAIL_RE.match(data.email)):
        raise InvalidInput(_l("That e-mail address is not valid."), field="email")
    if not data.roles or not set(data.roles) <= set(ROLES):
        raise InvalidInput(_l("Choose at least one known role."), field="roles")
    if data.locale not in ("vi", "en"):
        raise InvalidInput(_l("Choose Vietnamese or English."), field="locale")
    if session.get(Body, data.body_id) is None:
        raise InvalidInput(_l("That body does not exist."), field="body_id")


def create_user(session: Session, data: NewUser, actor: User | None = None) -> User:
    _check_user_fields(session, data)
    if session.scalar(select(User.id).where(User.username == data.username)):
        raise Conflict(_l("The user name %(name)s is taken.", name=data.username))
    user = User(
        username=data.username,
        full_name=data.full_name.strip(),
        email=data.email or None,
        body_id=data.body_id,
        password_hash=hash_password(data.password),
        locale=data.locale,
        role_rows=[UserRole(role=r) for r in sorted(set(data.roles))],
    )
    session.add(user)
    session.flush()
    record(
        session,
        "user.created",
        ("user", user.id),
        actor_id=actor.id if actor else None,
        body_id=user.body_id,
        payload={"username": user.username, "roles": sorted(user.roles)},
    )
    return user


def update_user(
    session: Session,
    user: User,
    actor: User,
    *,
    full_name: str,
    email: str | None,
    body_id: int,
    roles: tuple[str, ...],
    locale: str,
    active: bool,
) -> User:
    data = NewUser(user.username, full_name, body_id, roles, "x", email, locale)
    _check_user_fields(session, data)
    if user.id == actor.id and ("admin" not in roles or not active):
        raise InvalidInput(_l("You cannot remove your own admin role or deactivate yourself."))
    before = {"body_id": user.body_id, "roles": sorted(user.roles), "active": user.active}
    user.full_name, user.email, user.body_id = full_name.strip(), email or None, body_id
    user.locale, user.active = locale, active
    user.role_rows = [UserRole(role=r) for r in sorted(set(roles))]
    session.flush()
    after = {"body_id": user.body_id, "roles": sorted(roles), "active": active}
    record(
        session,
        "user.updated",
        ("user", user.id),
        actor_id=actor.id,
        body_id=user.body_id,
        payload={"before": before, "after": after},
    )
    return user


def _ip_failures(session: Session, ip: str, since: datetime) -> int:
    stmt = select(func.count()).where(
        LoginAttempt.ip == ip, LoginAttempt.at >= since, LoginAttempt.success.is_(False)
    )
    return session.scalar(stmt) or 0


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a login attempt. Failures are *results*, not exceptions, because the
    counters they update must be committed even though the login is refused."""

    user: User | None
    error: object | None = None
    status: int = 200


def authenticate(
    session: Session, settings: Settings, username: str, password: str, ip: str
) -> LoginResult:
    """Check a login; count failures per account (lockout after ``login_max_failures``) and
    per address (``login_ip_max_failures`` in the lockout window).

    A wrong password and an unknown user get the same words, so the form does not reveal
    which user names exist. The caller commits whatever the result.
    """
    now = utcnow()
    window = timedelta(minutes=settings.login_lockout_minutes)
    if _ip_failures(session, ip, now - window) >= settings.login_ip_max_failures:
        msg = _l("Too many failed attempts from your address. Try again later.")
        return LoginResult(None, msg, 429)
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    ok = verify_password(user.password_hash if user else None, password)
    session.add(LoginAttempt(username=username[:64], ip=ip[:64], success=ok))
    if user is not None and user.locked_until and user.locked_until > now:
        until = user.locked_until.strftime("%H:%M")
        msg = _l("This account is locked after repeated failed logins until %(t)s UTC.", t=until)
        return LoginResult(None, msg, 403)
    if user is None or not ok:
        if user is not None:
            _count_failure(session, settings, user, now)
        return LoginResult(None, _l("Wrong user name or password."), 401)
    if not user.active:
        return LoginResult(None, _l("This account is disabled. Ask an administrator."), 403)
    user.failed_logins, user.locked_until = 0, None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return LoginResult(user)


def _count_failure(session: Session, settings: Settings, user: User, now: datetime) -> None:
    user.failed_logins += 1
    if user.failed_logins >= settings.login_max_failures:
        user.locked_until = now + timedelta(minutes=settings.login_lockout_minutes)
        user.failed_logins = 0
        record(
            session,
            "user.locked",
            ("user", user.id),
            body_id=user.body_id,
            payload={"minutes": settings.login_lockout_minutes},
        )


def unlock_user(session: Session, user: User, actor: User) -> None:
    user.failed_logins, user.locked_until = 0, None
    record(session, "user.unlocked", ("user", user.id), actor_id=actor.id, body_id=user.body_id)


def change_password(session: Session, user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise InvalidInput(_l("The current password is wrong."), field="current_password")
    if current == new:
        raise InvalidInput(
            _l("Choose a password different from the current one."), field="new_password"
        )
    _set_password(session, user, new, actor=user)


def reset_password(session: Session, user: User, new: str, actor: User) -> None:
    _set_password(session, user, new, actor=actor)
    user.failed_logins, user.locked_until = 0, None


def _set_password(session: Session, user: User, new: str, actor: User) -> None:
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    record(
        session, "user.password_changed", ("user", user.id), actor_id=actor.id, body_id=user.body_id
    )


def set_locale(session: Session, user: User, locale: str) -> None:
    if locale not in ("vi", "en"):
        raise InvalidInput(_l("Choose Vietnamese or English."), field="locale")
    if user.locale != locale:
        user.locale = locale
        record(
            session,
            "user.locale_changed",
            ("user", user.id),
            actor_id=user.id,
            body_id=user.body_id,
            payload={"locale": locale},
        )
