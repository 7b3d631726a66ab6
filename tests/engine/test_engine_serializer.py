"""Serialized state: small, spec-free, exact round trips of money and dates."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from workflows.engine import runner
from workflows.engine.errors import StateRefused
from workflows.engine.script_engine import SandboxScriptEngine
from workflows.engine.serializer import (
    SERIALIZER_VERSION,
    dump_spec,
    dump_state,
    load_spec,
    load_state,
)

from .conftest import model_spec_json

FRESH_STATE_BUDGET = 4 * 1024  # DESIGN.md: stored state per fresh instance <= 4 KB


def _fresh_requirement(**data: object):
    spec, subprocess_specs = load_spec(model_spec_json("requirement"))
    deadline = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    return runner.start(
        spec,
        subprocess_specs,
        {"requirement_id": 123456, "deadline": deadline, **data},
        SandboxScriptEngine(),
    )


def test_fresh_requirement_state_fits_the_budget():
    blob = dump_state(_fresh_requirement())
    assert len(blob) <= FRESH_STATE_BUDGET, len(blob)


def test_state_in_remediation_still_fits_the_budget():
    wf = _fresh_requirement()
    for name in ("acknowledge", "submit_plan"):
        [task] = runner.ready_user_tasks(wf)
        assert task.spec_name == name
        runner.complete(wf, task.task_id, {})
    assert len(dump_state(wf)) <= FRESH_STATE_BUDGET


def test_state_does_not_embed_the_spec():
    text = zlib.decompress(dump_state(_fresh_requirement())).decode()
    dct = json.loads(text)
    assert "spec" not in dct and "subprocess_specs" not in dct
    assert "Submit completion report" not in text  # a task title lives only in the spec
    assert dct["version"] == SERIALIZER_VERSION


def test_state_round_trips_and_keeps_running():
    spec_json = model_spec_json("requirement")
    engine = SandboxScriptEngine()
    wf = load_state(dump_state(_fresh_requirement()), spec_json, engine)
    assert wf.script_engine is engine  # attached on every load, never serialized
    [task] = runner.ready_user_tasks(wf)
    assert task.spec_name == "acknowledge"
    runner.complete(wf, task.task_id, {})
    again = load_state(dump_state(wf), spec_json, engine)
    assert [t.spec_name for t in runner.ready_user_tasks(again)] == ["submit_plan"]


def test_money_and_dates_round_trip_exactly():
    values = {
        "target_amount": Decimal("1234567890123.45"),
        "recovered": Decimal("0"),
        "issued_on": date(2025, 2, 28),
        "registered_at": datetime(2025, 3, 1, 8, 30, tzinfo=UTC),
        "grace": timedelta(days=3),
    }
    wf = _fresh_requirement(**values)
    [task] = runner.ready_user_tasks(wf)
    runner.complete(
        wf, task.task_id, {"plan_amount": Decimal("99.90"), "plan_date": date(2025, 4, 1)}
    )
    loaded = load_state(dump_state(wf), model_spec_json("requirement"), SandboxScriptEngine())
    [task] = runner.ready_user_tasks(loaded)
    data = loaded.get_task_from_id(UUID(task.task_id)).data
    for key, value in {
        **values,
        "plan_amount": Decimal("99.90"),
        "plan_date": date(2025, 4, 1),
    }.items():
        assert data[key] == value and type(data[key]) is type(value), key


def test_spec_round_trips_through_json():
    spec, subprocess_specs = load_spec(model_spec_json("requirement"))
    again = dump_spec(spec, subprocess_specs)
    assert json.loads(again) == json.loads(model_spec_json("requirement"))


def test_state_from_another_serializer_version_is_refused():
    dct = json.loads(zlib.decompress(dump_state(_fresh_requirement())))
    dct["version"] = "remtrack-0/spiff-1.0"
    blob = zlib.compress(json.dumps(dct).encode())
    with pytest.raises(StateRefused, match="Migrate it"):
        load_state(blob, model_spec_json("requirement"), SandboxScriptEngine())


def test_unreadable_state_is_refused_clearly():
    with pytest.raises(StateRefused, match="unreadable"):
        load_state(b"not zlib", model_spec_json("requirement"), SandboxScriptEngine())
