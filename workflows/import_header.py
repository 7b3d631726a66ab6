"""The header row of an import file, and the problems found in a file.

Every problem is a ``RowError`` with the spreadsheet row and column it is about, so the
user can go straight to the cell; ``ImportRejected`` carries all of them at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workflows.errors import InvalidInput
from workflows.i18n import _l
from workflows.import_columns import BY_KEY, DEADLINE_KEYS, HEADER_INDEX, column_letter, normalise

HEADER_ROW = 1


@dataclass(frozen=True, order=True)
class RowError:
    """One problem: ``row`` is the spreadsheet row (1 = the header, 0 = the whole file)."""

    row: int
    position: int  # 0-based column in the file; -1 when the column is not in the file
    column: str | None = field(compare=False)  # the column's key
    header: str | None = field(compare=False)  # the column's header as the file writes it
    message: Any = field(compare=False)  # lazily translated

    @property
    def letter(self) -> str:
        return column_letter(self.position) if self.position >= 0 else ""

    def column_name(self, locale: str) -> str:
        if self.header:
            return self.header
        return BY_KEY[self.column].name(locale) if self.column in BY_KEY else ""

    def describe(self, locale: str = "en") -> str:
        where = f"row {self.row}" if self.row else "file"
        name = self.column_name(locale)
        if self.letter:
            where += f", column {self.letter}" + (f" ({name})" if name else "")
        elif name:
            where += f", column {name}"
        return f"{where}: {self.message}"


class ImportRejected(InvalidInput):
    """The file is refused as a whole; ``errors`` lists every problem, in file order."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(
            _l(
                "Nothing was imported: the file has %(count)d problem(s). Correct them and "
                "import the whole file again.",
                count=len(errors),
            ),
            field="file",
        )
        self.errors = sorted(errors)


@dataclass(frozen=True)
class Layout:
    """Where each known column sits in the file and how its header is written there."""

    positions: dict[str, int]
    headers: dict[str, str]

    def error(self, row: int, key: str, message: Any) -> RowError:
        return RowError(row, self.positions.get(key, -1), key, self.headers.get(key), message)


def read_layout(header: list[Any]) -> Layout:
    """Match the header row to the known columns; refuse unknown, repeated or missing ones."""
    positions: dict[str, int] = {}
    headers: dict[str, str] = {}
    errors: list[RowError] = []
    for position, cell in enumerate(header):
        title = "" if cell is None else str(cell).strip()
        if not title:
            continue
        key = HEADER_INDEX.get(normalise(title))
        if key is None:
            errors.append(RowError(HEADER_ROW, position, None, title, _unknown_column()))
        elif key in positions:
            errors.append(
                RowError(HEADER_ROW, position, key, title, _l("This column appears twice."))
            )
        else:
            positions[key], headers[key] = position, title
    layout = Layout(positions, headers)
    for column in BY_KEY.values():
        if column.required and column.key not in positions:
            errors.append(layout.error(HEADER_ROW, column.key, _l("This column is missing.")))
    if not any(key in positions for key in DEADLINE_KEYS):
        message = _l("Add a Deadline column or a Working days column.")
        errors.append(layout.error(HEADER_ROW, "deadline", message))
    if errors:
        raise ImportRejected(errors)
    return layout


def _unknown_column() -> Any:
    return _l(
        "Unknown column. Use the headers of the template (Vietnamese or English); "
        "remove or rename this column."
    )
