"""What a rule is: its settings as data (``monitor_rule`` rows) and its logic as a query.

A rule's query returns ``(requirement_id, facts)`` for every requirement in scope that the
rule hits *now*; the pass opens flags for new hits and resolves flags no longer hit. Rules
whose verdict can change with the date alone (working-day counts) are ``daily``: they look
at every row on the first pass of a new day and only at changed rows otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from types import MappingProxyType
from typing import Any

from sqlalchemy import ColumnElement, Select
from sqlalchemy.orm import Session

from db.models.monitor import MonitorRule
from workflows.errors import InvalidInput
from workflows.i18n import _l


@dataclass(frozen=True)
class Param:
    """One parameter: its default and its bounds; ``per`` names the keys of a mapping."""

    default: Any
    low: float = 0
    high: float = 1_000
    per: tuple[str, ...] = ()
    label: Any = ""

    def clean(self, name: str, value: Any) -> Any:
        if self.per:
            if not isinstance(value, dict) or set(value) != set(self.per):
                raise InvalidInput(_l("Give a value for each category."), field=name)
            return {key: self._number(f"{name}-{key}", value[key]) for key in self.per}
        if isinstance(self.default, bool):
            if not isinstance(value, bool):
                raise InvalidInput(_l("Choose yes or no."), field=name)
            return value
        return self._number(name, value)

    def _number(self, name: str, value: Any) -> int | float:
        kind = float if isinstance(self.default, float) else int
        try:
            if isinstance(value, bool):
                raise ValueError
            number = kind(value)
        except (TypeError, ValueError):
            raise InvalidInput(
                _l("Enter a number from %(low)s to %(high)s.", low=self.low, high=self.high),
                field=name,
            ) from None
        if not self.low <= number <= self.high:
            raise InvalidInput(
                _l("Enter a number from %(low)s to %(high)s.", low=self.low, high=self.high),
                field=name,
            )
        return number


@dataclass(frozen=True)
class Context:
    """What a rule's query needs to know about this pass."""

    now: datetime
    today: date
    today_ordinal: int
    params: dict[str, Any]
    #: The requirements to judge, to select from in place of ``Requirement``: the table
    #: itself, or in an incremental pass the pass's copy of the changed rows (a few
    #: thousand, read from one small table instead of probed again by every rule).
    requirement: Any
    #: A condition on ``requirement`` every rule adds: which of those rows it may judge
    #: now (not those whose evidence summary waits for a later pass, say).
    judged: ColumnElement[bool]
    #: A filter on another table's requirement id column: the rows this pass looks at.
    scope: Callable[[Any], ColumnElement[bool]]
    #: The instant before which a timestamp is at least ``n`` working days before today.
    cutoff: Callable[[int], datetime]
    #: Ids of the requirements looked at (a SELECT), or None when all are.
    changed: Any = None


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    severity: str
    title: Any
    explanation: Any
    query: Callable[[Context], Select[Any]]
    params: dict[str, Param] = field(default_factory=dict)
    daily: bool = False
    #: Narrows an incremental pass to the changed requirements whose verdict can have
    #: changed: a condition on the requirements judged (see ``Context.requirement``),
    #: given the watermark.
    narrow: Callable[[Any, datetime], ColumnElement[bool]] | None = None
    #: Reads ``evidence_summary``: requirements whose summary is not redone yet are left
    #: for a later pass rather than judged on old facts.
    reads_evidence_summary: bool = False
    #: Notification event for a new flag, and the facts it carries along.
    event: str = "flag.opened"

    def defaults(self) -> dict[str, Any]:
        return {name: param.default for name, param in self.params.items()}

    def clean_params(self, values: dict[str, Any]) -> dict[str, Any]:
        """Validated parameters; unknown names are refused, missing ones take defaults."""
        unknown = set(values) - set(self.params)
        if unknown:
            raise InvalidInput(_l("Unknown parameter."), field=sorted(unknown)[0])
        merged = {**self.defaults(), **values}
        return {name: self.params[name].clean(name, merged[name]) for name in self.params}


@cache
def all_rules() -> Mapping[str, Rule]:
    """Every rule by id (made once: the notifier asks for each flag it tells of)."""
    from workflows.monitor import rules_evidence, rules_formal, rules_slow

    every = (*rules_slow.RULES, *rules_evidence.RULES, *rules_formal.RULES)
    return MappingProxyType({rule.id: rule for rule in every})


def ensure_rules(session: Session) -> dict[str, MonitorRule]:
    """Every known rule has its row (new ones start with their defaults); rows by id."""
    rows = {row.id: row for row in session.query(MonitorRule)}
    for rule in all_rules().values():
        if rule.id not in rows:
            row = MonitorRule(
                id=rule.id,
                kind=rule.kind,
                parameters=rule.defaults(),
                severity=rule.severity,
                enabled=True,
                full_pass_needed=True,
            )
            session.add(row)
            rows[rule.id] = row
    session.flush()
    return rows
