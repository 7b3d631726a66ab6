"""The real commands: ``remtrack scheduler`` leads and fires due timers; a second one waits
and takes over when the first is killed. On SQLite the first is ``remtrack serve``, which
runs the scheduler in-process (what ``make run`` starts)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from db.models import ProcessInstance

ROOT = Path(__file__).resolve().parents[2]
REMTRACK = str(ROOT / ".venv" / "bin" / "remtrack")


class Command:
    """A ``remtrack`` process whose log lines are collected as they come."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.popen = subprocess.Popen(
            [REMTRACK, *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[tuple[float, str]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.lines.append((time.time(), line))

    def wait_for(self, text: str, timeout: float = 40) -> float:
        deadline = time.time() + timeout
        while time.time() < deadline:
            for at, line in list(self.lines):
                if text in line:
                    return at
            time.sleep(0.05)
        seen = "".join(line for _, line in self.lines)
        raise AssertionError(f"no {text!r} within {timeout}s:\n{seen}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _timer_pending(committed: Any, instance_id: int) -> bool:
    with committed.factory() as s:
        return (
            s.scalar(select(ProcessInstance.next_timer_at).where(ProcessInstance.id == instance_id))
            is not None
        )


def test_the_scheduler_command_leads_fires_timers_and_hands_over(committed, tmp_path):
    url = committed.engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "REMTRACK_DATABASE_URL": url, "REMTRACK_INSTANCE_PATH": str(tmp_path)}
    sqlite = url.startswith("sqlite")
    due = committed.start(days=-1, into_remediation=True)
    first_args = ["serve", "--port", str(_free_port())] if sqlite else ["scheduler"]
    first = Command([*first_args, "--retry-seconds", "1"] if not sqlite else first_args, env)
    second = None
    try:
        first.wait_for("scheduler: leading")
        deadline = time.time() + 30
        while _timer_pending(committed, due) and time.time() < deadline:
            time.sleep(0.2)
        assert not _timer_pending(committed, due)  # the leader fired the due timer
        second = Command(["scheduler", "--retry-seconds", "1"], env)
        second.wait_for("another process leads")
        later = committed.start(days=-1, into_remediation=True)
        killed = time.time()
        first.popen.send_signal(signal.SIGKILL)
        took_over = second.wait_for("scheduler: leading")
        assert 0 <= took_over - killed <= 5  # retry every second, plus start-up slack
        deadline = time.time() + 30
        while _timer_pending(committed, later) and time.time() < deadline:
            time.sleep(0.2)
        assert not _timer_pending(committed, later)
        second.popen.send_signal(signal.SIGTERM)
        assert second.popen.wait(30) == 0
    finally:
        for proc in (first, second):
            if proc is not None and proc.popen.poll() is None:
                proc.popen.kill()
