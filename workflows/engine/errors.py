"""Problems and exceptions raised by the engine layer.

Every error carries a stable snake_case ``code`` and its format ``params`` so the web
layer can translate it; ``str(error)`` is the English message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a process model, in words a designer can act on."""

    element_id: str | None
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        where = f"[{self.element_id}] " if self.element_id else ""
        return f"{where}{self.message}"


class EngineError(Exception):
    """Base class: every engine error has a ``code`` and ``params``."""

    code = "engine_error"

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params: dict[str, Any] = params


class BpmnRefused(EngineError):
    """A model was refused at deploy time; ``problems`` lists everything found."""

    code = "bpmn_refused"

    def __init__(self, problems: list[Problem]) -> None:
        lines = "\n".join(f"- {p}" for p in problems)
        super().__init__(f"The process model was refused:\n{lines}", count=len(problems))
        self.problems = problems


class OperationFailed(EngineError):
    """A service task's catalogue operation could not be carried out."""

    code = "operation_failed"

    def __init__(self, task_id: str, operation: str, cause: str, task_name: str = "") -> None:
        label = f'"{task_name}" ({task_id})' if task_name else task_id
        super().__init__(
            f"Service task {label}: operation {operation} failed: {cause}",
            task_id=task_id,
            operation=operation,
            cause=cause,
            task_name=task_name,
        )
        self.task_id = task_id
        self.operation = operation
        self.cause = cause


class StepTimeout(EngineError):
    """A script or expression ran longer than the sandbox allows."""

    code = "step_timeout"

    def __init__(self, limit: float, element_id: str | None = None) -> None:
        where = f'"{element_id}"' if element_id else "A script or expression"
        super().__init__(
            f"{where} ran longer than {limit:g} s and was stopped; "
            "scripts must be short calculations, not loops over large data.",
            limit=limit,
            element_id=element_id,
        )
        self.limit = limit
        self.element_id = element_id


class ScriptRefused(EngineError):
    """The sandbox refused to compile a script or expression."""

    code = "script_refused"

    def __init__(self, source: str, errors: list[str], element_id: str | None = None) -> None:
        where = f'"{element_id}": ' if element_id else ""
        super().__init__(
            f"{where}the expression {source.strip()!r} is not allowed: "
            f"{'; '.join(e.rstrip('.') for e in errors)}.",
            source=source,
            errors=errors,
            element_id=element_id,
        )
        self.source = source
        self.errors = errors
        self.element_id = element_id


class TaskNotReady(EngineError):
    """A caller tried to complete a task that is not waiting for a person."""

    code = "task_not_ready"

    def __init__(self, task_id: str, state: str) -> None:
        super().__init__(
            f"Task {task_id} cannot be completed: it is {state}, not waiting for input. "
            "Reload the page; someone may have completed it already.",
            task_id=task_id,
            state=state,
        )


class MessageNotExpected(EngineError):
    """An instance was sent a message it is not waiting for."""

    code = "message_not_expected"

    def __init__(self, name: str, waiting: list[str]) -> None:
        listed = ", ".join(waiting) or "no message"
        super().__init__(
            f"The process is not waiting for the message {name!r} (it waits for: {listed}).",
            name=name,
            waiting=waiting,
        )


class DataRefused(EngineError):
    """Task data given by a caller is not small, flat and of a supported type."""

    code = "data_refused"

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"Task data {key!r} was refused: {reason}", key=key, reason=reason)


class StateRefused(EngineError):
    """Stored state cannot be loaded by this version of the engine."""

    code = "state_refused"


class TimerInvalid(EngineError):
    """A timer expression did not give an aware ISO 8601 date-time, duration or cycle."""

    code = "timer_invalid"

    def __init__(self, element_id: str, value: object, reason: str) -> None:
        super().__init__(
            f'Timer "{element_id}": the value {value!r} {reason}',
            element_id=element_id,
            value=repr(value),
            reason=reason,
        )
