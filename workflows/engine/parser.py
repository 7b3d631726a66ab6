"""Turn safe BPMN bytes into SpiffWorkflow specs.

The parser is fed the tree from :func:`parse_bpmn_xml`, never a file path, so lxml's
defaults never see an uploaded document.  Each task spec gets the role of its lane in
``spec.extensions["lane_role"]``, which travels with the serialized spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from .errors import BpmnRefused, Problem
from .roles import lane_roles
from .xmlsafe import BPMN_NS, parse_bpmn_xml


class RemtrackParser(SpiffBpmnParser):
    """The Spiff parser; XSD validation is done separately so every error is reported."""

    def __init__(self) -> None:
        super().__init__(validator=None)


@dataclass
class LoadedSpecs:
    """The executable process of one file, its subprocess specs and the parsed tree."""

    process_id: str
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]
    tree: etree._Element
    lane_roles: dict[str, str | None] = field(default_factory=dict)


def parse_problem(exc: ValidationException) -> Problem:
    """A :class:`Problem` naming the element the Spiff parser complained about."""
    element = getattr(exc, "id", None) or None
    name = getattr(exc, "name", "") or ""
    label = f'"{name or element}": ' if (name or element) else ""
    detail = str(exc.args[0] if exc.args else exc)
    return Problem(
        element,
        "parse_error",
        f"{label}{detail}",
        {"detail": detail, "tag": getattr(exc, "tag", "")},
    )


def executable_process_id(tree: etree._Element) -> str:
    """The id of the one process marked ``isExecutable="true"``."""
    processes = tree.findall(f"{{{BPMN_NS}}}process")
    executable = [p for p in processes if p.get("isExecutable") == "true"]
    if len(executable) != 1:
        ids = ", ".join(p.get("id") or "?" for p in executable) or "none"
        raise BpmnRefused(
            [
                Problem(
                    None,
                    "executable_process_count",
                    f"A process file must contain exactly one process marked executable "
                    f'(isExecutable="true"); found {len(executable)} ({ids}).',
                    {"count": len(executable)},
                )
            ]
        )
    return str(executable[0].get("id"))


def _annotate_roles(specs: list[BpmnProcessSpec], roles: dict[str, str | None]) -> None:
    for spec in specs:
        for task_spec in spec.task_specs.values():
            lane = getattr(task_spec, "lane", None)
            extensions: dict[str, Any] | None = getattr(task_spec, "extensions", None)
            if lane and extensions is not None and roles.get(lane):
                extensions["lane_role"] = roles[lane]


def load_specs(data: bytes | etree._Element) -> LoadedSpecs:
    """Parse BPMN bytes (or an already safely parsed tree) into specs.

    :raises BpmnRefused: when the XML is unsafe or malformed or the model does not parse.
    """
    tree = data if isinstance(data, etree._Element) else parse_bpmn_xml(data)
    process_id = executable_process_id(tree)
    parser = RemtrackParser()
    try:
        parser.add_bpmn_xml(tree, filename=f"{process_id}.bpmn")
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        raise BpmnRefused([parse_problem(exc)]) from exc
    roles = lane_roles(tree)
    _annotate_roles([spec, *subprocess_specs.values()], roles)
    return LoadedSpecs(process_id, spec, subprocess_specs, tree, roles)
