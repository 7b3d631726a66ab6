"""A test entry point: one real scheduler process with fast triggers and a fast clock.

    python -m tests.scheduler_harness --url URL --t0 ISO --real0 EPOCH --speed S --every SEC

Every job of ``workflows.jobs`` (but the daily digest) runs every ``--every`` seconds; the
``now`` each job gets is simulated time: ``t0 + (wall clock - real0) * speed``, the same in
every process started with the same arguments. Each event (leader, standby, job done or
failed) is printed as one JSON line, so the test can tell who led when and what ran.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from apscheduler.triggers.interval import IntervalTrigger

from db.engine import make_engine, make_session_factory
from workflows.jobs import JOBS
from workflows.scheduler import Scheduler, leadership_for, summary


def _print(event: str, details: dict[str, Any]) -> None:
    line = {"event": event, "pid": os.getpid(), "at": time.time()}
    if "job" in details:
        line["job"] = details["job"]
        line["now"] = details["now"].isoformat()
    if "result" in details:
        line["summary"] = summary(details["result"])
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--t0", required=True)
    parser.add_argument("--real0", type=float, required=True)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--every", type=float, default=0.3)
    parser.add_argument("--retry", type=float, default=1.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    t0 = datetime.fromisoformat(args.t0)

    def clock() -> datetime:
        return t0 + timedelta(seconds=(time.time() - args.real0) * args.speed)

    jobs = [
        replace(j, trigger=IntervalTrigger(seconds=args.every))
        for j in JOBS
        if j.id != "send_digests"
    ]
    engine = make_engine(args.url)
    scheduler = Scheduler(
        make_session_factory(engine),
        leadership_for(engine),
        jobs,
        clock=clock,
        retry_seconds=args.retry,
        listener=_print,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    _print("started", {})
    scheduler.run(stop)
    _print("stopped", {})


if __name__ == "__main__":
    main()
