"""Serialize specs once per deployed version and instance state without the spec.

Spiff embeds the whole spec in every serialized workflow (trap 3: 21 KB of a 26 KB
fresh state).  Here the workflow converter is replaced by one that leaves ``spec`` and
``subprocess_specs`` out and takes them back at load time; the state is zlib-compressed
JSON (never JSONB: key order matters, trap 4).

:func:`dump_state` also leaves out finished history nothing can read any more (see
:mod:`.compaction`), so the state stays the size of one loop round however many rounds
an instance went through.  The workflow in memory is not changed.
"""

from __future__ import annotations

import json
import zlib
from contextvars import ContextVar
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.serializer.workflow import VERSION as SPIFF_STATE_VERSION
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from . import compaction
from .errors import StateRefused

#: Stored beside every state and spec; bump when the stored format changes.
SERIALIZER_VERSION = f"remtrack-1/spiff-{SPIFF_STATE_VERSION}"
Specs = tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]
#: The compaction plan of the workflow being dumped (None: write every task).
_PLAN: ContextVar[compaction.Plan | None] = ContextVar("remtrack_compaction_plan", default=None)


class _StateOnlyConverter(BpmnWorkflowConverter):
    """Workflow converter that stores everything but the specs."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        plan = _PLAN.get()
        if plan is None:
            dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        else:
            dct = self._compacted_to_dict(workflow, plan)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def _compacted_to_dict(self, workflow: BpmnWorkflow, plan: compaction.Plan) -> dict[str, Any]:
        # WorkflowConverter.to_dict, converting only the kept tasks.
        last = workflow.last_task
        tasks = {str(tid): self.registry.convert(workflow.tasks[tid]) for tid in plan.kept}
        return {
            "data": self.registry.convert(self.registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": str(last.id) if last is not None and last.id in plan.parent else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "tasks": compaction.apply_to_dict(plan, workflow, tasks),
            "root": str(plan.root),
        }

    def from_dict(self, dct: dict[str, Any], specs: Specs | None = None) -> BpmnWorkflow:
        if specs is None:
            raise StateRefused("Instance state needs its spec to be loaded.")
        workflow = self.target_class(specs[0], specs[1], deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _registry() -> Any:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _StateOnlyConverter
    registry = BpmnWorkflowSerializer.configure(config)
    # datetime, timedelta and UUID are built in; money and calendar dates are ours.
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
    registry.register(
        date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"])
    )
    return registry


#: Converts specs and workflows to dictionaries and back (the migration planner diffs specs
#: with it too).
REGISTRY = _registry()
_ENCODER = create_encoder(REGISTRY)


def _dumps(obj: Any) -> str:
    # Compact separators: a few hundred bytes less per state, before compression.
    return json.dumps(obj, cls=_ENCODER, separators=(",", ":"))


def dump_spec(spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> str:
    """JSON for a deployed version's specs; stored once per version."""
    return _dumps(
        {
            "version": SERIALIZER_VERSION,
            "spec": REGISTRY.convert(spec),
            "subprocess_specs": {k: REGISTRY.convert(v) for k, v in subprocess_specs.items()},
        }
    )


@lru_cache(maxsize=64)
def load_spec(spec_json: str) -> Specs:
    """Restore specs from :func:`dump_spec` output (cached: specs are never mutated)."""
    dct = json.loads(spec_json)
    _check_version(dct.pop("version", None), "spec")
    spec = REGISTRY.restore(dct["spec"])
    subprocess_specs = {k: REGISTRY.restore(v) for k, v in dct["subprocess_specs"].items()}
    return spec, subprocess_specs


def dump_state(wf: BpmnWorkflow, compact: bool = True) -> bytes:
    """Compressed instance state, without the spec.

    With ``compact`` (the default) finished history that nothing can read any more is left
    out (:mod:`.compaction`); ``wf`` itself is not changed either way.
    """
    token = _PLAN.set(compaction.plan(wf) if compact else None)
    try:
        dct = REGISTRY.convert(wf)
    finally:
        _PLAN.reset(token)
    dct["version"] = SERIALIZER_VERSION
    return zlib.compress(_dumps(dct).encode("utf-8"), 6)


def load_state(blob: bytes, spec: str | Specs, script_engine: Any) -> BpmnWorkflow:
    """Rebuild an instance from :func:`dump_state` output and its version's spec (the JSON
    from :func:`dump_spec`, or specs already restored from it).

    The script engine is not serialized; the one given is attached here, every time.
    """
    try:
        dct = json.loads(zlib.decompress(blob))
    except (zlib.error, ValueError) as exc:
        raise StateRefused(f"Stored instance state is unreadable: {exc}") from exc
    _check_version(dct.pop("version", None), "state")
    specs = load_spec(spec) if isinstance(spec, str) else spec
    workflow: BpmnWorkflow = REGISTRY.restore(dct, specs=specs)
    workflow.script_engine = script_engine
    return workflow


def _check_version(found: str | None, what: str) -> None:
    if found != SERIALIZER_VERSION:
        raise StateRefused(
            f"Stored {what} was written by serializer {found!r}; this engine reads "
            f"{SERIALIZER_VERSION!r}. Migrate it before loading.",
            found=found,
            expected=SERIALIZER_VERSION,
        )
