"""CPU and size limits for sandboxed code.

RestrictedPython controls *what* code may touch, not *how long* it runs.  A per-thread
deadline is enforced three ways, none of which needs signals (so it works off the main
thread, e.g. in a scheduler worker):

* a ``sys.settrace`` hook on sandbox frames only, checked on every line and call;
* the sandbox ``range`` iterates through a generator that checks the deadline, so
  C-level consumers such as ``sum(range(10**9))`` are interrupted too;
* ``**``, ``*`` and ``<<`` refuse results that would be absurdly large, because a single
  big-integer or string operation runs in C where no hook can stop it.
"""

from __future__ import annotations

import operator
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from types import FrameType
from typing import Any, TypeVar

from .errors import StepTimeout

SANDBOX_FILENAME = "<remtrack-sandbox>"
MAX_INT_BITS = 64_000  # about 19,000 decimal digits
MAX_SEQUENCE = 1_000_000

_local = threading.local()
T = TypeVar("T")
_Trace = Callable[[FrameType, str, Any], Any]


def check_deadline() -> None:
    """Raise :class:`StepTimeout` when the current thread's sandbox deadline has passed."""
    deadline: float | None = getattr(_local, "deadline", None)
    if deadline is not None and time.monotonic() > deadline:
        raise StepTimeout(_local.limit)


def run_limited(fn: Callable[[], T], limit: float) -> T:
    """Run ``fn`` with a wall-clock limit applying to sandbox code it calls."""
    deadline = time.monotonic() + limit

    def local_trace(frame: FrameType, event: str, arg: Any) -> _Trace:
        if time.monotonic() > deadline:
            raise StepTimeout(limit)
        return local_trace

    def global_trace(frame: FrameType, event: str, arg: Any) -> _Trace | None:
        # Only sandbox frames are traced: library code runs at full speed.
        if frame.f_code.co_filename != SANDBOX_FILENAME:
            return None
        return local_trace(frame, event, arg)

    previous_trace = sys.gettrace()
    previous = getattr(_local, "deadline", None), getattr(_local, "limit", None)
    _local.deadline, _local.limit = deadline, limit
    sys.settrace(global_trace)
    try:
        return fn()
    finally:
        sys.settrace(previous_trace)
        _local.deadline, _local.limit = previous


def _budgeted(items: Iterable[T]) -> Iterator[T]:
    for count, item in enumerate(items, 1):
        if not count & 0x3FF:
            check_deadline()
        yield item


class SandboxRange:
    """``range`` for the sandbox: same behaviour, but iteration obeys the deadline."""

    __slots__ = ("_r",)

    def __init__(self, *args: int) -> None:
        self._r = range(*args)

    def __iter__(self) -> Iterator[int]:
        return _budgeted(self._r)

    def __reversed__(self) -> Iterator[int]:
        return _budgeted(reversed(self._r))

    def __len__(self) -> int:
        return len(self._r)

    def __contains__(self, value: object) -> bool:
        return value in self._r

    def __getitem__(self, index: int | slice) -> Any:
        value = self._r[index]
        return (
            SandboxRange(value.start, value.stop, value.step) if isinstance(value, range) else value
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SandboxRange) and self._r == other._r

    def __hash__(self) -> int:
        return hash(self._r)

    def __repr__(self) -> str:
        return repr(self._r)


def _too_big(message: str) -> ValueError:
    return ValueError(f"{message}; scripts may only compute small values")


def guarded_pow(base: Any, exp: Any, mod: Any = None) -> Any:
    huge = (
        mod is None
        and isinstance(base, int)
        and isinstance(exp, int)
        and exp > 0
        and abs(base) > 1
        and base.bit_length() * exp > MAX_INT_BITS
    )
    if huge:
        raise _too_big("the power is too large")
    return pow(base, exp) if mod is None else pow(base, exp, mod)


def _guarded_mul(a: Any, b: Any) -> Any:
    for seq, times in ((a, b), (b, a)):
        repeated = isinstance(seq, (str, bytes, list, tuple)) and isinstance(times, int)
        if repeated and len(seq) * times > MAX_SEQUENCE:
            raise _too_big("the repeated text or list is too long")
    both_int = isinstance(a, int) and isinstance(b, int)
    if both_int and a.bit_length() + b.bit_length() > MAX_INT_BITS:
        raise _too_big("the product is too large")
    return a * b


def _guarded_lshift(a: Any, b: Any) -> Any:
    if isinstance(b, int) and b > MAX_INT_BITS:
        raise _too_big("the shift is too large")
    return a << b


_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "**": guarded_pow,
    "*": _guarded_mul,
    "<<": _guarded_lshift,
}
# ``x += y`` must not mutate a list shared with earlier tasks (task data is copied one
# level deep), so in-place operators are mapped to their pure counterparts.
_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.add,
    "-=": operator.sub,
    "*=": _guarded_mul,
    "/=": operator.truediv,
    "//=": operator.floordiv,
    "%=": operator.mod,
    "**=": guarded_pow,
    "<<=": _guarded_lshift,
    ">>=": operator.rshift,
    "&=": operator.and_,
    "|=": operator.or_,
    "^=": operator.xor,
}


def guarded_binop(op: str, a: Any, b: Any) -> Any:
    return _BINOPS[op](a, b)


def inplace_var(op: str, target: Any, value: Any) -> Any:
    try:
        fn = _INPLACE[op]
    except KeyError:
        raise TypeError(f"the operator {op} is not supported") from None
    return fn(target, value)
