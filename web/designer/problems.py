"""Model problems and migration blockers in the designer's language.

The engine reports each problem with a stable code and its parameters (and an English
message); here each code gets a translated sentence.  Details that come from libraries
(schema and parser messages) stay as they are, inside the translated sentence.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from workflows.engine.catalogue import OPERATIONS
from workflows.engine.errors import Problem
from workflows.migration_plan import Blocker

_MESSAGES: dict[str, Any] = {
    "schema_error": _l("Line %(line)s: the file does not follow the BPMN 2.0 schema: %(detail)s"),
    "lane_without_role": _l(
        'Lane "%(lane)s" does not map to a role: choose its role (one of %(roles)s) in the '
        "properties panel."
    ),
    "task_outside_lane": _l(
        "%(element)s is outside every lane, so nobody would receive it; move it into a lane."
    ),
    "id_clashes_with_operation": _l("%(element)s has the id of an operation; rename the element."),
    "missing_operation": _l("%(element)s names no operation; choose one of: %(operations)s."),
    "unknown_operation": _l(
        "%(element)s: the operation %(operation)s is not in the catalogue; choose one of: "
        "%(operations)s."
    ),
    "unknown_parameter": _l("%(element)s: operation %(operation)s has no parameter %(parameter)s."),
    "missing_parameter": _l(
        "%(element)s: operation %(operation)s needs the parameter %(parameter)s."
    ),
    "bad_parameter": _l(
        "%(element)s: parameter %(parameter)s of %(operation)s is not valid (%(reason)s)."
    ),
    "script_refused": _l("%(element)s: the expression %(source)s is not allowed: %(errors)s."),
    "timer_unquoted": _l(
        'Timer %(element)s: %(expression)s is not valid; write it quoted, "%(expression)s", '
        "or use a variable such as deadline."
    ),
    "timer_invalid": _l(
        "Timer %(element)s: the expression %(expression)s does not give a valid time (%(reason)s)."
    ),
    "parse_error": _l("%(element)s: the engine cannot read this element: %(detail)s"),
    "executable_process_count": _l(
        "The file must contain exactly one process marked executable; found %(count)s."
    ),
    "doctype_refused": _l(
        "The file contains a DOCTYPE or ENTITY declaration. BPMN files never need one; save "
        "the diagram again from the modeler."
    ),
    "malformed_xml": _l("The file is not well-formed XML (line %(line)s): %(detail)s"),
    "not_bpmn": _l("The file is XML but not BPMN 2.0: its root element is %(root)s."),
    "too_large": _l("The file is too large (at most %(limit)s bytes)."),
    "not_bytes": _l("The model must be sent as a file."),
    "process_key_mismatch": _l(
        "The process has the id %(found)s but this is the process %(expected)s; give the "
        "process the id %(expected)s."
    ),
    "process_id_clash": _l(
        "The process id %(key)s is the key of another deployed process; rename it in this file."
    ),
    "unsupported_element": _l("%(element)s is a %(tag)s, which remtrack cannot run; replace it."),
    "foreign_extension": _l(
        "%(element)s carries %(names)s from another modeler, which remtrack does not run; "
        "remove them and use the remtrack properties (service operation, lane role, timer, "
        "condition) instead."
    ),
}


def element_names(data: bytes | str | None) -> dict[str, str]:
    """Names of the elements of a model by id (empty when it cannot be read)."""
    if not data:
        return {}
    from workflows.engine.errors import BpmnRefused
    from workflows.engine.xmlsafe import parse_bpmn_xml

    try:
        root = parse_bpmn_xml(data.encode() if isinstance(data, str) else data)
    except BpmnRefused:
        return {}
    return {el.get("id") or "": el.get("name") or "" for el in root.iter() if el.get("id")}


def _label(element_id: str | None, names: dict[str, str]) -> str:
    if not element_id:
        return "—"
    name = names.get(element_id)
    return f'"{name}" ({element_id})' if name else f'"{element_id}"'


def _joined(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)


def describe(problem: Problem, names: dict[str, str]) -> str:
    """The problem in the user's language (the English message when a code is unknown)."""
    template = _MESSAGES.get(problem.code)
    if template is None:
        return problem.message
    params = {k: _joined(v) for k, v in problem.params.items()}
    params.setdefault("element", _label(problem.element_id, names))
    params.setdefault("operations", ", ".join(sorted(OPERATIONS)))
    params.setdefault("reason", params.get("error", ""))
    params.setdefault("line", "?")
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return problem.message


def as_json(problems: list[Problem], names: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {"element_id": p.element_id, "code": p.code, "message": describe(p, names)}
        for p in problems
    ]


_WHAT = {
    "outputs": _l("where it leads"),
    "inputs": _l("what leads to it"),
    "event_definition": _l("its timer or message"),
    "extensions": _l("its properties"),
    "typename": _l("its type"),
    "script": _l("its script"),
    "condition": _l("its condition"),
}
_STATES = {
    "ready": _l("ready for a person"),
    "waiting": _l("waiting"),
    "started": _l("running"),
    "error": _l("in error"),
    "completed": _l("completed"),
}
_BLOCKERS = {
    "changed": _l("%(element)s is %(state)s and this version changes %(what)s."),
    "removed": _l("%(element)s is %(state)s and this version removes it."),
    "passed_removed": _l("It already passed %(element)s, which this version removes."),
    "subprocess_removed": _l("It runs the sub-process %(element)s, which this version removes."),
    "role_without_body": _l(
        "This version has a lane for the role %(element)s, and this instance has no body for it."
    ),
}


def blocker_text(blocker: Blocker) -> str:
    what = ", ".join(str(_WHAT.get(w, w)) for w in blocker.what) or str(_l("its definition"))
    label = (
        blocker.element_id
        if blocker.code == "role_without_body"
        else _label(blocker.element_id, {blocker.element_id: blocker.label})
    )
    state = str(_STATES.get(blocker.state, blocker.state))
    return str(_BLOCKERS[blocker.code]) % {"element": label, "state": state, "what": what}
