"""Slow remediation: time passing without the work (or the verification) getting done.

Every count of days is in working days (``working_day`` ordinals), measured on Vietnamese
calendar dates. The time allowed runs from the conclusion's issue date to the deadline;
acknowledgement is counted from when the requirement reached the unit (``created_at``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from db.models import Conclusion, ExtensionRequest, ProgressReport
from db.vocabulary import REQUIREMENT_STATUSES, TERMINAL_STATUSES
from workflows.i18n import _l
from workflows.monitor.registry import Context, Param, Rule
from workflows.monitor.sql import day_alias, facts, vn_date

#: The responsible body still has to act.
UNIT_ACTIVE = ("issued", "acknowledged", "planned", "in_progress", "returned", "overdue")
#: Remediation is under way (after the plan, before the completion report).
REMEDIATING = ("planned", "in_progress", "returned", "overdue")
TERMINAL = TERMINAL_STATUSES
#: Not terminal, named one by one so that the status index can serve a whole pass.
OPEN = tuple(status for status in REQUIREMENT_STATUSES if status not in TERMINAL)


def _span_days() -> tuple[Any, Any]:
    """Aliases of ``working_day`` joined to each row's start and deadline dates."""
    return day_alias("wd_start"), day_alias("wd_deadline")


def _share_query(ctx: Context) -> Select[Any]:
    R = ctx.requirement
    start, end = _span_days()
    share = ctx.params["share"]
    total = end.ordinal - start.ordinal
    return (
        select(
            R.id.label("requirement_id"),
            facts(
                share=share,
                deadline=vn_date(R.deadline),
                working_days_left=end.ordinal - ctx.today_ordinal,
            ).label("facts"),
        )
        .join(Conclusion, Conclusion.id == R.conclusion_id)
        .join(start, start.day == Conclusion.issue_date)
        .join(end, end.day == vn_date(R.deadline))
        .where(
            ctx.judged,
            R.status.in_(UNIT_ACTIVE),
            R.deadline > ctx.now,
            total > 0,
            (ctx.today_ordinal - start.ordinal) * 100 >= total * share,
        )
    )


def _overdue_query(ctx: Context) -> Select[Any]:
    R = ctx.requirement
    end = day_alias("wd_deadline")
    grace = ctx.params["grace_working_days"]
    return (
        select(
            R.id.label("requirement_id"),
            facts(
                deadline=vn_date(R.deadline),
                working_days=ctx.today_ordinal - end.ordinal,
            ).label("facts"),
        )
        .join(end, end.day == vn_date(R.deadline))
        .where(
            ctx.judged,
            R.status.in_(UNIT_ACTIVE),
            R.deadline < ctx.now,
            R.deadline < ctx.cutoff(grace) if grace else R.deadline < ctx.now,
        )
    )


def _ack_late_query(ctx: Context) -> Select[Any]:
    R = ctx.requirement
    start = day_alias("wd_start")
    return (
        select(
            R.id.label("requirement_id"),
            facts(
                issued_on=vn_date(R.created_at),
                working_days=ctx.today_ordinal - start.ordinal,
                limit=ctx.params["working_days"],
            ).label("facts"),
        )
        .join(start, start.day == vn_date(R.created_at))
        .where(
            ctx.judged,
            R.status == "issued",
            R.created_at < ctx.cutoff(ctx.params["working_days"]),
        )
    )


def _stalled_query(ctx: Context) -> Select[Any]:
    R = ctx.requirement
    last = day_alias("wd_last")
    activity = func.coalesce(R.last_report_at, R.planned_at, R.created_at)
    latest_report = (
        select(func.max(ProgressReport.id))
        .where(ProgressReport.requirement_id == R.id)
        .scalar_subquery()
    )
    return (
        select(
            R.id.label("requirement_id"),
            facts(
                last_activity_on=vn_date(activity),
                last_report=latest_report,
                working_days=ctx.today_ordinal - last.ordinal,
                limit=ctx.params["working_days"],
            ).label("facts"),
        )
        .join(last, last.day == vn_date(activity))
        .where(
            ctx.judged,
            R.status.in_(REMEDIATING),
            activity < ctx.cutoff(ctx.params["working_days"]),
        )
    )


def _pace_query(ctx: Context) -> Select[Any]:
    R = ctx.requirement
    start, end = _span_days()
    total = end.ordinal - start.ordinal
    elapsed = ctx.today_ordinal - start.ordinal
    return (
        select(
            R.id.label("requirement_id"),
            facts(
                elapsed_percent=elapsed * 100 // total,
                reported_percent=R.progress_percent,
                gap=ctx.params["gap_points"],
            ).label("facts"),
        )
        .join(Conclusion, Conclusion.id == R.conclusion_id)
        .join(start, start.day == Conclusion.issue_date)
        .join(end, end.day == vn_date(R.deadline))
        .where(
            ctx.judged,
            R.status.in_(REMEDIATING),
            R.deadline > ctx.now,
            total > 0,
            elapsed * 100 - R.progress_percent * total > ctx.params["gap_points"] * total,
        )
    )


