"""Working days: the one place that knows which Vietnamese calendar dates are worked.

A day is worked when it is Monday to Friday and not a public holiday (lunar Tết included,
from the ``holidays`` package), or when it is a make-up Saturday the government declared;
an administrator's ``calendar_day`` rows override both (bridge days off, make-up days).
Dates are Vietnamese calendar dates (``workflows.conclusions.VIETNAM``, UTC+7).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from functools import lru_cache

import holidays
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models.monitor import CalendarDay

#: Far enough for any deadline: the loops below stop instead of running forever.
_MAX_SPAN_DAYS = 366 * 50


@lru_cache(maxsize=64)
def _statutory(year: int) -> Mapping[date, bool]:
    """The year's exceptions to Monday–Friday: holidays (False) and make-up days (True)."""
    table = holidays.country_holidays("VN", years=year)
    exceptions: dict[date, bool] = {day: False for day in table if day.weekday() < 5}
    for day in getattr(table, "weekend_workdays", ()):
        if day.year == year:
            exceptions[day] = True
    return exceptions


def public_holidays(year: int, language: str = "vi") -> list[tuple[date, str, bool]]:
    """The year's statutory days for display: (date, name, worked?) — holidays (incl. those
    on weekends) and the make-up Saturdays the government declared."""
    table = holidays.country_holidays("VN", years=year, language=language)
    days = [(day, str(name), False) for day, name in table.items()]
    days += [(day, "", True) for day in _statutory(year) if _statutory(year)[day]]
    return sorted(days)


def _default_working(day: date) -> bool:
    return _statutory(day.year).get(day, day.weekday() < 5)


class WorkingCalendar:
    """Working-day arithmetic with the administrator's days already loaded (no DB access).

    ``overrides`` maps a date to True (worked) or False (off); dates it lacks follow the
    statutory calendar, so a calendar loaded for a short window stays correct outside it
    except for administrator days there.
    """

    def __init__(self, overrides: Mapping[date, bool]) -> None:
        self._overrides = dict(overrides)

    def is_working_day(self, day: date) -> bool:
        override = self._overrides.get(day)
        return _default_working(day) if override is None else override

    def add_working_days(self, start: date, days: int) -> date:
        """The date ``days`` working days after ``start`` (``start`` itself not counted).

        With ``days == 0`` this is ``start``.
        """
        if days < 0:
            raise ValueError("days must be >= 0")
        current, remaining = start, days
        while remaining:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
            if current - start > timedelta(days=_MAX_SPAN_DAYS):
                raise ValueError("working-day span too long")
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days lie in ``(start, end]``; 0 when ``end <= start``."""
        if end <= start:
            return 0
        if (end - start).days > _MAX_SPAN_DAYS:
            raise ValueError("working-day span too long")
        return sum(self._counted_days(start, end))

    def _counted_days(self, start: date, end: date) -> list[int]:
        # Whole weeks have five weekdays; only exceptions inside the span need a lookup.
        span = (end - start).days
        weeks, rest = divmod(span, 7)
        counts = [weeks * 5]
        counts += [1 for i in range(1, rest + 1) if (start + timedelta(days=i)).weekday() < 5]
        for day, worked in self._exceptions(start, end):
            counts.append((1 if worked else 0) - (1 if day.weekday() < 5 else 0))
        return counts

    def _exceptions(self, start: date, end: date) -> list[tuple[date, bool]]:
        merged: dict[date, bool] = {}
        for year in range(start.year, end.year + 1):
            merged.update(_statutory(year))
        merged.update(self._overrides)
        return [(d, w) for d, w in merged.items() if start < d <= end]


def load_calendar(session: Session, start: date, end: date) -> WorkingCalendar:
    """A calendar holding the administrator's days in ``[start, end]`` for loops."""
    rows = session.execute(
        select(CalendarDay.day, CalendarDay.kind).where(CalendarDay.day.between(start, end))
    )
    return WorkingCalendar({day: kind == "working" for day, kind in rows})


def _calendar_from(session: Session, start: date) -> WorkingCalendar:
    # The administrator's table holds a few dozen rows a year; read all from ``start`` on.
    rows = session.execute(
        select(CalendarDay.day, CalendarDay.kind).where(CalendarDay.day >= start)
    )
    return WorkingCalendar({day: kind == "working" for day, kind in rows})


def is_working_day(session: Session, day: date) -> bool:
    kind = session.scalar(select(CalendarDay.kind).where(CalendarDay.day == day))
    return _default_working(day) if kind is None else kind == "working"


def add_working_days(session: Session, start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (``start`` not counted)."""
    return _calendar_from(session, start).add_working_days(start, days)


def working_days_between(session: Session, start: date, end: date) -> int:
    """Working days in ``(start, end]``; 0 when ``end <= start``."""
    if end <= start:
        return 0
    return load_calendar(session, start, end).working_days_between(start, end)
