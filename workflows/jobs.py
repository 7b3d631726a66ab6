"""Every scheduled job, in one place: what runs, when, and what happens when it is late.

Each job takes ``(session_factory, now)`` and claims its work row by row, so it may run in
any scheduler process; the leader election in ``workflows.scheduler`` only keeps the
others from doing the same queries for nothing. A job's module is imported when it runs, so
a missing one fails loudly then (and in the log), not when the scheduler starts.

``misfire_grace_time``: how late (seconds) a run may still start after the scheduler was
busy or paused; ``coalesce``: runs missed meanwhile collapse into one; one instance of a
job at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import import_module
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session, sessionmaker

from workflows.deadlines import VIETNAM  # the daily jobs run on Vietnamese time

Factory = sessionmaker[Session]


def _call(module: str, function: str, factory: Factory, now: datetime) -> Any:
    return getattr(import_module(module), function)(factory, now)


def fire_due_timers(factory: Factory, now: datetime) -> Any:
    return _call("workflows.timers", "fire_due_timers", factory, now)


def run_monitor(factory: Factory, now: datetime) -> Any:
    return _call("workflows.monitor", "run_pass", factory, now)


def run_ladder(factory: Factory, now: datetime) -> Any:
    return _call("workflows.escalation", "run_ladder", factory, now)


def flush_outbox(factory: Factory, now: datetime) -> Any:
    return _call("notifier.jobs", "flush_outbox", factory, now)


def send_digests(factory: Factory, now: datetime) -> Any:
    return _call("notifier.jobs", "send_digests", factory, now)


@dataclass(frozen=True)
class Job:
    id: str
    name: str
    func: Callable[[Factory, datetime], Any]
    trigger: BaseTrigger
    misfire_grace_time: int
    coalesce: bool = True
    max_instances: int = 1
    #: Run as soon as a scheduler takes the lead (catch up after a takeover or a restart).
    run_at_start: bool = True


def _every(**interval: int) -> IntervalTrigger:
    return IntervalTrigger(**interval)


JOBS: tuple[Job, ...] = (
    Job("fire_due_timers", "Fire due process timers", fire_due_timers, _every(seconds=30), 60),
    # The monitor opens flags; the ladder, a little later, reads them.
    Job("monitor", "Run the monitor's rules", run_monitor, _every(minutes=5), 300),
    Job("escalation_ladder", "Climb the escalation ladder", run_ladder, _every(minutes=5), 300),
    Job("flush_outbox", "Send queued notifications", flush_outbox, _every(seconds=15), 60),
    Job(
        "send_digests",
        "Send the daily digests",
        send_digests,
        CronTrigger(hour=7, minute=0, timezone=VIETNAM),
        6 * 3600,
        run_at_start=False,
    ),
)


def job(job_id: str) -> Job:
    """The job named ``job_id``; KeyError names the known ones."""
    for found in JOBS:
        if found.id == job_id:
            return found
    raise KeyError(f"no job {job_id!r}; known: {', '.join(j.id for j in JOBS)}")