def _extensions_query(ctx: Context) -> Select[Any]:
    R = ctx.requirement
    counted = (
        select(ExtensionRequest.requirement_id, func.count().label("n"))
        .where(ExtensionRequest.status != "rejected", ctx.scope(ExtensionRequest.requirement_id))
        .group_by(ExtensionRequest.requirement_id)
        .having(func.count() >= ctx.params["min_requests"])
        .subquery("ext")
    )
    return (
        select(
            R.id.label("requirement_id"),
            facts(
                requests=counted.c.n,
                original_deadline=vn_date(R.original_deadline),
                deadline=vn_date(R.deadline),
            ).label("facts"),
        )
        .join(counted, counted.c.requirement_id == R.id)
        .where(ctx.judged, R.status.in_(OPEN))
    )


def _backlog_query(ctx: Context) -> Select[Any]:
    R = ctx.requirement
    sent = day_alias("wd_sent")
    return (
        select(
            R.id.label("requirement_id"),
            facts(
                submitted_on=vn_date(R.submitted_at),
                working_days=ctx.today_ordinal - sent.ordinal,
                limit=ctx.params["working_days"],
            ).label("facts"),
        )
        .join(sent, sent.day == vn_date(R.submitted_at))
        .where(
            ctx.judged,
            R.status == "pending_verification",
            R.submitted_at < ctx.cutoff(ctx.params["working_days"]),
        )
    )


def _share_rule(rule_id: str, share: int, severity: str) -> Rule:
    return Rule(
        id=rule_id,
        kind="slow",
        severity=severity,
        title=_l("Deadline approaching (%(share)s%% of the time used)", share=share),
        explanation=_l(
            "%(share)s%% of the working days allowed have passed; the deadline is "
            "%(deadline)s, %(working_days_left)s working days from now."
        ),
        query=_share_query,
        params={"share": Param(share, 1, 99, label=_l("Share of the time used (%)"))},
        daily=True,
        event="deadline.approaching",
    )


RULES = (
    _share_rule("deadline_50", 50, "info"),
    _share_rule("deadline_75", 75, "warning"),
    Rule(
        id="overdue",
        kind="slow",
        severity="critical",
        title=_l("Overdue"),
        explanation=_l(
            "The deadline %(deadline)s has passed (%(working_days)s working days ago) and "
            "no completion has been reported."
        ),
        query=_overdue_query,
        params={"grace_working_days": Param(0, 0, 60, label=_l("Grace (working days)"))},
        daily=True,
    ),
    Rule(
        id="ack_late",
        kind="slow",
        severity="warning",
        title=_l("Acknowledgement late"),
        explanation=_l(
            "Issued on %(issued_on)s and still not acknowledged after %(working_days)s "
            "working days (limit %(limit)s)."
        ),
        query=_ack_late_query,
        params={"working_days": Param(5, 1, 60, label=_l("Working days to acknowledge"))},
        daily=True,
    ),
    Rule(
        id="stalled",
        kind="slow",
        severity="warning",
        title=_l("Stalled"),
        explanation=_l(
            "Nothing reported for %(working_days)s working days (since %(last_activity_on)s; "
            "limit %(limit)s)."
        ),
        query=_stalled_query,
        params={"working_days": Param(20, 1, 250, label=_l("Working days without a report"))},
        daily=True,
    ),
    Rule(
        id="pace",
        kind="slow",
        severity="warning",
        title=_l("Falling behind"),
        explanation=_l(
            "%(elapsed_percent)s%% of the time has passed but only %(reported_percent)s%% "
            "is reported done (more than %(gap)s points behind)."
        ),
        query=_pace_query,
        params={"gap_points": Param(30, 1, 100, label=_l("Points behind the elapsed time"))},
        daily=True,
    ),
    Rule(
        id="repeated_extensions",
        kind="slow",
        severity="warning",
        title=_l("Repeated extensions"),
        explanation=_l(
            "%(requests)s extensions asked for: the deadline moved from %(original_deadline)s "
            "to %(deadline)s."
        ),
        query=_extensions_query,
        params={"min_requests": Param(2, 2, 20, label=_l("Extension requests"))},
    ),
    Rule(
        id="verification_backlog",
        kind="slow",
        severity="warning",
        title=_l("Verification backlog"),
        explanation=_l(
            "The completion report of %(submitted_on)s has waited %(working_days)s working "
            "days for the supervisor's verification (limit %(limit)s)."
        ),
        query=_backlog_query,
        params={"working_days": Param(10, 1, 120, label=_l("Working days to verify"))},
        daily=True,
    ),
)
