"""What changed between two versions of a process model, element by element.

Elements are matched by id.  An element counts as changed when what it *does* changed —
its type, name, operation and parameters, condition, timer, script, lane membership,
flow ends — never when it was only moved on the diagram.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from lxml import etree

from workflows.engine.xmlsafe import BPMN_NS, SPIFF_NS, parse_bpmn_xml

Kind = Literal["added", "removed", "changed"]
_NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}
# Children that are bookkeeping of other elements (flows say where they go themselves)
# or elements of their own (compared separately).
_SKIP = {"incoming", "outgoing", "flowNodeRef", "laneSet", "childLaneSet"}


@dataclass(frozen=True)
class ElementChange:
    """One element added, removed or changed, with what changed in words."""

    element_id: str
    kind: Kind
    label: str
    element_type: str
    details: tuple[str, ...] = field(default_factory=tuple)


def _tracked(root: etree._Element) -> dict[str, etree._Element]:
    """Elements a designer sees: everything with an id in the processes, the collaboration
    and the root (messages, signals), except event definitions (part of their event)."""
    found: dict[str, etree._Element] = {}
    for top in root:
        if not isinstance(top.tag, str) or etree.QName(top).namespace != BPMN_NS:
            continue
        for node in top.iter(f"{{{BPMN_NS}}}*"):
            name = etree.QName(node).localname
            ident = node.get("id")
            if ident and not name.endswith("EventDefinition") and name not in _SKIP:
                found[ident] = node
    return found


def _operation(node: etree._Element) -> str:
    params = ", ".join(
        f"{p.get('id')}={p.get('value')}" for p in node.iterfind(".//spiffworkflow:parameter", _NS)
    )
    return f"{node.get('id')}({params})"


def _extension_facets(node: etree._Element) -> dict[str, str]:
    facets = {}
    for child in node:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child).localname
        if name == "serviceTaskOperator":
            facets["operation"] = _operation(child)
        elif name == "properties":
            facets["properties"] = ", ".join(
                f"{p.get('name')}={p.get('value')}"
                for p in child.iterfind("spiffworkflow:property", _NS)
            )
        else:
            facets[name] = _canonical(child)
    return facets


def _event_facet(node: etree._Element) -> tuple[str, str]:
    name = etree.QName(node).localname
    if name == "timerEventDefinition":
        parts = [f"{etree.QName(c).localname} {(c.text or '').strip()}" for c in node]
        return "timer", "; ".join(p for p in parts if p.strip())
    if name == "messageEventDefinition":
        return "message", node.get("messageRef") or ""
    return name.removesuffix("EventDefinition"), _canonical(node, skip_id=True)


def _facets(node: etree._Element, tracked: dict[str, etree._Element]) -> dict[str, str]:
    """The parts of an element that decide what it does, as comparable text."""
    facets = {"type": etree.QName(node).localname}
    for attr, value in sorted(node.attrib.items()):
        if attr != "id":
            facets[etree.QName(attr).localname] = value
    if facets["type"] == "lane":
        refs = sorted(r.text or "" for r in node.iterfind("bpmn:flowNodeRef", _NS))
        facets["members"] = ", ".join(refs)
    for child in node:
        if not isinstance(child.tag, str) or child.get("id") in tracked:
            continue
        name = etree.QName(child).localname
        if name == "extensionElements":
            facets.update(_extension_facets(child))
        elif name.endswith("EventDefinition"):
            key, value = _event_facet(child)
            facets[key] = value
        elif name not in _SKIP:
            facets[name] = _canonical(child, skip_id=True)
    return facets


def _canonical(node: etree._Element, skip_id: bool = False) -> str:
    """Text of a sub-tree with attribute order and whitespace normalised."""
    attrs = sorted((k, v) for k, v in node.attrib.items() if not (skip_id and k == "id"))
    parts = [f"{etree.QName(k).localname}={v}" for k, v in attrs]
    if node.text and node.text.strip():
        parts.append(" ".join(node.text.split()))
    parts += [_canonical(c, skip_id) for c in node if isinstance(c.tag, str)]
    name = etree.QName(node).localname
    return f"{name}({' '.join(parts)})" if parts else name


def _label(node: etree._Element) -> str:
    return node.get("name") or node.get("id") or "?"


def _detail(key: str, old: str | None, new: str | None) -> str:
    if key == "members":  # a lane: say who joined and who left, not both whole lists
        before, after = set((old or "").split(", ")), set((new or "").split(", "))
        joined, left = sorted(after - before - {""}), sorted(before - after - {""})
        return f"members: +{', '.join(joined) or '—'} −{', '.join(left) or '—'}"
    return f"{key}: {old if old is not None else '—'} → {new if new is not None else '—'}"


def _details(old: dict[str, str], new: dict[str, str]) -> tuple[str, ...]:
    keys = sorted(set(old) | set(new))
    return tuple(_detail(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k))


def diff_models(old_xml: bytes, new_xml: bytes) -> list[ElementChange]:
    """Every element added, removed or changed from ``old_xml`` to ``new_xml``."""
    old = _tracked(parse_bpmn_xml(old_xml))
    new = _tracked(parse_bpmn_xml(new_xml))
    changes: list[ElementChange] = []
    for ident, node in new.items():
        if ident not in old:
            changes.append(ElementChange(ident, "added", _label(node), etree.QName(node).localname))
            continue
        details = _details(_facets(old[ident], old), _facets(node, new))
        if details:
            kind = etree.QName(node).localname
            changes.append(ElementChange(ident, "changed", _label(node), kind, details))
    for ident, node in old.items():
        if ident not in new:
            changes.append(
                ElementChange(ident, "removed", _label(node), etree.QName(node).localname)
            )
    order = {"added": 0, "changed": 1, "removed": 2}
    return sorted(changes, key=lambda c: (order[c.kind], c.element_id))
