"""Compaction of finished history in an instance's task tree (trap 1 and 2).

Spiff keeps every task it ever created: each reject/resubmit or extension round adds a
dozen tasks under the last one, so the stored state, the load/save time and the tree depth
grow with history (and at depth 1000 the engine stops silently).  The history itself lives
in the application's tables; the engine only needs what can still influence what follows.

:func:`plan` decides which tasks to keep; the serializer then writes only those (the
in-memory workflow is never modified).  The kept set is:

1. every task that is not finished, and every task below one (the *live region*);
2. the parent of every task in the live region (a task copies its parent's data when it
   becomes ready; gateways look at their parent's state);
3. the whole subtree of every *open* split: a boundary-event (or start-event) split whose
   join has not completed yet.  The join reads the split's children and the join tasks
   under it (``find_ancestor``/``_find_tasks``), so all of it stays;
4. for every kept split, the join that closed it, and for every kept completed join, its
   split: "is this split closed" (step 3) must get the same answer at the next compaction;
5. every finished parallel gateway or end join that is not an ancestor of *every* live task,
   with its parent: those are compared with later arrivals of the same gateway
   (``ParallelGateway._check_threshold_unstructured``) and their parents' data is merged
   when a later one runs (``UnstructuredJoin._run_hook``, which feeds ``workflow.data``);
6. the nearest common ancestor of all that, as the new root.

Every other task is finished, has only finished ancestors, and is read by nobody: dropping
it is invisible.  Kept tasks hang under their nearest kept ancestor, in their original
order, so ancestry among kept tasks, depth-first iteration order and ``workflow.tasks``
order are unchanged.  A task whose parent changes is written with its full data instead of
a delta against the new parent, so its data round-trips exactly.

Compaction is skipped (the state is written whole, as before) for anything this argument
does not cover: subprocesses and call activities, inclusive gateways (they compare every
earlier arrival in the whole tree), joins of other kinds, ad-hoc and event-triggered
processes, tasks in ERROR, and finished instances.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID
from weakref import WeakKeyDictionary

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin, StartEventJoin, _EndJoin
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

#: Joins whose tree look-ups are accounted for above; any other join disables compaction.
_KNOWN_JOINS = (BoundaryEventJoin, StartEventJoin, _EndJoin, ParallelGateway)


@dataclass(frozen=True)
class Plan:
    """What to write: ``kept`` ids in ``workflow.tasks`` order, their new links."""

    root: UUID
    kept: tuple[UUID, ...]
    parent: dict[UUID, UUID | None]
    children: dict[UUID, list[UUID]]
    reparented: frozenset[UUID]
    dropped: int


def unsupported(wf: BpmnWorkflow) -> str | None:
    """Why ``wf`` is never compacted, or None if it may be."""
    if wf.subprocesses:
        return "it has subprocesses"
    spec = wf.spec
    try:
        return _SPEC_REASONS[spec]
    except KeyError:
        reason = _SPEC_REASONS[spec] = _unsupported_spec(spec)
        return reason


_SPEC_REASONS: WeakKeyDictionary[BpmnProcessSpec, str | None] = WeakKeyDictionary()


def _unsupported_spec(spec: BpmnProcessSpec) -> str | None:
    if getattr(spec, "conditional_paths", None) or getattr(spec.start, "trigger_specs", None):
        return "its process starts paths from the root (ad hoc or event-triggered)"
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, InclusiveGateway):
            return f"inclusive gateway {task_spec.name} compares every earlier arrival"
        if isinstance(task_spec, SubWorkflowTask):
            return f"{task_spec.name} is a subprocess or call activity"
        if isinstance(task_spec, Join) and not isinstance(task_spec, _KNOWN_JOINS):
            return f"join {task_spec.name} ({type(task_spec).__name__}) is not understood"
    return None


def _finished(task: Task) -> bool:
    return bool(task.has_state(TaskState.FINISHED_MASK))


def plan(wf: BpmnWorkflow) -> Plan | None:
    """The compacted tree of ``wf``, or None when nothing can (or may) be dropped."""
    if unsupported(wf) is not None:
        return None
    tasks: dict[UUID, Task] = wf.tasks
    root = wf.task_tree
    order = {tid: i for i, tid in enumerate(tasks)}
    if root is None or root.id not in order or not _finished(root):
        return None

    # The "dead top": finished tasks whose ancestors are all finished.  Parents always come
    # before their children in ``workflow.tasks`` (the loader relies on it too); check it.
    dead: set[UUID] = set()
    for tid, task in tasks.items():
        if task.has_state(TaskState.ERROR):
            return None
        pid = task._parent
        if tid != root.id and (pid is None or pid not in order or order[pid] >= order[tid]):
            return None
        if _finished(task) and (tid == root.id or pid in dead):
            dead.add(tid)
    live = [tid for tid in tasks if tid not in dead]
    if not live:
        return None  # finished instance: nothing follows, keep it whole

    kept: set[UUID] = set(live)

    # (5) finished parallel gateways / end joins that are not above every live task.
    above_all: set[UUID] | None = None
    above_any: set[UUID] = set()
    for tid in live:
        up = _ancestors(tasks, tid)
        above_all = up if above_all is None else above_all & up
        above_any |= up
    above_all = above_all or set()
    for tid in dead:
        task = tasks[tid]
        if isinstance(task.task_spec, UnstructuredJoin) and tid not in above_all:
            kept.add(tid)
            if task._parent is not None:
                kept.add(task._parent)

    # (2)-(4) until nothing more is added.
    split_names = {
        ts.split_task
        for ts in wf.spec.task_specs.values()
        if isinstance(ts, Join) and getattr(ts, "split_task", None)
    }
    # A split is closed once one of its joins completed; that join is kept with the split so
    # that the next compaction still sees it closed.
    closer: dict[UUID, UUID] = {}
    for task in tasks.values():
        spec = task.task_spec
        if isinstance(spec, Join) and spec.split_task and task.state == TaskState.COMPLETED:
            split = task.find_ancestor(spec.split_task)
            if split is not None:
                closer.setdefault(split.id, task.id)
    closed = closer.keys()
    todo = list(kept)
    expanded: set[UUID] = set()

    def keep(tid: UUID) -> None:
        if tid not in kept:
            kept.add(tid)
            todo.append(tid)

    def keep_subtree(tid: UUID) -> None:
        if tid in expanded:
            return
        expanded.add(tid)
        stack = [tid]
        while stack:
            sub = stack.pop()
            keep(sub)
            stack.extend(c for c in tasks[sub]._children if c in tasks)

    for tid in dead:
        if tasks[tid].task_spec.name in split_names and tid not in closed and tid in above_any:
            keep_subtree(tid)  # (3) an open split above live tasks
    while todo:
        tid = todo.pop()
        task = tasks[tid]
        if tid not in dead and task._parent is not None:
            keep(task._parent)  # (2)
        if tid in closer:
            keep(closer[tid])  # (4)
        spec = task.task_spec
        if isinstance(spec, Join) and spec.split_task:
            split = task.find_ancestor(spec.split_task)
            if split is not None:
                keep(split.id)  # (4)
                if split.id not in closed:
                    keep_subtree(split.id)  # (3) the split of a live join

    # (6) the new root: nearest common ancestor of everything kept, finished.
    common: list[UUID] | None = None
    for tid in kept:
        path = _path(tasks, tid)
        common = path if common is None else _common_prefix(common, path)
    assert common  # the old root is an ancestor of everything
    new_root = common[-1]
    while new_root not in dead:
        common.pop()
        new_root = common[-1]
    kept.add(new_root)
    if new_root in closer:
        kept.add(closer[new_root])
    if len(kept) == len(tasks):
        return None

    ordered = tuple(tid for tid in tasks if tid in kept)
    parent: dict[UUID, UUID | None] = {new_root: None}
    for tid in ordered:
        if tid == new_root:
            continue
        pid = tasks[tid]._parent
        while pid not in kept:
            pid = tasks[pid]._parent
        parent[tid] = pid
    preorder = _preorder(tasks, root.id)
    children: dict[UUID, list[UUID]] = {tid: [] for tid in ordered}
    for tid in sorted(ordered, key=preorder.__getitem__):
        pid = parent[tid]
        if pid is not None:
            children[pid].append(tid)
    reparented = frozenset(tid for tid in ordered if parent[tid] != tasks[tid]._parent)
    return Plan(new_root, ordered, parent, children, reparented, len(tasks) - len(ordered))


def _ancestors(tasks: dict[UUID, Task], tid: UUID) -> set[UUID]:
    found = set()
    pid = tasks[tid]._parent
    while pid is not None:
        found.add(pid)
        pid = tasks[pid]._parent
    return found


def _path(tasks: dict[UUID, Task], tid: UUID) -> list[UUID]:
    path = [tid]
    pid = tasks[tid]._parent
    while pid is not None:
        path.append(pid)
        pid = tasks[pid]._parent
    path.reverse()
    return path


def _common_prefix(a: list[UUID], b: list[UUID]) -> list[UUID]:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return a[:n]


def _preorder(tasks: dict[UUID, Task], root: UUID) -> dict[UUID, int]:
    index: dict[UUID, int] = {}
    stack = [root]
    while stack:
        tid = stack.pop()
        index[tid] = len(index)
        stack.extend(reversed([c for c in tasks[tid]._children if c in tasks]))
    return index


def apply_to_dict(plan_: Plan, wf: BpmnWorkflow, tasks_dct: dict[str, Any]) -> dict[str, Any]:
    """Rewrite serialized ``tasks`` (as Spiff's converter wrote them) to the plan."""
    out: dict[str, Any] = {}
    for tid in plan_.kept:
        dct = tasks_dct[str(tid)]
        pid = plan_.parent[tid]
        dct["parent"] = str(pid) if pid is not None else None
        dct["children"] = [str(c) for c in plan_.children[tid]]
        if tid in plan_.reparented:
            # Full data, no delta: exact whatever the new parent holds.
            dct["data"] = wf.tasks[tid].data
            dct["delta"] = {}
        out[str(tid)] = dct
    return out
