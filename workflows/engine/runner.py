"""Pure in-memory runtime helpers the database runtime calls around load/save.

Nothing here touches a database: load the state, call one of these, drain
``engine.effects``, dump the state, all in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from .errors import DataRefused, EngineError, MessageNotExpected, TaskNotReady

_SCALARS = (str, int, float, bool, type(None), Decimal, date, timedelta)
_TIMER_EVENTS = frozenset(
    {
        "TimeDateEventDefinition",
        "DurationTimerEventDefinition",
        "CycleTimerEventDefinition",
    }
)


@dataclass(frozen=True)
class ReadyTask:
    """A user task waiting for a person: what the inbox projection needs."""

    task_id: str
    spec_name: str
    title: str
    lane: str | None
    role: str | None
    due: datetime | None


@contextmanager
def _engine_errors() -> Iterator[None]:
    """Surface our own error when Spiff wrapped it in one of its exceptions."""
    try:
        yield
    except EngineError:
        raise
    except Exception as exc:
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, EngineError):
                raise cause from exc
            cause = cause.__cause__ or cause.__context__
        raise


def check_flat(data: Mapping[str, Any]) -> dict[str, Any]:
    """Copy of ``data`` if every value is a scalar, else :class:`DataRefused` (trap 2, 7)."""
    for key, value in data.items():
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
            raise DataRefused(
                str(key), "keys must be plain names (letters, digits and _, not starting with _)."
            )
        if not isinstance(value, _SCALARS):
            raise DataRefused(
                key,
                f"values must be text, numbers or dates, not "
                f"{type(value).__name__}; keep lists in tables.",
            )
    return dict(data)


def start(
    spec: Any, subprocess_specs: Mapping[str, Any], data: Mapping[str, Any], engine: Any
) -> BpmnWorkflow:
    """Create an instance, put ``data`` on its start task and run to the first wait."""
    wf = BpmnWorkflow(spec, dict(subprocess_specs), script_engine=engine)
    first = wf.get_tasks(state=TaskState.READY)[0]
    first.set_data(**check_flat(data))
    with _engine_errors():
        wf.do_engine_steps()
    return wf


def _due(task: Any) -> datetime | None:
    # A user task names the data variable holding its due date with the property "due".
    props = (getattr(task.task_spec, "extensions", None) or {}).get("properties") or {}
    value = task.data.get(props.get("due", ""))
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def ready_user_tasks(wf: BpmnWorkflow) -> list[ReadyTask]:
    """READY user tasks with their lane, role and data-derived due date."""
    result = []
    for task in wf.get_tasks(state=TaskState.READY, manual=True):
        spec = task.task_spec
        extensions = getattr(spec, "extensions", None) or {}
        result.append(
            ReadyTask(
                task_id=str(task.id),
                spec_name=str(getattr(spec, "bpmn_id", None) or spec.name),
                title=str(getattr(spec, "bpmn_name", None) or spec.name),
                lane=getattr(spec, "lane", None),
                role=extensions.get("lane_role"),
                due=_due(task),
            )
        )
    return result


def complete(wf: BpmnWorkflow, task_id: str, data: Mapping[str, Any]) -> None:
    """Complete a READY user task with flat ``data`` and run to the next wait."""
    try:
        task = wf.get_task_from_id(UUID(str(task_id)))
    except (ValueError, TypeError, WorkflowException):
        task = None
    if task is None:
        raise TaskNotReady(str(task_id), "unknown in this process")
    if task.state != TaskState.READY or not task.task_spec.manual:
        raise TaskNotReady(str(task_id), TaskState.get_name(task.state).lower())
    task.set_data(**check_flat(data))
    with _engine_errors():
        task.run()
        wf.do_engine_steps()


def waiting_messages(wf: BpmnWorkflow) -> list[str]:
    """Names of the messages the instance is waiting for right now."""
    return sorted(
        {e.name for e in wf.waiting_events() if e.event_type == "MessageEventDefinition" and e.name}
    )


def send_message(wf: BpmnWorkflow, name: str, payload: Mapping[str, Any] | None = None) -> None:
    """Deliver message ``name``; the payload lands in the catch event's message variable."""
    event = BpmnEvent(MessageEventDefinition(name), payload=check_flat(payload or {}))
    with _engine_errors():
        try:
            wf.send_event(event)
        except WorkflowException as exc:
            if "not waiting" in str(exc):
                raise MessageNotExpected(name, waiting_messages(wf)) from exc
            raise
        wf.do_engine_steps()


def _parse_due(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return TimerEventDefinition.get_datetime(value)
    except ValueError:
        return None


def fire_timers(wf: BpmnWorkflow, now: datetime | None = None) -> int:
    """Fire every date/duration timer due at ``now`` (default: the real clock).

    Spiff compares timers with the real clock; marking those due at ``now`` as fired
    lets the scheduler (and tests) use their own clock.  Returns how many were due.
    """
    now = now or datetime.now(UTC)
    due = 0
    for task in list(wf.event_manager.tasks.values()):
        definition = task.task_spec.event_definition
        if isinstance(definition, (TimeDateEventDefinition, DurationTimerEventDefinition)):
            when = _parse_due(task._get_internal_data("event_value"))
            if when is not None and when <= now:
                task._set_internal_data(event_fired=True)
                due += 1
    with _engine_errors():
        # Trap 6: a due timer only becomes READY here, and runs in the next step.
        wf.refresh_timers()
        wf.do_engine_steps()
    return due


def next_timer_at(wf: BpmnWorkflow) -> datetime | None:
    """When the earliest waiting timer is due (for ``ProcessInstance.next_timer_at``)."""
    times = [_parse_due(e.value) for e in wf.waiting_events() if e.event_type in _TIMER_EVENTS]
    known = [t for t in times if t is not None]
    return min(known) if known else None


def is_completed(wf: BpmnWorkflow) -> bool:
    """True when the instance has finished (every path ended or was terminated)."""
    return bool(wf.is_completed())
