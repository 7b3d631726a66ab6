"""The head of a body: the person an escalation names first (``Body.head_user_id``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.audit import record
from db.models import Body, User
from workflows.errors import InvalidInput, NotAllowed
from workflows.i18n import _l


def set_body_head(session: Session, body: Body, head_user_id: int | None, actor: User) -> None:
    """Name (or clear) the head of ``body``; only an admin may, and only one of its users.

    :raises InvalidInput: the user does not exist, is inactive or works for another body.
    """
    if not actor.has_role("admin"):
        raise NotAllowed(_l("Only an administrator may name the head of a body."))
    if head_user_id == body.head_user_id:
        return
    if head_user_id is not None:
        head = session.scalar(select(User).where(User.id == head_user_id))
        if head is None or head.body_id != body.id or not head.active:
            raise InvalidInput(
                _l("The head must be an active user of this body."), field="head_user_id"
            )
    before = body.head_user_id
    body.head_user_id = head_user_id
    record(
        session,
        "body.head_changed",
        ("body", body.id),
        actor_id=actor.id,
        body_id=body.id,
        payload={"before": before, "after": head_user_id},
    )


def head_choices(session: Session, body: Body | None) -> list[tuple[int | None, str]]:
    """The users who may head ``body`` (its active users), for a select box."""
    choices: list[tuple[int | None, str]] = [(None, "—")]
    if body is None:
        return choices
    rows = session.execute(
        select(User.id, User.username, User.full_name)
        .where(User.body_id == body.id, User.active.is_(True))
        .order_by(User.username)
    )
    return choices + [(r.id, f"{r.full_name} ({r.username})") for r in rows]
