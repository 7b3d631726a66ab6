"""``remtrack scheduler`` and the scheduler ``remtrack serve`` runs in-process on SQLite."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

import click

from db.engine import make_engine, make_session_factory
from db.settings import ConfigError, Settings, load_settings
from workflows.jobs import JOBS
from workflows.scheduler import DEFAULT_RETRY_SECONDS, Scheduler, leadership_for

log = logging.getLogger(__name__)


def build_scheduler(settings: Settings, retry_seconds: float = DEFAULT_RETRY_SECONDS) -> Scheduler:
    engine = make_engine(settings.database_url)
    return Scheduler(
        make_session_factory(engine), leadership_for(engine), JOBS, retry_seconds=retry_seconds
    )


@click.command("scheduler")
@click.option(
    "--retry-seconds",
    default=DEFAULT_RETRY_SECONDS,
    show_default=True,
    type=click.FloatRange(0.1, 60),
    help="How often a waiting process tries to take the lead.",
)
def scheduler_command(retry_seconds: float) -> None:
    """Run the scheduled jobs (timers, monitor, escalation, notifications) until stopped.

    Start as many as you like against one PostgreSQL database: one leads, the others wait
    and take over within RETRY_SECONDS when it stops or dies.
    """
    try:
        settings = load_settings()
    except ConfigError as err:
        raise click.ClickException(str(err)) from err
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    stop = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        log.info("scheduler: signal %s, finishing the running jobs", signum)
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    click.echo(f"remtrack scheduler: {len(JOBS)} jobs: {', '.join(j.id for j in JOBS)}")
    build_scheduler(settings, retry_seconds).run(stop)


def start_in_process(settings: Settings) -> threading.Thread | None:
    """On SQLite, run the scheduler in a daemon thread of this process (``remtrack serve``).

    On PostgreSQL the scheduler is its own process (``remtrack scheduler``): returns None.
    """
    if settings.dialect != "sqlite":
        return None
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    scheduler = build_scheduler(settings)
    thread = threading.Thread(
        target=scheduler.run, args=(threading.Event(),), name="remtrack-scheduler", daemon=True
    )
    thread.start()
    return thread
