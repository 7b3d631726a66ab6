"""From raw rows to typed rows grouped by conclusion, with every problem found.

One row per requirement. Rows with the same conclusion number, one after another, are one
conclusion; its own columns (title, source, issue date, subject, summary) are read from its
first row, and later rows leave them blank or repeat the same value. Nothing here touches the
database; ``workflows.conclusion_import`` resolves codes and names afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workflows.errors import InvalidInput
from workflows.i18n import _l
from workflows.import_columns import (
    CATEGORIES,
    CATEGORY_INDEX,
    CONCLUSION_KEYS,
    DEADLINE_KEYS,
    SOURCE_INDEX,
    SOURCES,
    normalise,
)
from workflows.import_header import Layout, RowError
from workflows.import_values import (
    is_blank,
    read_amount,
    read_date,
    read_listed,
    read_working_days,
    text,
)
from workflows.inputs import MAX_TEXT

#: The template's example conclusion; a file that still holds it is refused.
EXAMPLE_NUMBER = "MẪU-01/KL"


def _texts(limit: int) -> Callable[[Any], str]:
    def read(value: Any) -> str:
        found = text(value)
        if len(found) > limit:
            raise InvalidInput(_l("At most %(limit)d characters.", limit=limit))
        return found

    return read


def _listed(index: dict[str, str], vocabulary: Any) -> Callable[[Any], str]:
    allowed = [f"{vi} / {en}" for _code, vi, en, _more in vocabulary]
    return lambda value: read_listed(value, index, allowed)


READERS: dict[str, Callable[[Any], Any]] = {
    "number": _texts(64),
    "title": _texts(500),
    "source": _listed(SOURCE_INDEX, SOURCES),
    "issue_date": read_date,
    "subject_body": _texts(40),
    "summary": _texts(MAX_TEXT),
    "text": _texts(MAX_TEXT),
    "category": _listed(CATEGORY_INDEX, CATEGORIES),
    "responsible_body": _texts(40),
    "responsible_officer": _texts(64),
    "supervising_body": _texts(40),
    "deadline": read_date,
    "working_days": read_working_days,
    "target_amount": read_amount,
}


@dataclass
class Row:
    number: int
    #: Typed values of the cells that were filled in and read well.
    values: dict[str, Any]
    #: Keys of the cells that were filled in (read well or not).
    filled: set[str]
    errors: list[RowError]


def read_row(layout: Layout, number: int, cells: tuple[Any, ...]) -> Row:
    row = Row(number, {}, set(), [])
    for key, position in layout.positions.items():
        raw = cells[position] if position < len(cells) else None
        if is_blank(raw):
            continue
        row.filled.add(key)
        try:
            row.values[key] = READERS[key](raw)
        except InvalidInput as err:
            row.errors.append(layout.error(number, key, err.message))
    _check_requirement_cells(layout, row)
    return row


def _check_requirement_cells(layout: Layout, row: Row) -> None:
    def missing(key: str, message: Any) -> None:
        row.errors.append(layout.error(row.number, key, message))

    for key in ("number", "text", "category", "responsible_body"):
        if key not in row.filled:
            missing(key, _l("Fill in this cell."))
    if "deadline" in row.filled and "working_days" in row.filled:
        missing("working_days", _l("Fill in the deadline or the working days, not both."))
    elif not row.filled & set(DEADLINE_KEYS):
        key = "deadline" if "deadline" in layout.positions else "working_days"
        missing(key, _l("Fill in the deadline or the number of working days."))
    number = row.values.get("number")
    if number is not None and normalise(number) == normalise(EXAMPLE_NUMBER):
        missing("number", _l("This is the template's example; delete this row."))


@dataclass
class Group:
    """The rows of one conclusion, in file order."""

    number: str
    rows: list[Row]

    @property
    def first(self) -> Row:
        return self.rows[0]


def group_rows(layout: Layout, rows: list[Row]) -> list[Group]:
    """Group adjacent rows by conclusion number; report split or inconsistent conclusions
    on the rows themselves."""
    groups: list[Group] = []
    started: dict[str, int] = {}
    previous: str | None = None
    for row in rows:
        number = row.values.get("number")
        if number is None:
            continue
        if number == previous and groups and groups[-1].number == number:
            groups[-1].rows.append(row)
        elif number in started:
            message = _l(
                "Conclusion %(number)s already appears from row %(row)d; keep the rows of "
                "one conclusion together, or give this conclusion another number.",
                number=number,
                row=started[number],
            )
            row.errors.append(layout.error(row.number, "number", message))
        else:
            started[number] = row.number
            groups.append(Group(number, [row]))
        previous = number
    for group in groups:
        _check_conclusion_cells(layout, group)
    return groups


def _check_conclusion_cells(layout: Layout, group: Group) -> None:
    first = group.first
    for key in CONCLUSION_KEYS:
        if key == "number":
            continue
        if key not in first.filled:
            message = _l("Fill in this cell on the first row of each conclusion.")
            first.errors.append(layout.error(first.number, key, message))
        if key not in first.values:
            continue  # its own error says why; comparing the other rows with it says nothing
        for row in group.rows[1:]:
            if key in row.values and _differs(row.values[key], first.values[key]):
                message = _l(
                    "Differs from row %(row)d of the same conclusion: leave it blank or "
                    "repeat the same value.",
                    row=first.number,
                )
                row.errors.append(layout.error(row.number, key, message))


def _differs(value: Any, first: Any) -> bool:
    if isinstance(value, str) and isinstance(first, str):
        return value.casefold() != first.casefold()
    return bool(value != first)
