"""Each user's inbox (the READY tasks of their body) and the supervisors' verification queue."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from db.base import utcnow
from db.models.remediation import CATEGORIES
from db.vocabulary import REQUIREMENT_STATUSES
from web.auth.session import roles_required
from web.database import get_session
from workflows import inbox as queries
from workflows.deadlines import working_days_left_many

bp = Blueprint("inbox", __name__, template_folder="templates")
#: Where on the requirement page each task is done.
TASK_ANCHORS = {
    "submit_plan": "act-plan",
    "remediate": "act-submit",
    "review_escalation": "escalations",
}


def _page() -> int:
    return request.args.get("page", 1, type=int) or 1


@bp.route("/inbox")
@login_required
def index() -> str:
    db = get_session()
    filters = queries.InboxFilters(
        conclusion_id=request.args.get("conclusion", type=int),
        category=request.args.get("category") or None,
        status=request.args.get("status") or None,
    ).cleaned()
    page = queries.inbox(db, current_user, filters, _page())
    left = working_days_left_many(db, [item.due_at for item in page.items], utcnow())
    return render_template(
        "inbox/index.html",
        page=page,
        rows=list(zip(page.items, left, strict=True)),
        filters=filters,
        conclusions=queries.inbox_conclusions(db, current_user),
        categories=CATEGORIES,
        statuses=REQUIREMENT_STATUSES,
        due_soon=queries.DUE_SOON_WORKING_DAYS,
        anchors=TASK_ANCHORS,
    )


@bp.route("/verification")
@roles_required("supervisor")
def verification() -> str:
    page = queries.verification_queue(get_session(), current_user, _page())
    return render_template("inbox/verification.html", page=page, now=utcnow())
