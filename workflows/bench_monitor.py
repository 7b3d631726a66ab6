"""``remtrack bench monitor``: the monitor's budgets of DESIGN.md on PostgreSQL.

On a throwaway database (created and dropped here) it generates 1,000,000 requirements in
100,000 conclusions, 150,000 of them open, with progress reports, evidence, extensions and
verifications (``INSERT … SELECT generate_series``, no Python loop), computes the reports'
signatures, then times: a first (silent) pass that opens every flag, full passes, an idle
incremental pass, and incremental passes each after 1 % of the requirements changed
(``--rounds`` of each, judged by the median: a shared machine's speed drifts from one
minute to the next). It prints the table, the peak memory of this process, and EXPLAIN
ANALYZE of the two slowest rules of the full pass.

    python -m workflows.bench_monitor [--requirements 1000000] [--open 150000] [--rounds 3]
                                      [--keep NAME]

``--keep NAME`` fills the database NAME on its first run and keeps it, so that later runs time
the passes at once: for trying ideas on the passes (see ``--help`` for why not for figures).
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from statistics import median
from typing import Any

from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from db.engine import make_engine, make_session_factory
from db.migrate import upgrade
from db.models.monitor import MonitorRule
from workflows.bench import PG_ADMIN_URL, temporary_postgres
from workflows.bench_monitor_data import CHANGE_SQL, generate
from workflows.monitor import PassResult, evidence_facts, run_pass
from workflows.monitor.passes import rule_statement
from workflows.monitor.scope import MARGIN
from workflows.monitor.signatures import sign_missing

FULL_BUDGET_S = 10.0
INCREMENTAL_BUDGET_S = 1.0
#: Each pass is timed this many times and judged by its median: the speed of a shared
#: machine drifts from one minute to the next.
ROUNDS = 3


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def backfill(factory: sessionmaker[Session]) -> str:
    """Signatures and evidence summaries of the existing rows, in committed chunks: the
    one-time work when the monitor arrives on a database that already has history."""
    signed = 0
    while True:
        with factory.begin() as session:
            done, _ = sign_missing(session, limit=50_000)
            # Fresh rows: give the planner statistics, as autovacuum would in a day.
            session.execute(text("ANALYZE report_anchor, report_signature"))
        signed += done
        if done == 0:
            break
    with factory.begin() as session:
        summed = len(evidence_facts.refresh(session)[0])
        session.execute(text("ANALYZE evidence_summary"))
    return f"{signed:,} report signatures, {summed:,} evidence summaries"


def _analyze(engine: Engine) -> str:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return "statistics for the planner after a million writes"


def _change_one_percent(engine: Engine, count: int) -> str:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for statement in CHANGE_SQL:
            conn.execute(text(statement), {"n": count, "now": now})
    return "new reports, acknowledgements, submissions, closures"


def _explain(factory: sessionmaker[Session], rule_id: str) -> str:
    with factory() as session:
        stmt = rule_statement(session, rule_id, datetime.now(UTC))
        conn = session.connection()
        compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
        rows = conn.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + str(compiled), compiled.params
        )
        plan = "\n".join(f"    {row[0]}" for row in rows)
        session.rollback()
    return plan


def _slowest(result: PassResult, count: int) -> list[str]:
    timed = [(s, r) for r, s in result.seconds.items() if not r.startswith("(")]
    return [rule for _, rule in sorted(timed, reverse=True)[:count]]


def _say(message: str) -> None:
    print(f"  … {message}", file=sys.stderr, flush=True)


@contextmanager
def _database(admin_url: str, keep: str | None) -> Iterator[tuple[str, bool]]:
    """(url, whether it is new): a throwaway database, or the one named ``keep``, made
    once and kept for the next run."""
    if keep is None:
        with temporary_postgres(admin_url) as url:
            yield url, True
        return
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": keep})
            new = found.first() is None
            if new:
                conn.execute(text(f'CREATE DATABASE "{keep}"'))
    finally:
        admin.dispose()
    yield make_url(admin_url).set(database=keep).render_as_string(hide_password=False), new


def _as_if_a_pass_interval_passed(factory: sessionmaker[Session]) -> str:
    """Move the rules' watermark on by the pass's margin, as if the next pass had come a
    pass interval later and found nothing new: each round's pass then looks at its own
    1 % change, not at the last round's too (which the margin would keep in scope)."""
    with factory.begin() as session:
        for row in session.scalars(select(MonitorRule)):
            if row.changes_seen_until is not None:
                row.changes_seen_until += MARGIN
    return f"watermark moved on {MARGIN}"


