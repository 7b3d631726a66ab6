"""Moving running instances to another deployed version of their process, in bulk.

The preview reads every running instance of the key that is on another version and says,
per instance, whether it can move and if not why (:mod:`workflows.migration_plan`).
Migrating re-checks each selected instance as it is now: one that cannot move, or that
someone changed meanwhile, stays exactly as it was (its own savepoint), the others move.
Each move saves the state with the instance's ``lock_version`` check, records an
:class:`~db.models.InstanceMigration` row and an audit event.  A designer migrates only
instances whose bodies are within their reach.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from db.audit import record
from db.models import ProcessDefinition, ProcessInstance, User
from db.models.designer import InstanceMigration
from workflows import definitions, instances
from workflows.access import visible_bodies
from workflows.designer import require_designer
from workflows.engine import runner
from workflows.errors import NotFound
from workflows.i18n import _l
from workflows.migration_plan import Blocker, DiffCache, blockers, move

_INSTANCE = cast(Table, ProcessInstance.__table__)


@dataclass(frozen=True)
class Candidate:
    """One running instance on another version, and why it cannot move (if it cannot)."""

    instance_id: int
    from_version: int
    subject: str
    waiting_at: tuple[str, ...]
    blockers: tuple[Blocker, ...]

    @property
    def can_move(self) -> bool:
        return not self.blockers


@dataclass
class Preview:
    target: ProcessDefinition
    candidates: list[Candidate]
    outside_reach: int

    @property
    def movable(self) -> list[Candidate]:
        return [c for c in self.candidates if c.can_move]

    @property
    def blocked(self) -> list[Candidate]:
        return [c for c in self.candidates if not c.can_move]


@dataclass
class Outcome:
    """What a bulk migration did: moved ids, and the ones left untouched with why."""

    moved: list[int] = field(default_factory=list)
    refused: list[Candidate] = field(default_factory=list)
    changed_meanwhile: list[int] = field(default_factory=list)
    not_found: list[int] = field(default_factory=list)


def target_version(session: Session, key: str, version: int) -> ProcessDefinition:
    found = session.scalar(
        select(ProcessDefinition).where(
            ProcessDefinition.key == key, ProcessDefinition.version == version
        )
    )
    if found is None:
        raise NotFound(_l("No such process version."))
    return found


def _others(session: Session, target: ProcessDefinition, ids: Iterable[int] | None = None) -> Any:
    stmt = (
        select(ProcessInstance)
        .join(ProcessDefinition, ProcessInstance.definition_id == ProcessDefinition.id)
        .where(
            ProcessDefinition.key == target.key,
            ProcessInstance.definition_id != target.id,
            ProcessInstance.status == "running",
        )
        .order_by(ProcessInstance.id)
    )
    if ids is not None:
        stmt = stmt.where(ProcessInstance.id.in_(list(ids)))
    return session.scalars(stmt).all()


def _reach(session: Session, actor: User) -> set[int] | None:
    """Body ids in the actor's reach (None: every body, for administrators)."""
    if actor.has_role("admin"):
        return None
    return set(session.scalars(visible_bodies(actor)))


def _reachable(row: ProcessInstance, reach: set[int] | None) -> bool:
    bodies = {b for b in (row.role_bodies or {}).values() if isinstance(b, int)}
    return reach is None or bool(bodies & reach)


def _assess(
    row: ProcessInstance, target: ProcessDefinition, cache: DiffCache
) -> tuple[Candidate, instances.Running]:
    running = instances.resume(row)
    new = definitions.specs(target)
    found = blockers(
        running.workflow, new, dict(row.role_bodies or {}), set(target.lane_roles.values()), cache
    )
    waiting = tuple(t.title for t in runner.ready_user_tasks(running.workflow))
    candidate = Candidate(
        row.id,
        row.definition.version,
        f"{row.subject_type} {row.subject_id}",
        waiting,
        tuple(found),
    )
    return candidate, running


def preview(session: Session, actor: User, key: str, version: int) -> Preview:
    """Which running instances of ``key`` on other versions could move to ``version``."""
    require_designer(actor)
    target = target_version(session, key, version)
    reach, cache = _reach(session, actor), DiffCache()
    rows = _others(session, target)
    visible = [r for r in rows if _reachable(r, reach)]
    candidates = [_assess(row, target, cache)[0] for row in visible]
    return Preview(target, candidates, len(rows) - len(visible))


def _repoint(session: Session, row: ProcessInstance, target: ProcessDefinition) -> None:
    # The save just checked and bumped lock_version; the definition moves in the same
    # transaction, guarded by the version that save wrote.
    session.connection().execute(
        update(_INSTANCE)
        .where(_INSTANCE.c.id == row.id, _INSTANCE.c.lock_version == row.lock_version)
        .values(definition_id=target.id)
    )
    set_committed_value(row, "definition_id", target.id)
    set_committed_value(row, "definition", target)


def _move_one(
    session: Session, actor: User, row: ProcessInstance, target: ProcessDefinition, cache: DiffCache
) -> Candidate:
    candidate, running = _assess(row, target, cache)
    if not candidate.can_move:
        return candidate
    source = row.definition
    running.workflow = move(running.workflow, definitions.specs(target), cache)
    instances.save(session, running)
    _repoint(session, row, target)
    session.add(
        InstanceMigration(
            instance_id=row.id,
            from_definition_id=source.id,
            to_definition_id=target.id,
            migrated_by_id=actor.id,
        )
    )
    record(
        session,
        "instance.migrated",
        ("process_instance", row.id),
        actor_id=actor.id,
        payload={"key": target.key, "from": source.version, "to": target.version},
    )
    return candidate


def migrate(
    session: Session, actor: User, key: str, version: int, instance_ids: Iterable[int]
) -> Outcome:
    """Move the selected instances to ``version``; each one that cannot stays untouched."""
    require_designer(actor)
    target = target_version(session, key, version)
    wanted = sorted(set(instance_ids))
    reach, cache, outcome = _reach(session, actor), DiffCache(), Outcome()
    rows = {r.id: r for r in _others(session, target, wanted) if _reachable(r, reach)}
    for instance_id in wanted:
        row = rows.get(instance_id)
        if row is None:
            outcome.not_found.append(instance_id)
            continue
        try:
            with session.begin_nested():
                candidate = _move_one(session, actor, row, target, cache)
        except instances.StaleInstance:
            outcome.changed_meanwhile.append(instance_id)
            continue
        if candidate.can_move:
            outcome.moved.append(instance_id)
        else:
            outcome.refused.append(candidate)
    return outcome
