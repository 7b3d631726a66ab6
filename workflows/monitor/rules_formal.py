"""Formal ("on paper") remediation: the claim of being done does not hold up — the report
copies another, money is missing, it came implausibly fast, the finding recurs, or the
supervisor rejected it as formal only. (Rules about evidence: ``rules_evidence``.)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, Select, and_, case, cast, func, or_, select
from sqlalchemy.orm import aliased

from db.models import Conclusion, ProgressReport, Requirement, Verification
from db.models.monitor import ReportSignature
from db.models.remediation import CATEGORIES
from workflows.i18n import _l
from workflows.monitor.registry import Context, Param, Rule
from workflows.monitor.rules_evidence import CLAIMED, hit
from workflows.monitor.rules_slow import OPEN, TERMINAL
from workflows.monitor.sql import date_minus_days, day_alias, facts, vn_date

P = ProgressReport


def _copied_query(ctx: Context) -> Select[Any]:
    R = ctx.requirement
    threshold = ctx.params["threshold"]
    # Driven from the few signatures above the threshold (copying is rare), and joined to
    # the requirements judged only after: starting from their reports instead would read
    # every one of them.
    best = (
        select(
            P.requirement_id.label("rid"),
            func.max(ReportSignature.similarity).label("similarity"),
        )
        .join(P, P.id == ReportSignature.report_id)
        .where(ReportSignature.similarity >= threshold)
        .group_by(P.requirement_id)
        .subquery("best")
    )
    sig = aliased(ReportSignature, name="sig")
    rep, source = aliased(P, name="rep"), aliased(P, name="src")
    pick = (
        select(func.min(sig.report_id))
        .join(rep, rep.id == sig.report_id)
        .where(rep.requirement_id == R.id, sig.similarity == best.c.similarity)
        .scalar_subquery()
    )
    chosen = aliased(ReportSignature, name="chosen")
    return (
        select(
            *hit(
                R,
                facts(
                    report=chosen.report_id,
                    copied_report=chosen.similar_report_id,
                    copied_requirement=source.requirement_id,
                    similarity_percent=cast(func.round(best.c.similarity * 100), Integer),
                ),
            )
        )
        .join(best, best.c.rid == R.id)
        .join(chosen, chosen.report_id == pick)
        .join(source, source.id == chosen.similar_report_id)
        .where(ctx.judged, R.status != "withdrawn")
    )


def _shortfall_query(ctx: Context) -> Select[Any]:
    R = ctx.requirement
    needed = ctx.params["min_percent"]
    # A closure graded partial already says not everything was recovered.
    claimed = or_(R.status == "pending_verification", and_(R.status == "closed", R.grade == "full"))
    return select(
        *hit(R, facts(recovered=R.recovered_amount, target=R.target_amount, percent_needed=needed))
    ).where(
        ctx.judged,
        R.category == "financial",
        claimed,
        R.target_amount.is_not(None),
        R.recovered_amount * 100 < R.target_amount * needed,
    )


def _too_fast_query(ctx: Context) -> Select[Any]:
    R = ctx.requirement
    start, done = day_alias("wd_start"), day_alias("wd_done")
    minimum = case(
        *((R.category == c, ctx.params["min_working_days"][c]) for c in CATEGORIES), else_=0
    )
    days = done.ordinal - start.ordinal
    return (
        select(
            *hit(R, facts(working_days=days, minimum=minimum, submitted_on=vn_date(R.submitted_at)))
        )
        .join(Conclusion, Conclusion.id == R.conclusion_id)
        .join(start, start.day == Conclusion.issue_date)
        .join(done, done.day == vn_date(R.submitted_at))
        .where(ctx.judged, R.status.in_(CLAIMED), R.submitted_at.is_not(None), days < minimum)
    )


def _recurrence_query(ctx: Context) -> Select[Any]:
    R = ctx.requirement
    # Matched per (conclusion, category), not per requirement: far fewer rows to compare;
    # the earlier closed requirement is read from the index of closed requirements.
    c1, c2, r2 = (
        aliased(Conclusion, name="c1"),
        aliased(Conclusion, name="c2"),
        aliased(Requirement, name="r2"),
    )
    open_kinds = (
        select(R.conclusion_id.label("cid"), R.category.label("category"))
        .where(ctx.judged, R.status.in_(OPEN))
        .distinct()
        .subquery("open_kinds")
    )
    lookback = 365 * ctx.params["lookback_years"]
    earlier = (
        select(open_kinds.c.cid, open_kinds.c.category, func.min(r2.id).label("earlier"))
        .join(c1, c1.id == open_kinds.c.cid)
        .join(c2, and_(c2.subject_body_id == c1.subject_body_id, c2.id != c1.id))
        .join(r2, and_(r2.conclusion_id == c2.id, r2.category == open_kinds.c.category))
        .where(
            r2.status == "closed",
            # Closed before the later conclusion found it again: it came back.
            vn_date(r2.closed_at) < c1.issue_date,
            c2.issue_date >= date_minus_days(c1.issue_date, lookback),
        )
        .group_by(open_kinds.c.cid, open_kinds.c.category)
        .subquery("earlier")
    )
    # The facts once per (conclusion, category), before fanning out to its requirements.
    r3, c3 = aliased(Requirement, name="r3"), aliased(Conclusion, name="c3")
    said = (
        select(
            earlier.c.cid,
            earlier.c.category,
            facts(
                earlier_requirement=r3.id,
                earlier_conclusion=c3.number,
                closed_on=vn_date(r3.closed_at),
            ).label("facts"),
        )
        .join(r3, r3.id == earlier.c.earlier)
        .join(c3, c3.id == r3.conclusion_id)
        .subquery("said")
    )
    return (
        select(*hit(R, said.c.facts))
        .join(said, and_(said.c.cid == R.conclusion_id, said.c.category == R.category))
        .where(ctx.judged, R.status.in_(OPEN))
    )


def _formal_only_query(ctx: Context) -> Select[Any]:
    R = ctx.requirement
    # From the few formal-only rejections (a partial index) to their requirements.
    latest = (
        select(Verification.requirement_id, func.max(Verification.id).label("id"))
        .where(Verification.decision == "formal_only", ctx.scope(Verification.requirement_id))
        .group_by(Verification.requirement_id)
        .subquery("latest")
    )
    v = aliased(Verification, name="v")
    said = facts(verification=v.id, rejected_on=vn_date(v.created_at), reason=v.reason)
    return (
        select(*hit(R, said))
        .join(latest, latest.c.requirement_id == R.id)
        .join(v, v.id == latest.c.id)
        .where(ctx.judged, R.status.in_(OPEN))
    )


_MIN_DAYS = {
    "financial": 10,
    "disciplinary": 10,
    "institutional": 20,
    "administrative": 5,
    "referral": 3,
}

RULES = (
    Rule(
        id="copied_report",
        kind="formal",
        severity="critical",
        title=_l("Report text copied"),
        explanation=_l(
            "Report #%(report)s is %(similarity_percent)s%% the same as report "
            "#%(copied_report)s of requirement #%(copied_requirement)s."
        ),
        query=_copied_query,
        params={"threshold": Param(0.8, 0.5, 1.0, label=_l("Similarity threshold (0.5–1)"))},
    ),
    Rule(
        id="financial_shortfall",
        kind="formal",
        severity="critical",
        title=_l("Claimed done, money not recovered"),
        explanation=_l(
            "Claimed done with %(recovered)s đồng recovered of %(target)s đồng to recover."
        ),
        query=_shortfall_query,
        params={"min_percent": Param(100, 1, 100, label=_l("Share of the target (%)"))},
    ),
    Rule(
        id="too_fast",
        kind="formal",
        severity="warning",
        title=_l("Completion implausibly fast"),
        explanation=_l(
            "Completion reported on %(submitted_on)s, %(working_days)s working days after "
            "issue; this category usually needs at least %(minimum)s."
        ),
        query=_too_fast_query,
        params={
            "min_working_days": Param(
                _MIN_DAYS, 0, 250, per=CATEGORIES, label=_l("Fewest plausible working days")
            )
        },
    ),
    Rule(
        id="recurrence",
        kind="formal",
        severity="warning",
        title=_l("Recurring finding"),
        explanation=_l(
            "The same kind of finding on the same body was closed before: requirement "
            "#%(earlier_requirement)s of conclusion %(earlier_conclusion)s, closed on "
            "%(closed_on)s."
        ),
        query=_recurrence_query,
        params={"lookback_years": Param(5, 1, 20, label=_l("Look back (years)"))},
        daily=True,
        # Within a day only new requirements can recur, and only closing one ends it.
        narrow=lambda R, since: or_(R.created_at > since, R.status.in_(TERMINAL)),
    ),
    Rule(
        id="formal_only",
        kind="formal",
        severity="critical",
        title=_l("Rejected as formal only"),
        explanation=_l(
            "The supervisor rejected the completion as formal only on %(rejected_on)s: %(reason)s"
        ),
        query=_formal_only_query,
    ),
)
