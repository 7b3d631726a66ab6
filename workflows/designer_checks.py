"""What a model made in another modeler may carry that remtrack would silently not run.

Camunda Modeler and Zeebe files keep their behaviour in vendor extensions (listeners,
connectors, ``camunda:class``, ``zeebe:taskDefinition``, assignees).  The Spiff parser
ignores them without a word, so a service task would lose its implementation and a user
task its assignee.  They are refused here, each one named with its element, together
with the BPMN elements the engine cannot run.
"""

from __future__ import annotations

from lxml import etree

from workflows.engine.errors import BpmnRefused, Problem
from workflows.engine.xmlsafe import BPMN_NS, SPIFF_NS, parse_bpmn_xml

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
#: Namespaces whose elements and attributes the engine reads (diagram ones are skipped).
_UNDERSTOOD = {BPMN_NS, SPIFF_NS, XSI_NS, None}
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
#: Camunda 7 bookkeeping attributes that change nothing about how a model runs.
_HARMLESS = {
    f"{{{CAMUNDA_NS}}}{name}"
    for name in ("historyTimeToLive", "versionTag", "isStartableInTasklist", "jobPriority")
}
#: BPMN elements the engine has no runtime for.
UNSUPPORTED = {
    "complexGateway": "complex gateways",
    "businessRuleTask": "business rule tasks (decision tables are not deployed)",
    "adHocSubProcess": "ad-hoc sub-processes",
    "dataStoreReference": "data stores",
    "dataStore": "data stores",
    "choreographyTask": "choreographies",
    "subChoreography": "choreographies",
    "callChoreography": "choreographies",
    "conversation": "conversations",
    "subConversation": "conversations",
    "callConversation": "conversations",
    "globalTask": "global tasks",
    "globalUserTask": "global tasks",
    "globalScriptTask": "global tasks",
    "globalManualTask": "global tasks",
    "globalBusinessRuleTask": "global tasks",
}


def _prefixed(node: etree._Element, qname: str) -> str:
    name = etree.QName(qname)
    prefixes = {uri: prefix for prefix, uri in node.nsmap.items()}
    prefix = prefixes.get(name.namespace) or "?"
    return f"{prefix}:{name.localname}"


def _owner(node: etree._Element) -> etree._Element:
    """The nearest BPMN element with an id: what a designer can find on the diagram."""
    for candidate in (node, *node.iterancestors()):
        if etree.QName(candidate).namespace == BPMN_NS and candidate.get("id"):
            return candidate
    return node


def _where(owner: etree._Element) -> str:
    name, ident = owner.get("name"), owner.get("id")
    if ident is None:
        return "the file"
    return f'"{name}" ({ident})' if name else f'"{ident}"'


def _semantic_nodes(root: etree._Element) -> list[etree._Element]:
    """Every element outside the diagram part (colours and layout there are harmless)."""
    return [
        node
        for child in root
        if isinstance(child.tag, str) and etree.QName(child).namespace != BPMNDI_NS
        for node in child.iter()
        if isinstance(node.tag, str)
    ]


def unsupported_problems(root: etree._Element) -> list[Problem]:
    """One problem per element the engine would not run or would silently ignore."""
    found: dict[str, list[str]] = {}
    owners: dict[str, etree._Element] = {}
    problems: list[Problem] = []
    for node in _semantic_nodes(root):
        qname = etree.QName(node)
        if qname.namespace == BPMN_NS and qname.localname in UNSUPPORTED:
            problems.append(
                Problem(
                    node.get("id"),
                    "unsupported_element",
                    f"{_where(node)} is a {qname.localname}: remtrack cannot run "
                    f"{UNSUPPORTED[qname.localname]}; replace it.",
                    {"tag": qname.localname},
                )
            )
            continue
        names = [] if qname.namespace in _UNDERSTOOD else [_prefixed(node, node.tag)]
        names += [
            _prefixed(node, attr)
            for attr in node.attrib
            if etree.QName(attr).namespace not in _UNDERSTOOD and attr not in _HARMLESS
        ]
        if names:
            owner = _owner(node)
            key = owner.get("id") or ""
            owners[key] = owner
            found.setdefault(key, []).extend(n for n in names if n not in found.get(key, []))
    for key, names in found.items():
        problems.append(
            Problem(
                key or None,
                "foreign_extension",
                f"{_where(owners[key])} carries {', '.join(names)} from another modeler, "
                "which remtrack does not run; remove them and use the remtrack properties "
                "(service operation, lane role, timer, condition) instead.",
                {"names": names},
            )
        )
    return problems


def check_upload(data: bytes) -> etree._Element:
    """Parse an uploaded file safely and refuse what the engine would not run.

    :raises BpmnRefused: unsafe or malformed XML, or unsupported elements (all named).
    """
    root = parse_bpmn_xml(data)
    problems = unsupported_problems(root)
    if problems:
        raise BpmnRefused(problems)
    return root
