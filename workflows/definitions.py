"""Deploying process models as immutable, versioned definitions.

A deploy validates the whole file first (nothing is stored when anything is wrong), then
stores a new version of the process key — unless the newest version has the same content.
Running instances stay on the version they started with.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.audit import record
from db.models import ProcessDefinition, User
from workflows.engine.errors import BpmnRefused, Problem
from workflows.engine.serializer import SERIALIZER_VERSION, load_spec
from workflows.engine.validation import ValidatedDefinition, validate_bpmn
from workflows.engine.xmlsafe import BPMN_NS

SHIPPED = Path(__file__).resolve().parent.parent / "bpmn"


@dataclass(frozen=True)
class Deployed:
    definition: ProcessDefinition
    created: bool


def check(data: bytes, expected_key: str | None = None) -> ValidatedDefinition:
    """Validate without storing; raise :class:`BpmnRefused` listing every problem."""
    validated = validate_bpmn(data)
    if expected_key is not None and validated.process_id != expected_key:
        raise BpmnRefused(
            [
                Problem(
                    validated.process_id,
                    "process_key_mismatch",
                    f"The executable process has the id {validated.process_id!r} but is "
                    f"deployed as {expected_key!r}; give the process the id {expected_key!r}.",
                    {"found": validated.process_id, "expected": expected_key},
                )
            ]
        )
    return validated


def clashing_keys(session: Session, validated: ValidatedDefinition) -> list[Problem]:
    """Other processes in the file must not reuse the key of another deployed process."""
    others = {p.get("id") for p in validated.loaded.tree.iterfind(f"{{{BPMN_NS}}}process")}
    others.discard(validated.process_id)
    if not others:
        return []
    taken = session.scalars(
        select(ProcessDefinition.key).where(ProcessDefinition.key.in_(others)).distinct()
    ).all()
    return [
        Problem(
            key,
            "process_id_clash",
            f"The process id {key!r} is the key of another deployed process; "
            "rename it in this file.",
            {"key": key},
        )
        for key in taken
    ]


def deploy(
    session: Session, data: bytes, actor: User | None = None, expected_key: str | None = None
) -> Deployed:
    """Store ``data`` as the next version of its process key (flushes, never commits)."""
    validated = check(data, expected_key)
    clashes = clashing_keys(session, validated)
    if clashes:
        raise BpmnRefused(clashes)
    checksum = hashlib.sha256(data).hexdigest()
    latest = latest_version(session, validated.process_id)
    if latest is not None and latest.checksum == checksum:
        return Deployed(latest, created=False)
    definition = ProcessDefinition(
        key=validated.process_id,
        version=(latest.version + 1) if latest else 1,
        bpmn_xml=data.decode("utf-8"),
        spec_json=validated.spec_json,
        checksum=checksum,
        serializer_version=SERIALIZER_VERSION,
        lane_roles=validated.lane_roles,
        deployed_by_id=actor.id if actor else None,
    )
    session.add(definition)
    session.flush()
    record(
        session,
        "definition.deployed",
        ("process_definition", definition.id),
        actor_id=actor.id if actor else None,
        payload={"key": definition.key, "version": definition.version, "checksum": checksum},
    )
    return Deployed(definition, created=True)


def deploy_shipped(session: Session, actor: User | None = None) -> list[Deployed]:
    """Deploy every model in ``bpmn/`` (``remtrack init`` does this)."""
    return [
        deploy(session, path.read_bytes(), actor, expected_key=path.stem)
        for path in sorted(SHIPPED.glob("*.bpmn"))
    ]


def latest_version(session: Session, key: str) -> ProcessDefinition | None:
    return session.scalar(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    )


def list_versions(session: Session) -> list[ProcessDefinition]:
    return list(
        session.scalars(
            select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version)
        )
    )


def version_count(session: Session, key: str) -> int:
    return session.scalar(select(func.count()).where(ProcessDefinition.key == key)) or 0


_SPEC_CACHE: dict[tuple[int, str], Any] = {}


def specs(definition: ProcessDefinition) -> Any:
    """The parsed spec of a stored version; cached, since a version never changes.

    Keyed by id *and* checksum so two databases in one process never share an entry.
    """
    key = (definition.id, definition.checksum)
    found = _SPEC_CACHE.get(key)
    if found is None:
        if len(_SPEC_CACHE) >= 256:
            _SPEC_CACHE.clear()
        found = _SPEC_CACHE[key] = load_spec(definition.spec_json)
    return found
