"""The remtrack command line: init (twice keeps data), users create, audit verify."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from web.cli import main


@pytest.fixture
def cli_env(tmp_path):
    return {"REMTRACK_INSTANCE_PATH": str(tmp_path / "inst")}


def run(env, *args):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_init_demo_loads_once_and_a_second_run_keeps_the_data(cli_env, tmp_path):
    first = run(cli_env, "init", "--demo")
    assert first.exit_code == 0, first.output
    logins = (tmp_path / "inst" / "demo-logins.txt").read_text()
    assert {"officer", "supervisor", "designer", "admin", "observer"} <= set(logins.split())
    second = run(cli_env, "init", "--demo")
    assert second.exit_code == 0 and "not loaded again" in second.output
    assert (tmp_path / "inst" / "demo-logins.txt").read_text() == logins
    db = sqlite3.connect(tmp_path / "inst" / "remtrack.db")
    users = db.execute("SELECT count(*) FROM user_account").fetchone()[0]
    assert users == len(logins.splitlines()) >= 5


def test_users_create_and_audit_verify(cli_env, tmp_path):
    run(cli_env, "init", "--demo")
    created = run(
        cli_env,
        "users",
        "create",
        "moi.nguoi",
        "--full-name",
        "Người Mới",
        "--body",
        "KTNN",
        "--role",
        "supervisor",
        "--password",
        "new-user-pass-1",
    )
    assert created.exit_code == 0, created.output
    verify = run(cli_env, "audit", "verify")
    assert verify.exit_code == 0 and "chain intact" in verify.output


def test_users_create_in_an_unknown_body_fails_clearly(cli_env):
    run(cli_env, "init")
    result = run(
        cli_env,
        "users",
        "create",
        "x.y",
        "--full-name",
        "X",
        "--body",
        "NOPE",
        "--role",
        "officer",
        "--password",
        "new-user-pass-1",
    )
    assert result.exit_code == 1 and "No body has the code 'NOPE'" in result.output


def test_audit_verify_exits_non_zero_on_a_broken_chain(cli_env, tmp_path):
    run(cli_env, "init", "--demo")
    db = sqlite3.connect(tmp_path / "inst" / "remtrack.db")
    db.execute("DROP TRIGGER audit_event_no_update")
    db.execute("UPDATE audit_event SET payload = '{}' WHERE seq = 3")
    db.commit()
    result = run(cli_env, "audit", "verify")
    assert result.exit_code == 1 and "BROKEN at row 3" in result.output


def test_an_invalid_database_url_stops_the_cli_with_a_clear_message(cli_env):
    result = run({**cli_env, "REMTRACK_DATABASE_URL": "mysql://x/y"}, "init")
    assert result.exit_code == 1 and "REMTRACK_DATABASE_URL" in result.output


def test_init_on_postgresql(pg_url, cli_env):
    from tests.conftest import _create_pg_database, _drop_pg_database

    url = _create_pg_database()
    try:
        result = run({**cli_env, "REMTRACK_DATABASE_URL": url}, "init", "--demo")
        assert result.exit_code == 0, result.output
        assert run({**cli_env, "REMTRACK_DATABASE_URL": url}, "audit", "verify").exit_code == 0
    finally:
        from sqlalchemy.orm import close_all_sessions

        close_all_sessions()
        _drop_pg_database(url)


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_init_deploys_every_shipped_model_once(cli_env):
    first = run(cli_env, "init")
    assert first.output.count("v1 deployed") == 4
    second = run(cli_env, "init")
    assert second.output.count("v1 up to date") == 4


def test_definitions_check_names_the_element_and_exits_non_zero(cli_env):
    from pathlib import Path

    data = Path(__file__).resolve().parents[1] / "engine" / "data"
    good = run(cli_env, "definitions", "check", "bpmn/requirement.bpmn")
    assert good.exit_code == 0 and "OK (process 'requirement')" in good.output
    bad = CliRunner().invoke(
        main, ["definitions", "check", str(data / "unquoted_timer.bpmn")], env=cli_env
    )
    assert bad.exit_code == 1 and 'write it quoted, "PT1S"' in bad.output


def test_definitions_deploy_refuses_all_when_one_file_is_bad(cli_env, tmp_path):
    run(cli_env, "init")
    changed = tmp_path / "requirement.bpmn"
    changed.write_bytes(
        Path("bpmn/requirement.bpmn")
        .read_bytes()
        .replace(b"Acknowledge requirement", b"Acknowledge it")
    )
    bad = tmp_path / "bad.bpmn"
    bad.write_text("<not-bpmn/>")
    result = CliRunner().invoke(
        main, ["definitions", "deploy", str(changed), str(bad)], env=cli_env
    )
    assert result.exit_code == 1 and "Nothing was deployed." in result.output
    listing = run(cli_env, "definitions", "list").output
    assert "requirement         1" in listing and "requirement         2" not in listing
    ok = run(cli_env, "definitions", "deploy", str(changed))
    assert "deployed as requirement v2" in ok.output


def test_definitions_run_is_a_dry_run(cli_env):
    run(cli_env, "init")
    result = run(
        cli_env,
        "definitions",
        "run",
        "requirement",
        "--data",
        '{"deadline": "2030-01-31T10:00:00+00:00", "requirement_id": 7}',
    )
    assert result.exit_code == 0, result.output
    assert "acknowledge (Acknowledge requirement) for officer" in result.output
    assert "Data: {" in result.output and '"requirement_id": 7' in result.output
    listing = run(cli_env, "definitions", "list").output.splitlines()
    row = next(line for line in listing if line.startswith("requirement"))
    assert row.split()[4] == "0"  # the dry-run instance was rolled back