def run(
    admin_url: str,
    requirements: int,
    open_count: int,
    keep: str | None = None,
    rounds: int = ROUNDS,
) -> dict[str, Any]:
    rows: list[tuple[str, float, str]] = []
    out: dict[str, Any] = {"rows": rows, "rounds": rounds}

    def step(label: str, work: Any) -> Any:
        _say(label)
        started = time.perf_counter()
        value = work()
        seconds = time.perf_counter() - started
        rows.append((label, seconds, _what(value)))
        return seconds, value

    with _database(admin_url, keep) as (url, new):
        engine = make_engine(url)
        factory = make_session_factory(engine)
        if new:
            upgrade(engine)
            step(
                "generate data (INSERT … SELECT generate_series)",
                lambda: generate(engine, requirements, open_count),
            )
            step("signatures, evidence summaries (one-time)", lambda: backfill(factory))
            step(
                "first pass, silent (opens every flag)",
                lambda: run_pass(factory, datetime.now(UTC), notify=False),
            )
            step("VACUUM ANALYZE (as autovacuum would)", lambda: _analyze(engine))
        fulls, incrementals = [], []
        for n in range(1, rounds + 1):
            fulls.append(
                step(f"full pass {n}", lambda: run_pass(factory, datetime.now(UTC), full=True))
            )
        # Not judged: an idle pass, which also compiles the incremental statements once,
        # as a scheduler that has been running has them.
        step("incremental pass, nothing changed", lambda: run_pass(factory, datetime.now(UTC)))
        changed = requirements // 100
        for n in range(1, rounds + 1):
            if n > 1:
                step("  (next round)", lambda: _as_if_a_pass_interval_passed(factory))
            step(
                f"change 1 % ({changed:,} requirements)",
                lambda: _change_one_percent(engine, changed),
            )
            incrementals.append(
                step(f"incremental pass {n}", lambda: run_pass(factory, datetime.now(UTC)))
            )
        out["full_runs"] = [seconds for seconds, _ in fulls]
        out["incremental_runs"] = [seconds for seconds, _ in incrementals]
        out["full"] = median(out["full_runs"])
        out["incremental"] = median(out["incremental_runs"])
        out["peak_mb"] = _peak_mb()
        full = _median_run(fulls)
        out["rules"] = sorted(full.seconds.items(), key=lambda kv: -kv[1])
        out["incremental_rules"] = dict(_median_run(incrementals).seconds)
        _say("EXPLAIN ANALYZE of the two slowest rules")
        out["plans"] = [(rule, _explain(factory, rule)) for rule in _slowest(full, 2)]
        engine.dispose()
    return out


def _median_run(runs: list[tuple[float, PassResult]]) -> PassResult:
    """The pass of the median time (the per-rule figures shown are that pass's)."""
    ordered = sorted(runs, key=lambda run: run[0])
    return ordered[(len(ordered) - 1) // 2][1]


def _what(value: Any) -> str:
    if isinstance(value, PassResult):
        return (
            f"{value.total_opened:,} opened, {value.total_resolved:,} resolved, "
            f"{len(value.full)} rules whole, {value.signed:,} signed"
        )
    if isinstance(value, int):
        return f"{value:,} reports"
    return str(value) if isinstance(value, str) else ""


def format_report(out: dict[str, Any]) -> str:
    lines = [
        "",
        "Monitor on PostgreSQL",
        "",
        f"| {'step':<44} | {'seconds':>8} | what |",
        f"|{'-' * 46}|{'-' * 10}|------|",
    ]
    for label, seconds, what in out["rows"]:
        lines.append(f"| {label:<44} | {seconds:>8.2f} | {what} |")
    lines.append("")
    for label, key, budget in (
        ("full pass", "full", FULL_BUDGET_S),
        ("incremental pass", "incremental", INCREMENTAL_BUDGET_S),
    ):
        verdict = "OK" if out[key] <= budget else "OVER BUDGET"
        runs = ", ".join(f"{seconds:.2f}" for seconds in out[f"{key}_runs"])
        lines.append(
            f"{label} {out[key]:.2f} s, median of {len(out[f'{key}_runs'])} ({runs})"
            f" (budget {budget:.0f} s): {verdict}"
        )
    lines.append(f"peak memory of this process: {out['peak_mb']:.0f} MB (resident)")
    lines.append("")
    notify = out["incremental_rules"].get("(notify)", 0.0)
    lines.append(
        f"  of the incremental pass, {notify:.2f} s were spent queueing notifications "
        "(notify_each: one batch per rule)"
    )
    lines.append("")
    lines.append(
        "seconds per rule, median full pass | median incremental pass ((…): parts of the pass):"
    )
    incremental = out["incremental_rules"]
    names = [rule for rule, _ in out["rules"]]
    names += [name for name in incremental if name not in names]
    full_seconds = dict(out["rules"])
    for rule in names:
        lines.append(
            f"  {rule:<24} {full_seconds.get(rule, 0):>7.3f} | {incremental.get(rule, 0):>7.3f}"
        )
    for rule, plan in out["plans"]:
        lines.append("")
        lines.append(f"EXPLAIN ANALYZE, rule {rule} (full pass):")
        lines.append(plan)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workflows.bench_monitor", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--requirements", type=int, default=1_000_000)
    parser.add_argument("--open", type=int, default=150_000)
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="timed passes of each kind")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget fails")
    parser.add_argument(
        "--keep",
        metavar="NAME",
        help="use the database NAME, filled on the first run and kept: later runs time the "
        "passes in seconds instead of minutes (a run's 1 %% change is still in scope if the "
        "next comes within five minutes, and the data drifts run by run: for trying ideas, "
        "not for the figures of a note)",
    )
    args = parser.parse_args(argv)
    if args.requirements % 10 or not 0 < args.open < args.requirements:
        parser.error("--requirements must be a multiple of 10 and larger than --open")
    if not 1 <= args.rounds <= 20:
        parser.error("--rounds must be from 1 to 20")
    started = time.perf_counter()
    out = run(args.pg_admin_url, args.requirements, args.open, args.keep, args.rounds)
    print(format_report(out))
    print(f"\n(bench took {time.perf_counter() - started:.0f} s)")
    failed = out["full"] > FULL_BUDGET_S or out["incremental"] > INCREMENTAL_BUDGET_S
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
