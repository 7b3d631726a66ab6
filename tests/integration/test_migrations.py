"""Migrations build the schema from empty on both databases and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from db.base import Base
from db.engine import make_engine
from db.migrate import downgrade, is_up_to_date, upgrade


def test_the_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert diff == []
    assert is_up_to_date(engine)


def test_migrations_go_down_to_empty_and_up_again(tmp_path, db_url, pg_url):
    url = f"sqlite:///{tmp_path / 'fresh.db'}" if db_url.startswith("sqlite") else None
    if url is None:
        # a second fresh PostgreSQL database, so the shared one stays untouched
        from tests.conftest import _create_pg_database, _drop_pg_database

        url = _create_pg_database()
    engine = make_engine(url)
    try:
        upgrade(engine)
        assert "audit_event" in inspect(engine).get_table_names()
        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert is_up_to_date(engine)
    finally:
        engine.dispose()
        if not db_url.startswith("sqlite"):
            _drop_pg_database(url)
