"""The RestrictedPython sandbox for every script, gateway condition and timer expression.

What the models can reach is a short whitelist: plain builtins, the classes ``datetime``,
``date``, ``timedelta``, ``timezone`` and ``Decimal`` - never a module (``random._os``
style walks start from a module) - and RestrictedPython's guards, which refuse any
attribute starting with ``_`` and ``str.format``.  On top of RestrictedPython's own
policy we refuse ``import``, ``try``, ``with``, classes and ``global``: models never
need them, and ``try``/``with`` could swallow the time-limit exception.
"""

from __future__ import annotations

import ast
import copy
import textwrap
from collections.abc import Mapping, MutableMapping
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from types import CodeType
from typing import Any, Literal

from RestrictedPython.compile import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
    safer_getattr,
)
from RestrictedPython.PrintCollector import PrintCollector
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from .errors import ScriptRefused
from .limits import (
    SANDBOX_FILENAME,
    SandboxRange,
    guarded_binop,
    guarded_pow,
    inplace_var,
    run_limited,
)

Mode = Literal["eval", "exec"]
DEFAULT_TIME_LIMIT = 2.0  # seconds per script or expression

_REFUSED_STATEMENTS = {
    ast.Import: "import is not allowed; the names you may use are already available",
    ast.ImportFrom: "import is not allowed; the names you may use are already available",
    ast.Try: "try/except is not allowed in model scripts",
    ast.With: "with-statements are not allowed in model scripts",
    ast.ClassDef: "class definitions are not allowed in model scripts",
    ast.Global: "global is not allowed in model scripts",
}
_GUARDED_OPS = {ast.Pow: "**", ast.Mult: "*", ast.LShift: "<<"}


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's policy, tightened for process models."""

    def visit(self, node: ast.AST) -> Any:
        reason = _REFUSED_STATEMENTS.get(type(node))
        if reason is None and type(node).__name__ == "TryStar":
            reason = _REFUSED_STATEMENTS[ast.Try]
        if reason is not None:
            self.error(node, reason)
            return node
        return super().visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        symbol = _GUARDED_OPS.get(type(node.op))
        if symbol is None:
            return node
        call = ast.Call(
            func=ast.Name("_binop_", ast.Load()),
            args=[ast.Constant(symbol), node.left, node.right],
            keywords=[],
        )
        copy_locations(call, node)
        return call


@lru_cache(maxsize=4096)
def _compile(source: str, mode: Mode) -> tuple[CodeType | None, tuple[str, ...]]:
    # Cached per source string: models evaluate the same few expressions again and again.
    text = textwrap.dedent(source).strip() if mode == "exec" else source.strip()
    if not text:
        return None, ("the expression is empty",)
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(text, filename=SANDBOX_FILENAME, policy=_Policy)
    if result.errors or result.code is None:
        return None, tuple(result.errors) or ("it could not be compiled",)
    return result.code, ()


def compile_check(source: str, mode: Mode) -> list[str]:
    """Errors that stop ``source`` from compiling in the sandbox (empty when fine)."""
    return list(_compile(source or "", mode)[1])


def compiled(source: str, mode: Mode) -> CodeType:
    code, errors = _compile(source or "", mode)
    if code is None:
        raise ScriptRefused(source or "", list(errors))
    return code


def _apply(fn: Any, *args: Any, **kwargs: Any) -> Any:
    return fn(*args, **kwargs)


def _getitem(obj: Any, key: Any) -> Any:
    return obj[key]


def _builtins() -> dict[str, Any]:
    names = dict(safe_builtins)
    # setattr/delattr could write attributes; the others escape or end the process.
    for name in (
        "setattr",
        "delattr",
        "_getattr_",
        "__build_class__",
        "BaseException",
        "SystemExit",
        "KeyboardInterrupt",
        "GeneratorExit",
        "id",
    ):
        names.pop(name, None)
    # RestrictedPython leaves out sorted/zip/tuple/... because they iterate in C past
    # _getiter_; our _getiter_ enforces nothing per item, so they give nothing away.
    names.update(
        min=min,
        max=max,
        sum=sum,
        len=len,
        sorted=sorted,
        any=any,
        all=all,
        abs=abs,
        round=round,
        enumerate=enumerate,
        zip=zip,
        reversed=reversed,
        list=list,
        dict=dict,
        set=set,
        frozenset=frozenset,
        tuple=tuple,
        str=str,
        int=int,
        float=float,
        bool=bool,
        isinstance=isinstance,
        map=map,
        filter=filter,
        range=SandboxRange,
        pow=guarded_pow,
        datetime=datetime,
        date=date,
        timedelta=timedelta,
        timezone=timezone,
        Decimal=Decimal,
    )
    return names


SANDBOX_BUILTINS: Mapping[str, Any] = _builtins()
_GUARDS: dict[str, Any] = {
    "__builtins__": SANDBOX_BUILTINS,
    "__name__": "sandbox",
    "_getattr_": safer_getattr,
    "_getitem_": _getitem,
    "_getiter_": iter,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_write_": full_write_guard,
    "_inplacevar_": inplace_var,
    "_apply_": _apply,
    "_binop_": guarded_binop,
    "_print_": PrintCollector,
}
_DATA_TYPES = (str, int, float, bool, type(None), Decimal, date, timedelta, list, dict, tuple)


def _private_copy(value: Any) -> Any:
    # Task data is copied one level deep between tasks: give scripts their own copy of
    # containers so an in-place change cannot rewrite an earlier task's history.
    return copy.deepcopy(value) if isinstance(value, (dict, list, set)) else value


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates and executes model code under RestrictedPython and a time limit."""

    def __init__(self, time_limit: float = DEFAULT_TIME_LIMIT) -> None:
        super().__init__({})
        self.time_limit = time_limit

    def _scope(
        self, context: Mapping[str, Any], external: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        scope = {k: _private_copy(v) for k, v in (external or {}).items()}
        scope.update((k, _private_copy(v)) for k, v in context.items())
        scope.update(_GUARDS)  # last, so task data can never replace a guard
        return scope

    def evaluate(
        self,
        expression: str,
        context: Mapping[str, Any],
        external_context: Mapping[str, Any] | None = None,
    ) -> Any:
        code = compiled(expression, "eval")
        scope = self._scope(context, external_context)
        return run_limited(lambda: eval(code, scope), self.time_limit)  # noqa: S307 - restricted code

    def execute(
        self,
        script: str,
        context: MutableMapping[str, Any],
        external_context: Mapping[str, Any] | None = None,
    ) -> bool:
        code = compiled(script, "exec")
        scope = self._scope(context, external_context)
        run_limited(lambda: exec(code, scope), self.time_limit)  # noqa: S102 - restricted code
        self._write_back(scope, context, external_context or {})
        return True

    def _write_back(
        self,
        scope: Mapping[str, Any],
        context: MutableMapping[str, Any],
        external: Mapping[str, Any],
    ) -> None:
        for key in [k for k in context if k not in scope]:
            del context[key]  # the script deleted it
        for key, value in scope.items():
            if key in _GUARDS or (key in external and key not in context) or callable(value):
                continue
            if not isinstance(value, _DATA_TYPES):
                raise TypeError(
                    f"the script left {key!r} holding a {type(value).__name__}; "
                    "task data may only hold text, numbers, dates, lists and dicts"
                )
            context[key] = value

    def call_service(self, context: Mapping[str, Any], **kwargs: Any) -> Any:
        raise NotImplementedError("service tasks are dispatched by SandboxScriptEngine")
