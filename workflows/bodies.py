"""Bodies and their two hierarchies: ``parent_id`` (administrative) and ``supervisor_id``
(who supervises remediation; escalation climbs it). Neither may contain a cycle."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.audit import record
from db.models import BODY_KINDS, Body, User
from workflows.errors import Conflict, InvalidInput
from workflows.i18n import _l

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./_-]{0,39}$")


@dataclass(frozen=True)
class BodyData:
    code: str
    name: str
    kind: str
    parent_id: int | None = None
    supervisor_id: int | None = None


def _ancestors(session: Session, start_id: int | None, attr: str) -> list[int]:
    """Follow ``attr`` upwards from ``start_id``; bounded so a corrupt chain cannot hang us."""
    seen: list[int] = []
    current = start_id
    while current is not None and current not in seen and len(seen) < 10_000:
        seen.append(current)
        current = session.scalar(select(getattr(Body, attr)).where(Body.id == current))
    return seen


def _check(session: Session, data: BodyData, body_id: int | None) -> None:
    if not CODE_RE.match(data.code):
        raise InvalidInput(
            _l("A code has 1–40 letters, digits, dots, dashes, slashes or underscores."),
            field="code",
        )
    if not data.name.strip() or len(data.name) > 255:
        raise InvalidInput(_l("Enter the body's name (at most 255 characters)."), field="name")
    if data.kind not in BODY_KINDS:
        raise InvalidInput(_l("Choose a known kind of body."), field="kind")
    for attr, label in (("parent_id", "parent"), ("supervisor_id", "supervisor")):
        target = getattr(data, attr)
        if target is None:
            continue
        if session.get(Body, target) is None:
            raise InvalidInput(_l("The chosen body does not exist."), field=attr)
        if body_id is not None and body_id in _ancestors(session, target, attr):
            msg = (
                _l("A body cannot be its own supervisor, directly or through others.")
                if label == "supervisor"
                else _l("A body cannot be its own parent, directly or through others.")
            )
            raise InvalidInput(msg, field=attr)
    clash = session.scalar(select(Body.id).where(Body.code == data.code))
    if clash is not None and clash != body_id:
        raise Conflict(_l("The code %(code)s is already used by another body.", code=data.code))


def create_body(session: Session, data: BodyData, actor: User | None) -> Body:
    _check(session, data, None)
    body = Body(
        code=data.code,
        name=data.name.strip(),
        kind=data.kind,
        parent_id=data.parent_id,
        supervisor_id=data.supervisor_id,
    )
    session.add(body)
    session.flush()
    record(
        session,
        "body.created",
        ("body", body.id),
        actor_id=actor.id if actor else None,
        body_id=body.id,
        payload=_snapshot(body),
    )
    return body


def update_body(session: Session, body: Body, data: BodyData, actor: User) -> Body:
    _check(session, data, body.id)
    before = _snapshot(body)
    body.code, body.name, body.kind = data.code, data.name.strip(), data.kind
    body.parent_id, body.supervisor_id = data.parent_id, data.supervisor_id
    session.flush()
    record(
        session,
        "body.updated",
        ("body", body.id),
        actor_id=actor.id,
        body_id=body.id,
        payload={"before": before, "after": _snapshot(body)},
    )
    return body


def _snapshot(body: Body) -> dict[str, object]:
    return {
        "code": body.code,
        "name": body.name,
        "kind": body.kind,
        "parent_id": body.parent_id,
        "supervisor_id": body.supervisor_id,
    }


def supervision_chain(session: Session, body_id: int) -> list[int]:
    """The body and every supervisor above it, nearest first (escalation walks this)."""
    return _ancestors(session, body_id, "supervisor_id")
