"""``make bench``: the engine budgets of DESIGN.md, measured against raw SpiffWorkflow.

For each database (a temporary SQLite file and a temporary PostgreSQL database, both
thrown away at the end) this deploys ``bpmn/requirement.bpmn``, creates instances, and
times one user action through the database runtime — load, step, save, inbox projection,
audit record and commit in one transaction — on a fresh instance and on one that went
through ``rounds`` reject/resubmit rounds.  In the same run it times the raw SpiffWorkflow
cycle (``BpmnWorkflowSerializer`` with ``SPIFF_CONFIG``, spec embedded, in memory, the same
script engine) on the same states, and prints the ratios against the budgets.

    python -m workflows.bench [--rounds 20] [--samples 200] [--no-postgres]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from db.audit import record
from db.engine import make_engine, make_session_factory
from db.migrate import upgrade
from db.models import ProcessInstance, UserTask
from workflows import definitions, instances
from workflows.engine import runner
from workflows.engine.parser import load_specs
from workflows.engine.script_engine import SandboxScriptEngine
from workflows.engine.serializer import dump_state, load_state

MODEL = definitions.SHIPPED / "requirement.bpmn"
PG_ADMIN_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"

#: DESIGN.md "Budgets".
VERB_VS_RAW = 2.0
ROUNDS_VS_FRESH = 3.0
FRESH_STATE_BYTES = 4 * 1024


def _ms(seconds: list[float]) -> tuple[float, float]:
    """Median and 95th percentile, in milliseconds."""
    ordered = sorted(seconds)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    return statistics.median(ordered) * 1000, p95 * 1000


def _timed(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _data() -> dict[str, Any]:
    deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(days=365)
    return {"requirement_id": 1, "deadline": deadline.isoformat()}


# ---------------------------------------------------------------- raw SpiffWorkflow


class _Raw:
    """The plain library cycle: JSON with the spec embedded, in memory."""

    def __init__(self) -> None:
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        self.engine = SandboxScriptEngine()
        loaded = load_specs(MODEL.read_bytes())
        self.spec, self.subprocess_specs = loaded.spec, loaded.subprocess_specs

    def start(self) -> str:
        wf = runner.start(self.spec, self.subprocess_specs, _data(), self.engine)
        self.engine.drain_effects()
        return str(self.serializer.serialize_json(wf))

    def step(self, state: str, task_name: str, data: dict[str, Any]) -> str:
        wf = self.serializer.deserialize_json(state)
        wf.script_engine = self.engine
        [task] = [t for t in runner.ready_user_tasks(wf) if t.spec_name == task_name]
        runner.complete(wf, task.task_id, data)
        self.engine.drain_effects()
        return str(self.serializer.serialize_json(wf))

    def advance(self, state: str, rounds: int) -> str:
        for name in ("acknowledge", "submit_plan"):
            state = self.step(state, name, {})
        for _ in range(rounds):
            state = self.step(state, "remediate", {})
            state = self.step(state, "verify", {"decision": "formal_only"})
        return state

    def time_step(self, state: str, task_name: str, samples: int) -> list[float]:
        return [_timed(lambda: self.step(state, task_name, {})) for _ in range(samples)]


# ---------------------------------------------------------------- the database runtime


def _verb(session: Session, instance_id: int, task_id: str, data: dict[str, Any]) -> None:
    """One user action as a domain verb does it: step the instance and audit it.

    ``workflows.requirements`` (the domain verbs) did not exist when this was written; this
    is what such a verb does, in the caller's transaction.
    """
    running = instances.complete_task(session, instance_id, task_id, data)
    record(
        session,
        "requirement.task_completed",
        ("process_instance", instance_id),
        payload={
            "task": task_id,
            "ready": [t.spec_name for t in runner.ready_user_tasks(running.workflow)],
        },
    )


def _ready_task(session: Session, instance_id: int, name: str) -> str:
    task_id = session.scalar(
        select(UserTask.task_id).where(UserTask.instance_id == instance_id, UserTask.name == name)
    )
    if task_id is None:
        raise RuntimeError(f"{name} is not ready in process instance {instance_id}")
    return task_id


def _act(factory: sessionmaker[Session], instance_id: int, name: str, **data: Any) -> None:
    with factory() as session, session.begin():
        _verb(session, instance_id, _ready_task(session, instance_id, name), data)


def _clone(factory: sessionmaker[Session], instance_id: int, count: int) -> list[int]:
    """``count`` copies of an instance and its inbox rows (setup, not measured)."""
    ids = []
    with factory() as session, session.begin():
        src = session.get(ProcessInstance, instance_id)
        assert src is not None
        tasks = session.scalars(select(UserTask).where(UserTask.instance_id == instance_id)).all()
        for i in range(count):
            row = ProcessInstance(
                definition_id=src.definition_id,
                subject_type=src.subject_type,
                subject_id=f"{src.subject_id}-copy-{i}",
                role_bodies=dict(src.role_bodies),
                state=src.state,
                serializer_version=src.serializer_version,
                status=src.status,
                next_timer_at=src.next_timer_at,
            )
            session.add(row)
            session.flush()
            ids.append(row.id)
            for t in tasks:
                session.add(
                    UserTask(
                        instance_id=row.id,
                        task_id=t.task_id,
                        name=t.name,
                        title=t.title,
                        lane=t.lane,
                        role=t.role,
                        body_id=t.body_id,
                        due_at=t.due_at,
                    )
                )
    return ids


def _time_verbs(factory: sessionmaker[Session], ids: list[int], name: str) -> list[float]:
    times = []
    for instance_id in ids:
        with factory() as session:
            task_id = _ready_task(session, instance_id, name)
            session.rollback()
            t0 = time.perf_counter()
            with session.begin():
                _verb(session, instance_id, task_id, {})
            times.append(time.perf_counter() - t0)
    return times


def _bench_database(url: str, rounds: int, samples: int, raw: _Raw) -> dict[str, Any]:
    engine = make_engine(url)
    try:
        upgrade(engine)
        factory = make_session_factory(engine)
        xml = MODEL.read_bytes()
        result: dict[str, Any] = {"database": make_url(url).get_backend_name()}

        deploys = []
        for _ in range(max(3, min(samples, 10))):
            with factory() as session:
                session.begin()
                t0 = time.perf_counter()
                definitions.deploy(session, xml, expected_key="requirement")
                deploys.append(time.perf_counter() - t0)
                session.rollback()  # measured again next time, stored once below
        with factory() as session, session.begin():
            definitions.deploy(session, xml, expected_key="requirement")
        result["deploy"] = _ms(deploys)

        created, creates = [], []
        for i in range(samples):
            with factory() as session:
                t0 = time.perf_counter()
                with session.begin():
                    running = instances.start(
                        session, "requirement", ("requirement", i + 1), {}, _data()
                    )
                creates.append(time.perf_counter() - t0)
                created.append(running.row.id)
        result["create"] = _ms(creates)
        with factory() as session:
            result["bytes_fresh"] = len(session.get(ProcessInstance, created[0]).state)  # type: ignore[union-attr]

        # One user action on a fresh instance: acknowledge the requirement.
        result["verb_fresh"] = _ms(_time_verbs(factory, created, "acknowledge"))

        # The same verb (submit the completion report) at round 0 and after `rounds` rounds.
        base = created[0]
        _act(factory, base, "submit_plan")
        round0 = _clone(factory, base, samples)
        for _ in range(rounds):
            _act(factory, base, "remediate")
            _act(factory, base, "verify", decision="formal_only")
        with factory() as session:
            row = session.get(ProcessInstance, base)
            assert row is not None
            result["bytes_rounds"] = len(row.state)
            wf = load_state(row.state, row.definition.spec_json, SandboxScriptEngine())
        after = _clone(factory, base, samples)
        result["verb_round0"] = _ms(_time_verbs(factory, round0, "remediate"))
        result["verb_rounds"] = _ms(_time_verbs(factory, after, "remediate"))

        # Raw SpiffWorkflow, same model, same states, same run.
        fresh_json = raw.start()
        round0_json = raw.advance(fresh_json, 0)
        rounds_json = raw.advance(fresh_json, rounds)
        result["raw_fresh"] = _ms(raw.time_step(fresh_json, "acknowledge", samples))
        result["raw_round0"] = _ms(raw.time_step(round0_json, "remediate", samples))
        result["raw_rounds"] = _ms(raw.time_step(rounds_json, "remediate", samples))
        result["raw_bytes_rounds"] = len(rounds_json.encode())
        # For comparison: this state without compaction (compressed, spec not embedded).
        result["bytes_rounds_whole"] = len(_whole_state(raw, rounds_json))
        result["bytes_rounds_kept"] = len(dump_state(wf))
        return result
    finally:
        engine.dispose()


def _whole_state(raw: _Raw, state_json: str) -> bytes:
    wf = raw.serializer.deserialize_json(state_json)
    return dump_state(wf, compact=False)


def checks(result: dict[str, Any]) -> list[tuple[str, float, float, bool]]:
    """(what, measured ratio or size, limit, passed) for one database's results."""
    rows = [
        (
            "verb / raw cycle, fresh (median)",
            result["verb_fresh"][0] / result["raw_fresh"][0],
            VERB_VS_RAW,
        ),
        (
            "verb / raw cycle, after rounds (median)",
            result["verb_rounds"][0] / result["raw_rounds"][0],
            VERB_VS_RAW,
        ),
        (
            "verb after rounds / same verb at round 0 (median)",
            result["verb_rounds"][0] / result["verb_round0"][0],
            ROUNDS_VS_FRESH,
        ),
        (
            "verb after rounds / verb on a fresh instance (median)",
            result["verb_rounds"][0] / result["verb_fresh"][0],
            ROUNDS_VS_FRESH,
        ),
        ("stored bytes per fresh instance", float(result["bytes_fresh"]), float(FRESH_STATE_BYTES)),
    ]
    return [(what, value, limit, value <= limit) for what, value, limit in rows]


