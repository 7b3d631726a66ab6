"""The shipped models carry a complete, tidy diagram that bpmn-js can open as drawn."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from lxml import etree

from workflows.engine.xmlsafe import parse_bpmn_xml

from .conftest import MODELS

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
NOT_DRAWN_AS_NODES = {"laneSet", "sequenceFlow", "extensionElements", "documentation"}
MODEL_NAMES = sorted(p.stem for p in MODELS.glob("*.bpmn"))


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.x + other.w
            and other.x < self.x + self.w
            and self.y < other.y + other.h
            and other.y < self.y + self.h
        )

    def contains(self, other: Box) -> bool:
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.x + other.w <= self.x + self.w
            and other.y + other.h <= self.y + self.h
        )

    def on_border(self, px: float, py: float, tol: float = 1.0) -> bool:
        inside_x = self.x - tol <= px <= self.x + self.w + tol
        inside_y = self.y - tol <= py <= self.y + self.h + tol
        near_x = min(abs(px - self.x), abs(px - self.x - self.w)) <= tol
        near_y = min(abs(py - self.y), abs(py - self.y - self.h)) <= tol
        return inside_x and inside_y and (near_x or near_y)


def _bounds(node: etree._Element) -> Box:
    b = node.find("dc:Bounds", NS)
    return Box(*(float(b.get(k)) for k in ("x", "y", "width", "height")))


def _load(name: str) -> tuple[etree._Element, dict[str, Box], dict[str, list[tuple[float, float]]]]:
    tree = parse_bpmn_xml((MODELS / f"{name}.bpmn").read_bytes())
    shapes = {s.get("bpmnElement"): _bounds(s) for s in tree.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {
        e.get("bpmnElement"): [
            (float(w.get("x")), float(w.get("y"))) for w in e.iterfind("di:waypoint", NS)
        ]
        for e in tree.iterfind(".//bpmndi:BPMNEdge", NS)
    }
    return tree, shapes, edges


def _flow_nodes(tree: etree._Element) -> list[etree._Element]:
    process = tree.find("bpmn:process", NS)
    return [n for n in process if etree.QName(n).localname not in NOT_DRAWN_AS_NODES]


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_element_and_flow_is_drawn(name):
    tree, shapes, edges = _load(name)
    for node in _flow_nodes(tree):
        assert node.get("id") in shapes, node.get("id")
    for flow in tree.iterfind(".//bpmn:sequenceFlow", NS):
        assert len(edges.get(flow.get("id"), [])) >= 2, flow.get("id")
    for lane in tree.iterfind(".//bpmn:lane", NS):
        assert lane.get("id") in shapes
    assert tree.find(".//bpmn:participant", NS).get("id") in shapes


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_shapes_do_not_overlap_except_boundary_events_on_their_task(name):
    tree, shapes, _ = _load(name)
    nodes = _flow_nodes(tree)
    hosts = {n.get("id"): n.get("attachedToRef") for n in nodes}
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            ia, ib = a.get("id"), b.get("id")
            if hosts.get(ia) == ib or hosts.get(ib) == ia:
                continue
            assert not shapes[ia].overlaps(shapes[ib]), (ia, ib)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_every_shape_sits_inside_its_lane(name):
    tree, shapes, _ = _load(name)
    pool = shapes[tree.find(".//bpmn:participant", NS).get("id")]
    for lane in tree.iterfind(".//bpmn:lane", NS):
        assert pool.contains(shapes[lane.get("id")])
        for ref in lane.iterfind("bpmn:flowNodeRef", NS):
            assert shapes[lane.get("id")].contains(shapes[ref.text]), (lane.get("name"), ref.text)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_flows_are_orthogonal_and_touch_their_shapes(name):
    tree, shapes, edges = _load(name)
    for flow in tree.iterfind(".//bpmn:sequenceFlow", NS):
        points = edges[flow.get("id")]
        assert shapes[flow.get("sourceRef")].on_border(*points[0]), flow.get("id")
        assert shapes[flow.get("targetRef")].on_border(*points[-1]), flow.get("id")
        for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
            assert x1 == x2 or y1 == y2, flow.get("id")


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_flows_do_not_run_through_other_shapes(name):
    tree, shapes, edges = _load(name)
    nodes = {n.get("id"): n for n in _flow_nodes(tree)}
    for flow in tree.iterfind(".//bpmn:sequenceFlow", NS):
        ends = {flow.get("sourceRef"), flow.get("targetRef")}
        ends |= {n for n, node in nodes.items() if node.get("attachedToRef") in ends}
        ends |= {node.get("attachedToRef") for n, node in nodes.items() if n in ends}
        points = edges[flow.get("id")]
        for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
            segment = Box(min(x1, x2), min(y1, y2), abs(x2 - x1) or 0.1, abs(y2 - y1) or 0.1)
            for other in set(nodes) - ends:
                assert not segment.overlaps(shapes[other]), (flow.get("id"), other)
