"""Who may see what: the single place every query asks.

A user sees their own body and every body it supervises, transitively (``supervisor_id``).
Admins see everything. Every list, page and download filters through ``visible_bodies``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, literal, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from db.models import Body, User
from workflows.errors import NotFound
from workflows.i18n import _l


def visible_bodies(user: User) -> Select[int]:
    """A subquery of body ids in ``user``'s reach (their body and all it supervises)."""
    if user.has_role("admin"):
        return select(Body.id)
    reach = select(literal(user.body_id).label("id")).cte("reach", recursive=True)
    reach = reach.union(select(Body.id).where(Body.supervisor_id == reach.c.id))
    return select(reach.c.id)


def in_reach(user: User, column: Any) -> ColumnElement[bool]:
    """A filter for any query: ``column`` (a body id) is within ``user``'s reach."""
    if user.has_role("admin"):
        return true()
    return column.in_(visible_bodies(user))


def can_see_body(session: Session, user: User, body_id: int) -> bool:
    return (
        session.scalar(select(Body.id).where(Body.id == body_id, in_reach(user, Body.id)))
        is not None
    )


def get_visible_body(session: Session, user: User, body_id: int) -> Body:
    """Load a body the user may see, or raise NotFound (never reveal that it exists)."""
    body = session.scalar(select(Body).where(Body.id == body_id, in_reach(user, Body.id)))
    if body is None:
        raise NotFound(_l("No such body, or it is outside your reach."))
    return body
