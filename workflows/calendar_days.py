"""Administrators add days off (bridge days) and make-up working days to the calendar."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.audit import record
from db.models import User
from db.models.monitor import CALENDAR_KINDS, CalendarDay, MonitorRule
from workflows.calendar import WorkingCalendar
from workflows.errors import Conflict, InvalidInput, NotAllowed, NotFound
from workflows.i18n import _l
from workflows.monitor.working_days import rebuild_working_days


def _admin(actor: User) -> None:
    if not actor.has_role("admin"):
        raise NotAllowed(_l("Only an administrator can change the working-day calendar."))


def list_days(session: Session, year: int) -> list[CalendarDay]:
    stmt = (
        select(CalendarDay)
        .where(CalendarDay.day.between(date(year, 1, 1), date(year, 12, 31)))
        .order_by(CalendarDay.day)
    )
    return list(session.scalars(stmt))


def add_day(session: Session, actor: User, day: date, kind: str, note: str) -> CalendarDay:
    """Declare ``day`` off or worked; it must change what the statutory calendar says."""
    _admin(actor)
    if kind not in CALENDAR_KINDS:
        raise InvalidInput(_l("Choose a day off or a make-up working day."), field="kind")
    note = (note or "").strip()
    if len(note) > 255:
        raise InvalidInput(_l("Keep the note under 255 characters."), field="note")
    if session.get(CalendarDay, day) is not None:
        raise Conflict(_l("That day is already in the calendar; remove it first."))
    if WorkingCalendar({}).is_working_day(day) == (kind == "working"):
        message = (
            _l("That day is already a working day.")
            if kind == "working"
            else _l("That day is already a day off (weekend or public holiday).")
        )
        raise InvalidInput(message, field="day")
    row = CalendarDay(day=day, kind=kind, note=note, created_by_id=actor.id)
    session.add(row)
    _changed(session)
    record(
        session,
        "calendar_day.added",
        ("calendar_day", day.isoformat()),
        actor_id=actor.id,
        payload={"kind": kind, "note": note},
    )
    return row


def remove_day(session: Session, actor: User, day: date) -> None:
    _admin(actor)
    row = session.get(CalendarDay, day)
    if row is None:
        raise NotFound(_l("That day is not in the calendar."))
    kind = row.kind
    session.delete(row)
    _changed(session)
    record(
        session,
        "calendar_day.removed",
        ("calendar_day", day.isoformat()),
        actor_id=actor.id,
        payload={"kind": kind},
    )


def _changed(session: Session) -> None:
    # Every working-day count may have moved: rebuild the table, re-evaluate every rule.
    session.flush()
    rebuild_working_days(session)
    session.execute(update(MonitorRule).values(full_pass_needed=True))
