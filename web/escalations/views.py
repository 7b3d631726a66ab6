"""The escalations board, one escalation's page (where a supervisor takes it in hand) and
the administrator's page of the ladder's thresholds."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from db.base import utcnow
from web.auth.session import roles_required
from web.database import get_session
from web.escalations import labels
from web.escalations.forms import AcknowledgeForm, LadderForm, ResetForm
from web.forms import attach_error
from web.labels import KIND_LABELS
from workflows import escalation_board as queries
from workflows.errors import DomainError
from workflows.escalation import acknowledge_escalation
from workflows.escalation_thresholds import (
    LEVELS,
    THRESHOLD_KINDS,
    Threshold,
    load_ladders,
    overridden_kinds,
    reset_ladder,
    save_ladder,
)

bp = Blueprint("escalations", __name__, template_folder="templates")
READERS = ("supervisor", "observer", "admin")


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"esc_labels": labels}


@bp.route("/escalations")
@roles_required(*READERS)
def board() -> str:
    db = get_session()
    filters = queries.BoardFilters(
        level=request.args.get("level", type=int),
        body_id=request.args.get("body", type=int),
        min_age_days=request.args.get("age", type=int),
        state=request.args.get("state", "open"),
    ).cleaned()
    page = queries.board(db, current_user, filters, utcnow(), request.args.get("page", 1, type=int))
    return render_template(
        "escalations/board.html",
        page=page,
        filters=filters,
        bodies=queries.bodies_in_reach(db, current_user),
        now=utcnow(),
    )


@bp.route("/escalations/<int:eid>", methods=["GET", "POST"])
@roles_required(*READERS)
def show(eid: int) -> str | Response | tuple[str, int]:
    view = queries.escalation_view(get_session(), current_user, eid)
    form = AcknowledgeForm()
    if request.method == "POST":
        if not current_user.has_role("supervisor"):
            abort(403)
        if form.validate_on_submit():
            try:
                acknowledge_escalation(
                    get_session(), current_user, eid, form.decision.data, form.note.data or ""
                )
            except DomainError as err:
                attach_error(form, err)
                return render_template("escalations/show.html", v=view, form=form), err.status
            flash(_("The escalation is handled."), "success")
            return redirect(url_for(".show", eid=eid))
        return render_template("escalations/show.html", v=view, form=form), 400
    return render_template("escalations/show.html", v=view, form=form)


@bp.route("/escalations/thresholds")
@roles_required("admin")
def thresholds() -> str:
    db = get_session()
    return render_template(
        "escalations/thresholds.html",
        ladders=load_ladders(db),
        kinds=THRESHOLD_KINDS,
        overridden=overridden_kinds(db),
        kind_labels=_kind_labels(),
    )


def _kind_labels() -> dict[str, Any]:
    return {"default": _("Every kind without its own ladder"), **KIND_LABELS}


def _ladder_from(form: LadderForm) -> tuple[Threshold, ...]:
    return tuple(
        Threshold(
            level,
            getattr(form, f"overdue_days_{level}").data,
            getattr(form, f"open_flags_{level}").data,
            getattr(form, f"flag_severity_{level}").data,
        )
        for level in LEVELS
    )


@bp.route("/escalations/thresholds/<kind>", methods=["GET", "POST"])
@roles_required("admin")
def edit_thresholds(kind: str) -> str | Response | tuple[str, int]:
    if kind not in THRESHOLD_KINDS:
        abort(404)
    db = get_session()
    current = {
        f"{name}_{t.level}": getattr(t, name)
        for t in load_ladders(db)[kind]
        for name in ("overdue_days", "open_flags", "flag_severity")
    }
    form = LadderForm(data=current if request.method == "GET" else None)
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            save_ladder(db, current_user, kind, _ladder_from(form))
        except DomainError as err:
            attach_error(form, err)
            status = err.status
        else:
            flash(_("The escalation ladder is saved."), "success")
            return redirect(url_for(".thresholds"))
    return render_template(
        "escalations/edit_thresholds.html",
        form=form,
        kind=kind,
        kind_label=_kind_labels()[kind],
        levels=LEVELS,
        reset_form=ResetForm(),
    ), status


@bp.route("/escalations/thresholds/<kind>/reset", methods=["POST"])
@roles_required("admin")
def reset_thresholds(kind: str) -> Response:
    if kind not in THRESHOLD_KINDS or not ResetForm().validate_on_submit():
        abort(400)
    reset_ladder(get_session(), current_user, kind)
    flash(_("The ladder of this kind follows the defaults again."), "success")
    return redirect(url_for(".thresholds"))
