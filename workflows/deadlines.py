"""Deadlines as people read them: Vietnamese calendar dates counted in working days.

A deadline is stored as an aware UTC instant; a deadline given as a date means the end of
that day in Vietnam, so a unit has the whole last day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

from sqlalchemy.orm import Session

from workflows import calendar

#: Vietnamese time (UTC+7, no daylight saving): every calendar date in the domain is one.
VIETNAM = timezone(timedelta(hours=7))
END_OF_DAY = time(23, 59, 59)


def vietnam_date(moment: datetime) -> date:
    return moment.astimezone(VIETNAM).date()


def end_of_day(day: date) -> datetime:
    """The last second of ``day`` in Vietnam, as aware UTC."""
    return datetime.combine(day, END_OF_DAY, tzinfo=VIETNAM).astimezone(UTC)


def deadline_after_working_days(session: Session, start: date, days: int) -> datetime:
    """The end of the ``days``-th working day after ``start`` (``start`` not counted)."""
    return end_of_day(calendar.add_working_days(session, start, days))


def working_days_left(session: Session, deadline: datetime, now: datetime) -> int:
    """Working days from today to the deadline's day: 0 on the day itself, negative once
    it has passed (how many working days late)."""
    [left] = working_days_left_many(session, [deadline], now)
    assert left is not None
    return left


def working_days_left_many(
    session: Session, deadlines: list[datetime | None], now: datetime
) -> list[int | None]:
    """:func:`working_days_left` for a page of deadlines with one calendar read."""
    days = [vietnam_date(d) for d in deadlines if d is not None]
    if not days:
        return [None] * len(deadlines)
    today = vietnam_date(now)
    cal = calendar.load_calendar(session, min([*days, today]), max([*days, today]))
    out: list[int | None] = []
    for moment in deadlines:
        if moment is None:
            out.append(None)
            continue
        due = vietnam_date(moment)
        if due >= today:
            out.append(cal.working_days_between(today, due))
        else:
            out.append(-cal.working_days_between(due, today))
    return out
