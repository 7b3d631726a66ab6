"""Factory fixtures: each test builds exactly what it needs."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
from sqlalchemy.orm import Session

from db.models import Body, Conclusion, Requirement, User, UserRole
from workflows.passwords import hash_password

DEFAULT_PASSWORD = "correct-horse-1"
_seq = itertools.count(1)


@cache
def _default_hash() -> str:
    # argon2 is slow on purpose; hash the shared test password once per run.
    return hash_password(DEFAULT_PASSWORD)


@pytest.fixture
def make_body(session: Session) -> Callable[..., Body]:
    def make(
        code: str | None = None,
        *,
        kind: str = "agency",
        supervisor: Body | None = None,
        parent: Body | None = None,
        name: str | None = None,
    ) -> Body:
        n = next(_seq)
        body = Body(
            code=code or f"B{n}",
            name=name or f"Body {n}",
            kind=kind,
            supervisor_id=supervisor.id if supervisor else None,
            parent_id=parent.id if parent else None,
        )
        session.add(body)
        session.flush()
        return body

    return make


@pytest.fixture
def make_user(session: Session, make_body: Callable[..., Body]) -> Callable[..., User]:
    def make(
        username: str | None = None,
        *,
        body: Body | None = None,
        roles: tuple[str, ...] = ("officer",),
        locale: str = "vi",
        password: str | None = None,
        **kw: Any,
    ) -> User:
        user = User(
            username=username or f"user{next(_seq)}",
            full_name="Test User",
            body_id=(body or make_body()).id,
            locale=locale,
            password_hash=hash_password(password) if password else _default_hash(),
            role_rows=[UserRole(role=r) for r in roles],
            **kw,
        )
        session.add(user)
        session.flush()
        return user

    return make


# -- conclusions and requirements ---------------------------------------------------------


@dataclass
class Cast:
    """Who takes part in a requirement's life: a commission that issues and supervises,
    a unit it supervises that remediates, and one person on each side."""

    commission: Body
    unit: Body
    supervisor: User
    officer: User


@pytest.fixture
def cast(make_body: Callable[..., Body], make_user: Callable[..., User]) -> Cast:
    commission = make_body(kind="inspection_commission")
    unit = make_body(supervisor=commission)
    return Cast(
        commission=commission,
        unit=unit,
        supervisor=make_user(body=commission, roles=("supervisor",)),
        officer=make_user(body=unit, roles=("officer",)),
    )


@pytest.fixture
def make_conclusion_input(cast: Cast) -> Callable[..., Any]:
    """A valid ``ConclusionInput``; keyword overrides change the conclusion, and
    ``requirement`` (a dict) changes every requirement."""
    from workflows.conclusions import ConclusionInput, RequirementInput

    def make(*, count: int = 1, requirement: dict[str, Any] | None = None, **kw: Any) -> Any:
        n = next(_seq)
        deadline = datetime.now(UTC) + timedelta(days=30)
        fields: dict[str, Any] = {
            "text": "Recover the misused funds and review responsibility",
            "category": "administrative",
            "responsible_body_id": cast.unit.id,
            "deadline": deadline,
            **(requirement or {}),
        }
        if fields["category"] == "financial" and "target_amount" not in fields:
            fields["target_amount"] = Decimal(1_500_000_000)
        values: dict[str, Any] = {
            "number": f"{n}-KL/TW",
            "title": f"Conclusion {n}",
            "source": "party_inspection",
            "issue_date": datetime.now(UTC).date() - timedelta(days=1),
            "subject_body_id": cast.unit.id,
            "summary": "Violations found in the management of public land.",
            "requirements": tuple(RequirementInput(**fields) for _ in range(count)),
            **kw,
        }
        return ConclusionInput(**values)

    return make


@pytest.fixture
def make_conclusion(
    session: Session, cast: Cast, make_conclusion_input: Callable[..., Any]
) -> Callable[..., Conclusion]:
    """Issue a conclusion through the verb (deploying the shipped models when needed)."""
    from workflows import definitions
    from workflows.conclusions import issue_conclusion

    def make(*, issuer: User | None = None, **kw: Any) -> Conclusion:
        if definitions.latest_version(session, "requirement") is None:
            definitions.deploy_shipped(session)
        return issue_conclusion(session, issuer or cast.supervisor, make_conclusion_input(**kw))

    return make


@pytest.fixture
def make_requirement(make_conclusion: Callable[..., Conclusion]) -> Callable[..., Requirement]:
    """The single requirement of a freshly issued conclusion."""

    def make(**kw: Any) -> Requirement:
        return make_conclusion(**kw).requirements[0]

    return make
