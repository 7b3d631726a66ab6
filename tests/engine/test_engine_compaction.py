"""Compaction of finished history: the engine behaves identically, the state stays small.

Every scenario runs on a *twin*: two instances with the same (deterministic) task ids, one
compacting its state at every dump and one writing the whole tree.  After every single
step both must show the same ready tasks (ids, names, lanes, roles, due dates), waiting
messages and events, next timer, completion, workflow data, effects, errors — and the same
unfinished tasks with their data, internal data, parents and children.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
import SpiffWorkflow.task as spiff_task
from SpiffWorkflow.util.task import TaskState

from db.vocabulary import ACCOUNTABILITY_OUTCOMES, VERIFY_DECISIONS
from workflows.engine import compaction, runner
from workflows.engine.script_engine import SandboxScriptEngine
from workflows.engine.serializer import dump_state, load_spec, load_state

from .conftest import Driver, model_spec_json, spec_json_from_xml


@contextmanager
def _task_ids(seed: int) -> Iterator[None]:
    """New tasks get ids from ``seed``: both twins create the very same ids."""
    rng = random.Random(seed)
    original = spiff_task.uuid4
    spiff_task.uuid4 = lambda: UUID(int=rng.getrandbits(128), version=4)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        spiff_task.uuid4 = original  # type: ignore[attr-defined]


class CompactingDriver(Driver):
    """The conftest driver, with compaction switched on or off for every dump."""

    def __init__(self, spec_json: str, data: dict[str, Any], compact: bool) -> None:
        self.compact = compact
        super().__init__(spec_json, data)

    def _save(self, wf: Any) -> None:
        self.blob = dump_state(wf, compact=self.compact)
        self.effects += self.engine.drain_effects()


def snapshot(wf: Any) -> dict[str, Any]:
    """Everything about ``wf`` that can influence what happens next, or that anyone reads."""
    live = []
    for task in wf.get_tasks(state=TaskState.NOT_FINISHED_MASK):
        live.append(
            (
                str(task.id),
                task.task_spec.name,
                TaskState.get_name(task.state),
                dict(task.data),
                dict(task.internal_data),
                task.triggered,
                str(task.parent.id) if task.parent is not None else None,
                [str(c.id) for c in task.children],
            )
        )
    return {
        "ready": runner.ready_user_tasks(wf),
        "messages": runner.waiting_messages(wf),
        "waiting": [(e.event_type, e.name, e.value) for e in wf.waiting_events()],
        "next_timer": runner.next_timer_at(wf),
        "completed": runner.is_completed(wf),
        "data": dict(wf.data),
        "live": live,
    }


class Twin:
    """Runs every step on a compacting and a non-compacting instance and compares them."""

    def __init__(self, model: str | tuple[str, str], data: dict[str, Any]) -> None:
        spec_json = model_spec_json(model) if isinstance(model, str) else model[1]
        self.step = 0
        self.sizes: list[tuple[int, int]] = []
        self.pair: list[CompactingDriver] = []
        for compact in (True, False):
            with _task_ids(0):
                self.pair.append(CompactingDriver(spec_json, data, compact))
        self._check()

    @property
    def compacted(self) -> CompactingDriver:
        return self.pair[0]

    @property
    def whole(self) -> CompactingDriver:
        return self.pair[1]

    def _effects(self, driver: Driver) -> list[tuple[str, dict[str, Any], str, str]]:
        return [(e.operation, e.params, e.task_id, e.task_name) for e in driver.effects]

    def _check(self) -> None:
        a, b = (d.act(snapshot) for d in self.pair)
        assert a == b, f"after step {self.step}"
        assert self._effects(self.compacted) == self._effects(self.whole)
        assert len(self.compacted.blob) <= len(self.whole.blob)
        self.sizes.append((len(self.compacted.blob), len(self.whole.blob)))

    def act(self, fn: Callable[[Any], Any]) -> Any:
        self.step += 1
        outcomes: list[tuple[str, Any]] = []
        for driver in self.pair:
            with _task_ids(self.step):
                try:
                    outcomes.append(("ok", driver.act(fn)))
                except Exception as exc:  # noqa: BLE001 — both must fail the same way
                    outcomes.append((type(exc).__name__, str(exc)))
        assert outcomes[0] == outcomes[1], f"step {self.step}: {outcomes}"
        self._check()
        if outcomes[0][0] != "ok":
            raise AssertionError(f"step {self.step} failed on both: {outcomes[0]}")
        return outcomes[0][1]

    def fails(self, fn: Callable[[Any], Any]) -> str:
        """Run a step that must fail identically on both twins; returns the error."""
        try:
            self.act(fn)
        except AssertionError as exc:
            if "failed on both" in str(exc):
                return str(exc)
            raise
        raise AssertionError("the step did not fail")

    # -- the same verbs as the conftest Driver, on both twins
    def ready_names(self) -> list[str]:
        return sorted(t.spec_name for t in self.act(runner.ready_user_tasks))

    def complete(self, spec_name: str, **data: Any) -> None:
        def run(wf: Any) -> None:
            ready = [t for t in runner.ready_user_tasks(wf) if t.spec_name == spec_name]
            assert ready, f"{spec_name} is not ready"
            runner.complete(wf, ready[0].task_id, data)

        self.act(run)

    def send(self, name: str, **payload: Any) -> None:
        self.act(lambda wf: runner.send_message(wf, name, payload))

    def fire(self, now: datetime) -> int:
        return int(self.act(lambda wf: runner.fire_timers(wf, now)))

    @property
    def completed(self) -> bool:
        return bool(self.act(runner.is_completed))

    def statuses(self) -> list[str]:
        return self.compacted.statuses()

    def operations(self, name: str | None = None) -> list[tuple[str, dict[str, Any]]]:
        return self.compacted.operations(name)


NOW = datetime(2030, 1, 1, tzinfo=UTC)


def _requirement(days: float = 30) -> Twin:
    return Twin(
        "requirement", {"requirement_id": 1, "deadline": (NOW + timedelta(days=days)).isoformat()}
    )


def _in_remediation(days: float = 30) -> Twin:
    twin = _requirement(days)
    twin.complete("acknowledge")
    twin.complete("submit_plan")
    return twin


def _verify(twin: Twin, decision: str) -> None:
    twin.complete("remediate", report="done")
    twin.complete("verify", decision=decision)


# ---------------------------------------------------------------- requirement: every path


@pytest.mark.parametrize("decision", VERIFY_DECISIONS)
def test_requirement_every_verify_decision(decision):
    twin = _in_remediation()
    _verify(twin, decision)
    if decision in ("incomplete", "formal_only"):
        assert twin.ready_names() == ["remediate"]
        _verify(twin, "implemented")
    assert twin.completed


def test_requirement_unknown_decision_fails_the_same_way():
    twin = _in_remediation()
    twin.complete("remediate")
    assert "No conditions satisfied" in twin.fails(
        lambda wf: runner.complete(wf, runner.ready_user_tasks(wf)[0].task_id, {"decision": "?"})
    )


def test_requirement_withdrawn_and_refused_messages():
    twin = _requirement()
    twin.fails(lambda wf: runner.send_message(wf, "withdrawn", {}))
    twin.complete("acknowledge")
    twin.complete("submit_plan")
    _verify(twin, "incomplete")
    twin.send("withdrawn", reason="annulled")
    assert twin.completed
    assert twin.statuses() == ["returned", "withdrawn"]


def test_requirement_escalation_reviewed_while_rounds_go_on():
    twin = _in_remediation()
    twin.send("escalated", level=1)
    for _ in range(3):
        _verify(twin, "formal_only")
    twin.complete("review_escalation", note="seen")
    _verify(twin, "incomplete")
    twin.send("escalated", level=2)
    _verify(twin, "partial")
    assert twin.completed
    assert twin.statuses() == ["returned"] * 4 + ["closed"]


def test_requirement_escalation_left_open_keeps_the_state_small():
    twin = _in_remediation()
    twin.send("escalated", level=1)
    for _ in range(12):
        _verify(twin, "formal_only")
    compacted, whole = twin.sizes[-1]
    assert compacted * 3 < whole, twin.sizes[-1]
    _verify(twin, "implemented")
    assert twin.completed


def test_requirement_deadline_overdue_then_rounds_then_closed():
    twin = _in_remediation(days=5)
    assert twin.fire(NOW + timedelta(days=4)) == 0
    _verify(twin, "formal_only")
    assert twin.fire(NOW + timedelta(days=6)) == 1
    assert twin.ready_names() == ["remediate"]
    for _ in range(3):
        _verify(twin, "incomplete")
    _verify(twin, "implemented")
    assert twin.statuses() == ["returned", "overdue"] + ["returned"] * 3 + ["closed"]


def test_requirement_extensions_approved_rejected_and_after_the_deadline():
    twin = _in_remediation(days=2)
    twin.send("extension_requested", requested_deadline=(NOW + timedelta(days=9)).isoformat())
    twin.complete(
        "decide_extension",
        extension_approved=True,
        new_deadline=(NOW + timedelta(days=9)).isoformat(),
    )
    twin.send("extension_requested")
    twin.complete("decide_extension", extension_approved=False)
    assert twin.fire(NOW + timedelta(days=10)) == 1
    twin.send("escalated", level=1)
    twin.send("extension_requested")
    twin.complete(
        "decide_extension",
        extension_approved=True,
        new_deadline=(NOW + timedelta(days=30)).isoformat(),
    )
    _verify(twin, "formal_only")
    twin.complete("review_escalation")
    assert twin.fire(NOW + timedelta(days=31)) == 1
    _verify(twin, "not_implementable")
    assert twin.completed
    assert twin.operations("open_accountability_case")


def test_requirement_mixed_history_with_every_event():
    twin = _in_remediation(days=3)
    for round_ in range(6):
        if round_ % 3 == 0:
            twin.send("escalated", level=round_)
        if round_ % 2 == 0:
            twin.send("extension_requested")
            twin.complete(
                "decide_extension",
                extension_approved=round_ % 4 == 0,
                new_deadline=(NOW + timedelta(days=10 + round_)).isoformat(),
            )
        if round_ == 3:
            twin.fire(NOW + timedelta(days=20))
        _verify(twin, ("formal_only", "incomplete")[round_ % 2])
        if "review_escalation" in twin.ready_names() and round_ % 2:
            twin.complete("review_escalation")
    twin.send("withdrawn")
    assert twin.completed


# ---------------------------------------------------------------- the other models


def test_conclusion_path():
    twin = Twin("conclusion", {"conclusion_id": 7})
    twin.fails(lambda wf: runner.send_message(wf, "nonsense", {}))
    twin.send("requirements_closed", count=3)
    twin.complete("final_assessment", assessment="all remediated")
    assert twin.completed


@pytest.mark.parametrize("returns", [0, 3])
def test_referral_returned_then_accepted(returns):
    due = (NOW + timedelta(days=15)).isoformat()
    twin = Twin("referral", {"referral_id": 3, "response_due": due})
    twin.complete("acknowledge_referral")
    for _ in range(returns):
        twin.complete("respond", answer="x")
        twin.complete("review_response", review="return")
    twin.complete("respond")
    twin.complete("review_response", review="accept")
    assert twin.completed


def test_referral_overdue_then_returned_rounds():
    due = (NOW + timedelta(days=2)).isoformat()
    twin = Twin("referral", {"referral_id": 3, "response_due": due})
    twin.complete("acknowledge_referral")
    assert twin.fire(NOW + timedelta(days=3)) == 1
    for _ in range(4):
        twin.complete("respond")
        twin.complete("review_response", review="return")
    twin.fire(NOW + timedelta(days=30))
    twin.complete("respond")
    twin.complete("review_response", review="accept")
    assert twin.completed


@pytest.mark.parametrize("outcome", [*ACCOUNTABILITY_OUTCOMES, "a stern look"])
def test_accountability_paths(outcome):
    twin = Twin("accountability", {"case_id": 9})
    twin.complete("submit_explanation", explanation="late because ...")
    twin.complete("review_explanation")
    if outcome in ACCOUNTABILITY_OUTCOMES:
        twin.complete("decide", decision=outcome)
        assert twin.completed
    else:
        twin.fails(
            lambda wf: runner.complete(
                wf, runner.ready_user_tasks(wf)[0].task_id, {"decision": outcome}
            )
        )


# ---------------------------------------------------------------- long histories


def _single(days: float = 30) -> CompactingDriver:
    inst = CompactingDriver(
        model_spec_json("requirement"),
        {"requirement_id": 1, "deadline": (NOW + timedelta(days=days)).isoformat()},
        compact=True,
    )
    inst.complete("acknowledge")
    inst.complete("submit_plan")
    return inst


def _depth(inst: Driver) -> int:
    wf = load_state(inst.blob, inst.spec_json, inst.engine)
    return max(t.depth for t in wf.tasks.values())


def test_fifty_rejection_rounds_complete_with_compaction():
    inst = _single()
    for _ in range(50):
        inst.complete("remediate")
        inst.complete("verify", decision="formal_only")
        assert inst.ready_names() == ["remediate"]
    assert _depth(inst) < 20
    inst.complete("remediate")
    inst.complete("verify", decision="implemented")
    assert inst.completed
    assert inst.statuses() == ["returned"] * 50 + ["closed"]


def test_fifty_extension_rounds_complete_with_compaction():
    inst = _single(days=1)
    for round_ in range(50):
        inst.send("extension_requested")
        inst.complete(
            "decide_extension",
            extension_approved=round_ % 2 == 0,
            new_deadline=(NOW + timedelta(days=2 + round_)).isoformat(),
        )
        assert inst.ready_names() == ["remediate"]
    assert inst.next_timer_at == NOW + timedelta(days=2 + 48)
    assert _depth(inst) < 20
    assert inst.fire(NOW + timedelta(days=51)) == 1
    inst.complete("remediate")
    inst.complete("verify", decision="implemented")
    assert inst.completed
    assert inst.statuses() == ["overdue", "closed"]


def test_a_hundred_and_twenty_rounds_pass_the_depth_where_spiff_stalls():
    # ~12 tasks per round: without compaction the tree passes depth 1000 near round 83 (trap 1).
    inst = _single()
    for _ in range(120):
        inst.complete("remediate")
        inst.complete("verify", decision="incomplete")
    inst.complete("remediate")
    inst.complete("verify", decision="partial")
    assert inst.completed
    assert inst.statuses()[-1] == "closed"


def test_state_after_twenty_rounds_stays_the_size_of_one_round():
    twin = _requirement()
    fresh = len(twin.compacted.blob)
    twin.complete("acknowledge")
    twin.complete("submit_plan")
    first_round = len(twin.compacted.blob)
    for _ in range(20):
        _verify(twin, "formal_only")
    after, whole = twin.sizes[-1]
    assert fresh <= 4 * 1024
    # Same step of the life cycle (waiting for the completion report), 20 rounds later.
    assert after <= 1.5 * first_round, (fresh, first_round, after)
    assert after <= 2 * fresh, (fresh, after)
    assert whole > 5 * after  # what it used to be


def test_cost_of_a_step_does_not_grow_with_rounds():
    inst = _single()

    def cycle() -> float:
        best = float("inf")
        for _ in range(15):
            t0 = time.perf_counter()
            wf = load_state(inst.blob, inst.spec_json, inst.engine)
            runner.ready_user_tasks(wf)
            dump_state(wf)
            best = min(best, time.perf_counter() - t0)
        return best

    fresh = cycle()
    for _ in range(20):
        inst.complete("remediate")
        inst.complete("verify", decision="formal_only")
    assert cycle() < 3 * fresh + 0.001


# ---------------------------------------------------------------- the scheme itself


def test_dump_does_not_change_the_workflow_in_memory():
    inst = CompactingDriver(
        model_spec_json("requirement"),
        {"requirement_id": 1, "deadline": (NOW + timedelta(days=30)).isoformat()},
        compact=False,
    )
    inst.complete("acknowledge")
    inst.complete("submit_plan")
    for _ in range(3):
        inst.complete("remediate")
        inst.complete("verify", decision="formal_only")
    wf = load_state(inst.blob, inst.spec_json, inst.engine)
    before = {tid: (t._parent, list(t._children), t.state) for tid, t in wf.tasks.items()}
    small = dump_state(wf)
    assert {tid: (t._parent, list(t._children), t.state) for tid, t in wf.tasks.items()} == before
    assert len(small) < len(dump_state(wf, compact=False))


def test_compaction_is_idempotent():
    inst = _single()
    for _ in range(4):
        inst.complete("remediate")
        inst.complete("verify", decision="formal_only")
    wf = load_state(inst.blob, inst.spec_json, inst.engine)
    assert compaction.plan(wf) is None  # already compact: nothing more to drop


def test_finished_instances_are_left_whole():
    inst = _single()
    inst.complete("remediate")
    inst.complete("verify", decision="implemented")
    wf = load_state(inst.blob, inst.spec_json, inst.engine)
    assert runner.is_completed(wf)
    assert compaction.plan(wf) is None


# A parallel split and join inside a loop: Spiff compares a join with earlier arrivals of the
# same gateway, so finished gateways of earlier rounds must survive compaction.
_PARALLEL_LOOP = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="t">
  <bpmn:process id="par_loop" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="again_in">
      <bpmn:incoming>f0</bpmn:incoming><bpmn:incoming>f_again</bpmn:incoming>
      <bpmn:outgoing>f1</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:parallelGateway id="fork">
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>fa</bpmn:outgoing><bpmn:outgoing>fb</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:userTask id="a">
      <bpmn:incoming>fa</bpmn:incoming><bpmn:outgoing>fa2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:userTask id="b">
      <bpmn:incoming>fb</bpmn:incoming><bpmn:outgoing>fb2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:parallelGateway id="join">
      <bpmn:incoming>fa2</bpmn:incoming><bpmn:incoming>fb2</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:parallelGateway>
    <bpmn:userTask id="check">
      <bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="gw" default="f_end">
      <bpmn:incoming>f3</bpmn:incoming>
      <bpmn:outgoing>f_again</bpmn:outgoing><bpmn:outgoing>f_end</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:endEvent id="end"><bpmn:incoming>f_end</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="again_in" />
    <bpmn:sequenceFlow id="f1" sourceRef="again_in" targetRef="fork" />
    <bpmn:sequenceFlow id="fa" sourceRef="fork" targetRef="a" />
    <bpmn:sequenceFlow id="fb" sourceRef="fork" targetRef="b" />
    <bpmn:sequenceFlow id="fa2" sourceRef="a" targetRef="join" />
    <bpmn:sequenceFlow id="fb2" sourceRef="b" targetRef="join" />
    <bpmn:sequenceFlow id="f2" sourceRef="join" targetRef="check" />
    <bpmn:sequenceFlow id="f3" sourceRef="check" targetRef="gw" />
    <bpmn:sequenceFlow id="f_again" sourceRef="gw" targetRef="again_in">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">again</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_end" sourceRef="gw" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_parallel_gateway_in_a_loop_behaves_the_same():
    twin = Twin(("par_loop", spec_json_from_xml(_PARALLEL_LOOP)), {"n": 1})
    orders = [("a", "b"), ("b", "a"), ("a", "b"), ("b", "a"), ("b", "a")]
    for first, second in orders:
        # Whatever Spiff decides (it may even let the join through early in a loop), both
        # twins must decide the same.
        names = twin.ready_names()
        if first in names:
            twin.complete(first)
        if second in twin.ready_names():
            twin.complete(second)
        while "check" not in twin.ready_names():
            twin.complete(twin.ready_names()[0])
        twin.complete("check", again=True)
    for name in ("a", "b"):
        if name in twin.ready_names():
            twin.complete(name)
    twin.complete("check", again=False)
    while twin.ready_names():
        twin.complete(twin.ready_names()[0])
    assert twin.completed


_INCLUSIVE = _PARALLEL_LOOP.replace(
    '<bpmn:parallelGateway id="join">', '<bpmn:inclusiveGateway id="join">'
).replace(
    "<bpmn:outgoing>f2</bpmn:outgoing>\n    </bpmn:parallelGateway>",
    "<bpmn:outgoing>f2</bpmn:outgoing>\n    </bpmn:inclusiveGateway>",
)


_SUBPROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  id="d" targetNamespace="t">
  <bpmn:process id="with_sub" isExecutable="true">
    <bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:subProcess id="sub">
      <bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing>
      <bpmn:startEvent id="s_start"><bpmn:outgoing>s0</bpmn:outgoing></bpmn:startEvent>
      <bpmn:userTask id="inner">
        <bpmn:incoming>s0</bpmn:incoming><bpmn:outgoing>s1</bpmn:outgoing>
      </bpmn:userTask>
      <bpmn:endEvent id="s_end"><bpmn:incoming>s1</bpmn:incoming></bpmn:endEvent>
      <bpmn:sequenceFlow id="s0" sourceRef="s_start" targetRef="inner" />
      <bpmn:sequenceFlow id="s1" sourceRef="inner" targetRef="s_end" />
    </bpmn:subProcess>
    <bpmn:userTask id="after">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f0" sourceRef="start" targetRef="sub" />
    <bpmn:sequenceFlow id="f1" sourceRef="sub" targetRef="after" />
    <bpmn:sequenceFlow id="f2" sourceRef="after" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.mark.parametrize(
    ("xml", "reason"),
    [(_INCLUSIVE, "inclusive gateway"), (_SUBPROCESS, "subprocess")],
)
def test_models_the_argument_does_not_cover_are_never_compacted(xml, reason):
    spec, subprocess_specs = load_spec(spec_json_from_xml(xml))
    wf = runner.start(spec, subprocess_specs, {}, SandboxScriptEngine())
    assert reason in (compaction.unsupported(wf) or "")
    assert compaction.plan(wf) is None
    assert dump_state(wf) == dump_state(wf, compact=False)
