"""``make bench``: the engine budgets of DESIGN.md, measured against raw SpiffWorkflow.

For each database (a temporary SQLite file and a temporary PostgreSQL database, both
thrown away at the end) this deploys the shipped models, issues a conclusion through
``issue_conclusion`` and times the real domain verbs, each in its own committed transaction
(permission, load, step, save, inbox projection, row changes, audit): the officer
acknowledging a fresh requirement, and the completion report (``submit_for_verification``
with one evidence file) at round 0 and after ``rounds`` reject/resubmit rounds (copies of
one requirement that went through them, each with its own process instance).  Turn about
with each verb it times the raw SpiffWorkflow cycle on the same state (``BpmnWorkflowSerializer``
with ``SPIFF_CONFIG``, spec embedded, the same script engine, the JSON kept in a table of the
same database), so a slow moment of the machine weighs on both alike, and prints the ratios
against the budgets (the in-memory cycle is printed too, for scale).

    python -m workflows.bench [--rounds 20] [--samples 200] [--no-postgres]
"""

from __future__ import annotations

import argparse
import functools
import math
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from sqlalchemy import Engine, func, select, text
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from db.engine import make_engine, make_session_factory
from db.migrate import upgrade
from db.models import Body, ProcessInstance, Requirement, User, UserRole, UserTask
from workflows import definitions, instances
from workflows.conclusions import VIETNAM, ConclusionInput, RequirementInput, issue_conclusion
from workflows.engine import runner
from workflows.engine.parser import load_specs
from workflows.engine.script_engine import SandboxScriptEngine
from workflows.engine.serializer import dump_state, load_state
from workflows.inputs import EvidenceInput, ReportInput
from workflows.passwords import hash_password
from workflows.requirements import acknowledge_requirement, submit_for_verification, submit_plan
from workflows.verification import verify_requirement

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

    def stored_cycles(
        self, engine: Engine, state: str, task_name: str, samples: int
    ) -> list[Callable[[], float]]:
        """The same cycle the way a plain SpiffWorkflow application keeps it: the JSON in a
        text column, read, stepped, written back and committed — one transaction each.
        Returns one timed cycle per sample (each on its own row), to be run by the caller."""
        with engine.begin() as conn:
            ids = [conn.execute(_RAW_INSERT, {"state": state}).scalar_one() for _ in range(samples)]

        def cycle(ident: int) -> float:
            t0 = time.perf_counter()
            with engine.begin() as conn:
                loaded = conn.execute(_RAW_SELECT, {"id": ident}).scalar_one()
                stepped = self.step(loaded, task_name, {})
                conn.execute(_RAW_UPDATE, {"id": ident, "state": stepped})
            return time.perf_counter() - t0

        return [functools.partial(cycle, ident) for ident in ids]


def _raw_table(engine: Engine) -> None:
    key = "SERIAL PRIMARY KEY" if engine.dialect.name == "postgresql" else "INTEGER PRIMARY KEY"
    with engine.begin() as conn:
        conn.execute(text(_RAW_TABLE.format(key=key)))


_RAW_TABLE = "CREATE TABLE bench_raw_instance (id {key}, state TEXT NOT NULL)"
_RAW_INSERT = text("INSERT INTO bench_raw_instance (state) VALUES (:state) RETURNING id")
_RAW_SELECT = text("SELECT state FROM bench_raw_instance WHERE id = :id")
_RAW_UPDATE = text("UPDATE bench_raw_instance SET state = :state WHERE id = :id")


# ---------------------------------------------------------------- the database runtime


@dataclass(frozen=True)
class _People:
    """Who acts in the bench: the officer of the responsible unit and a supervisor of the
    commission above it (whoever submits a completion is never the one who verifies it)."""

    officer: User
    supervisor: User


def _people(factory: sessionmaker[Session]) -> _People:
    """Two bodies and their users (setup, not measured); nobody knows their passwords."""
    with factory() as session, session.begin():
        commission = Body(code="BENCH-UBKT", name="Commission", kind="inspection_commission")
        session.add(commission)
        session.flush()
        unit = Body(code="BENCH-UNIT", name="Unit", kind="agency", supervisor_id=commission.id)
        session.add(unit)
        session.flush()
        users = [
            User(
                username=f"bench-{role}",
                full_name=f"Bench {role}",
                body_id=body.id,
                password_hash=hash_password(uuid.uuid4().hex),
                role_rows=[UserRole(role=role)],
            )
            for role, body in (("officer", unit), ("supervisor", commission))
        ]
        session.add_all(users)
        session.flush()
        for user in users:  # loaded now, so each measured session can merge them for free
            _ = user.body, user.roles
        return _People(officer=users[0], supervisor=users[1])


