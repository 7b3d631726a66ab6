"""Deploy-time checks of timer expressions (trap 5).

Timer expressions are Python expressions, evaluated once when the timer starts waiting.
What designers type in bpmn-js - ``PT1S`` unquoted - is a NameError there, so every
timer is compiled and evaluated against sample data at deploy time and explained.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .errors import Problem
from .sandbox import SandboxEnvironment, compile_check

_LOOKS_ISO = re.compile(r"^(R\d*/)?(P[\dTYMWDHS.,]+|\d{4}-\d{2}-\d{2}\S*)(/\S+)?$", re.I)
_WHAT = {
    "timeDate": "an ISO 8601 date-time with a time zone",
    "timeDuration": 'an ISO 8601 duration such as "P3D"',
    "timeCycle": 'an ISO 8601 cycle such as "R3/PT1H"',
}


def _shape_error(kind: str, value: Any) -> str | None:
    """Why ``value`` is not what a timer of ``kind`` needs, or None."""
    if isinstance(value, datetime) and kind == "timeDate":
        return None if value.tzinfo else "has no time zone"
    if not isinstance(value, str):
        return f"gives a {type(value).__name__}, not text"
    try:
        if kind == "timeDate":
            if datetime.fromisoformat(value).tzinfo is None:
                return "has no time zone; use UTC, e.g. 2025-01-31T17:00:00+00:00"
        elif kind == "timeDuration":
            TimerEventDefinition.parse_iso_duration(value)
        else:
            TimerEventDefinition.parse_iso_recurring_interval(value)
    except Exception:  # Spiff raises bare Exception for bad durations
        return f"gives {value!r}, which is not valid"
    return None


def check_timer(
    element_id: str, label: str, kind: str, source: str, sample: dict[str, Any]
) -> Problem | None:
    """A :class:`Problem` when the timer expression would fail or misfire, else None."""
    expr = source.strip()
    errors = compile_check(expr, "eval")
    if errors and not _LOOKS_ISO.match(expr):
        return None  # reported by the general compile check, with the same wording
    params = {"expression": expr, "kind": kind}
    if _LOOKS_ISO.match(expr):
        # Unquoted ISO text is a NameError (PT1S) or a syntax error (2025-01-01T...).
        return Problem(
            element_id,
            "timer_unquoted",
            f'Timer "{label}": the expression {expr} is not valid; write it '
            f'quoted, "{expr}", or use a variable such as deadline.',
            params,
        )
    try:
        value = SandboxEnvironment(time_limit=1.0).evaluate(expr, dict(sample))
    except Exception as exc:  # any failure is the designer's to fix
        return Problem(
            element_id,
            "timer_invalid",
            f'Timer "{label}": the expression {expr} could not be evaluated '
            f"({type(exc).__name__}: {exc}); use a quoted ISO 8601 value or a "
            "variable such as deadline.",
            {**params, "error": str(exc)},
        )
    why = _shape_error(kind, value)
    if why:
        return Problem(
            element_id,
            "timer_invalid",
            f'Timer "{label}": the expression {expr} {why}; it must give {_WHAT[kind]}.',
            {**params, "reason": why},
        )
    return None
