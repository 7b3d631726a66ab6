"""The working-day calendar: weekends, Vietnamese holidays (lunar Tết), administrator days."""

from __future__ import annotations

from datetime import date

import pytest

from db.models.monitor import CalendarDay
from workflows import calendar
from workflows.calendar import WorkingCalendar


def test_tet_2027_is_not_worked(session):
    # Tết Đinh Mùi: New Year's Day falls on Saturday 6 February 2027; 4–10 February are off.
    for day in range(4, 11):
        assert not calendar.is_working_day(session, date(2027, 2, day)), day
    assert calendar.is_working_day(session, date(2027, 2, 3))
    assert calendar.is_working_day(session, date(2027, 2, 11))


def test_weekends_and_fixed_holidays_are_not_worked(session):
    assert not calendar.is_working_day(session, date(2026, 11, 28))  # Saturday
    assert not calendar.is_working_day(session, date(2026, 11, 29))  # Sunday
    assert not calendar.is_working_day(session, date(2026, 9, 2))  # National Day
    assert calendar.is_working_day(session, date(2026, 11, 30))


def test_a_make_up_saturday_declared_by_the_government_is_worked(session):
    assert calendar.is_working_day(session, date(2026, 8, 22))
    assert not calendar.is_working_day(session, date(2026, 8, 31))  # the day it bought


def test_add_working_days_jumps_over_tet(session):
    # Wednesday 3 Feb 2027 + 1 working day: Thursday to the next Wednesday are Tết.
    assert calendar.add_working_days(session, date(2027, 2, 3), 1) == date(2027, 2, 11)
    assert calendar.add_working_days(session, date(2027, 2, 3), 0) == date(2027, 2, 3)
    assert calendar.add_working_days(session, date(2027, 1, 29), 4) == date(2027, 2, 11)


def test_working_days_between_counts_the_end_not_the_start(session):
    assert calendar.working_days_between(session, date(2027, 2, 1), date(2027, 2, 28)) == 14
    assert calendar.working_days_between(session, date(2026, 11, 30), date(2026, 12, 1)) == 1
    assert calendar.working_days_between(session, date(2026, 12, 1), date(2026, 12, 1)) == 0
    assert calendar.working_days_between(session, date(2026, 12, 2), date(2026, 12, 1)) == 0


def test_administrator_days_override_the_statutory_calendar(session):
    session.add(CalendarDay(day=date(2027, 1, 2), kind="working", note="make-up Saturday"))
    session.add(CalendarDay(day=date(2027, 1, 4), kind="off", note="bridge day"))
    session.flush()
    assert calendar.is_working_day(session, date(2027, 1, 2))
    assert not calendar.is_working_day(session, date(2027, 1, 4))
    # Thu 31 Dec: 1 Jan holiday, Sat 2 worked, Sun 3, Mon 4 off, Tue 5 worked.
    assert calendar.add_working_days(session, date(2026, 12, 31), 1) == date(2027, 1, 2)
    assert calendar.add_working_days(session, date(2026, 12, 31), 2) == date(2027, 1, 5)
    assert calendar.working_days_between(session, date(2026, 12, 31), date(2027, 1, 8)) == 5


def test_loaded_calendar_agrees_with_day_by_day_counting(session):
    session.add(CalendarDay(day=date(2027, 3, 6), kind="working", note=""))
    session.add(CalendarDay(day=date(2027, 3, 8), kind="off", note=""))
    session.flush()
    loaded = calendar.load_calendar(session, date(2026, 1, 1), date(2028, 12, 31))
    start = date(2026, 1, 1)
    expected = 0
    for offset in range(1, 3 * 365):
        day = date.fromordinal(start.toordinal() + offset)
        expected += loaded.is_working_day(day)
        assert loaded.working_days_between(start, day) == expected, day
        if loaded.is_working_day(day):
            assert loaded.add_working_days(start, expected) == day


def test_negative_day_counts_are_refused():
    with pytest.raises(ValueError):
        WorkingCalendar({}).add_working_days(date(2027, 1, 1), -1)
