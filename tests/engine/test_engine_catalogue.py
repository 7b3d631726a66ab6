"""Service tasks call catalogue operations: effects are collected, never applied here."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from workflows.engine import runner
from workflows.engine.catalogue import OPERATIONS, Effect, validate_call
from workflows.engine.errors import OperationFailed
from workflows.engine.script_engine import SandboxScriptEngine
from workflows.engine.serializer import load_spec

from .conftest import Driver, model_spec_json


def test_catalogue_offers_the_operations_models_need():
    assert {
        "set_status",
        "notify",
        "escalate",
        "open_accountability_case",
        "start_requirements",
        "record_outcome",
    } <= set(OPERATIONS)


@pytest.mark.parametrize(
    ("operation", "params", "expected"),
    [
        ("set_status", {"status": "closed"}, set()),
        ("set_status", {}, {"missing_parameter"}),
        ("set_status", {"status": "done"}, {"bad_parameter"}),
        ("notify", {"kind": "overdue", "to": "supervisor"}, set()),
        ("notify", {"kind": "", "to": "minister"}, {"bad_parameter"}),
        ("escalate", {"level": 3}, set()),
        ("escalate", {"level": 4}, {"bad_parameter"}),
        ("escalate", {"level": "2"}, {"bad_parameter"}),
        ("escalate", {"level": True}, {"bad_parameter"}),
        ("start_requirements", {"extra": 1}, {"unknown_parameter"}),
        ("drop_tables", {}, {"unknown_operation"}),
    ],
)
def test_validate_call_checks_names_types_and_ranges(operation, params, expected):
    assert {p.code for p in validate_call(operation, params)} == expected


def _conclusion(engine: SandboxScriptEngine) -> Any:
    spec, subprocess_specs = load_spec(model_spec_json("conclusion"))
    return runner.start(spec, subprocess_specs, {"conclusion_id": 1}, engine)


def test_effects_are_collected_for_the_runtime_to_apply():
    engine = SandboxScriptEngine()
    wf = _conclusion(engine)
    effects = engine.drain_effects()
    assert [(e.operation, e.params, e.task_name) for e in effects] == [
        ("start_requirements", {}, "launch_requirements"),
        ("set_status", {"status": "in_progress"}, "set_in_progress"),
    ]
    assert all(wf.get_task_from_id(UUID(e.task_id)) for e in effects)
    assert engine.drain_effects() == []


def test_a_registered_handler_returns_a_value_to_the_model():
    engine = SandboxScriptEngine()
    seen: list[Effect] = []

    def start_requirements(effect: Effect) -> dict[str, int]:
        seen.append(effect)
        return {"started": 4}

    engine.register_handler("start_requirements", start_requirements)
    wf = _conclusion(engine)
    task = wf.get_tasks(spec_name="launch_requirements")[0]
    assert task.data["spiff__launch_requirements_result"] == {"started": 4}
    assert [e.operation for e in seen] == ["start_requirements"]


def test_a_failing_handler_is_reported_as_the_operation_of_that_task():
    engine = SandboxScriptEngine(handlers={"start_requirements": lambda e: 1 / 0})
    with pytest.raises(OperationFailed) as raised:
        _conclusion(engine)
    message = str(raised.value)
    assert '"launch_requirements"' in message and "start_requirements" in message
    assert "ZeroDivisionError" in message
    assert raised.value.params["operation"] == "start_requirements"
    assert engine.drain_effects() == []  # nothing to apply from a failed call


def test_message_payload_lands_in_the_message_variable(in_remediation):
    inst: Driver = in_remediation()
    inst.send(
        "extension_requested",
        requested_deadline="2031-01-01T00:00:00+00:00",
        reason="waiting for the audit report",
    )
    task_id = inst.task("decide_extension").task_id
    data = inst.act(lambda wf: dict(wf.get_task_from_id(UUID(task_id)).data))
    assert data["extension"] == {
        "requested_deadline": "2031-01-01T00:00:00+00:00",
        "reason": "waiting for the audit report",
    }
