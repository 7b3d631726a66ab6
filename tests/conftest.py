"""Fixtures shared by every test.

Database tests run twice: on SQLite and on a fresh PostgreSQL database created for this run
(dropped at the end). PostgreSQL is required: when it cannot be reached the run fails.
Each test works inside a transaction that is rolled back, so none sees another's leftovers.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from db.engine import make_engine, make_session_factory
from db.migrate import upgrade
from db.models import Body, UserTask
from db.settings import Settings, load_settings
from workflows import definitions, instances

PG_ADMIN_URL = os.environ.get(
    "REMTRACK_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def _create_pg_database() -> str:
    name = f"remtrack_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001
        pytest.fail(
            f"PostgreSQL is required for the tests and could not be reached at {PG_ADMIN_URL} "
            f"({type(exc).__name__}: {exc}). Start it or set REMTRACK_TEST_PG_ADMIN_URL.",
            pytrace=False,
        )
    finally:
        admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(url: str) -> None:
    name = make_url(url).database
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    url = _create_pg_database()
    yield url
    _drop_pg_database(url)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture(scope="session")
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        trans = conn.begin()
        yield conn
        trans.rollback()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    # Commits inside the code under test only release a savepoint; the test's outer
    # transaction is rolled back at the end.
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as s:
        yield s


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return load_settings(
        env={},
        instance_path=tmp_path / "instance",
        database_url=db_url,
        secret_key="test-secret-key-" + "x" * 32,
    )


@pytest.fixture
def app(settings: Settings, engine: Engine, session_factory: sessionmaker[Session]) -> Any:
    from web.app import create_app
    from web.database import Database

    application = create_app(settings, database_override=Database(engine, session_factory))
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'type="hidden" name="csrf_token" value="([^"]+)"'
)


def csrf_token(client: Any, path: str) -> str:
    """Fetch ``path`` and return the CSRF token of its first form."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def post_form(
    client: Any, path: str, data: dict[str, Any], form_page: str | None = None, **kw: Any
) -> Any:
    """POST ``data`` to ``path`` with a valid CSRF token taken from ``form_page``."""
    token = csrf_token(client, form_page or path)
    return client.post(path, data={"csrf_token": token, **data}, **kw)


def login(client: Any, username: str, password: str = "correct-horse-1") -> Any:
    return post_form(client, "/login", {"username": username, "password": password})


pytest_plugins = ["tests.factories"]


class Committed:
    """Really committed data, for tests that need several connections (races, timers)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.factory = make_session_factory(engine)

    def start(self, days: float, into_remediation: bool = False) -> int:
        with self.factory.begin() as s:
            if definitions.latest_version(s, "requirement") is None:
                definitions.deploy_shipped(s)
            unit = Body(code=f"C{uuid.uuid4().hex[:8]}", name="unit", kind="agency")
            s.add(unit)
            s.flush()
            deadline = (datetime.now(UTC) + timedelta(days=days)).isoformat()
            running = instances.start(
                s,
                "requirement",
                ("requirement", unit.id),
                {"officer": unit.id, "supervisor": unit.id},
                {"requirement_id": unit.id, "deadline": deadline},
            )
            instance_id = running.row.id
        if into_remediation:  # where the deadline timer waits
            for name in ("acknowledge", "submit_plan"):
                with self.factory.begin() as s:
                    task_id = s.scalar(
                        select(UserTask.task_id).where(
                            UserTask.instance_id == instance_id, UserTask.name == name
                        )
                    )
                    instances.complete_task(s, instance_id, task_id, {})
        return instance_id


@pytest.fixture
def committed(db_url: str, tmp_path: Path) -> Iterator[Committed]:
    """A database of its own (same backend as ``db_url``) where data is really committed;
    it is thrown away afterwards, so nothing leaks into the shared test database."""
    sqlite = db_url.startswith("sqlite")
    url = f"sqlite:///{tmp_path / 'committed.db'}" if sqlite else _create_pg_database()
    own = make_engine(url)
    upgrade(own)
    yield Committed(own)
    own.dispose()
    if not sqlite:
        _drop_pg_database(url)
