"""Deploy-time validation of a process model: every problem, in words, by element.

A model is refused with *all* the problems found, not just the first, so a designer
can fix a file in one round.  Checks: safe XML, the BPMN/Spiff XSDs shipped with
SpiffWorkflow, one executable process, lanes mapping to roles, user tasks inside lanes,
service tasks against the catalogue, every script/condition/timer compiling in the
sandbox, timers evaluating to ISO 8601 against sample data, and the Spiff parser.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from lxml import etree

from .catalogue import OPERATIONS, is_known, literal_value, validate_call
from .errors import BpmnRefused, Problem
from .parser import LoadedSpecs, executable_process_id, load_specs
from .roles import ROLES, role_for_lane
from .sandbox import Mode, compile_check
from .serializer import dump_spec
from .timers import check_timer
from .xmlsafe import BPMN_NS, SPIFF_NS, parse_bpmn_xml

_NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
_KIND = {"scriptTask": "Script task", "sequenceFlow": "Condition", "serviceTask": "Service task"}


@dataclass
class ValidatedDefinition:
    """A model that passed every check, ready to be stored as a version."""

    process_id: str
    lane_roles: dict[str, str]
    spec_json: str
    loaded: LoadedSpecs
    messages: list[str] = field(default_factory=list)


def default_sample_data() -> dict[str, Any]:
    """Data timers are evaluated against when the caller gives none."""
    soon = datetime.now(UTC) + timedelta(days=30)
    return {
        "deadline": soon.isoformat(),
        "new_deadline": soon.isoformat(),
        "response_due": soon.isoformat(),
        "decision": "implemented",
        "extension_approved": True,
    }


def _label(node: etree._Element) -> str:
    tag = etree.QName(node).localname
    words = re.sub(r"(?<!^)([A-Z])", lambda m: " " + m.group(1).lower(), tag)
    kind = _KIND.get(tag, words[:1].upper() + words[1:])
    name, ident = node.get("name"), node.get("id") or "?"
    return f'{kind} "{name}" ({ident})' if name else f'{kind} "{ident}"'


def _schema_problems(tree: etree._Element) -> list[Problem]:
    # The XSDs ship with SpiffWorkflow: nothing is downloaded.  Validate a copy because
    # Spiff's validator rewrites some elements in place.
    from SpiffWorkflow.spiff.parser.process import VALIDATOR

    doc = copy.deepcopy(tree)
    VALIDATOR.preprocess(doc)
    schema = VALIDATOR.validator
    if schema.validate(doc):
        return []
    by_line = {el.sourceline: el.get("id") for el in tree.iter() if el.get("id")}
    return [
        Problem(
            by_line.get(err.line),
            "schema_error",
            f"Line {err.line}: the file does not follow the BPMN 2.0 schema: {err.message}",
            {"line": err.line, "detail": err.message},
        )
        for err in schema.error_log
    ]


def _lane_problems(
    process: etree._Element, roles: set[str]
) -> tuple[dict[str, str], list[Problem]]:
    mapping: dict[str, str] = {}
    problems = []
    lanes = process.findall(".//bpmn:lane", _NS)
    for lane in lanes:
        role = role_for_lane(lane)
        if not lane.get("name") or role is None or role not in roles:
            problems.append(
                Problem(
                    lane.get("id"),
                    "lane_without_role",
                    f'Lane "{lane.get("name") or lane.get("id")}" does not map to a role; add the '
                    f"property role (one of {', '.join(sorted(roles))}) or name it after a role.",
                    {"lane": lane.get("name") or "", "roles": sorted(roles)},
                )
            )
        else:
            mapping[lane.get("name") or ""] = role
    if lanes:
        in_lane = {ref.text for ref in process.findall(".//bpmn:flowNodeRef", _NS)}
        for task in process.xpath(".//bpmn:userTask | .//bpmn:manualTask", namespaces=_NS):
            if task.get("id") not in in_lane:
                problems.append(
                    Problem(
                        task.get("id"),
                        "task_outside_lane",
                        f"{_label(task)} is outside every lane, so nobody would "
                        "receive it; move it into a lane.",
                        {},
                    )
                )
    return mapping, problems


def _service_problems(process: etree._Element) -> Iterator[tuple[Problem | None, Any]]:
    bpmn_ids = {el.get("id") for el in process.iter() if etree.QName(el).namespace == BPMN_NS}
    for task in process.iterfind(".//bpmn:serviceTask", _NS):
        ident = task.get("id")
        operator = task.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", _NS)
        if operator is not None and operator.get("id") in bpmn_ids:
            # Spiff indexes every element by id, the operator included: a clash hides the
            # element from the parser ("no support implemented for this task type").
            yield (
                Problem(
                    ident,
                    "id_clashes_with_operation",
                    f'{_label(task)}: the id "{operator.get("id")}" is used both by an '
                    "element and as an operation name; rename the element.",
                    {},
                ),
                None,
            )
        operator = task.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", _NS)
        if operator is None:
            yield (
                Problem(
                    ident,
                    "missing_operation",
                    f"{_label(task)} names no operation; choose one of: "
                    f"{', '.join(sorted(OPERATIONS))}.",
                    {},
                ),
                None,
            )
            continue
        params = {
            p.get("id") or "": p.get("value") or ""
            for p in operator.iterfind(".//spiffworkflow:parameter", _NS)
        }
        literal = {k: literal_value(v) for k, v in params.items()}
        # Values written as expressions are only known when they run: check them there.
        for problem in validate_call(
            operator.get("id") or "",
            {k: v if is_known(v) else _Placeholder(k) for k, v in literal.items()},
            ident,
        ):
            if problem.code != "bad_parameter" or is_known(literal[problem.params["parameter"]]):
                yield (
                    Problem(
                        ident, problem.code, f"{_label(task)}: {problem.message}", problem.params
                    ),
                    None,
                )
        for name, source in params.items():
            yield None, (task, f"parameter {name}", source, "eval")


class _Placeholder(str):
    """Stands for a parameter whose value is an expression (checked at run time)."""


def _expressions(process: etree._Element) -> Iterator[tuple[etree._Element, str, str, Mode]]:
    for task in process.iterfind(".//bpmn:scriptTask", _NS):
        script = task.find("bpmn:script", _NS)
        yield task, "script", script.text if script is not None else "", "exec"
    for tag in ("preScript", "postScript"):
        for node in process.iterfind(f".//spiffworkflow:{tag}", _NS):
            owner = node.getparent().getparent()
            yield owner, tag, node.text or "", "exec"
    for cond in process.iterfind(".//bpmn:conditionExpression", _NS):
        yield cond.getparent(), "condition", cond.text or "", "eval"
    for path in ("messagePayload", "loopCardinality", "completionCondition", "condition"):
        prefix = "spiffworkflow" if path == "messagePayload" else "bpmn"
        for node in process.iterfind(f".//{prefix}:{path}", _NS):
            owner = next(a for a in node.iterancestors() if a.get("id"))
            yield owner, path, node.text or "", "eval"


def _compile_problems(
    process: etree._Element, extra: list[tuple[etree._Element, str, str, Mode]]
) -> list[Problem]:
    problems = []
    for owner, what, source, mode in [*_expressions(process), *extra]:
        errors = compile_check(source, mode)
        if errors:
            problems.append(
                Problem(
                    owner.get("id"),
                    "script_refused",
                    f"{_label(owner)}: the {what} {source.strip()!r} is not allowed: "
                    f"{'; '.join(e.rstrip('.') for e in errors)}.",
                    {"source": source, "errors": errors},
                )
            )
    return problems


def _timer_problems(process: etree._Element, sample: dict[str, Any]) -> list[Problem]:
    problems = []
    for kind in ("timeDate", "timeDuration", "timeCycle"):
        for node in process.iterfind(f".//bpmn:{kind}", _NS):
            event = next(
                a for a in node.iterancestors() if etree.QName(a).localname.endswith("Event")
            )
            problem = check_timer(
                event.get("id") or "?",
                event.get("name") or event.get("id") or "?",
                kind,
                node.text or "",
                sample,
            )
            if problem is not None:
                problems.append(problem)
    return problems


def validate_bpmn(
    data: bytes,
    *,
    roles: set[str] | frozenset[str] = ROLES,
    sample_data: dict[str, Any] | None = None,
) -> ValidatedDefinition:
    """Check a model and return what the runtime needs, or raise :class:`BpmnRefused`."""
    tree = parse_bpmn_xml(data)  # unsafe or malformed XML stops here: nothing else is safe
    problems = _schema_problems(tree)
    process_id = executable_process_id(tree)
    process = tree.find(f"bpmn:process[@id='{process_id}']", _NS)
    assert process is not None
    lane_map, lane_problems = _lane_problems(process, set(roles))
    problems += lane_problems
    service = list(_service_problems(process))
    problems += [p for p, _ in service if p is not None]
    problems += _compile_problems(process, [x for _, x in service if x is not None])
    problems += _timer_problems(process, sample_data or default_sample_data())
    loaded = None
    try:
        loaded = load_specs(tree)
    except BpmnRefused as refused:
        problems += refused.problems
    if problems or loaded is None:
        raise BpmnRefused(problems)
    messages = sorted({m.get("name") or "" for m in tree.iterfind("bpmn:message", _NS)})
    return ValidatedDefinition(
        process_id, lane_map, dump_spec(loaded.spec, loaded.subprocess_specs), loaded, messages
    )
