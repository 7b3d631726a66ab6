"""Formal remediation shown by the evidence: none at all, a file already given for another
requirement, a document dated before the conclusion, no amended document cited.

A claim is a completion report (``pending_verification``) or a closure (``closed``). These
rules read ``evidence_summary`` (one row per requirement, see ``evidence_facts``), which
covers the evidence of every report of the requirement.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from db.models import Conclusion, Evidence, ProgressReport, Requirement
from db.models.monitor import EvidenceSummary
from workflows.i18n import _l
from workflows.monitor.registry import Context, Param, Rule
from workflows.monitor.sql import date_minus_days, facts

CLAIMED = ("pending_verification", "closed")
R, P, E, S = Requirement, ProgressReport, Evidence, EvidenceSummary


def hit(facts_expr: Any) -> tuple[Any, Any]:
    return R.id.label("requirement_id"), facts_expr.label("facts")


def _no_evidence_query(ctx: Context) -> Select[Any]:
    completion = (
        select(func.max(P.id)).where(P.requirement_id == R.id, P.is_completion).scalar_subquery()
    )
    return (
        select(*hit(facts(report=completion)))
        .outerjoin(S, S.requirement_id == R.id)
        .where(
            ctx.scope(R.id),
            R.status.in_(CLAIMED),
            R.submitted_at.is_not(None),
            func.coalesce(S.evidence_count, 0) == 0,
        )
    )


def _recycled_query(ctx: Context) -> Select[Any]:
    foreign = ctx.params["ignore_same_conclusion"]
    evidence = S.foreign_recycled_evidence_id if foreign else S.recycled_evidence_id
    source = S.foreign_recycled_from_id if foreign else S.recycled_from_id
    return (
        select(*hit(facts(evidence=E.id, filename=E.filename, other_requirement=source)))
        .join(S, S.requirement_id == R.id)
        .join(E, E.id == evidence)
        .where(ctx.scope(R.id), R.status != "withdrawn")
    )


def _predates_query(ctx: Context) -> Select[Any]:
    tolerance = ctx.params["tolerance_days"]
    return (
        select(
            *hit(
                facts(
                    evidence=E.id,
                    filename=E.filename,
                    doc_number=E.doc_number,
                    doc_date=E.doc_date,
                    issued_on=Conclusion.issue_date,
                )
            )
        )
        .join(S, S.requirement_id == R.id)
        .join(Conclusion, Conclusion.id == R.conclusion_id)
        .join(E, E.id == S.earliest_evidence_id)
        .where(
            ctx.scope(R.id),
            R.status != "withdrawn",
            S.earliest_doc_date < date_minus_days(Conclusion.issue_date, tolerance),
        )
    )


def _no_document_query(ctx: Context) -> Select[Any]:
    return (
        select(*hit(facts(status=R.status)))
        .outerjoin(S, S.requirement_id == R.id)
        .where(
            ctx.scope(R.id),
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
