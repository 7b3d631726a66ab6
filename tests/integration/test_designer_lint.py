"""The lint rules the modeler runs in the browser, run by Node on the same files: the
shipped models pass, and each mistake the engine refuses is flagged on its element."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.integration import designer_support as models
from workflows import definitions

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "engine" / "data"
NODE = shutil.which("node")


@pytest.fixture
def lint(app: Any, tmp_path: Path) -> Any:
    if NODE is None:
        pytest.fail("Node.js is required for the designer's lint rules (make test installs it).")
    with app.test_request_context():
        from web.designer.catalogue import page_data

        (tmp_path / "page.json").write_text(json.dumps(page_data()))

    def run(*files: Path) -> dict[str, list[tuple[str, str, str]]]:
        done = subprocess.run(  # noqa: S603 - our own script, our own files
            [NODE, str(HERE / "designer_lint.mjs"), str(tmp_path / "page.json"), *map(str, files)],
            capture_output=True,
            check=True,
            cwd=HERE.parents[1],
            timeout=120,
        )
        found = json.loads(done.stdout)
        return {Path(k).name: [tuple(r) for r in v] for k, v in found.items()}

    return run


def errors(found: list[tuple[str, str, str]]) -> set[tuple[str, str]]:
    return {(rule, element) for category, rule, element in found if category == "error"}


def test_every_shipped_model_passes_the_lint_rules(lint):
    found = lint(*sorted(definitions.SHIPPED.glob("*.bpmn")))
    assert found and all(not errors(issues) for issues in found.values()), found


@pytest.mark.parametrize(
    ("make", "rule", "element"),
    [
        (models.with_unknown_operation, "remtrack/unknown-operation", "notify_overdue"),
        (models.with_unquoted_timer, "remtrack/unquoted-timer", "ev_deadline"),
        (models.with_unmapped_lane, "remtrack/unmapped-lane", "Lane_officer"),
    ],
)
def test_each_mistake_is_flagged_on_its_element(lint, tmp_path, make, rule, element):
    path = tmp_path / "model.bpmn"
    path.write_bytes(make())
    assert errors(lint(path)["model.bpmn"]) == {(rule, element)}


def test_the_engines_own_bad_fixtures_are_flagged_too(lint):
    found = lint(
        DATA / "unknown_operation.bpmn",
        DATA / "unquoted_timer.bpmn",
        DATA / "lane_without_role.bpmn",
        DATA / "task_outside_lane.bpmn",
        DATA / "bad_parameter.bpmn",
    )
    assert ("remtrack/unknown-operation", "act") in errors(found["unknown_operation.bpmn"])
    assert ("remtrack/unquoted-timer", "wait") in errors(found["unquoted_timer.bpmn"])
    assert ("remtrack/unmapped-lane", "Lane_supervisor") in errors(found["lane_without_role.bpmn"])
    assert ("remtrack/task-outside-lane", "orphan_task") in errors(found["task_outside_lane.bpmn"])
    assert any(
        rule == "remtrack/unknown-operation" for rule, _ in errors(found["bad_parameter.bpmn"])
    )


def test_a_quoted_duration_and_a_variable_are_fine(lint, tmp_path):
    for expression in ('"P30D"', "deadline"):
        path = tmp_path / "model.bpmn"
        path.write_bytes(models.with_duration_deadline(expression=expression))
        assert not errors(lint(path)["model.bpmn"])
