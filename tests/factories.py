"""Factory fixtures: each test builds exactly what it needs."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from sqlalchemy.orm import Session

from db.models import Body, User, UserRole
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
