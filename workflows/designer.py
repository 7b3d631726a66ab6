"""Drafts of process models edited in the browser: open, save, validate, deploy.

There is one draft per process key.  Saving names the ``lock_version`` the designer
started from; when someone else saved (or deployed, or discarded) in between, the save is
refused and nothing is overwritten.  Validation is the deploy's own (the engine's checks,
the process-id checks of :mod:`workflows.definitions`) plus the elements other modelers
write that the engine would silently ignore.  Only designers and administrators act here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, undefer

from db.base import utcnow
from db.models import User
from db.models.designer import ProcessDraft
from workflows import definitions
from workflows.designer_checks import unsupported_problems
from workflows.engine.errors import BpmnRefused
from workflows.engine.validation import ValidatedDefinition
from workflows.engine.xmlsafe import parse_bpmn_xml
from workflows.errors import Conflict, InvalidInput, NotAllowed, NotFound
from workflows.i18n import _l

#: Process ids are XML ids and URL parts: keep them plain.
KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Opened:
    """What the modeler opens: the draft if there is one, else the newest version."""

    key: str
    xml: str
    lock_version: int  # 0: no draft yet
    base_version: int | None
    draft: ProcessDraft | None


def require_designer(actor: User) -> None:
    if not actor.has_role("designer", "admin"):
        raise NotAllowed(_l("Only process designers and administrators may change processes."))


def checked_key(key: str) -> str:
    if not KEY_RE.match(key or ""):
        raise InvalidInput(
            _l(
                "A process key starts with a letter and holds only letters, digits, _ and - "
                "(at most 64)."
            ),
            field="key",
        )
    return key


def find_draft(session: Session, key: str, with_xml: bool = False) -> ProcessDraft | None:
    stmt = select(ProcessDraft).where(ProcessDraft.key == key)
    if with_xml:
        stmt = stmt.options(undefer(ProcessDraft.bpmn_xml))
    return session.scalar(stmt.execution_options(populate_existing=True))


def open_model(session: Session, actor: User, key: str) -> Opened:
    """The draft of ``key`` or, without one, its newest deployed version."""
    require_designer(actor)
    draft = find_draft(session, checked_key(key), with_xml=True)
    if draft is not None:
        return Opened(key, draft.bpmn_xml, draft.lock_version, draft.base_version, draft)
    latest = definitions.latest_version(session, key)
    if latest is None:
        raise NotFound(_l("No process %(key)s is deployed or drafted.", key=key))
    return Opened(key, latest.bpmn_xml, 0, latest.version, None)


def _when(moment: datetime) -> str:
    from workflows.conclusions import VIETNAM

    return moment.astimezone(VIETNAM).strftime("%H:%M %d/%m/%Y")


def _stale(session: Session, draft: ProcessDraft | None) -> Conflict:
    if draft is None:
        return Conflict(
            _l(
                "The draft you opened was deployed or discarded meanwhile, so your changes "
                "were not saved. Download your diagram to keep it, then reload the page."
            ),
            code="draft_gone",
        )
    who = session.get(User, draft.updated_by_id)
    return Conflict(
        _l(
            "%(who)s saved this draft at %(when)s, after you opened it, so your changes were "
            "not saved and nothing was overwritten. Download your diagram to keep it, then "
            "reload the page and apply your changes again.",
            who=who.full_name if who else "?",
            when=_when(draft.updated_at),
        ),
        code="draft_stale",
    )


def _safe_text(data: bytes) -> str:
    parse_bpmn_xml(data)  # nothing unsafe or malformed is ever stored, even as a draft
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(_l("Save BPMN files as UTF-8."), field="file") from exc


def save_draft(
    session: Session,
    actor: User,
    key: str,
    data: bytes,
    lock_version: int,
    base_version: int | None = None,
) -> ProcessDraft:
    """Store ``data`` as the draft of ``key``, or refuse if it changed since ``lock_version``.

    ``lock_version`` 0 means "there was no draft when I opened it"; ``base_version`` is the
    deployed version the designer opened then.
    """
    require_designer(actor)
    text = _safe_text(data)
    draft = find_draft(session, checked_key(key))
    if draft is None:
        if lock_version != 0:
            raise _stale(session, None)
        return _create(session, actor, key, text, base_version)
    if draft.lock_version != lock_version:
        raise _stale(session, draft)
    now = utcnow()
    result = session.connection().execute(
        update(ProcessDraft)
        .where(ProcessDraft.id == draft.id, ProcessDraft.lock_version == lock_version)
        .values(
            bpmn_xml=text, lock_version=lock_version + 1, updated_by_id=actor.id, updated_at=now
        )
    )
    if result.rowcount != 1:  # someone saved between our read and our write
        raise _stale(session, find_draft(session, key))
    session.refresh(draft)
    return draft


def _create(
    session: Session, actor: User, key: str, text: str, base_version: int | None
) -> ProcessDraft:
    latest = definitions.latest_version(session, key)
    newest = latest.version if latest else None
    if base_version is not None and base_version != newest:
        raise Conflict(
            _l(
                "Version %(newest)s of %(key)s was deployed after you opened version "
                "%(base)s; nothing was saved. Download your diagram, reload and apply your "
                "changes to the new version.",
                newest=newest,
                key=key,
                base=base_version,
            ),
            code="base_moved",
        )
    draft = ProcessDraft(
        key=key,
        bpmn_xml=text,
        base_version=newest,
        created_by_id=actor.id,
        updated_by_id=actor.id,
    )
    try:
        with session.begin_nested():
            session.add(draft)
            session.flush()
    except IntegrityError:
        raise _stale(session, find_draft(session, key)) from None
    return draft


def discard_draft(session: Session, actor: User, key: str, lock_version: int) -> None:
    """Throw the draft away (refused when it changed since the designer saw it)."""
    require_designer(actor)
    draft = find_draft(session, checked_key(key))
    if draft is None or draft.lock_version != lock_version:
        raise _stale(session, draft)
    session.execute(
        delete(ProcessDraft).where(
            ProcessDraft.id == draft.id, ProcessDraft.lock_version == lock_version
        )
    )


def validate_model(session: Session, actor: User, key: str, data: bytes) -> ValidatedDefinition:
    """Everything a deploy of ``data`` as ``key`` would check; raise with every problem."""
    require_designer(actor)
    root = parse_bpmn_xml(data)  # XML that is unsafe to read stops everything here
    problems = unsupported_problems(root)
    try:
        validated = definitions.check(data, expected_key=checked_key(key))
        # The deploy's own check that no other process in the file reuses a deployed key.
        problems += definitions.clashing_keys(session, validated)
    except BpmnRefused as refused:
        problems += refused.problems
    if problems:
        raise BpmnRefused(problems)
    return validated


def deploy_model(
    session: Session,
    actor: User,
    key: str,
    data: bytes,
    lock_version: int,
    base_version: int | None = None,
) -> definitions.Deployed:
    """Save, validate and deploy ``data`` as the next version of ``key``; the draft goes.

    ``lock_version`` and ``base_version`` are what the designer opened, as for
    :func:`save_draft`.
    """
    draft = save_draft(session, actor, key, data, lock_version, base_version)
    latest = definitions.latest_version(session, key)
    if latest is not None and draft.base_version != latest.version:
        raise Conflict(
            _l(
                "Version %(newest)s was deployed after this draft was started from version "
                "%(base)s; deploying it would undo that version's changes. Compare the "
                "versions, apply your changes to the newest one and deploy again.",
                newest=latest.version,
                base=draft.base_version or 0,
            ),
            code="base_moved",
        )
    validate_model(session, actor, key, data)
    deployed = definitions.deploy(session, data, actor, expected_key=key)
    session.delete(draft)
    session.flush()
    return deployed
