"""Roles, and how a BPMN lane maps to one."""

from __future__ import annotations

from lxml import etree

from .xmlsafe import BPMN_NS, SPIFF_NS

ROLES: frozenset[str] = frozenset({"officer", "supervisor", "designer", "admin", "observer"})

# Lane names designers actually type, in English and Vietnamese, folded to lower case.
ROLE_ALIASES: dict[str, str] = {
    "officer": "officer",
    "responsible unit": "officer",
    "receiving body": "officer",
    "unit": "officer",
    "đơn vị chịu trách nhiệm": "officer",
    "đơn vị": "officer",
    "cơ quan tiếp nhận": "officer",
    "supervisor": "supervisor",
    "supervising body": "supervisor",
    "sending body": "supervisor",
    "issuing body": "supervisor",
    "cơ quan giám sát": "supervisor",
    "cơ quan kiểm tra": "supervisor",
    "cơ quan chuyển": "supervisor",
    "designer": "designer",
    "người thiết kế": "designer",
    "admin": "admin",
    "administrator": "admin",
    "quản trị": "admin",
    "observer": "observer",
    "leadership": "observer",
    "lãnh đạo": "observer",
}

_NS = {"bpmn": BPMN_NS, "spiffworkflow": SPIFF_NS}


def role_for_lane(lane: etree._Element) -> str | None:
    """The role of one ``bpmn:lane``: its ``role`` property first, else its name."""
    declared = lane.xpath(
        "./bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property[@name='role']",
        namespaces=_NS,
    )
    if declared:
        value = (declared[0].get("value") or "").strip().lower()
        return value if value in ROLES else None
    name = " ".join((lane.get("name") or "").split()).lower()
    return ROLE_ALIASES.get(name)


def lane_roles(tree: etree._Element) -> dict[str, str | None]:
    """Map every lane name in the document to its role (None when it maps to none)."""
    return {
        lane.get("name") or lane.get("id") or "": role_for_lane(lane)
        for lane in tree.iter(f"{{{BPMN_NS}}}lane")
    }