def run_engine_bench(
    database_urls: list[str], rounds: int = 20, samples: int = 200
) -> list[dict[str, Any]]:
    """Measure every database in ``database_urls`` (empty databases; the schema is built).

    Each result holds ``(median_ms, p95_ms)`` pairs for ``deploy``, ``create``,
    ``verb_fresh``, ``verb_round0``, ``verb_rounds``, ``raw_fresh``, ``raw_round0`` and
    ``raw_rounds``; byte counts ``bytes_fresh``, ``bytes_rounds``, ``bytes_rounds_whole``
    (the same state without compaction) and ``raw_bytes_rounds``; and ``checks``.
    """
    raw = _Raw()
    results = []
    for url in database_urls:
        result = _bench_database(url, rounds, samples, raw)
        result.update(rounds=rounds, samples=samples, checks=checks(result))
        results.append(result)
    return results


# ---------------------------------------------------------------- temporary databases


@contextmanager
def temporary_sqlite() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="remtrack_bench_") as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"


@contextmanager
def temporary_postgres(admin_url: str = PG_ADMIN_URL) -> Iterator[str]:
    name = f"remtrack_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


# ---------------------------------------------------------------- the table


def format_table(results: list[dict[str, Any]]) -> str:
    if not results:
        return "(no databases measured)"
    rounds, samples = results[0]["rounds"], results[0]["samples"]
    names = [r["database"] for r in results]
    width = 62
    lines = [
        f"Engine bench: bpmn/requirement.bpmn, {samples} samples, {rounds} reject/resubmit rounds",
        "times in ms as median / p95; a verb = load, step, save, inbox, audit, commit",
        "",
        f"{'':{width}}" + "".join(f"{n:>22}" for n in names),
    ]

    def row(label: str, cells: Sequence[str]) -> None:
        lines.append(f"{label:{width}}" + "".join(f"{c:>22}" for c in cells))

    def times(key: str) -> list[str]:
        return [f"{r[key][0]:.2f} / {r[key][1]:.2f}" for r in results]

    row("deploy requirement.bpmn", times("deploy"))
    row("create instance (instances.start)", times("create"))
    row("verb on a fresh instance (acknowledge)", times("verb_fresh"))
    row("verb 'submit report', round 0", times("verb_round0"))
    row(f"verb 'submit report', after {rounds} rounds", times("verb_rounds"))
    row("raw Spiff load-step-save, fresh (acknowledge)", times("raw_fresh"))
    row("raw Spiff load-step-save, round 0", times("raw_round0"))
    row(f"raw Spiff load-step-save, after {rounds} rounds", times("raw_rounds"))
    row("stored bytes, fresh instance", [str(r["bytes_fresh"]) for r in results])
    row(
        f"stored bytes, after {rounds} rounds (compacted)",
        [str(r["bytes_rounds"]) for r in results],
    )
    row(
        "  same state without compaction",
        [str(r["bytes_rounds_whole"]) for r in results],
    )
    row(f"  raw Spiff JSON after {rounds} rounds", [str(r["raw_bytes_rounds"]) for r in results])
    lines += ["", "Budgets (DESIGN.md)"]
    for i, (what, _, limit, _) in enumerate(results[0]["checks"]):
        cells = []
        for r in results:
            _, value, _, passed = r["checks"][i]
            shown = f"{value:.0f} B" if "bytes" in what else f"{value:.2f}x"
            cells.append(f"{shown} {'PASS' if passed else 'FAIL'}")
        bound = f"<= {limit:.0f} B" if "bytes" in what else f"<= {limit:.0f}x"
        row(f"{what} {bound}", cells)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workflows.bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--no-postgres", action="store_true", help="measure SQLite only")
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a budget fails")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    with temporary_sqlite() as sqlite_url:
        urls = [sqlite_url]
        if args.no_postgres:
            results = run_engine_bench(urls, args.rounds, args.samples)
        else:
            with temporary_postgres(args.pg_admin_url) as pg_url:
                results = run_engine_bench([*urls, pg_url], args.rounds, args.samples)
    print(format_table(results))
    print(f"\n(bench took {time.perf_counter() - started:.0f} s)")
    failed = any(not passed for r in results for *_, passed in r["checks"])
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
