"""What the modeler page needs to know about the engine, as JSON: the catalogue of service
operations with their declared parameters, the roles lanes map to, and the messages of
the properties panel and the lint rules in the user's language."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from web import labels
from workflows.engine.catalogue import OPERATIONS, Param
from workflows.engine.roles import ROLE_ALIASES, ROLES

OPERATION_TITLES = {
    "set_status": _l("Set the status of the subject"),
    "notify": _l("Notify a role about the subject"),
    "escalate": _l("Escalate to a level of the supervision chain"),
    "open_accountability_case": _l("Open an accountability case"),
    "start_requirements": _l("Start one process per requirement of the conclusion"),
    "record_outcome": _l("Record the outcome of an accountability case"),
}
_CHOICE_LABELS: dict[str, Any] = {**labels.STATUS_LABELS, **labels.ROLE_LABELS}

MESSAGES = {
    "operation": _l("Service operation"),
    "operationHelp": _l("What this service task does, from the catalogue of operations."),
    "chooseOperation": _l("— choose an operation —"),
    "expressionHelp": _l(
        "A Python expression: text in quotes ('overdue'), a number (1) or a variable."
    ),
    "role": _l("Role of the lane"),
    "roleHelp": _l("Tasks in this lane go to people with this role in the instance's body."),
    "roleFromName": _l("Taken from the lane name: %(role)s"),
    "noRole": _l("— no role (tasks here reach nobody) —"),
    "timer": _l("Timer"),
    "timerType": _l("Type"),
    "timeDate": _l("Date (a moment)"),
    "timeDuration": _l("Duration (after the event starts waiting)"),
    "timeCycle": _l("Cycle (repeating)"),
    "timerExpression": _l("Expression"),
    "timerHelp": _l(
        "A Python expression, evaluated once when the timer starts waiting. Write ISO 8601 "
        'text in quotes: "P3D" (3 days), "PT12H" (12 hours), "R3/PT1H" (3 times, hourly), '
        '"2026-01-31T17:00:00+00:00" (a moment, with its time zone). Or a variable holding '
        "such text: deadline, new_deadline, response_due."
    ),
    "timerUnquoted": _l('Write it quoted: "%(value)s" — unquoted it fails when the timer starts.'),
    "condition": _l("Condition"),
    "conditionHelp": _l(
        "A Python expression on the process data, true to take this flow, e.g. "
        "decision == 'implemented' or decision in ('incomplete', 'formal_only')."
    ),
    "due": _l("Due date variable"),
    "dueHelp": _l("The data variable holding this task's due date (e.g. deadline)."),
    "lintUnknownOperation": _l("Unknown operation %(name)s; choose one from the catalogue."),
    "lintNoOperation": _l("Choose the service operation this task calls."),
    "lintMissingParameter": _l("Operation %(name)s needs the parameter %(parameter)s."),
    "lintBadChoice": _l("Parameter %(parameter)s must be one of: %(choices)s."),
    "lintIdClash": _l("The id %(name)s is also an operation name; rename the element."),
    "lintUnmappedLane": _l("Lane %(name)s maps to no role; choose its role."),
    "lintUnquotedTimer": _l('Unquoted timer %(value)s: write "%(value)s".'),
    "lintOutsideLane": _l("This task is outside every lane, so nobody would receive it."),
    "saving": _l("Saving the draft…"),
    "unsaved": _l("Unsaved changes"),
    "validating": _l("Checking the model on the server…"),
    "deploying": _l("Deploying…"),
    "problemsFound": _l("%(count)s problems: nothing was saved or deployed."),
    "lintErrors": _l("%(count)s problems shown on the diagram."),
    "loadFailed": _l("The diagram could not be opened: %(error)s"),
    "checkingFile": _l("Checking the file…"),
    "fileOpened": _l("The file is open in the modeler; save the draft to keep it."),
    "leaveUnsaved": _l("The diagram has unsaved changes."),
    "migrateNow": _l("Migrate running instances"),
    "requestFailed": _l("The server could not be reached (%(error)s); nothing was saved."),
}


def _param(param: Param) -> dict[str, Any]:
    return {
        "name": param.name,
        "type": param.type,
        "required": param.required,
        "min": param.min,
        "max": param.max,
        "choices": [{"value": c, "label": str(_CHOICE_LABELS.get(c, c))} for c in param.choices],
    }


def page_data() -> dict[str, Any]:
    """Everything the modeler's panel and lint rules read, translated for this request."""
    return {
        "operations": [
            {
                "name": op.name,
                "title": str(OPERATION_TITLES.get(op.name, op.title)),
                "params": [_param(p) for p in op.params],
            }
            for op in sorted(OPERATIONS.values(), key=lambda o: o.name)
        ],
        "roles": [{"value": r, "label": str(labels.ROLE_LABELS.get(r, r))} for r in sorted(ROLES)],
        "roleAliases": ROLE_ALIASES,
        "messages": {k: str(v) for k, v in MESSAGES.items()},
    }
