"""Who must hear of what happened: the one door from domain events to the notifier.

Verbs, service tasks, the monitor and the escalation ladder call :func:`notify_event` in the
caller's transaction; it resolves the recipients from roles and bodies and queues the
notifications in the outbox (``notifier``), so they exist exactly when the change commits.

The event names are the audit actions of the change (so the trail and the notifications
speak of the same thing), plus ``task.assigned``. ``subject`` is ``(type, id)``; ``context`` is
the audit payload. Called today from:

- ``workflows.requirement_steps.audit`` — every requirement verb: ``requirement.acknowledged``,
  ``.plan_submitted``, ``.progress_reported``, ``.submitted``, ``.verified`` (``decision``:
  implemented | partial | incomplete | formal_only | not_implementable, ``grade``,
  ``reason``), ``.extension_requested``, ``.extension_decided`` (``approved``, ``deadline``),
  ``.withdrawn``;
- ``workflows.conclusions``: ``conclusion.issued``, ``conclusion.assessed``;
- ``workflows.effects``: ``requirement.status_changed`` (``from``, ``to``; e.g. to
  ``overdue`` when the deadline timer fires), ``conclusion.requirements_closed`` (ready for the
  final assessment), ``process.notify`` (a model's notify service task: ``kind``, ``to`` role,
  ``body_id``);
- ``workflows.instances.save``: ``task.assigned`` (``task``, ``title``, ``role``, ``body_id``,
  ``due_at``) for each new READY user task;
- the monitor and the escalation ladder: ``flag.opened`` (``rule``, ``severity``, ``flag``,
  and the flag's ``facts`` when the caller has them),
  ``deadline.approaching`` (``share``), ``escalation.raised`` (``level``, ``to_body_id``,
  ``reason``), ``escalation.acknowledged``, ``accountability_case.opened`` /
  ``.explanation_requested`` / ``.explained`` / ``.decided``.

Each event maps to one notification *kind* (what users set preferences for, see
``notifier.kinds``) and its recipients: one small function per event below, registered in
:data:`RULES`. Events that
call for nobody are ignored, so callers never need to know which matter. One piece of news
is announced once: a user task whose arrival another event already tells (``verify`` after
``requirement.submitted``, …) is not announced again by ``task.assigned``. Whoever caused
the event is not told of it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from db.models import Conclusion, ExtensionRequest, Requirement, User
from notifier import digest
from notifier import facts as facts_of
from notifier.outbox import Notice, Recipients, queue_many
from notifier.translate import LOCALES, in_locale
from workflows.access import visible_bodies


@dataclass(frozen=True)
class Event:
    session: Session
    name: str
    subject: tuple[str, int]
    actor: User | None
    context: dict[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        return self.context.get(key, default)


Rule = Callable[[Event], Iterable[Notice]]
RULES: dict[str, Rule] = {}
#: Tasks whose arrival is told by the event that creates them (or that the actor just
#: finished the step before): announcing them too would say the same thing twice.
TOLD_ELSEWHERE = frozenset(
    {
        "submit_plan",  # right after the unit's own acknowledgement
        "remediate",  # after the plan, a rejection or an extension decision: each told
        "verify",  # requirement.submitted
        "decide_extension",  # requirement.extension_requested
        "review_escalation",  # escalation.raised
        "final_assessment",  # conclusion.requirements_closed
        "submit_explanation",  # accountability_case.explanation_requested
        "review_explanation",  # accountability_case.explained
        "decide",  # right after the handler's own review
    }
)


#: A model's notify service tasks whose news a domain event tells better (with the reason).
NOTICES_TOLD_ELSEWHERE = frozenset(
    {
        # "verification_<decision>" too: requirement.verified
        "explanation_requested",  # accountability_case.explanation_requested
    }
)


def notify_event(
    session: Session,
    event: str,
    subject: tuple[str, int],
    *,
    actor: User | None = None,
    **context: Any,
) -> None:
    """Queue the notifications ``event`` on ``subject`` calls for (in the caller's
    transaction; flushes, never commits)."""
    notify_each(session, event, [(subject, context)], actor=actor)


def notify_each(
    session: Session,
    event: str,
    items: Sequence[tuple[tuple[str, int], dict[str, Any]]],
    *,
    actor: User | None = None,
) -> None:
    """:func:`notify_event` for many ``(subject, context)`` pairs of one event at once:
    the requirements concerned are read in two queries and every notification is stored in
    one statement, whatever their number."""
    rule = RULES.get(event)
    if rule is None or not items:
        return
    # Held until the notices are built: the rules find these rows with session.get.
    _loaded = facts_of.prefetch(session, [s for s, _ in items]) if len(items) > 1 else []
    notices = [
        notice
        for subject, context in items
        for notice in rule(Event(session, event, subject, actor, context))
    ]
    queue_many(session, notices)


def rule(*events: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        for name in events:
            RULES[name] = fn
        return fn

    return register


# -- recipients -----------------------------------------------------------------------------


def people(
    roles: Iterable[tuple[int | None, str]],
    *,
    users: Iterable[int | None] = (),
    exclude: User | None = None,
) -> Recipients:
    """The holders of ``role`` in ``body`` for each pair, plus ``users``, minus ``exclude``."""
    return Recipients(
        roles=tuple((b, r) for b, r in roles if b is not None),
        users=tuple(u for u in users if u is not None),
        exclude=exclude.id if exclude is not None else None,
    )


def unit(req: Requirement) -> list[tuple[int | None, str]]:
    return [(req.responsible_body_id, "officer")]


def supervisors(body_id: int | None) -> list[tuple[int | None, str]]:
    return [(body_id, "supervisor")]


def once() -> str:
    """A key for news that only this transaction produces (a verb commits once)."""
    return uuid.uuid4().hex[:16]


# -- requirement events ---------------------------------------------------------------------


def _requirement(ev: Event) -> tuple[Requirement, dict[str, Any]] | None:
    if ev.subject[0] != "requirement":
        return None
    req = ev.session.get(Requirement, ev.subject[1])
    if req is None:
        return None
    found = facts_of.requirement(ev.session, req)
    found["event"] = ev.name
    if ev.actor is not None:
        found["actor"] = ev.actor.full_name
    return req, found


def _about(
    ev: Event,
    kind: str,
    key: str,
    to: Callable[[Requirement], Recipients],
    **extra: Any,
) -> Iterator[Notice]:
    found = _requirement(ev)
    if found is None:
        return
    req, f = found
    yield Notice(
        event=ev.name,
        kind=kind,
        subject=ev.subject,
        facts={**f, **extra},
        key=key,
        recipients=to(req),
        bodies=(req.responsible_body_id, req.supervising_body_id),
        webhooks=facts_of.may_have_webhooks(ev.session, req),
    )


@rule("requirement.acknowledged", "requirement.plan_submitted", "requirement.progress_reported")
def _progress(ev: Event) -> Iterator[Notice]:
    # Acknowledgement and plan happen once per requirement; each report is its own news.
    key = str(ev.get("report", "once"))
    picked = {k: ev.get(k) for k in ("percent", "previous_percent", "went_backwards")}
    return _about(
        ev,
        "progress",
        key,
        lambda r: people(supervisors(r.supervising_body_id), exclude=ev.actor),
        amount_recovered=ev.get("amount_recovered"),
        **picked,
    )


@rule("requirement.submitted")
def _submitted(ev: Event) -> Iterator[Notice]:
    return _about(
        ev,
        "submitted",
        f"report{ev.get('report')}",
        lambda r: people(supervisors(r.supervising_body_id), exclude=ev.actor),
        percent=ev.get("percent"),
        amount_recovered=ev.get("amount_recovered"),
    )


@rule("requirement.verified")
def _verified(ev: Event) -> Iterator[Notice]:
    decision = ev.get("decision")
    kind = "rejected" if decision in ("incomplete", "formal_only") else "verified"
    return _about(
        ev,
        kind,
        f"{decision}:{once()}",
        lambda r: people(unit(r), users=[r.responsible_officer_id], exclude=ev.actor),
        decision=decision,
        grade=ev.get("grade"),
        reason=ev.get("reason"),
    )


@rule("requirement.extension_requested")
def _extension_requested(ev: Event) -> Iterator[Notice]:
    request = ev.session.get(ExtensionRequest, ev.get("request") or 0)
    return _about(
        ev,
        "extension_requested",
        f"request{ev.get('request')}",
        lambda r: people(supervisors(r.supervising_body_id), exclude=ev.actor),
        current_deadline=ev.get("current_deadline"),
        requested_deadline=ev.get("requested_deadline"),
        reason=request.reason if request is not None else None,
    )


@rule("requirement.extension_decided")
def _extension_decided(ev: Event) -> Iterator[Notice]:
    approved = ev.get("approved", ev.get("extension_approved"))
    return _about(
        ev,
        "extension_decided",
        f"request{ev.get('request')}",
        lambda r: people(unit(r), users=[r.responsible_officer_id], exclude=ev.actor),
        approved=bool(approved),
        previous_deadline=ev.get("previous_deadline"),
        reason=ev.get("reason"),
    )


@rule("requirement.withdrawn")
def _withdrawn(ev: Event) -> Iterator[Notice]:
    return _about(
        ev,
        "withdrawn",
        "withdrawn",
        lambda r: people(unit(r), users=[r.responsible_officer_id], exclude=ev.actor),
        reason=ev.get("reason"),
    )


@rule("requirement.status_changed")
def _status_changed(ev: Event) -> Iterator[Notice]:
    if ev.get("to") != "overdue":
        return iter(())
    # Overdue again after an extension is new news: the deadline tells the two apart.
    return _overdue(ev, lambda r: people(unit(r), users=[r.responsible_officer_id]), "unit")


def _overdue(ev: Event, to: Callable[[Requirement], Recipients], audience: str) -> Iterator[Notice]:
    found = _requirement(ev)
    key = f"{audience}@{found[1]['deadline'].isoformat()}" if found else ""
    return _about(ev, "overdue", key, to, audience=audience)


@rule("deadline.approaching")
def _deadline(ev: Event) -> Iterator[Notice]:
    found = _requirement(ev)
    key = f"share{ev.get('share')}@{found[1]['deadline'].isoformat()}" if found else ""
    return _about(
        ev,
        "deadline",
        key,
        lambda r: people(unit(r), users=[r.responsible_officer_id]),
        share=ev.get("share"),
    )


@rule("flag.opened")
def _flag(ev: Event) -> Iterator[Notice]:
    extra = _flag_facts(ev.session, ev.get("flag"), ev.get("rule"), ev.get("facts"))
    return _about(
        ev,
        "flag",
        f"flag{ev.get('flag')}",
        lambda r: people(supervisors(r.supervising_body_id) + unit(r)),
        severity=ev.get("severity"),
        **extra,
    )


@rule("escalation.raised")
def _escalation(ev: Event) -> Iterator[Notice]:
    to_body = ev.get("to_body_id")

    def to(r: Requirement) -> Recipients:
        head = facts_of.head_of(ev.session, r.responsible_body_id)
        answerable = [] if head else unit(r)
        return people(answerable + supervisors(to_body), users=[head])

    return _about(
        ev,
        "escalation",
        f"level{ev.get('level')}",
        to,
        level=ev.get("level"),
        to_body=facts_of.body_name(ev.session, to_body),
        escalation_reason=ev.get("reason"),
    )


@rule("escalation.acknowledged")
def _escalation_acknowledged(ev: Event) -> Iterator[Notice]:
    if ev.get("decision") != "instructed":
        return iter(())  # only an instruction asks something of the unit
    return _about(
        ev,
        "escalation",
        f"instructed{ev.get('escalation')}",
        lambda r: people(unit(r), users=[r.responsible_officer_id], exclude=ev.actor),
        level=ev.get("level"),
        reason=ev.get("note"),
    )


@rule("process.notify")
def _process_notify(ev: Event) -> Iterator[Notice]:
    kind = str(ev.get("kind", ""))
    if kind.startswith("verification_") or kind in NOTICES_TOLD_ELSEWHERE:
        return iter(())
    if kind == "overdue" and ev.get("to") == "supervisor":
        body = ev.get("body_id")
        return _overdue(
            ev, lambda r: people(supervisors(body or r.supervising_body_id)), "supervisor"
        )
    return _generic(ev, "process", [(ev.get("body_id"), str(ev.get("to")))], notice=kind)


@rule("task.assigned")
def _task(ev: Event) -> Iterator[Notice]:
    task, role = ev.get("task"), ev.get("role")
    if task in TOLD_ELSEWHERE or not role:
        return iter(())
    due = ev.get("due_at")
    return _generic(
        ev,
        "task_assigned",
        [(ev.get("body_id"), role)],
        key=f"{task}:{once()}",
        task=task,
        task_title=ev.get("title"),
        due_at=due.isoformat() if hasattr(due, "isoformat") else due,
    )


def _generic(
    ev: Event, kind: str, roles: list[tuple[int | None, str]], key: str = "", **extra: Any
) -> Iterator[Notice]:
    """News on any subject: requirement facts when it is one, the bare subject otherwise."""
    found = _requirement(ev)
    f = found[1] if found else facts_of.subject(ev.session, ev.subject)
    bodies = tuple(b for b, _ in roles if b is not None)
    yield Notice(
        event=ev.name,
        kind=kind,
        subject=ev.subject,
        facts={**f, "event": ev.name, **extra},
        key=key or once(),
        recipients=people(roles, exclude=ev.actor),
        bodies=bodies,
    )


# -- conclusions and accountability cases ---------------------------------------------------


@rule("conclusion.requirements_closed")
def _assessment_due(ev: Event) -> Iterator[Notice]:
    conclusion = ev.session.get(Conclusion, ev.subject[1])
    if conclusion is None:
        return
    yield Notice(
        event=ev.name,
        kind="assessment_due",
        subject=ev.subject,
        facts=facts_of.conclusion(ev.session, conclusion),
        key="ready",
        recipients=people(supervisors(conclusion.issuing_body_id)),
        bodies=(conclusion.issuing_body_id,),
    )


#: Case event → who hears of it: the unit whose responsibility is reviewed ("unit"), the
#: supervisors handling the case ("handling"), or both.
CASE_AUDIENCE = {
    "accountability_case.opened": ("unit", "handling"),
    "accountability_case.explanation_requested": ("unit",),
    "accountability_case.explained": ("handling",),
    "accountability_case.decided": ("unit", "handling"),
}


@rule(*CASE_AUDIENCE)
def _case(ev: Event) -> Iterator[Notice]:
    found = facts_of.case(ev.session, ev.subject)
    if found is None:
        return
    f, subject_body, handling_body, subject_user = found
    roles: list[tuple[int | None, str]] = []
    users: list[int | None] = []
    if "unit" in CASE_AUDIENCE[ev.name]:
        head = facts_of.head_of(ev.session, subject_body)
        roles += [] if head else [(subject_body, "officer")]
        users += [head, subject_user]
    if "handling" in CASE_AUDIENCE[ev.name]:
        roles += supervisors(handling_body)
    yield Notice(
        event=ev.name,
        kind="accountability",
        subject=ev.subject,
        facts={
            **f,
            "event": ev.name,
            "case_reason": ev.get("reason"),
            "outcome": ev.get("decision"),
            "due": ev.get("due"),
        },
        key=ev.name,
        recipients=people(roles, users=users, exclude=ev.actor),
        bodies=(subject_body, handling_body),
    )


# -- flags' explanations and the digest's summary ------------------------------------------


def _flag_facts(
    session: Session, flag_id: Any, rule_id: Any, values: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The rule's title and the flag's explanation in every locale (the email is written in
    its reader's language, long after this request's language is gone). ``values`` are the
    flag's facts when the caller has them (the monitor, which just wrote them)."""
    from db.models.monitor import Flag  # the monitor's tables: import only when flags exist
    from workflows.monitor.registry import all_rules

    known = all_rules().get(str(rule_id))
    if known is None:
        return {"rule": rule_id}
    if values is None:
        found = session.get(Flag, flag_id) if flag_id is not None else None
        values = dict(found.facts or {}) if found is not None else {}
    return {
        "rule": rule_id,
        "rule_title": {loc: in_locale(known.title, loc) for loc in LOCALES},
        "explanation": {loc: in_locale(known.explanation, loc, values) for loc in LOCALES},
    }


def _reach_summary(session: Session, user: User, now: datetime) -> dict[str, Any]:
    """What is overdue, due, flagged or escalated in ``user``'s reach (access rules apply)."""
    if not user.has_role("officer", "supervisor", "observer"):
        return {}
    return digest.requirements_in_reach(session, visible_bodies(user), now)


digest.register(_reach_summary)
