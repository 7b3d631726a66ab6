"""Reading one cell of an import file: texts, dates, amounts, working days and listed values.

A cell comes as text from a CSV file, or as text, number or date from an XLSX workbook.
Each reader returns the typed value or raises ``InvalidInput`` with a message that says what
to write instead; the caller adds the row and column.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from workflows.errors import InvalidInput
from workflows.i18n import _l
from workflows.import_columns import normalise
from workflows.inputs import parse_amount

#: Dates outside these years are typing mistakes, not conclusions.
FIRST_YEAR, LAST_YEAR = 1945, 2200
MAX_WORKING_DAYS = 3650

_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?$")
_CURRENCY = re.compile(r"\s*(đồng|đ|vnđ|vnd)\.?$", re.IGNORECASE)
_PLAIN_DIGITS = re.compile(r"^\d+$")
# One kind of thousands separator throughout, in groups of three: 1.500.000 or 1,500,000.
_GROUPED = re.compile(r"^\d{1,3}(?:(?P<sep>[.,])\d{3})(?:(?P=sep)\d{3})*$")


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: Any) -> str:
    """A cell as text; a whole number typed into a text column (a conclusion number
    "34" that Excel stored as a number) reads back without ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        raise InvalidInput(_l("Expected text here, not a date."))
    return str(value).replace("\u00a0", " ").strip()


def read_date(value: Any) -> date:
    """A date cell, or text as dd/mm/yyyy (also with . or -) or yyyy-mm-dd."""
    found: date | None
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    elif isinstance(value, str):
        found = _date_from_text(value.strip())
    else:
        found = None
    if found is None or not FIRST_YEAR <= found.year <= LAST_YEAR:
        raise InvalidInput(_l("Write the date as dd/mm/yyyy (for example 15/03/2025)."))
    return found


def _date_from_text(raw: str) -> date | None:
    if match := _DMY.match(raw):
        day, month, year = (int(g) for g in match.groups())
    elif match := _ISO.match(raw):
        year, month, day = (int(g) for g in match.groups())
    else:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def read_amount(value: Any) -> Decimal:
    """Whole đồng: a number cell, or digits with "." or "," between groups of three.

    Because the đồng has no smaller unit, "1.500" and "1,500" both mean one thousand five
    hundred; anything that could only be a decimal ("1,5", "1.500,00") is refused.
    """
    if isinstance(value, bool | datetime | date):
        raise InvalidInput(_amount_message())
    if isinstance(value, float):
        if not value.is_integer() or abs(value) >= 2**53:
            raise InvalidInput(_amount_message())
        value = int(value)
    if isinstance(value, str):
        value = _amount_digits(value)
    if isinstance(value, int) and value < 0:
        raise InvalidInput(_l("An amount cannot be negative."))
    return parse_amount(value, "target_amount")


def _amount_digits(raw: str) -> str:
    cleaned = _CURRENCY.sub("", raw.replace("\u00a0", " ").strip())
    cleaned = cleaned.replace(" ", "")
    if cleaned.startswith("-"):
        raise InvalidInput(_l("An amount cannot be negative."))
    if _PLAIN_DIGITS.match(cleaned):
        return cleaned
    if _GROUPED.match(cleaned):
        return re.sub(r"[.,]", "", cleaned)
    raise InvalidInput(_amount_message())


def _amount_message() -> Any:
    return _l(
        "Write the amount in whole đồng, for example 1500000, 1.500.000 or 1,500,000 (no decimals)."
    )


def read_working_days(value: Any) -> int:
    """A whole number of working days from 1 to ``MAX_WORKING_DAYS``."""
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and _PLAIN_DIGITS.match(value.strip()):
        number = int(value.strip())
    if number is None or not 1 <= number <= MAX_WORKING_DAYS:
        raise InvalidInput(
            _l(
                "Write the number of working days as a whole number from 1 to %(most)d.",
                most=MAX_WORKING_DAYS,
            )
        )
    return number


def read_listed(value: Any, index: dict[str, str], allowed: list[str]) -> str:
    """The code of a listed value given by its code or its Vietnamese or English name."""
    code = index.get(normalise(text(value)))
    if code is None:
        raise InvalidInput(_l("Unknown value. Allowed: %(allowed)s.", allowed="; ".join(allowed)))
    return code
