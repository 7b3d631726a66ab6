"""Starting a draft: a new process from a small template (a pool with a supervisor and an
officer lane), or a process from a file made in another modeler."""

from __future__ import annotations

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ProcessDefinition, User
from db.models.designer import ProcessDraft
from workflows import definitions
from workflows.designer import checked_key, find_draft, require_designer, save_draft
from workflows.designer_checks import check_upload
from workflows.engine.parser import executable_process_id
from workflows.engine.xmlsafe import BPMN_NS, SPIFF_NS
from workflows.errors import Conflict, InvalidInput
from workflows.i18n import _l

_DI = "http://www.omg.org/spec/BPMN/20100524/DI"
_DC = "http://www.omg.org/spec/DD/20100524/DC"
_DD = "http://www.omg.org/spec/DD/20100524/DI"
_NSMAP = {"bpmn": BPMN_NS, "bpmndi": _DI, "dc": _DC, "di": _DD, "spiffworkflow": SPIFF_NS}


def _el(parent: etree._Element, ns: str, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{ns}}}{tag}", attrs)


def _lane(lanes: etree._Element, ident: str, name: str, role: str, refs: list[str]) -> None:
    lane = _el(lanes, BPMN_NS, "lane", id=ident, name=name)
    properties = _el(_el(lane, BPMN_NS, "extensionElements"), SPIFF_NS, "properties")
    _el(properties, SPIFF_NS, "property", name="role", value=role)
    for ref in refs:
        _el(lane, BPMN_NS, "flowNodeRef").text = ref


def _shape(plane: etree._Element, ident: str, x: int, y: int, w: int, h: int) -> None:
    shape = _el(plane, _DI, "BPMNShape", id=f"{ident}_di", bpmnElement=ident)
    if ident.startswith(("Participant", "Lane")):
        shape.set("isHorizontal", "true")
    _el(shape, _DC, "Bounds", x=str(x), y=str(y), width=str(w), height=str(h))


def new_process_xml(key: str, title: str) -> bytes:
    """BPMN for an executable process ``key`` named ``title``: start → end, two lanes."""
    root = etree.Element(
        f"{{{BPMN_NS}}}definitions",
        {"id": f"Definitions_{key}", "targetNamespace": "http://remtrack.example/bpmn"},
        nsmap=_NSMAP,
    )
    collaboration = _el(root, BPMN_NS, "collaboration", id=f"Collaboration_{key}")
    _el(collaboration, BPMN_NS, "participant", id=f"Participant_{key}", name=title, processRef=key)
    process = _el(root, BPMN_NS, "process", id=key, name=title, isExecutable="true")
    lanes = _el(process, BPMN_NS, "laneSet", id=f"LaneSet_{key}")
    _lane(lanes, "Lane_supervisor", "Supervisor", "supervisor", [])
    _lane(lanes, "Lane_officer", "Responsible unit", "officer", ["start", "end"])
    start = _el(process, BPMN_NS, "startEvent", id="start", name="Started")
    _el(start, BPMN_NS, "outgoing").text = "Flow_start_end"
    end = _el(process, BPMN_NS, "endEvent", id="end", name="Done")
    _el(end, BPMN_NS, "incoming").text = "Flow_start_end"
    _el(process, BPMN_NS, "sequenceFlow", id="Flow_start_end", sourceRef="start", targetRef="end")
    diagram = _el(root, _DI, "BPMNDiagram", id=f"BPMNDiagram_{key}")
    plane = _el(
        diagram, _DI, "BPMNPlane", id=f"BPMNPlane_{key}", bpmnElement=collaboration.get("id") or ""
    )
    _shape(plane, f"Participant_{key}", 160, 60, 900, 400)
    _shape(plane, "Lane_supervisor", 190, 60, 870, 180)
    _shape(plane, "Lane_officer", 190, 240, 870, 220)
    _shape(plane, "start", 252, 332, 36, 36)
    _shape(plane, "end", 452, 332, 36, 36)
    edge = _el(plane, _DI, "BPMNEdge", id="Flow_start_end_di", bpmnElement="Flow_start_end")
    _el(edge, _DD, "waypoint", x="288", y="350")
    _el(edge, _DD, "waypoint", x="452", y="350")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def upload_new_draft(session: Session, actor: User, data: bytes) -> ProcessDraft:
    """Start a draft from a file made elsewhere; its executable process names the key."""
    require_designer(actor)
    root = check_upload(data)
    processes = root.findall(f"{{{BPMN_NS}}}process")
    key = executable_process_id(root) if len(processes) != 1 else str(processes[0].get("id"))
    existing = find_draft(session, checked_key(key))
    if existing is not None:
        raise Conflict(
            _l(
                "A draft of %(key)s is already being edited; open it, or discard it before "
                "uploading another file.",
                key=key,
            ),
            code="draft_exists",
        )
    latest = definitions.latest_version(session, key)
    return save_draft(session, actor, key, data, 0, latest.version if latest else None)


def start_process(session: Session, actor: User, key: str, name: str) -> ProcessDraft:
    """A draft for a new process key, from a small template with two lanes."""
    require_designer(actor)
    taken = session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == key))
    if taken is not None or find_draft(session, checked_key(key)) is not None:
        raise InvalidInput(
            _l("A process with the key %(key)s exists already; open it instead.", key=key),
            field="key",
        )
    title = " ".join((name or "").split())[:200] or key
    return save_draft(session, actor, key, new_process_xml(key, title), 0)
