"""The scheduler process: one leader triggers the jobs of ``workflows.jobs``.

Any number of scheduler processes may run against one PostgreSQL database. The leader holds
a session-level advisory lock on a connection of its own; the others try again every
``retry_seconds``. A leader that dies loses its connection, PostgreSQL releases the lock, and
a follower takes over at its next try. On SQLite (one machine) an exclusive lock on a file
beside the database plays the same part, so the in-process scheduler of ``remtrack serve``
and a separate ``remtrack scheduler`` never both lead.

Leadership only saves work: every job claims its rows one by one, so a job running twice by
accident (a leader that lost its connection but not its thread) still does nothing twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from db.base import utcnow
from workflows.jobs import JOBS, Job

log = logging.getLogger(__name__)
#: The advisory lock id the leader holds ("REMTSCHD").
LEADER_LOCK_KEY = 0x5245_4D54_5343_4844
DEFAULT_RETRY_SECONDS = 10.0
Clock = Callable[[], datetime]
Listener = Callable[[str, dict[str, Any]], None]


class Leadership(Protocol):
    def try_acquire(self) -> bool: ...
    def still_held(self) -> bool: ...
    def release(self) -> None: ...


class AdvisoryLock:
    """``pg_try_advisory_lock`` on a dedicated connection: held exactly while it lives."""

    def __init__(self, engine: Engine, key: int = LEADER_LOCK_KEY) -> None:
        self.engine, self.key = engine, key
        self._conn: Connection | None = None

    def try_acquire(self) -> bool:
        try:
            if self._conn is None:
                self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            got = self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.key})
            return bool(got.scalar())
        except DBAPIError:
            log.warning("scheduler: database unreachable while asking for the lead", exc_info=True)
            self._drop()
            return False

    def still_held(self) -> bool:
        if self._conn is None:
            return False
        try:
            held = self._conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND pid = pg_backend_pid() AND ((classid::bigint << 32) | objid::bigint) = :k"
                ),
                {"k": self.key},
            )
            return bool(held.scalar())
        except DBAPIError:
            log.warning("scheduler: lost the connection that holds the lead", exc_info=True)
            self._drop()
            return False

    def release(self) -> None:
        if self._conn is None:
            return
        with contextlib.suppress(DBAPIError):  # else the connection is gone, and the lock
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.key})
        self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(DBAPIError):
                conn.invalidate()  # never hand a connection holding the lock back to the pool
                conn.close()


class FileLock:
    """An exclusive ``flock`` on a file: the operating system drops it when the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[bytes] | None = None

    def try_acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = self.path.open("ab")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            return False
        self._fh = fh
        return True

    def still_held(self) -> bool:
        return self._fh is not None

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None


def leadership_for(engine: Engine) -> Leadership:
    """The advisory lock on PostgreSQL; a lock file beside the database on SQLite."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine)
    database = engine.url.database or ""
    if database in ("", ":memory:"):
        return FileLock(Path.cwd() / "instance" / "scheduler.lock")
    return FileLock(Path(database).resolve().with_name(Path(database).name + ".scheduler.lock"))


class Scheduler:
    """Wait for the lead, trigger the jobs while leading, stand down when the lead is lost."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        leadership: Leadership,
        jobs: Sequence[Job] = JOBS,
        *,
        clock: Clock = utcnow,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        listener: Listener | None = None,
    ) -> None:
        self.factory, self.leadership, self.jobs = factory, leadership, tuple(jobs)
        self.clock, self.retry_seconds = clock, retry_seconds
        self.listener = listener or (lambda _event, _details: None)

    def run(self, stop: threading.Event) -> None:
        """Block until ``stop`` is set: follow, lead when possible, follow again if the
        lead is lost."""
        announced = False
        while not stop.is_set():
            if self.leadership.try_acquire():
                self._lead(stop)
                announced = False
                continue
            if not announced:
                log.info("scheduler: another process leads; trying every %ss", self.retry_seconds)
                self.listener("standby", {})
                announced = True
            stop.wait(self.retry_seconds)

    def _lead(self, stop: threading.Event) -> None:
        log.info("scheduler: leading; %d jobs", len(self.jobs))
        self.listener("leader", {})
        scheduler = BackgroundScheduler(timezone=UTC)
        for job in self.jobs:
            scheduler.add_job(
                self._run_job,
                job.trigger,
                args=(job,),
                id=job.id,
                name=job.name,
                misfire_grace_time=job.misfire_grace_time,
                coalesce=job.coalesce,
                max_instances=job.max_instances,
                **({"next_run_time": datetime.now(UTC)} if job.run_at_start else {}),
            )
        scheduler.start()
        try:
            while not stop.wait(self.retry_seconds):
                if not self.leadership.still_held():
                    log.warning("scheduler: the lead was lost; standing down")
                    self.listener("lost", {})
                    break
        finally:
            scheduler.shutdown(wait=True)
            self.leadership.release()

    def _run_job(self, job: Job) -> None:
        started = time.monotonic()
        now = self.clock()
        try:
            result = job.func(self.factory, now)
        except Exception:
            log.exception("scheduler: job %s failed", job.id)
            self.listener("failed", {"job": job.id, "now": now})
            return
        elapsed = time.monotonic() - started
        log.info("scheduler: job %s done in %.2fs: %s", job.id, elapsed, summary(result))
        self.listener("done", {"job": job.id, "now": now, "result": result})


def summary(result: Any) -> str:
    """A job's result in counts: lists by their length, dicts of counts by their sum."""
    fields = getattr(result, "__dict__", None)
    if not isinstance(fields, dict):
        return repr(result)
    return ", ".join(f"{name}={_count(value)}" for name, value in fields.items())


def _count(value: Any) -> Any:
    if isinstance(value, dict):
        numbers = list(value.values())
        if all(isinstance(n, int) and not isinstance(n, bool) for n in numbers):
            return sum(numbers)
        return len(value)
    if isinstance(value, list | set | tuple):
        return len(value)
    return value
