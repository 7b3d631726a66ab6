"""The audit trail is append-only and hash-chained; any edit or deletion is found."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from db.audit import record, verify_chain


def _three_events(session):
    for i in range(3):
        record(session, "test.event", ("thing", i), payload={"n": i, "amount": "1000"})
    session.flush()


def test_an_untouched_chain_verifies(session):
    _three_events(session)
    checked, broken = verify_chain(session)
    assert checked == 3 and broken is None


def test_the_database_refuses_updates_and_deletes(session, connection):
    _three_events(session)
    with pytest.raises(DBAPIError, match="append-only"), connection.begin_nested():
        connection.execute(text("UPDATE audit_event SET action = 'x' WHERE seq = 2"))
    with pytest.raises(DBAPIError, match="append-only"), connection.begin_nested():
        connection.execute(text("DELETE FROM audit_event WHERE seq = 2"))


def _without_triggers(connection, sql):
    """Do what someone with direct database access could do: drop the guard, then edit."""
    if connection.dialect.name == "sqlite":
        connection.execute(text("DROP TRIGGER audit_event_no_update"))
        connection.execute(text("DROP TRIGGER audit_event_no_delete"))
    else:
        connection.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
    connection.execute(text(sql))


def test_a_direct_sql_edit_breaks_the_chain_at_that_row(session, connection):
    _three_events(session)
    _without_triggers(connection, "UPDATE audit_event SET payload = '{\"n\": 99}' WHERE seq = 2")
    session.expire_all()
    checked, broken = verify_chain(session)
    assert checked == 1
    assert broken is not None and broken.seq == 2 and "changed" in broken.reason


def test_a_deleted_row_breaks_the_chain(session, connection):
    _three_events(session)
    _without_triggers(connection, "DELETE FROM audit_event WHERE seq = 2")
    session.expire_all()
    checked, broken = verify_chain(session)
    assert broken is not None and broken.seq == 2 and "missing" in broken.reason


def test_the_admin_page_reports_a_broken_chain(session, connection, client, make_user):
    from tests.conftest import login, post_form

    make_user("quantri", roles=("admin",))
    _three_events(session)
    login(client, "quantri")
    ok = post_form(client, "/admin/audit", {}).get_data(as_text=True)
    assert "còn nguyên vẹn" in ok
    _without_triggers(connection, "UPDATE audit_event SET action = 'forged' WHERE seq = 2")
    broken = post_form(client, "/admin/audit", {}).get_data(as_text=True)
    assert "bị đứt tại dòng 2" in broken
