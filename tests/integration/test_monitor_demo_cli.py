"""The demo trips every monitor rule on first login; ``remtrack monitor run`` prints a pass."""

from __future__ import annotations

import sqlite3

from click.testing import CliRunner
from sqlalchemy import select

from db.models.monitor import Flag
from web.cli import main
from workflows.monitor.registry import all_rules


def test_demo_data_trips_every_rule(session, tmp_path):
    from workflows.demo import load_demo

    load_demo(session, tmp_path)
    session.flush()
    fired = set(session.scalars(select(Flag.rule_id).where(Flag.resolved_at.is_(None))))
    assert fired == set(all_rules())


def _run(env, *args):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_monitor_run_prints_what_it_opened_and_resolved(tmp_path):
    env = {"REMTRACK_INSTANCE_PATH": str(tmp_path / "inst")}
    assert _run(env, "init", "--demo").exit_code == 0
    later = _run(env, "monitor", "run", "--now", "2030-01-02T09:00", "--full")
    assert later.exit_code == 0, later.output
    assert "Monitor pass at 2030-01-02T02:00:00+00:00" in later.output
    assert "overdue" in later.output and "Opened " in later.output
    again = _run(env, "monitor", "run", "--now", "2030-01-02T09:30")
    assert "Opened 0, resolved 0." in again.output
    db = sqlite3.connect(tmp_path / "inst" / "remtrack.db")
    open_overdue = db.execute(
        "SELECT count(*) FROM flag WHERE rule_id = 'overdue' AND resolved_at IS NULL"
    ).fetchone()[0]
    assert open_overdue >= 5


def test_monitor_run_refuses_a_bad_time(tmp_path):
    env = {"REMTRACK_INSTANCE_PATH": str(tmp_path / "inst")}
    _run(env, "init")
    result = CliRunner().invoke(main, ["monitor", "run", "--now", "yesterday"], env=env)
    assert result.exit_code == 2 and "--now" in result.output
