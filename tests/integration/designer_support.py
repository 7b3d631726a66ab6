"""Versions of the shipped requirement model, as a designer would change them."""

from __future__ import annotations

from lxml import etree

from workflows import definitions

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}
REQUIREMENT = (definitions.SHIPPED / "requirement.bpmn").read_bytes()


def _tree(xml: bytes) -> tuple[etree._Element, etree._Element]:
    root = etree.fromstring(xml)
    return root, root.find("bpmn:process", NS)


def _sub(parent: etree._Element, tag: str, **attrs: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{BPMN}}}{tag}", attrs)


def with_plan_review(xml: bytes = REQUIREMENT) -> bytes:
    """A supervisor reviews the plan before remediation starts (changes submit_plan)."""
    root, process = _tree(xml)
    process.find("bpmn:sequenceFlow[@id='Flow_planned']", NS).set("targetRef", "review_plan")
    task = _sub(process, "userTask", id="review_plan", name="Review remediation plan")
    _sub(task, "incoming").text = "Flow_planned"
    _sub(task, "outgoing").text = "Flow_plan_reviewed"
    _sub(
        process,
        "sequenceFlow",
        id="Flow_plan_reviewed",
        sourceRef="review_plan",
        targetRef="gw_to_remediate",
    )
    for incoming in process.iterfind(
        "bpmn:exclusiveGateway[@id='gw_to_remediate']/bpmn:incoming", NS
    ):
        if incoming.text == "Flow_planned":
            incoming.text = "Flow_plan_reviewed"
    lane = process.find(".//bpmn:lane[@id='Lane_supervisor']", NS)
    _sub(lane, "flowNodeRef").text = "review_plan"
    return etree.tostring(root)


def with_escalating_overdue(xml: bytes = REQUIREMENT) -> bytes:
    """An overdue requirement is escalated to level 1 instead of notifying the supervisor."""
    root, process = _tree(xml)
    operator = process.find(
        "bpmn:serviceTask[@id='notify_overdue']//spiffworkflow:serviceTaskOperator", NS
    )
    operator.set("id", "escalate")
    params = operator.find("spiffworkflow:parameters", NS)
    for param in list(params):
        params.remove(param)
    etree.SubElement(params, f"{{{SPIFF}}}parameter", id="level", type="int", value="1")
    return etree.tostring(root)


def with_duration_deadline(xml: bytes = REQUIREMENT, expression: str = '"P30D"') -> bytes:
    """The deadline timer becomes a fixed duration (changes the waiting boundary event)."""
    root, process = _tree(xml)
    time_date = process.find(".//bpmn:timerEventDefinition/bpmn:timeDate", NS)
    definition = time_date.getparent()
    definition.remove(time_date)
    _sub(definition, "timeDuration").text = expression
    return etree.tostring(root)


def without_acknowledge(xml: bytes = REQUIREMENT) -> bytes:
    """The acknowledgement step is dropped: the start leads straight to the plan."""
    root, process = _tree(xml)
    process.remove(process.find("bpmn:userTask[@id='acknowledge']", NS))
    process.remove(process.find("bpmn:sequenceFlow[@id='Flow_acknowledged']", NS))
    process.find("bpmn:sequenceFlow[@id='Flow_start']", NS).set("targetRef", "submit_plan")
    plan = process.find("bpmn:userTask[@id='submit_plan']", NS)
    plan.find("bpmn:incoming", NS).text = "Flow_start"
    for ref in process.iterfind(".//bpmn:flowNodeRef", NS):
        if ref.text == "acknowledge":
            ref.getparent().remove(ref)
    diagram = root.find("{http://www.omg.org/spec/BPMN/20100524/DI}BPMNDiagram")
    for el in list(diagram.iter()):
        if el.get("bpmnElement") in ("acknowledge", "Flow_acknowledged"):
            el.getparent().remove(el)
    return etree.tostring(root)


def with_observer_lane(xml: bytes = REQUIREMENT) -> bytes:
    """A third lane for leadership (role observer), which no requirement has a body for."""
    root, process = _tree(xml)
    lanes = process.find("bpmn:laneSet", NS)
    lane = _sub(lanes, "lane", id="Lane_leadership", name="Leadership")
    props = etree.SubElement(_sub(lane, "extensionElements"), f"{{{SPIFF}}}properties")
    etree.SubElement(props, f"{{{SPIFF}}}property", name="role", value="observer")
    return etree.tostring(root)


def _operator(process: etree._Element, task_id: str) -> etree._Element:
    return process.find(f"bpmn:serviceTask[@id='{task_id}']//spiffworkflow:serviceTaskOperator", NS)


def with_unknown_operation(xml: bytes = REQUIREMENT) -> bytes:
    """A service task calls an operation the catalogue does not have."""
    root, process = _tree(xml)
    _operator(process, "notify_overdue").set("id", "delete_everything")
    return etree.tostring(root)


def with_unquoted_timer(xml: bytes = REQUIREMENT) -> bytes:
    """The deadline timer typed the way other modelers take it: PT1S, unquoted."""
    return with_duration_deadline(xml, "PT1S")


def with_escape_script(xml: bytes = REQUIREMENT) -> bytes:
    """A script task reaching for os through object subclasses."""
    root, process = _tree(xml)
    script = process.find("bpmn:scriptTask[@id='apply_extension']/bpmn:script", NS)
    script.text = "deadline = ().__class__.__base__.__subclasses__()"
    return etree.tostring(root)


def with_unmapped_lane(xml: bytes = REQUIREMENT) -> bytes:
    """The officer lane loses its role and is named after no role."""
    root, process = _tree(xml)
    lane = process.find(".//bpmn:lane[@id='Lane_officer']", NS)
    lane.set("name", "Finance department")
    lane.remove(lane.find("bpmn:extensionElements", NS))
    return etree.tostring(root)


def with_process_id(xml: bytes = REQUIREMENT, process_id: str = "conclusion") -> bytes:
    """The process renamed to the key of another deployed process."""
    root, process = _tree(xml)
    process.set("id", process_id)
    participant = root.find(".//bpmn:participant", NS)
    participant.set("processRef", process_id)
    return etree.tostring(root)
