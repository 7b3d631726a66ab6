"""When a requirement reaches each level of the escalation ladder, per kind of body.

The ladder is data: the code's defaults below, overridden by ``escalation_threshold`` rows
an administrator edits (for one body kind, or ``default`` for every kind). A level is reached
when the requirement is ``overdue_days`` working days past its deadline, or carries
``open_flags`` open monitor flags of ``flag_severity`` or worse; an empty criterion never
triggers that level.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.audit import record
from db.base import utcnow
from db.models import BODY_KINDS, User
from db.models.escalation import THRESHOLD_SEVERITIES, EscalationThreshold
from workflows.errors import InvalidInput, NotAllowed
from workflows.i18n import _l

LEVELS = (0, 1, 2, 3)
DEFAULT_KIND = "default"
THRESHOLD_KINDS = (DEFAULT_KIND, *BODY_KINDS)


@dataclass(frozen=True)
class Threshold:
    level: int
    overdue_days: int | None
    open_flags: int | None
    flag_severity: str = "critical"

    def reached(self, overdue_days: int, flags: Mapping[str, int]) -> bool:
        """``flags`` counts open flags by severity (``warning``, ``critical``)."""
        if self.overdue_days is not None and overdue_days >= self.overdue_days:
            return True
        if self.open_flags is None:
            return False
        counted = flags.get("critical", 0)
        if self.flag_severity == "warning":
            counted += flags.get("warning", 0)
        return counted >= self.open_flags


#: Level 0 reminds the unit the day after the deadline; one critical "formal" flag (recycled
#: evidence, a supervisor's "formal only") is already a matter for the supervising body.
DEFAULT_LADDER: tuple[Threshold, ...] = (
    Threshold(0, 1, 1, "warning"),
    Threshold(1, 5, 1, "critical"),
    Threshold(2, 15, 3, "critical"),
    Threshold(3, 30, None, "critical"),
)
Ladder = tuple[Threshold, ...]


def load_ladders(session: Session) -> dict[str, Ladder]:
    """The effective ladder of every body kind (and of ``default``), in one query."""
    rows = session.scalars(select(EscalationThreshold)).all()
    overrides = {(r.body_kind, r.level): r for r in rows}

    def pick(kind: str, base: Threshold) -> Threshold:
        row = overrides.get((kind, base.level)) or overrides.get((DEFAULT_KIND, base.level))
        if row is None:
            return base
        return Threshold(row.level, row.overdue_days, row.open_flags, row.flag_severity)

    return {kind: tuple(pick(kind, t) for t in DEFAULT_LADDER) for kind in THRESHOLD_KINDS}


def overridden_kinds(session: Session) -> set[str]:
    return set(session.scalars(select(EscalationThreshold.body_kind).distinct()))


def level_reached(ladder: Ladder, overdue_days: int, flags: Mapping[str, int]) -> int | None:
    """The highest level whose threshold is met, or None."""
    reached = [t.level for t in ladder if t.reached(overdue_days, flags)]
    return max(reached) if reached else None


def _check(ladder: Sequence[Threshold]) -> None:
    previous: Threshold | None = None
    for t in ladder:
        field = f"overdue_days_{t.level}"
        if t.overdue_days is not None and not 0 <= t.overdue_days <= 3650:
            raise InvalidInput(_l("Working days must be between 0 and 3650."), field=field)
        if t.open_flags is not None and not 1 <= t.open_flags <= 100:
            raise InvalidInput(
                _l("The number of flags must be between 1 and 100."), field=f"open_flags_{t.level}"
            )
        if t.flag_severity not in THRESHOLD_SEVERITIES:
            raise InvalidInput(_l("Choose a severity."), field=f"flag_severity_{t.level}")
        if previous is not None and _earlier(t.overdue_days, previous.overdue_days):
            raise InvalidInput(
                _l("A higher level cannot be reached sooner than the level below it."),
                field=field,
            )
        previous = t


def _earlier(this: int | None, below: int | None) -> bool:
    if this is None:
        return False
    return below is None or this < below


def save_ladder(session: Session, actor: User, kind: str, ladder: Sequence[Threshold]) -> None:
    """Replace the override of ``kind`` by ``ladder`` (four levels); audited.

    :raises InvalidInput: out-of-range values, or a level reached sooner than the one below.
    """
    if not actor.has_role("admin"):
        raise NotAllowed(_l("Only an administrator may change the escalation ladder."))
    if kind not in THRESHOLD_KINDS:
        raise InvalidInput(_l("Choose a known kind of body."), field="kind")
    if tuple(t.level for t in ladder) != LEVELS:
        raise InvalidInput(_l("Give the thresholds of all four levels."))
    _check(ladder)
    session.execute(delete(EscalationThreshold).where(EscalationThreshold.body_kind == kind))
    for t in ladder:
        session.add(
            EscalationThreshold(
                body_kind=kind,
                level=t.level,
                overdue_days=t.overdue_days,
                open_flags=t.open_flags,
                flag_severity=t.flag_severity,
                updated_by_id=actor.id,
                updated_at=utcnow(),
            )
        )
    record(
        session,
        "escalation.thresholds_changed",
        ("escalation_threshold", kind),
        actor_id=actor.id,
        payload={"ladder": [t.__dict__ for t in ladder]},
    )


def reset_ladder(session: Session, actor: User, kind: str) -> None:
    """Drop the override of ``kind``: it follows ``default`` (or the code's defaults) again."""
    if not actor.has_role("admin"):
        raise NotAllowed(_l("Only an administrator may change the escalation ladder."))
    session.execute(delete(EscalationThreshold).where(EscalationThreshold.body_kind == kind))
    record(
        session,
        "escalation.thresholds_reset",
        ("escalation_threshold", kind),
        actor_id=actor.id,
    )
