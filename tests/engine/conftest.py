"""Fixtures for the engine tests: no database, no app - only the pure engine layer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from workflows.engine import runner
from workflows.engine.catalogue import Effect
from workflows.engine.parser import load_specs
from workflows.engine.script_engine import SandboxScriptEngine
from workflows.engine.serializer import dump_spec, dump_state, load_state
from workflows.engine.validation import validate_bpmn

REPO = Path(__file__).resolve().parents[2]
MODELS = REPO / "bpmn"
DATA = Path(__file__).resolve().parent / "data"


@cache
def model_spec_json(name: str) -> str:
    """Validated spec JSON of a shipped model (validated once per test session)."""
    return validate_bpmn((MODELS / f"{name}.bpmn").read_bytes()).spec_json


def spec_json_from_xml(xml: str | bytes) -> str:
    """Spec JSON of an unvalidated model: lets tests run what validation would refuse."""
    loaded = load_specs(xml.encode() if isinstance(xml, str) else xml)
    return dump_spec(loaded.spec, loaded.subprocess_specs)


class Driver:
    """Runs one instance the way the DB runtime will: load, act, drain, dump - every step."""

    def __init__(self, spec_json: str, data: dict[str, Any], time_limit: float = 2.0) -> None:
        from workflows.engine.serializer import load_spec

        self.spec_json = spec_json
        self.engine = SandboxScriptEngine(time_limit=time_limit)
        self.effects: list[Effect] = []
        spec, subprocess_specs = load_spec(spec_json)
        wf = runner.start(spec, subprocess_specs, data, self.engine)
        self._save(wf)

    def _save(self, wf: Any) -> None:
        self.blob = dump_state(wf)
        self.effects += self.engine.drain_effects()

    def act(self, fn: Callable[[Any], Any]) -> Any:
        wf = load_state(self.blob, self.spec_json, self.engine)
        try:
            result = fn(wf)
        except Exception:
            self.engine.drain_effects()  # a failed step applies nothing
            raise
        self._save(wf)
        return result

    def ready(self) -> list[runner.ReadyTask]:
        return self.act(runner.ready_user_tasks)  # type: ignore[no-any-return]

    def ready_names(self) -> list[str]:
        return sorted(t.spec_name for t in self.ready())

    def task(self, spec_name: str) -> runner.ReadyTask:
        matches = [t for t in self.ready() if t.spec_name == spec_name]
        assert matches, f"{spec_name} is not ready; ready: {self.ready_names()}"
        return matches[0]

    def complete(self, spec_name: str, **data: Any) -> None:
        task_id = self.task(spec_name).task_id
        self.act(lambda wf: runner.complete(wf, task_id, data))

    def send(self, name: str, **payload: Any) -> None:
        self.act(lambda wf: runner.send_message(wf, name, payload))

    def fire(self, now: datetime) -> int:
        return self.act(lambda wf: runner.fire_timers(wf, now))  # type: ignore[no-any-return]

    @property
    def next_timer_at(self) -> datetime | None:
        return self.act(runner.next_timer_at)  # type: ignore[no-any-return]

    @property
    def completed(self) -> bool:
        return self.act(runner.is_completed)  # type: ignore[no-any-return]

    @property
    def waiting_messages(self) -> list[str]:
        return self.act(runner.waiting_messages)  # type: ignore[no-any-return]

    def operations(self, name: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        return [(e.operation, e.params) for e in self.effects if name in (None, e.operation)]

    def statuses(self) -> list[str]:
        return [e.params["status"] for e in self.effects if e.operation == "set_status"]


@pytest.fixture
def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def requirement(utc_now: datetime) -> Callable[..., Driver]:
    """Start a requirement instance with a deadline ``days`` from now."""

    def make(days: float = 30, **extra: Any) -> Driver:
        data = {
            "requirement_id": 1,
            "deadline": (utc_now + timedelta(days=days)).isoformat(),
            **extra,
        }
        return Driver(model_spec_json("requirement"), data)

    return make


@pytest.fixture
def in_remediation(requirement: Callable[..., Driver]) -> Callable[..., Driver]:
    """A requirement acknowledged and planned, waiting for its completion report."""

    def make(days: float = 30, **extra: Any) -> Driver:
        inst = requirement(days, **extra)
        inst.complete("acknowledge")
        inst.complete("submit_plan")
        return inst

    return make
