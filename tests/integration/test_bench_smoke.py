"""`make bench` code runs end to end (SQLite, a handful of samples; the numbers are not judged)."""

from __future__ import annotations

from workflows import bench


def test_engine_bench_runs_on_sqlite_and_prints_its_table(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'bench.db'}"
    [result] = bench.run_engine_bench([url], rounds=3, samples=3)
    assert result["database"] == "sqlite"
    for key in (
        "deploy",
        "create",
        "verb_fresh",
        "verb_round0",
        "verb_rounds",
        "raw_fresh",
        "raw_round0",
        "raw_rounds",
        "stored_fresh",
        "stored_round0",
        "stored_rounds",
    ):
        median, p95 = result[key]
        assert 0 < median <= p95, key
    assert 0 < result["bytes_fresh"] <= bench.FRESH_STATE_BYTES
    assert result["bytes_rounds"] < result["bytes_rounds_whole"] < result["raw_bytes_rounds"]
    checked = [what for what, *_ in result["checks"]]
    assert "verb / raw stored cycle, round 0 (median)" in checked
    assert checked[-1] == "stored bytes per fresh instance"
    table = bench.format_table([result])
    assert "verb after rounds / same verb at round 0" in table and (
        "PASS" in table or "FAIL" in table
    )


def test_bench_main_on_sqlite_only(capsys):
    assert bench.main(["--no-postgres", "--rounds", "1", "--samples", "2"]) == 0
    out = capsys.readouterr().out
    assert "sqlite" in out and "postgresql" not in out


def test_the_bench_times_the_real_verbs_and_their_audit(tmp_path):
    """Acknowledge and submit run through ``workflows.requirements``: each timed verb leaves
    its audit event, and the copies made for the rounds are requirements of their own."""
    from sqlalchemy import func, select

    from db.audit import verify_chain
    from db.engine import make_engine, make_session_factory
    from db.models import AuditEvent, ProcessInstance, Requirement

    url = f"sqlite:///{tmp_path / 'bench.db'}"
    bench.run_engine_bench([url], rounds=2, samples=3)
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as s:

            def count(action):
                return s.scalar(select(func.count()).where(AuditEvent.action == action))

            assert count("requirement.acknowledged") == 3 + 1  # fresh ones + the base
            assert count("requirement.submitted") == 3 + 2 + 3  # round 0, rounds, copies
            assert count("requirement.verified") == 2
            reqs = s.scalars(select(Requirement)).all()
            assert len(reqs) == 3 + 1 + 3
            for req in reqs:
                row = s.get(ProcessInstance, req.process_instance_id)
                assert row is not None and row.subject_id == str(req.id)
            assert verify_chain(s)[1] is None
    finally:
        engine.dispose()


def test_the_monitor_bench_fills_a_kept_database_once_and_times_it_again():
    """``--keep``: the first run generates the data, the second only times the passes, and
    the database outlives both (dropped here)."""
    import uuid

    from sqlalchemy import text

    from db.engine import make_engine
    from tests.conftest import PG_ADMIN_URL
    from workflows import bench_monitor

    name = f"remtrack_test_keep_{uuid.uuid4().hex[:8]}"
    try:
        first = bench_monitor.run(PG_ADMIN_URL, 1000, 150, keep=name, rounds=2)
        second = bench_monitor.run(PG_ADMIN_URL, 1000, 150, keep=name, rounds=2)
    finally:
        admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    steps = [[label for label, *_ in out["rows"]] for out in (first, second)]
    assert steps[0][0].startswith("generate data") and len(steps[0]) == 4 + 8
    # two full passes, an idle one, then two rounds of change and incremental pass
    assert steps[1] == steps[0][4:]
    assert [s for s in steps[1] if "pass" in s] == [
        "full pass 1",
        "full pass 2",
        "incremental pass, nothing changed",
        "incremental pass 1",
        "incremental pass 2",
    ]
    assert len(second["incremental_runs"]) == 2 and second["incremental"] > 0
    assert second["full"] == sum(second["full_runs"]) / 2
    report = bench_monitor.format_report(second)
    assert "incremental pass" in report and "median of 2" in report