def _issue(factory: sessionmaker[Session], people: _People, count: int) -> list[int]:
    """One conclusion with ``count`` requirements, issued through the verb; their ids."""
    deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(days=365)
    with factory() as session, session.begin():
        supervisor = session.merge(people.supervisor, load=False)
        unit_id = people.officer.body_id
        conclusion = issue_conclusion(
            session,
            supervisor,
            ConclusionInput(
                number=f"BENCH-{uuid.uuid4().hex[:8]}/KL",
                title="Bench conclusion",
                source="party_inspection",
                issue_date=datetime.now(VIETNAM).date() - timedelta(days=1),
                subject_body_id=unit_id,
                summary="Violations found in the management of public land.",
                requirements=tuple(
                    RequirementInput(
                        text=f"Remedy finding {i + 1}",
                        category="administrative",
                        responsible_body_id=unit_id,
                        deadline=deadline,
                    )
                    for i in range(count)
                ),
            ),
        )
        return [r.id for r in conclusion.requirements]


#: A completion report as an officer files it: text, figures and one evidence file.
REPORT = ReportInput(
    text="Remediation completed; the amended procedure is attached.",
    percent=100,
    amount_recovered=0,
    evidence=(
        EvidenceInput(
            sha256="ab" * 32,
            filename="decision-12-QD.pdf",
            content_type="application/pdf",
            size=48_213,
            doc_number="12/QD",
        ),
    ),
)

Verb = Callable[[Session, User, int], Any]


def _acknowledge(session: Session, actor: User, requirement_id: int) -> Any:
    return acknowledge_requirement(session, actor, requirement_id)


def _plan(session: Session, actor: User, requirement_id: int) -> Any:
    return submit_plan(session, actor, requirement_id, "Amend the procedure by the deadline.")


def _submit(session: Session, actor: User, requirement_id: int) -> Any:
    return submit_for_verification(session, actor, requirement_id, REPORT)


def _reject(session: Session, actor: User, requirement_id: int) -> Any:
    return verify_requirement(
        session, actor, requirement_id, "incomplete", reason="The evidence does not show it."
    )


def _act(factory: sessionmaker[Session], verb: Verb, actor: User, requirement_id: int) -> float:
    """One verb in one transaction, committed; its time from first statement to commit.

    The actor is merged without SQL, as a request's user is already loaded when its view
    calls the verb; everything the verb does, connection checkout and COMMIT are timed.
    """
    with factory() as session:
        user = session.merge(actor, load=False)
        t0 = time.perf_counter()
        verb(session, user, requirement_id)
        session.commit()
        return time.perf_counter() - t0


def _verbs(
    factory: sessionmaker[Session], verb: Verb, actor: User, ids: list[int]
) -> list[Callable[[], float]]:
    """One timed call of ``verb`` per requirement, to be run by the caller."""
    return [functools.partial(_act, factory, verb, actor, requirement_id) for requirement_id in ids]


