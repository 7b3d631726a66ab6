"""The pure engine layer: SpiffWorkflow behind a sandbox, a catalogue and safe XML.

Nothing here imports the database, the web app or Flask.  The runtime in
``workflows/`` loads state, calls :mod:`~workflows.engine.runner`, drains
``engine.effects`` and saves, all in its own transaction.
"""

from .catalogue import OPERATIONS, Effect, validate_call
from .errors import (
    BpmnRefused,
    DataRefused,
    EngineError,
    MessageNotExpected,
    OperationFailed,
    Problem,
    ScriptRefused,
    StateRefused,
    StepTimeout,
    TaskNotReady,
    TimerInvalid,
)
from .parser import LoadedSpecs, load_specs
from .roles import ROLES
from .runner import ReadyTask
from .script_engine import SandboxScriptEngine
from .serializer import SERIALIZER_VERSION, dump_spec, dump_state, load_spec, load_state
from .validation import ValidatedDefinition, validate_bpmn

__all__ = [
    "OPERATIONS",
    "ROLES",
    "SERIALIZER_VERSION",
    "BpmnRefused",
    "DataRefused",
    "Effect",
    "EngineError",
    "LoadedSpecs",
    "MessageNotExpected",
    "OperationFailed",
    "Problem",
    "ReadyTask",
    "SandboxScriptEngine",
    "ScriptRefused",
    "StateRefused",
    "StepTimeout",
    "TaskNotReady",
    "TimerInvalid",
    "ValidatedDefinition",
    "dump_spec",
    "dump_state",
    "load_spec",
    "load_specs",
    "load_state",
    "validate_bpmn",
    "validate_call",
]
