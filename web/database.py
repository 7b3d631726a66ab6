"""One SQLAlchemy session per request, committed once when the request succeeds.

Views and verbs only flush. A response with status >= 400 or an exception rolls back, so a
refused form never leaves half-written state. A view that must keep a refusal's side effects
(login counters) sets ``g.commit_on_error``.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, Response, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

EXTENSION_KEY = "remtrack.db"


@dataclass
class Database:
    engine: Engine
    session_factory: sessionmaker[Session]


def get_db() -> Database:
    db: Database = current_app.extensions[EXTENSION_KEY]
    return db


def get_session() -> Session:
    if "db_session" not in g:
        g.db_session = get_db().session_factory()
    session: Session = g.db_session
    return session


def init_app(app: Flask, db: Database) -> None:
    app.extensions[EXTENSION_KEY] = db

    @app.after_request
    def _commit(response: Response) -> Response:
        session: Session | None = g.get("db_session")
        if session is not None:
            if response.status_code < 400 or g.get("commit_on_error"):
                session.commit()
            else:
                session.rollback()
        return response

    @app.teardown_appcontext
    def _close(exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()
