"""The monitor: rules that spot slow and "on paper" remediation, and the flags they raise.

``run_pass(session_factory, now)`` is the scheduler's job (see ``workflows.jobs``).
"""

from workflows.monitor.passes import PassResult, run_pass

__all__ = ["PassResult", "run_pass"]
