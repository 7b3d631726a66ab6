"""Formal remediation shown by the evidence: none at all, a file already given for another
requirement, a document dated before the conclusion, no amended document cited.

A claim is a completion report (``pending_verification``) or a closure (``closed``). These
rules read ``evidence_summary`` (one row per requirement, see ``evidence_facts``), which
covers the evidence of every report of the requirement.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from db.models import Conclusion, Evidence, ProgressReport
from db.models.monitor import EvidenceSummary
from workflows.i18n import _l
from workflows.monitor.registry import Context, Param, Rule
from workflows.monitor.sql import facts

CLAIMED = ("pending_verification", "closed")
P, E, S = ProgressReport, Evidence, EvidenceSummary


def hit(requirement: Any, facts_expr: Any) -> tuple[Any, Any]:
    """The two columns every rule returns: the requirement hit and the facts of the hit."""
    return requirement.id.label("requirement_id"), facts_expr.label("facts")


def _no_evidence_query(ctx: Context) -> Select[Any]:
    R = ctx.requirement
    completion = (
        select(func.max(P.id)).where(P.requirement_id == R.id, P.is_completion).scalar_subquery()
    )
    return (
        select(*hit(R, facts(report=completion)))
        .outerjoin(S, S.requirement_id == R.id)
        .where(
            ctx.judged,
            R.status.in_(CLAIMED),
            R.submitted_at.is_not(None),
            func.coalesce(S.evidence_count, 0) == 0,
        )
    )


def _recycled_query(ctx: Context) -> Select[Any]:
    R = ctx.requirement
    foreign = ctx.params["ignore_same_conclusion"]
    evidence = S.foreign_recycled_evidence_id if foreign else S.recycled_evidence_id
    source = S.foreign_recycled_from_id if foreign else S.recycled_from_id
    return (
        select(*hit(R, facts(evidence=E.id, filename=E.filename, other_requirement=source)))
        .join(S, S.requirement_id == R.id)
        .join(E, E.id == evidence)
        # Said outright (the join implies it) so a whole pass reads the partial index.
        .where(ctx.judged, R.status != "withdrawn", S.recycled_evidence_id.is_not(None))
    )


def _predates_query(ctx: Context) -> Select[Any]:
    R = ctx.requirement
    return (
        select(
            *hit(
                R,
                facts(
                    evidence=E.id,
                    filename=E.filename,
                    doc_number=E.doc_number,
                    doc_date=E.doc_date,
                    issued_on=Conclusion.issue_date,
                ),
            )
        )
        .join(S, S.requirement_id == R.id)
        .join(Conclusion, Conclusion.id == R.conclusion_id)
        .join(E, E.id == S.earliest_evidence_id)
        .where(
            ctx.judged,
            R.status != "withdrawn",
            S.predates_issue_days > ctx.params["tolerance_days"],
        )
    )


def _no_document_query(ctx: Context) -> Select[Any]:
    R = ctx.requirement
    return (
        select(*hit(R, facts(status=R.status)))
        .outerjoin(S, S.requirement_id == R.id)
        .where(
            ctx.judged,
            R.category == "institutional",
            R.status.in_(CLAIMED),
            func.coalesce(S.cited_count, 0) == 0,
        )
    )


RULES = (
    Rule(
        id="no_evidence",
        kind="formal",
        severity="critical",
        title=_l("Completion claimed without evidence"),
        explanation=_l(
            "Completion was reported (report #%(report)s) without any evidence attached."
        ),
        query=_no_evidence_query,
        reads_evidence_summary=True,
    ),
    Rule(
        id="recycled_evidence",
        kind="formal",
        severity="critical",
        title=_l("Evidence recycled from another requirement"),
        explanation=_l(
            "The file %(filename)s (evidence #%(evidence)s) was already given as evidence "
            "for requirement #%(other_requirement)s."
        ),
        query=_recycled_query,
        reads_evidence_summary=True,
        params={"ignore_same_conclusion": Param(False, label=_l("Allow within one conclusion"))},
    ),
    Rule(
        id="evidence_predates",
        kind="formal",
        severity="warning",
        title=_l("Evidence dated before the conclusion"),
        explanation=_l(
            "Document %(doc_number)s (%(filename)s) is dated %(doc_date)s, before the "
            "conclusion was issued on %(issued_on)s."
        ),
        query=_predates_query,
        reads_evidence_summary=True,
        params={"tolerance_days": Param(0, 0, 365, label=_l("Tolerance (calendar days)"))},
    ),
    Rule(
        id="no_amended_document",
        kind="formal",
        severity="critical",
        title=_l("Institutional requirement without the amended document"),
        explanation=_l(
            "Regulations were to be amended, but no evidence cites the number of the "
            "amended document."
        ),
        query=_no_document_query,
        reads_evidence_summary=True,
    ),
)
