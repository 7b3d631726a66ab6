"""Template filters for what every page shows the same way: money, dates, percentages."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Flask
from flask_babel import format_date, format_datetime, format_decimal


def money(value: Decimal | int | None) -> str:
    """Whole đồng with the locale's grouping: 1.500.000.000 ₫ in Vietnamese."""
    if value is None:
        return "—"
    return f"{format_decimal(Decimal(value), format='#,##0')} ₫"


def day(value: date | datetime | str | None) -> str:
    """A calendar date as people here write it (dd/mm/yyyy), in Vietnam's time zone.

    Audit payloads hold instants as ISO strings; they are read back here.
    """
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        return format_datetime(value, "dd/MM/yyyy")
    return format_date(value, "dd/MM/yyyy")


def moment(value: datetime | None) -> str:
    return "—" if value is None else format_datetime(value, "dd/MM/yyyy HH:mm")


def init_app(app: Flask) -> None:
    app.add_template_filter(money)
    app.add_template_filter(day)
    app.add_template_filter(moment)
