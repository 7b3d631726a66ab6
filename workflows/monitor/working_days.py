"""The calendar materialised as ``working_day`` rows, so rules count working days in SQL.

``ordinal`` counts working days from the start of the table up to and including the day;
only differences within one pass are used, so a rebuild may move the start freely. The
table covers the years around today and is rebuilt when the calendar changes.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from db.models.monitor import WorkingDay
from workflows.calendar import load_calendar

#: Years before and after today that the table covers (older dates fall out of share rules).
YEARS_BACK = 15
YEARS_AHEAD = 10


def _wanted_span(today: date) -> tuple[date, date]:
    return date(today.year - YEARS_BACK, 1, 1), date(today.year + YEARS_AHEAD, 12, 31)


def ensure_working_days(session: Session, today: date) -> None:
    """Make sure the table covers the years around ``today`` (rebuilding it if not)."""
    first, last = session.execute(select(func.min(WorkingDay.day), func.max(WorkingDay.day))).one()
    start, end = _wanted_span(today)
    if first is not None and first <= start and last >= end:
        return
    rebuild_working_days(session, min(start, first or start), max(end, last or end))


def rebuild_working_days(
    session: Session, start: date | None = None, end: date | None = None
) -> int:
    """Rewrite the table for ``[start, end]`` (by default the span it covers now)."""
    if start is None or end is None:
        first, last = session.execute(
            select(func.min(WorkingDay.day), func.max(WorkingDay.day))
        ).one()
        if first is None:
            return 0
        start, end = first, last
    calendar = load_calendar(session, start, end)
    rows, ordinal, day = [], 0, start
    while day <= end:
        working = calendar.is_working_day(day)
        ordinal += working
        rows.append({"day": day, "ordinal": ordinal, "working": working})
        day += timedelta(days=1)
    session.execute(delete(WorkingDay))
    session.execute(insert(WorkingDay), rows)
    return len(rows)


def ordinal_of(session: Session, day: date) -> int:
    value = session.scalar(select(WorkingDay.ordinal).where(WorkingDay.day == day))
    if value is None:
        raise LookupError(f"{day} is outside the working-day table")
    return value
