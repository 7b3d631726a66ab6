"""Process instances in the database: start, load, advance and save.

Every save writes the compressed state (without the spec), refreshes the ``user_task``
projection and ``next_timer_at`` in the caller's transaction. ``lock_version`` turns two
concurrent saves of one instance into one winner and one clear :class:`StaleInstance`.

A save runs on every user action, so it writes with core statements (one ``UPDATE … WHERE
id = :id AND lock_version = :seen``, then only the inbox rows that changed) instead of a
unit-of-work flush, and keeps the loaded row in step with what it wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

from SpiffWorkflow.bpmn import BpmnWorkflow
from sqlalchemy import Table, bindparam, delete, insert, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from db.base import utcnow
from db.models import ProcessDefinition, ProcessInstance, UserTask
from workflows.definitions import latest_version, specs
from workflows.engine import runner
from workflows.engine.catalogue import Effect
from workflows.engine.script_engine import SandboxScriptEngine
from workflows.engine.serializer import SERIALIZER_VERSION, dump_state, load_state
from workflows.errors import Conflict, NotFound
from workflows.i18n import _l
from workflows.notifications import notify_event

EffectHandler = Callable[[Session, ProcessInstance, Effect], None]
_INSTANCE = cast(Table, ProcessInstance.__table__)
_USER_TASK = cast(Table, UserTask.__table__)
# Built once: a save runs these on every user action. The SET clause of the UPDATEs comes
# from the column names among the parameters.
_SAVE = update(_INSTANCE).where(
    _INSTANCE.c.id == bindparam("w_id"), _INSTANCE.c.lock_version == bindparam("w_seen")
)
_TASKS_GONE = delete(_USER_TASK).where(
    _USER_TASK.c.instance_id == bindparam("w_instance"),
    _USER_TASK.c.task_id.in_(bindparam("w_gone", expanding=True)),
)
_TASK_CHANGED = update(_USER_TASK).where(
    _USER_TASK.c.instance_id == bindparam("w_instance"),
    _USER_TASK.c.task_id == bindparam("w_task"),
)
_TASKS_NEW = insert(_USER_TASK)
#: Domain modules register what each catalogue operation does to their tables.
EFFECT_HANDLERS: dict[str, EffectHandler] = {}


class StaleInstance(Conflict):
    """Someone else saved the instance since it was loaded."""


@dataclass
class Running:
    """An instance loaded for one unit of work."""

    row: ProcessInstance
    workflow: BpmnWorkflow
    engine: SandboxScriptEngine
    effects: list[Effect] = field(default_factory=list)
    #: The READY user tasks as last saved, i.e. what ``user_task`` holds for this instance
    #: (both are written in one transaction), so a save can diff without reading them back.
    projected: dict[str, runner.ReadyTask] = field(default_factory=dict)


def _stale() -> StaleInstance:
    return StaleInstance(
        _l(
            "This record was changed by someone else meanwhile. "
            "Reload the page and try again; nothing you entered was saved."
        )
    )


def start(
    session: Session,
    key: str,
    subject: tuple[str, Any],
    role_bodies: Mapping[str, int],
    data: Mapping[str, Any],
) -> Running:
    """Start the newest version of ``key`` for ``subject`` and save it."""
    definition = latest_version(session, key)
    if definition is None:
        raise NotFound(_l("No process %(key)s is deployed.", key=key))
    engine = SandboxScriptEngine()
    spec, sub_specs = specs(definition)
    wf = runner.start(spec, sub_specs, data, engine)
    row = ProcessInstance(
        definition=definition,
        subject_type=subject[0],
        subject_id=str(subject[1]),
        role_bodies=dict(role_bodies),
        state=b"",
        serializer_version=SERIALIZER_VERSION,
    )
    session.add(row)
    running = Running(row, wf, engine)
    save(session, running)
    return running


def load(session: Session, instance_id: int, lock_version: int | None = None) -> Running:
    """Load an instance; with ``lock_version``, refuse if it changed since the caller saw it."""
    row = session.get(ProcessInstance, instance_id)
    if row is None:
        raise NotFound(_l("No such process instance."))
    return resume(row, lock_version)


def resume(row: ProcessInstance, lock_version: int | None = None) -> Running:
    """:func:`load` for a row the caller already read in this transaction."""
    check_version(row, lock_version)
    engine = SandboxScriptEngine()
    wf = load_state(row.state, specs(row.definition), engine)
    projected = {t.task_id: t for t in runner.ready_user_tasks(wf)}
    return Running(row, wf, engine, projected=projected)


def check_version(row: ProcessInstance, lock_version: int | None) -> None:
    """Refuse when the caller saw another ``lock_version`` of ``row`` than the loaded one."""
    if lock_version is not None and row.lock_version != lock_version:
        raise _stale()


def save(session: Session, running: Running) -> None:
    """Write state, status, timers and the inbox projection; apply the effects."""
    row, wf = running.row, running.workflow
    values: dict[str, Any] = {
        "state": dump_state(wf),
        "serializer_version": SERIALIZER_VERSION,
        "status": "completed" if runner.is_completed(wf) else "running",
        "next_timer_at": runner.next_timer_at(wf),
    }
    if inspect(row).persistent:
        _update(session, row, values)
    else:  # a new instance (``start``): the unit of work inserts it
        for key, value in values.items():
            setattr(row, key, value)
        try:
            session.flush()
        except StaleDataError as exc:
            raise _stale() from exc
    running.projected = _project_tasks(session, row, running.projected, runner.ready_user_tasks(wf))
    effects = running.engine.drain_effects()
    running.effects.extend(effects)
    for effect in effects:
        handler = EFFECT_HANDLERS.get(effect.operation)
        if handler is not None:
            handler(session, row, effect)


def _update(session: Session, row: ProcessInstance, values: dict[str, Any]) -> None:
    """``UPDATE … WHERE id AND lock_version``: the optimistic lock the mapper's version
    counter would take, without a unit-of-work flush; no row matched means someone else
    saved the instance since it was loaded (on PostgreSQL a concurrent writer waits for the
    first one's row lock, then finds the version moved on)."""
    values = {**values, "lock_version": row.lock_version + 1, "updated_at": utcnow()}
    result = session.connection().execute(
        _SAVE, {"w_id": row.id, "w_seen": row.lock_version, **values}
    )
    if result.rowcount != 1:
        raise _stale()
    # The loaded row now says what the database holds, with nothing left to flush. Like a
    # flush, register it as changed in this transaction, so rolling back a savepoint around
    # the save expires it instead of leaving the unsaved state in memory.
    for key, value in values.items():
        set_committed_value(row, key, value)
    session._register_altered([inspect(row)])


def _project_tasks(
    session: Session,
    row: ProcessInstance,
    before: dict[str, runner.ReadyTask],
    ready: list[runner.ReadyTask],
) -> dict[str, runner.ReadyTask]:
    """Bring ``user_task`` from ``before`` to ``ready`` with as few statements as possible
    (core statements on the table: this runs on every user action, and no ``UserTask`` object
    of the session needs synchronising)."""
    conn = session.connection()
    after = {t.task_id: t for t in ready}
    gone = [tid for tid in before if tid not in after]
    if gone:
        conn.execute(_TASKS_GONE, {"w_instance": row.id, "w_gone": gone})
    for tid, task in after.items():
        if tid in before and before[tid] != task:
            conn.execute(
                _TASK_CHANGED, {"w_instance": row.id, "w_task": tid, **_projection(row, task)}
            )
    new = [
        {"instance_id": row.id, "task_id": tid, "created_at": utcnow(), **_projection(row, t)}
        for tid, t in after.items()
        if tid not in before
    ]
    if new:  # one row (the usual case) as a plain execute, not an executemany
        conn.execute(_TASKS_NEW, new[0] if len(new) == 1 else new)
        _announce(session, row, new)
    return after


def _announce(session: Session, row: ProcessInstance, new: list[dict[str, Any]]) -> None:
    """Each new READY user task is news for the people of its lane's body."""
    try:
        subject = (row.subject_type, int(row.subject_id))
    except ValueError:
        return
    for task in new:
        notify_event(
            session,
            "task.assigned",
            subject,
            task=task["name"],
            title=task["title"],
            role=task["role"],
            body_id=task["body_id"],
            due_at=task["due_at"],
        )


def _projection(row: ProcessInstance, task: runner.ReadyTask) -> dict[str, Any]:
    return {
        "name": task.spec_name,
        "title": task.title[:255],
        "lane": task.lane,
        "role": task.role,
        "due_at": task.due,
        "body_id": row.role_bodies.get(task.role or ""),
    }


@contextmanager
def advancing(
    session: Session, instance_id: int, lock_version: int | None = None
) -> Iterator[Running]:
    """Load, let the caller step the workflow, then save — one unit of work."""
    running = load(session, instance_id, lock_version)
    yield running
    save(session, running)


def complete_task(
    session: Session,
    instance_id: int,
    task_id: str,
    data: Mapping[str, Any],
    lock_version: int | None = None,
) -> Running:
    with advancing(session, instance_id, lock_version) as running:
        runner.complete(running.workflow, task_id, data)
    return running


def send_message(
    session: Session, instance_id: int, name: str, payload: Mapping[str, Any] | None = None
) -> Running:
    with advancing(session, instance_id) as running:
        runner.send_message(running.workflow, name, payload or {})
    return running


def instances_of(session: Session, subject: tuple[str, Any]) -> list[ProcessInstance]:
    return list(
        session.scalars(
            select(ProcessInstance)
            .where(
                ProcessInstance.subject_type == subject[0],
                ProcessInstance.subject_id == str(subject[1]),
            )
            .order_by(ProcessInstance.id)
        )
    )


def running_on(session: Session, definition: ProcessDefinition) -> int:
    from sqlalchemy import func

    return (
        session.scalar(
            select(func.count()).where(
                ProcessInstance.definition_id == definition.id, ProcessInstance.status == "running"
            )
        )
        or 0
    )
