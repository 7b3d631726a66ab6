"""Importing conclusions with their requirements from an XLSX or CSV file: all or nothing.

The whole file is checked first and every problem is reported with its row and column;
when there is none, each conclusion is issued through ``issue_conclusion`` (so an imported
conclusion is exactly one registered by hand) inside one savepoint of the caller's
transaction, and one audit event records the file. Columns and rules: ``import_columns``
and ``import_rows``; the downloadable template: ``import_template``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.audit import record
from db.models import Conclusion, User
from workflows.conclusions import ConclusionInput, issue_conclusion
from workflows.deadlines import deadline_after_working_days, end_of_day
from workflows.errors import Conflict, DomainError, InvalidInput, NotAllowed
from workflows.i18n import _l
from workflows.import_files import read_table
from workflows.import_header import ImportRejected, Layout, RowError, read_layout
from workflows.import_lookup import References, RequirementBuilder
from workflows.import_rows import Group, group_rows, read_row

__all__ = ["ImportRejected", "ImportResult", "RowError", "import_conclusions"]

_FIELD_COLUMNS = {
    "number": "number",
    "title": "title",
    "source": "source",
    "issue_date": "issue_date",
    "summary": "summary",
    "subject_body_id": "subject_body",
    "requirements": "number",
    "text": "text",
    "category": "category",
    "responsible_body_id": "responsible_body",
    "supervising_body_id": "supervising_body",
    "responsible_officer_id": "responsible_officer",
    "target_amount": "target_amount",
}
_REQUIREMENT_FIELD = re.compile(r"^requirements-(\d+)-(\w+)$")


@dataclass(frozen=True)
class ImportResult:
    conclusions: list[Conclusion]
    requirements: int
    sha256: str
    kind: str


def import_conclusions(session: Session, actor: User, filename: str, data: bytes) -> ImportResult:
    """Check the whole file, then issue every conclusion in it, or nothing.

    :raises ImportRejected: listing every bad row (nothing is stored).
    :raises NotAllowed: the actor is not a supervisor.
    """
    if not actor.has_role("supervisor"):
        raise NotAllowed(_l("Only a supervisor can import conclusions."))
    try:
        table = read_table(data)
    except InvalidInput as err:
        raise ImportRejected([RowError(0, -1, None, None, err.message)]) from err
    layout = read_layout(table.header)
    rows = [read_row(layout, number, cells) for number, cells in table.rows]
    groups = group_rows(layout, rows)
    inputs = _build_inputs(session, actor, layout, groups)
    errors = [error for row in rows for error in row.errors]
    if errors:
        raise ImportRejected(errors)
    issued = _issue_all(session, actor, layout, groups, inputs)
    result = ImportResult(
        issued,
        sum(len(c.requirements) for c in issued),
        hashlib.sha256(data).hexdigest(),
        table.kind,
    )
    _record_import(session, actor, filename, result)
    return result


def _build_inputs(
    session: Session, actor: User, layout: Layout, groups: list[Group]
) -> list[ConclusionInput | None]:
    refs = References.load(session, actor, groups)
    deadlines = _Deadlines(session)
    return [RequirementBuilder(layout, refs, deadlines.at).conclusion(g) for g in groups]


class _Deadlines:
    """Working-day deadlines, computed once per (issue date, days) pair of the file."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: dict[tuple[date, int], datetime] = {}

    def at(self, issue_date: date, deadline: date | None, days: int | None) -> datetime:
        if deadline is not None:
            return end_of_day(deadline)
        assert days is not None
        key = (issue_date, days)
        if key not in self.known:
            self.known[key] = deadline_after_working_days(self.session, issue_date, days)
        return self.known[key]


def _issue_all(
    session: Session,
    actor: User,
    layout: Layout,
    groups: list[Group],
    inputs: list[ConclusionInput | None],
) -> list[Conclusion]:
    issued: list[Conclusion] = []
    late: list[RowError] = []
    # A savepoint: a refusal below undoes the conclusions issued before it, so the import
    # stays all or nothing even for a caller that keeps its transaction going.
    try:
        with session.begin_nested():
            for group, data in zip(groups, inputs, strict=True):
                assert data is not None
                try:
                    issued.append(issue_conclusion(session, actor, data))
                except (InvalidInput, Conflict) as err:
                    # The verb checks before it writes, so the next one can still be tried.
                    late.append(_locate(layout, group, err))
            if late:
                raise ImportRejected(late)
    except IntegrityError as exc:  # a number registered by someone else meanwhile
        raise Conflict(
            _l("Someone registered one of these conclusions at the same time. Try again.")
        ) from exc
    return issued


def _locate(layout: Layout, group: Group, err: DomainError) -> RowError:
    """Put a refusal of ``issue_conclusion`` on the row and column it is about."""
    field = getattr(err, "field", None) or "number"
    row = group.first
    if match := _REQUIREMENT_FIELD.match(field):
        row = group.rows[int(match.group(1))]
        field = match.group(2)
    key = _FIELD_COLUMNS.get(field, "number")
    if field == "deadline":
        key = "working_days" if "working_days" in row.values else "deadline"
    return layout.error(row.number, key, err.message)


def _record_import(session: Session, actor: User, filename: str, result: ImportResult) -> None:
    record(
        session,
        "conclusions.imported",
        ("conclusion_import", result.sha256),
        actor_id=actor.id,
        body_id=actor.body_id,
        payload={
            "filename": _clean_name(filename),
            "sha256": result.sha256,
            "format": result.kind,
            "conclusions": len(result.conclusions),
            "requirements": result.requirements,
            "conclusion_ids": [c.id for c in result.conclusions],
        },
    )


def _clean_name(filename: str) -> str:
    base = re.split(r"[\\/]", filename or "")[-1]
    return "".join(ch for ch in base if ch.isprintable())[:255]
