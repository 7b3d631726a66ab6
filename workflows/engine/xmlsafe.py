"""Parse uploaded BPMN XML without ever resolving entities or fetching anything.

lxml >= 5 already refuses XXE and billion-laughs documents, but we do not rely on a
library default: any DOCTYPE is refused before and after parsing, and the parser is
configured so that entities, DTDs and the network are all off.
"""

from __future__ import annotations

import re

from lxml import etree

from .errors import BpmnRefused, Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
BPMN_ROOT = f"{{{BPMN_NS}}}definitions"

# A DOCTYPE is the only way to declare entities; nobody needs one in a BPMN file.
_DOCTYPE = re.compile(rb"<!\s*DOCTYPE|<!\s*ENTITY", re.IGNORECASE)
MAX_BYTES = 5 * 1024 * 1024


def _refuse(code: str, message: str, **params: object) -> BpmnRefused:
    return BpmnRefused([Problem(None, code, message, dict(params))])


def _prolog_has_doctype(data: bytes) -> bool:
    # UTF-16/32 files would hide the marker from a byte search; decode what we can.
    if _DOCTYPE.search(data):
        return True
    for encoding in ("utf-16", "utf-32"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if re.search(r"<!\s*(DOCTYPE|ENTITY)", text, re.IGNORECASE):
            return True
    return False


def make_parser() -> etree.XMLParser:
    """An lxml parser with every external or expanding feature switched off."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=True,
    )


def parse_bpmn_xml(data: bytes) -> etree._Element:
    """Parse BPMN bytes safely and return the ``bpmn:definitions`` root element.

    :raises BpmnRefused: on a DOCTYPE, malformed XML or a non-BPMN root.
    """
    if not isinstance(data, bytes):
        raise _refuse("not_bytes", "The model must be uploaded as a file (bytes), not text.")
    if len(data) > MAX_BYTES:
        raise _refuse(
            "too_large", f"The file is larger than {MAX_BYTES // 1024} KB.", limit=MAX_BYTES
        )
    if _prolog_has_doctype(data):
        raise _refuse(
            "doctype_refused",
            "The file contains a DOCTYPE or ENTITY declaration. BPMN files never need one; "
            "save the diagram again from the modeler.",
        )
    try:
        root = etree.fromstring(data, parser=make_parser())
    except etree.XMLSyntaxError as exc:
        raise _refuse(
            "malformed_xml",
            f"The file is not well-formed XML: {exc.msg}.",
            detail=str(exc.msg),
            line=exc.lineno,
        ) from exc
    if root.getroottree().docinfo.doctype:
        raise _refuse("doctype_refused", "The file contains a DOCTYPE declaration.")
    if root.tag != BPMN_ROOT:
        raise _refuse(
            "not_bpmn",
            f"The file is XML but not BPMN 2.0: its root element is {root.tag!r}, "
            "expected bpmn:definitions.",
            root=str(root.tag),
        )
    return root
