"""The catalogue of named operations a service task may call.

Calling an operation during a step never touches a database: it appends an
:class:`Effect` to the script engine's collector, and the runtime applies the drained
effects in its own transaction after the step.  A runtime may also register a handler
for an operation when the model needs an immediate return value.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from db.vocabulary import ACCOUNTABILITY_OUTCOMES, REQUIREMENT_STATUSES

from .errors import Problem
from .roles import ROLES

ParamType = Literal["str", "int", "enum"]

#: Every status a model may set on its subject (the same list the tables accept).
STATUSES: tuple[str, ...] = REQUIREMENT_STATUSES


@dataclass(frozen=True)
class Param:
    """A declared parameter of an operation."""

    name: str
    type: ParamType
    required: bool = True
    choices: tuple[str, ...] = ()
    min: int | None = None
    max: int | None = None

    def check(self, value: Any) -> str | None:
        """Return why ``value`` is not acceptable, or None."""
        if self.type == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                return f"must be a whole number, got {value!r}"
            if (self.min is not None and value < self.min) or (
                self.max is not None and value > self.max
            ):
                return f"must be between {self.min} and {self.max}, got {value}"
            return None
        if not isinstance(value, str) or not value.strip():
            return f"must be a non-empty text, got {value!r}"
        if self.type == "enum" and value not in self.choices:
            return f"must be one of {', '.join(self.choices)}; got {value!r}"
        return None


@dataclass(frozen=True)
class Operation:
    """A named operation and its parameters."""

    name: str
    title: str
    params: tuple[Param, ...] = ()

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


@dataclass(frozen=True)
class Effect:
    """What a service task asked for; applied later by the runtime, in its transaction."""

    operation: str
    params: dict[str, Any] = field(default_factory=dict)
    task_id: str = ""
    task_name: str = ""


_ROLE_CHOICES = tuple(sorted(ROLES))

OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation(
            "set_status",
            "Set the status of the subject",
            (Param("status", "enum", choices=STATUSES),),
        ),
        Operation(
            "notify",
            "Notify a role about the subject",
            (Param("kind", "str"), Param("to", "enum", choices=_ROLE_CHOICES)),
        ),
        Operation(
            "escalate",
            "Escalate to a level of the supervision chain",
            (Param("level", "int", min=0, max=3),),
        ),
        Operation(
            "open_accountability_case", "Open an accountability case", (Param("reason", "str"),)
        ),
        Operation("start_requirements", "Start one process per requirement of the conclusion"),
        Operation(
            "record_outcome",
            "Record the outcome of an accountability case",
            (Param("outcome", "enum", choices=ACCOUNTABILITY_OUTCOMES),),
        ),
    )
}


def validate_call(
    operation: str, params: Mapping[str, Any], element_id: str | None = None
) -> list[Problem]:
    """Check a call against the catalogue; values are already evaluated."""
    op = OPERATIONS.get(operation)
    if op is None:
        return [
            Problem(
                element_id,
                "unknown_operation",
                f"the operation {operation!r} is not in the catalogue; "
                f"choose one of: {', '.join(sorted(OPERATIONS))}.",
                {"operation": operation},
            )
        ]
    problems = [
        Problem(
            element_id,
            "unknown_parameter",
            f"Operation {operation} has no parameter {name!r}; "
            f"it takes: {', '.join(p.name for p in op.params) or 'no parameters'}.",
            {"operation": operation, "parameter": name},
        )
        for name in params
        if op.param(name) is None
    ]
    for p in op.params:
        if p.name not in params:
            if p.required:
                problems.append(
                    Problem(
                        element_id,
                        "missing_parameter",
                        f"Operation {operation} needs the parameter {p.name!r}.",
                        {"operation": operation, "parameter": p.name},
                    )
                )
            continue
        why = p.check(params[p.name])
        if why:
            problems.append(
                Problem(
                    element_id,
                    "bad_parameter",
                    f"Parameter {p.name!r} of {operation} {why}.",
                    {"operation": operation, "parameter": p.name, "reason": why},
                )
            )
    return problems


_UNKNOWN = object()


def literal_value(expression: str) -> Any:
    """The value of a parameter expression when it is a plain literal, else a sentinel.

    Parameter values are Python expressions (``"'overdue'"``); a literal can be checked
    at deploy time, anything else only when it runs.
    """
    try:
        return ast.literal_eval(expression.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return _UNKNOWN


def is_known(value: Any) -> bool:
    return value is not _UNKNOWN