def _paired(
    verbs: list[Callable[[], float]], raws: list[Callable[[], float]]
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Run a verb and a raw cycle turn about: whatever slows the machine for a while
    (another process, the disk, a garbage collection) slows both alike, so their ratio
    measures the code, not the moment. Median and p95 of each."""
    verb_times, raw_times = [], []
    for verb, raw in zip(verbs, raws, strict=True):
        verb_times.append(verb())
        raw_times.append(raw())
    return _ms(verb_times), _ms(raw_times)


def _copy(row: Any, **changes: Any) -> Any:
    """A new, unsaved row with the column values of ``row`` (but its id) and ``changes``."""
    keys = [a.key for a in sa_inspect(type(row)).column_attrs if a.key != "id"]
    return type(row)(**{k: getattr(row, k) for k in keys} | changes)


def _clone(factory: sessionmaker[Session], requirement_id: int, count: int) -> list[int]:
    """``count`` copies of a requirement with its process instance and inbox rows, each
    copy driving its own instance (setup, not measured); the copies' ids."""
    ids = []
    with factory() as session, session.begin():
        req = session.get(Requirement, requirement_id)
        assert req is not None and req.process_instance_id is not None
        src = session.get(ProcessInstance, req.process_instance_id)
        assert src is not None
        tasks = session.scalars(select(UserTask).where(UserTask.instance_id == src.id)).all()
        top = session.scalar(
            select(func.max(Requirement.seq)).where(Requirement.conclusion_id == req.conclusion_id)
        )
        for i in range(count):
            copy = _copy(req, seq=(top or 0) + i + 1, process_instance_id=None)
            session.add(copy)
            session.flush()
            instance = _copy(src, subject_id=str(copy.id), role_bodies=dict(src.role_bodies))
            session.add(instance)
            session.flush()
            copy.process_instance_id = instance.id
            session.add_all(_copy(t, instance_id=instance.id) for t in tasks)
            ids.append(copy.id)
    return ids


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
            definitions.deploy_shipped(session)
        result["deploy"] = _ms(deploys)

        creates = []
        for i in range(samples):
            with factory() as session:
                t0 = time.perf_counter()
                with session.begin():
                    instances.start(session, "requirement", ("bench", i + 1), {}, _data())
                creates.append(time.perf_counter() - t0)
        result["create"] = _ms(creates)

        people = _people(factory)
        officer, supervisor = people.officer, people.supervisor
        *fresh, base = _issue(factory, people, samples + 1)
        with factory() as session:
            req = session.get(Requirement, fresh[0])
            assert req is not None and req.process_instance_id is not None
            instance = session.get(ProcessInstance, req.process_instance_id)
            result["bytes_fresh"] = len(instance.state)  # type: ignore[union-attr]

        # Raw SpiffWorkflow, same model, same states, timed turn about with the verbs.
        fresh_json = raw.start()
        round0_json = raw.advance(fresh_json, 0)
        rounds_json = raw.advance(fresh_json, rounds)
        _raw_table(engine)
        stored = functools.partial(raw.stored_cycles, engine)

        # A user action on a fresh requirement: the unit acknowledges it.
        result["verb_fresh"], result["stored_fresh"] = _paired(
            _verbs(factory, _acknowledge, officer, fresh),
            stored(fresh_json, "acknowledge", samples),
        )
        # The completion report at round 0: the same requirements, once planned.
        for plan in _verbs(factory, _plan, officer, fresh):
            plan()
        result["verb_round0"], result["stored_round0"] = _paired(
            _verbs(factory, _submit, officer, fresh),
            stored(round0_json, "remediate", samples),
        )

        # The same report after `rounds` reject/resubmit rounds (copies of one requirement).
        for verb in (_acknowledge, _plan):
            _act(factory, verb, officer, base)
        for _ in range(rounds):
            _act(factory, _submit, officer, base)
            _act(factory, _reject, supervisor, base)
        with factory() as session:
            req = session.get(Requirement, base)
            assert req is not None and req.process_instance_id is not None
            row = session.get(ProcessInstance, req.process_instance_id)
            assert row is not None
            result["bytes_rounds"] = len(row.state)
            wf = load_state(row.state, row.definition.spec_json, SandboxScriptEngine())
        after = _clone(factory, base, samples)
        result["verb_rounds"], result["stored_rounds"] = _paired(
            _verbs(factory, _submit, officer, after),
            stored(rounds_json, "remediate", samples),
        )
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE bench_raw_instance"))

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
            "verb / raw stored cycle, fresh (median)",
            result["verb_fresh"][0] / result["stored_fresh"][0],
            VERB_VS_RAW,
        ),
        (
            "verb / raw stored cycle, round 0 (median)",
            result["verb_round0"][0] / result["stored_round0"][0],
            VERB_VS_RAW,
        ),
        (
            "verb / raw stored cycle, after rounds (median)",
            result["verb_rounds"][0] / result["stored_rounds"][0],
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
        "times in ms as median / p95; a verb = permission, load, step, save, inbox, rows, audit,"
        " commit",
        "",
        f"{'':{width}}" + "".join(f"{n:>22}" for n in names),
    ]

    def row(label: str, cells: Sequence[str]) -> None:
        lines.append(f"{label:{width}}" + "".join(f"{c:>22}" for c in cells))

    def times(key: str) -> list[str]:
        return [f"{r[key][0]:.2f} / {r[key][1]:.2f}" for r in results]

    row("deploy requirement.bpmn", times("deploy"))
    row("create instance (instances.start)", times("create"))
    row("verb acknowledge_requirement, fresh", times("verb_fresh"))
    row("verb submit_for_verification, round 0", times("verb_round0"))
    row(f"verb submit_for_verification, after {rounds} rounds", times("verb_rounds"))
    row("raw Spiff load-step-save in a table, fresh (acknowledge)", times("stored_fresh"))
    row("raw Spiff load-step-save in a table, round 0", times("stored_round0"))
    row(f"raw Spiff load-step-save in a table, after {rounds} rounds", times("stored_rounds"))
    row("raw Spiff load-step-save in memory, fresh", times("raw_fresh"))
    row("raw Spiff load-step-save in memory, round 0", times("raw_round0"))
    row(f"raw Spiff load-step-save in memory, after {rounds} rounds", times("raw_rounds"))
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
    lines += [
        "",
        "Budgets (DESIGN.md; the raw cycle keeps its JSON in a table of the same database)",
    ]
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
