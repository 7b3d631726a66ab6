"""The facts a notification shows, taken from the rows when it is queued.

A notification keeps its facts (JSON) so the email says what was true when the event
happened, whatever changes later, and so rendering never needs the database. The names and
numbers that do not change within a transaction are read once per session and subject.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, or_, select
from sqlalchemy.orm import Session

from db.models import Body, Conclusion, Requirement
from db.models.escalation import AccountabilityCase
from db.models.notification import Webhook

EXCERPT = 200
_CACHE = "notifier.facts"
_BODY = cast(Table, Body.__table__)
_CONCLUSION = cast(Table, Conclusion.__table__)
_HOOK = cast(Table, Webhook.__table__)


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """The first ``limit`` characters, cut at a word, on one line."""
    flat = " ".join((text or "").split())
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _cached(session: Session, key: tuple[Any, ...]) -> dict[Any, Any]:
    return session.info.setdefault(_CACHE, {}).setdefault(key, {})


_UNIT, _SUPERVISOR = _BODY.alias("unit"), _BODY.alias("supervisor")
_REQUIREMENT = cast(Table, Requirement.__table__)
#: Whether either body has an active webhook: most have none, and then queuing the news
#: needs no webhook query of its own.
_HOOKS = (
    select(func.count())
    .select_from(_HOOK)
    .where(
        _HOOK.c.active.is_(True),
        or_(
            _HOOK.c.body_id == _REQUIREMENT.c.responsible_body_id,
            _HOOK.c.body_id == _REQUIREMENT.c.supervising_body_id,
        ),
    )
    .scalar_subquery()
)
#: Built once: it runs for every event on a requirement (or once for many, see prefetch).
_NAMES = (
    select(
        _REQUIREMENT.c.id,
        _CONCLUSION.c.number,
        _CONCLUSION.c.title,
        _UNIT.c.name,
        _SUPERVISOR.c.name,
        _HOOKS,
    )
    .select_from(
        _REQUIREMENT.join(_CONCLUSION, _CONCLUSION.c.id == _REQUIREMENT.c.conclusion_id)
        .join(_UNIT, _UNIT.c.id == _REQUIREMENT.c.responsible_body_id)
        .join(_SUPERVISOR, _SUPERVISOR.c.id == _REQUIREMENT.c.supervising_body_id)
    )
    .where(_REQUIREMENT.c.id.in_(bindparam("ids", expanding=True)))
)


def _names(session: Session, req: Requirement) -> dict[str, Any]:
    """Conclusion number and title, both bodies' names: one query per requirement."""
    found = _cached(session, ("requirement", req.id))
    if not found:
        session.flush()
        _read_names(session, [req.id])
    return dict(found)


def _read_names(session: Session, ids: list[int]) -> None:
    """Remember the names of the requirements ``ids`` (flushed) for this session."""
    for row in session.connection().execute(_NAMES, {"ids": ids}):
        _cached(session, ("requirement", row[0])).update(
            conclusion_number=row[1],
            conclusion_title=row[2],
            responsible_body=row[3],
            supervising_body=row[4],
        )
        _cached(session, ("webhooks", row[0]))["any"] = bool(row[5])


def prefetch(session: Session, subjects: Sequence[tuple[str, int]]) -> list[Requirement]:
    """Read the requirements among ``subjects`` and their names in two queries, so that
    the facts of each need none of its own. The caller holds on to the list returned
    while it works: the session keeps only weak references to what it loaded."""
    ids = sorted({ident for kind, ident in subjects if kind == "requirement"})
    if not ids:
        return []
    session.flush()
    loaded = list(session.scalars(select(Requirement).where(Requirement.id.in_(ids))))
    _read_names(session, ids)
    return loaded


def may_have_webhooks(session: Session, req: Requirement) -> bool:
    """Whether the requirement's bodies had an active webhook when its facts were read."""
    return bool(_cached(session, ("webhooks", req.id)).get("any", True))


def requirement(session: Session, req: Requirement) -> dict[str, Any]:
    return {
        **_names(session, req),
        "path": f"/requirements/{req.id}",
        "requirement_id": req.id,
        "seq": req.seq,
        "excerpt": excerpt(req.text),
        "deadline": req.deadline,
        "status": req.status,
        "progress_percent": req.progress_percent,
    }


def conclusion(session: Session, found: Conclusion) -> dict[str, Any]:
    count = session.scalar(select(func.count()).where(Requirement.conclusion_id == found.id))
    return {
        "path": f"/conclusions/{found.id}",
        "conclusion_number": found.number,
        "conclusion_title": found.title,
        "issuing_body": body_name(session, found.issuing_body_id),
        "requirements": count,
    }


def body_name(session: Session, body_id: int | None) -> str | None:
    body = session.get(Body, body_id) if body_id is not None else None
    return body.name if body is not None else None


def head_of(session: Session, body_id: int | None) -> int | None:
    """The body's head (escalations name them), if one is set."""
    body = session.get(Body, body_id) if body_id is not None else None
    return getattr(body, "head_user_id", None) if body is not None else None


def case(
    session: Session, subject: tuple[str, int]
) -> tuple[dict[str, Any], int, int, int | None] | None:
    """An accountability case's facts, subject body, handling body and subject user."""
    found = (
        session.get(AccountabilityCase, subject[1]) if subject[0] == "accountability_case" else None
    )
    if found is None:
        return None
    req = session.get(Requirement, found.requirement_id) if found.requirement_id else None
    facts = requirement(session, req) if req is not None else {}
    facts.update(
        path=f"/accountability/{found.id}",
        subject_body=body_name(session, found.subject_body_id),
        handling_body=body_name(session, found.handling_body_id),
    )
    return facts, found.subject_body_id, found.handling_body_id, found.subject_user_id


def subject(session: Session, subject: tuple[str, int]) -> dict[str, Any]:
    """Facts of a subject no rule knows better (a referral, a designer's model, …)."""
    if subject[0] == "conclusion":
        found = session.get(Conclusion, subject[1])
        if found is not None:
            return conclusion(session, found)
    return {"subject_type": subject[0], "subject_id": subject[1]}
