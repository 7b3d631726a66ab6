"""The SpiffWorkflow script engine: sandboxed code plus catalogue service calls.

One engine is attached to a workflow after every load (it is not serialized).  Service
tasks append :class:`~workflows.engine.catalogue.Effect` objects to ``engine.effects``;
the runtime drains them after each step and applies them in its own transaction (and
discards them if the step failed).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .catalogue import Effect, validate_call
from .errors import EngineError, OperationFailed, ScriptRefused, StepTimeout, TimerInvalid
from .sandbox import DEFAULT_TIME_LIMIT, SandboxEnvironment, compiled

Handler = Callable[[Effect], Any]


def _element_id(task: Any) -> str:
    spec = task.task_spec
    return str(getattr(spec, "bpmn_id", None) or spec.name)


def _located(err: EngineError, task: Any) -> EngineError:
    """Say which element failed: the environment does not know the task."""
    if isinstance(err, StepTimeout) and err.element_id is None:
        return StepTimeout(err.limit, _element_id(task))
    if isinstance(err, ScriptRefused) and err.element_id is None:
        return ScriptRefused(err.source, err.errors, _element_id(task))
    return err


def _timer_value(task: Any, value: Any) -> Any:
    """Timers need an aware ISO string; catch what Spiff would misread (trap 5)."""
    definition = getattr(task.task_spec, "event_definition", None)
    if not isinstance(definition, TimerEventDefinition):
        return value
    element = _element_id(task)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise TimerInvalid(element, value, "has no time zone; use aware UTC date-times.")
        return value.astimezone(UTC).isoformat()
    if not isinstance(value, str):
        raise TimerInvalid(element, value, "is not an ISO 8601 date-time, duration or cycle.")
    if value[:1].isdigit() and "/" not in value and "W" not in value.upper():
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise TimerInvalid(element, value, "is not a valid ISO 8601 date-time.") from None
        if parsed.tzinfo is None:
            raise TimerInvalid(
                element, value, "has no time zone; write it in UTC, e.g. 2025-01-31T17:00:00+00:00."
            )
    return value


class SandboxScriptEngine(PythonScriptEngine):
    """Script engine whose every expression runs in the sandbox."""

    def __init__(
        self, time_limit: float = DEFAULT_TIME_LIMIT, handlers: Mapping[str, Handler] | None = None
    ) -> None:
        super().__init__(environment=SandboxEnvironment(time_limit))
        self.effects: list[Effect] = []
        self.handlers: dict[str, Handler] = dict(handlers or {})

    def register_handler(self, operation: str, handler: Handler) -> None:
        """Call ``handler(effect)`` when ``operation`` runs; its JSON result is returned."""
        self.handlers[operation] = handler

    def drain_effects(self) -> list[Effect]:
        """Return and forget the effects collected so far."""
        effects, self.effects = self.effects, []
        return effects

    def validate(self, expression: str) -> None:
        """Raise :class:`ScriptRefused` if ``expression`` does not compile in the sandbox."""
        compiled(expression, "eval")

    def evaluate(
        self, task: Any, expression: str, external_context: Mapping[str, Any] | None = None
    ) -> Any:
        try:
            value = self.environment.evaluate(expression, task.data, external_context)
        except EngineError as err:
            raise _located(err, task) from err
        except Exception as err:
            raise WorkflowTaskException(
                f"Error evaluating expression {expression!r}: {type(err).__name__}: {err}",
                task=task,
                exception=err,
            ) from err
        return _timer_value(task, value)

    def execute(
        self, task: Any, script: str, external_context: Mapping[str, Any] | None = None
    ) -> bool:
        try:
            return bool(self.environment.execute(script, task.data, external_context or {}))
        except EngineError as err:
            raise _located(err, task) from err
        except Exception as err:
            # Spiff's own wrapper assumes err.args[0] is a str (not always true).
            raise WorkflowTaskException(
                f"Script error: {type(err).__name__}: {err}", task=task, exception=err
            ) from err

    def call_service(
        self,
        task: Any,
        operation_name: str = "",
        operation_params: Mapping[str, Mapping[str, Any]] | None = None,
        **_: Any,
    ) -> str:
        """Dispatch a service task to the catalogue (replaces Spiff's, see trap 9)."""
        task_id, name = str(task.id), _element_id(task)
        params = {key: spec.get("value") for key, spec in (operation_params or {}).items()}
        problems = validate_call(operation_name, params, name)
        if problems:
            raise OperationFailed(
                task_id, operation_name, " ".join(p.message for p in problems), task_name=name
            )
        effect = Effect(operation_name, params, task_id, name)
        handler = self.handlers.get(operation_name)
        try:
            result = handler(effect) if handler is not None else None
            encoded = json.dumps(result, default=str)
        except Exception as exc:
            raise OperationFailed(
                task_id, operation_name, f"{type(exc).__name__}: {exc}", task_name=name
            ) from exc
        self.effects.append(effect)
        return encoded
