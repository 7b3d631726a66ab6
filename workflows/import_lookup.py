"""Resolving an import file's codes and names against the database, and building the
``ConclusionInput`` of each conclusion — or the reasons it cannot be built, on its rows.

Every lookup is done once for the whole file (a few set-based queries), never per row.
The checks mirror ``issue_conclusion``'s, so that all problems are reported together
instead of the first one of each conclusion.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Body, Conclusion, User
from workflows.access import in_reach
from workflows.conclusions import VIETNAM, ConclusionInput, RequirementInput
from workflows.i18n import _l
from workflows.import_header import Layout
from workflows.import_rows import Group, Row

_CHUNK = 500
DeadlineAt = Callable[[date, date | None, int | None], datetime]


def _chunks(values: Iterable[str]) -> Iterable[list[str]]:
    ordered = sorted(set(values))
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start : start + _CHUNK]


@dataclass
class References:
    """What the file's codes and names point to, as far as ``actor`` may know."""

    actor: User
    #: Body code (case-folded) → id.
    bodies: dict[str, int]
    reachable: set[int]
    #: User name (case-folded) → user.
    users: dict[str, User]
    existing_numbers: set[str]

    @classmethod
    def load(cls, session: Session, actor: User, groups: list[Group]) -> References:
        rows = [row for group in groups for row in group.rows]
        codes = {
            str(row.values[key]).casefold()
            for row in rows
            for key in ("subject_body", "responsible_body", "supervising_body")
            if key in row.values
        }
        names = {
            str(row.values["responsible_officer"]).casefold()
            for row in rows
            if "responsible_officer" in row.values
        }
        bodies: dict[str, int] = {}
        users: dict[str, User] = {}
        numbers: set[str] = set()
        for chunk in _chunks(codes):
            found = session.execute(
                select(Body.id, Body.code).where(func.lower(Body.code).in_(chunk))
            )
            bodies.update({code.casefold(): body_id for body_id, code in found})
        reachable = set(
            session.scalars(
                select(Body.id).where(Body.id.in_(bodies.values()), in_reach(actor, Body.id))
            )
        )
        for chunk in _chunks(names):
            found_users = session.scalars(select(User).where(func.lower(User.username).in_(chunk)))
            users.update({u.username.casefold(): u for u in found_users})
        for chunk in _chunks(g.number for g in groups):
            numbers.update(
                session.scalars(select(Conclusion.number).where(Conclusion.number.in_(chunk)))
            )
        return cls(actor, bodies, reachable, users, numbers)


class RequirementBuilder:
    """Builds each conclusion's input, writing every problem onto the row it belongs to."""

    def __init__(self, layout: Layout, refs: References, deadline_at: DeadlineAt) -> None:
        self.layout, self.refs, self.deadline_at = layout, refs, deadline_at

    def _fail(self, row: Row, key: str, message: Any) -> None:
        row.errors.append(self.layout.error(row.number, key, message))

    def body(self, row: Row, key: str) -> int | None:
        code = row.values.get(key)
        if code is None:
            return None
        body_id = self.refs.bodies.get(str(code).casefold())
        if body_id is None:
            self._fail(row, key, _l("No body has the code %(code)s.", code=code))
        elif body_id not in self.refs.reachable:
            message = _l("Body %(code)s is outside the bodies your body supervises.", code=code)
            self._fail(row, key, message)
        else:
            return body_id
        return None

    def conclusion(self, group: Group) -> ConclusionInput | None:
        first = group.first
        values = first.values
        if group.number in self.refs.existing_numbers:
            message = _l(
                "A conclusion numbered %(number)s is already registered.", number=group.number
            )
            self._fail(first, "number", message)
        subject_id = self.body(first, "subject_body")
        issue_date: date | None = values.get("issue_date")
        if issue_date is not None and issue_date > datetime.now(VIETNAM).date():
            self._fail(first, "issue_date", _l("The issue date cannot be in the future."))
            issue_date = None
        requirements = [self.requirement(row, issue_date) for row in group.rows]
        if subject_id is None or issue_date is None or any(r is None for r in requirements):
            return None
        if any(row.errors for row in group.rows):
            return None
        return ConclusionInput(
            number=group.number,
            title=values["title"],
            source=values["source"],
            issue_date=issue_date,
            subject_body_id=subject_id,
            summary=values["summary"],
            requirements=tuple(r for r in requirements if r is not None),
        )

    def requirement(self, row: Row, issue_date: date | None) -> RequirementInput | None:
        values = row.values
        responsible = self.body(row, "responsible_body")
        supervising = self.body(row, "supervising_body")
        officer = self.officer(row, responsible)
        deadline = self.deadline(row, issue_date)
        # A zero or missing amount; an amount that did not read has its own error already.
        amount_missing = not values.get("target_amount") and (
            "target_amount" in values or "target_amount" not in row.filled
        )
        if values.get("category") == "financial" and amount_missing:
            message = _l("A financial requirement needs the amount to recover.")
            self._fail(row, "target_amount", message)
        if row.errors or responsible is None or deadline is None:
            return None
        return RequirementInput(
            text=values["text"],
            category=values["category"],
            responsible_body_id=responsible,
            deadline=deadline,
            supervising_body_id=supervising,
            responsible_officer_id=officer,
            target_amount=values.get("target_amount"),
        )

    def officer(self, row: Row, responsible: int | None) -> int | None:
        name = row.values.get("responsible_officer")
        if name is None:
            return None
        user = self.refs.users.get(str(name).casefold())
        if user is None:
            self._fail(row, "responsible_officer", _l("No user is named %(name)s.", name=name))
            return None
        if responsible is not None and (
            user.body_id != responsible or not user.active or not user.has_role("officer")
        ):
            message = _l("%(name)s is not an active officer of the responsible body.", name=name)
            self._fail(row, "responsible_officer", message)
            return None
        return user.id

    def deadline(self, row: Row, issue_date: date | None) -> datetime | None:
        due: date | None = row.values.get("deadline")
        days: int | None = row.values.get("working_days")
        if issue_date is None or (due is None and days is None):
            return None
        if due is not None and due <= issue_date:
            key = "deadline"
            message = _l(
                "The deadline must be after the issue date (%(date)s).",
                date=issue_date.strftime("%d/%m/%Y"),
            )
            self._fail(row, key, message)
            return None
        return self.deadline_at(issue_date, due, days)
