"""Moving one loaded instance to a new version of its spec, in memory only.

The engine's spec diff (``SpiffWorkflow.bpmn.util.diff``) aligns the old task specs with
the new ones.  An instance may move when none of its *active* tasks (ready, waiting,
started) sits on an element the new version changed or removed, and its history does not
pass through a removed element (the stored state would name a spec that no longer exists).

Only READY tasks are reset when moving.  Resetting a WAITING timer would re-arm it from
now (a 30-day duration timer with five days left would start again); instead, a waiting
task keeps its armed value and only its predicted continuation is re-predicted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from workflows.engine.serializer import REGISTRY, Specs, dump_state, load_state

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


@dataclass(frozen=True)
class Blocker:
    """Why an instance cannot move: a code, the element and what changed about it."""

    code: str  # changed | removed | passed_removed | subprocess_removed | role_without_body
    element_id: str
    label: str
    state: str = ""
    what: tuple[str, ...] = ()


def _label(task: Any) -> str:
    spec = task.task_spec
    return str(getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or spec.name)


def _element(task: Any) -> str:
    return str(getattr(task.task_spec, "bpmn_id", None) or task.task_spec.name)


def _diff_blockers(diff: WorkflowDiff, changes: dict[Any, list[str]]) -> list[Blocker]:
    found = []
    for task in diff.changed:
        if task.has_state(ACTIVE):
            what = tuple(changes.get(task.task_spec, ()))
            state = TaskState.get_name(task.state).lower()
            found.append(Blocker("changed", _element(task), _label(task), state, what))
    for task in diff.removed:
        if task.has_state(ACTIVE):
            state = TaskState.get_name(task.state).lower()
            found.append(Blocker("removed", _element(task), _label(task), state))
        elif task.has_state(TaskState.FINISHED_MASK):
            found.append(Blocker("passed_removed", _element(task), _label(task), "completed"))
    return found


@dataclass
class _Part:
    """The top level or one running subprocess, with its new spec and the diffs."""

    workflow: Any
    new_spec: Any
    spec_diff: SpecDiff | None
    task_diff: WorkflowDiff | None


#: Spec diffs by (old spec, new spec) object ids. Specs of a stored version are loaded
#: once and shared (``workflows.definitions.specs``), so every instance of a version
#: reuses one diff; the caller owns the cache and drops it after one preview or migration.
DiffCache = dict[tuple[int, int], SpecDiff]


def _spec_diff(old: Any, new: Any, cache: DiffCache) -> SpecDiff:
    key = (id(old), id(new))
    if key not in cache:
        cache[key] = SpecDiff(REGISTRY, old, new)
    return cache[key]


def _parts(wf: BpmnWorkflow, new: Specs, cache: DiffCache) -> list[_Part]:
    top = _spec_diff(wf.spec, new[0], cache)
    parts = [_Part(wf, new[0], top, WorkflowDiff(wf, top))]
    for sub in wf.subprocesses.values():
        spec = new[1].get(sub.spec.name)
        diff = _spec_diff(sub.spec, spec, cache) if spec is not None else None
        parts.append(_Part(sub, spec, diff, WorkflowDiff(sub, diff) if diff else None))
    return parts


def blockers(
    wf: BpmnWorkflow,
    new: Specs,
    role_bodies: dict[str, Any],
    new_roles: set[str],
    cache: DiffCache | None = None,
) -> list[Blocker]:
    """Everything that keeps ``wf`` from moving to the ``new`` specs (empty: it can move).

    ``new_roles`` are the roles of the new version's lanes: an instance that has no body for
    one of them would hand that lane's tasks to nobody.
    """
    found: list[Blocker] = []
    for part in _parts(wf, new, {} if cache is None else cache):
        if part.spec_diff is None or part.task_diff is None:
            name = str(part.workflow.spec.name)
            found.append(Blocker("subprocess_removed", name, name))
        else:
            found += _diff_blockers(part.task_diff, part.spec_diff.changed)
    for role in sorted(new_roles - set(role_bodies)):
        found.append(Blocker("role_without_body", role, role))
    return found


def _repredict_waiting(workflow: Any) -> None:
    for task in workflow.get_tasks(state=TaskState.WAITING, skip_subprocesses=True):
        # A waiting task has only predicted children: predict them again from the new spec,
        # as MAYBE like the engine does for a path that may never be taken.
        task._drop_children(force=True)
        task._sync_children(task.task_spec.outputs, TaskState.MAYBE)
        for child in task.children:
            child.task_spec._predict(child)


def move(wf: BpmnWorkflow, new: Specs, cache: DiffCache | None = None) -> BpmnWorkflow:
    """Point ``wf`` at the ``new`` specs (call only when :func:`blockers` found none).

    Returns the instance reloaded from its own dumped state against the new specs: the
    proof that what will be stored can be read back.
    """
    for part in _parts(wf, new, {} if cache is None else cache):
        if part.task_diff is not None:
            migrate_workflow(part.task_diff, part.workflow, part.new_spec, TaskState.READY)
            _repredict_waiting(part.workflow)
    wf.subprocess_specs = dict(new[1])
    return load_state(dump_state(wf), new, wf.script_engine)
