"""Administration: bodies and their hierarchy, users, the audit trail."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from db.audit import verify_chain
from db.models import AuditEvent, Body, User
from web.admin.forms import BodyForm, ResetPasswordForm, UserEditForm, UserForm
from web.auth.session import roles_required
from web.database import get_session
from web.forms import attach_error
from workflows.accounts import NewUser, create_user, reset_password, unlock_user, update_user
from workflows.bodies import BodyData, create_body, update_body
from workflows.body_head import head_choices, set_body_head
from workflows.errors import DomainError, NotFound

bp = Blueprint("admin", __name__, template_folder="templates")
PAGE_SIZE = 50


def _body_choices(empty: bool) -> list[tuple[int | None, str]]:
    rows = get_session().execute(select(Body.id, Body.code, Body.name).order_by(Body.code))
    choices: list[tuple[int | None, str]] = [(None, "—")] if empty else []
    return choices + [(r.id, f"{r.code} — {r.name}") for r in rows]


def _status() -> int:
    return 400 if request.method == "POST" else 200


def _get_body(body_id: int) -> Body:
    body = get_session().get(Body, body_id)
    if body is None:
        raise NotFound(_("Not found"))
    return body


def _get_user(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        raise NotFound(_("Not found"))
    return user


@bp.route("/bodies")
@roles_required("admin")
def bodies() -> str:
    db = get_session()
    all_bodies = db.scalars(select(Body).order_by(Body.code)).all()
    children: dict[int | None, list[Body]] = {}
    for b in all_bodies:
        children.setdefault(b.parent_id, []).append(b)
    counts = {
        body_id: n
        for body_id, n in db.execute(select(User.body_id, func.count()).group_by(User.body_id))
    }
    return render_template("admin/bodies.html", children=children, counts=counts)


@bp.route("/bodies/new", methods=["GET", "POST"])
@bp.route("/bodies/<int:body_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def body_form(body_id: int | None = None) -> str | Response | tuple[str, int]:
    body = _get_body(body_id) if body_id else None
    form = BodyForm(obj=body)
    form.parent_id.choices = form.supervisor_id.choices = _body_choices(empty=True)
    form.head_user_id.choices = head_choices(get_session(), body)
    if form.validate_on_submit():
        data = BodyData(
            form.code.data.strip(),
            form.name.data,
            form.kind.data,
            form.parent_id.data,
            form.supervisor_id.data,
        )
        try:
            if body is not None:
                update_body(get_session(), body, data, current_user)
            else:
                body = create_body(get_session(), data, current_user)
            set_body_head(get_session(), body, form.head_user_id.data, current_user)
        except DomainError as err:
            attach_error(form, err)
        else:
            flash(_("Body %(code)s saved.", code=data.code), "success")
            return redirect(url_for("admin.bodies"))
    return render_template("admin/body_form.html", form=form, body=body), _status()


@bp.route("/users")
@roles_required("admin")
def users() -> str:
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    body_id = request.args.get("body", type=int)
    stmt = select(User).order_by(User.username)
    if body_id:
        stmt = stmt.where(User.body_id == body_id)
    rows = get_session().scalars(stmt.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "admin/users.html",
        users=rows[:PAGE_SIZE],
        page=page,
        has_next=len(rows) > PAGE_SIZE,
        body_id=body_id,
        bodies=_body_choices(empty=False),
    )


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required("admin")
def user_new() -> str | Response | tuple[str, int]:
    form = UserForm()
    form.body_id.choices = _body_choices(empty=False)
    if form.validate_on_submit():
        data = NewUser(
            form.username.data.strip().lower(),
            form.full_name.data,
            form.body_id.data,
            tuple(form.roles.data),
            form.password.data,
            form.email.data or None,
            form.locale.data,
        )
        try:
            create_user(get_session(), data, current_user)
        except DomainError as err:
            attach_error(form, err)
        else:
            flash(_("User %(name)s created.", name=data.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None), _status()


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@roles_required("admin")
def user_edit(user_id: int) -> str | Response | tuple[str, int]:
    user = _get_user(user_id)
    form = UserEditForm(
        obj=user, data={"roles": sorted(user.roles)} if request.method == "GET" else None
    )
    form.body_id.choices = _body_choices(empty=False)
    reset_form = ResetPasswordForm(prefix="reset")
    if form.validate_on_submit():
        try:
            update_user(
                get_session(),
                user,
                current_user,
                full_name=form.full_name.data,
                email=form.email.data or None,
                body_id=form.body_id.data,
                roles=tuple(form.roles.data),
                locale=form.locale.data,
                active=form.active.data,
            )
        except DomainError as err:
            attach_error(form, err)
        else:
            flash(_("User %(name)s saved.", name=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template(
        "admin/user_form.html", form=form, user=user, reset_form=reset_form
    ), _status()


@bp.route("/users/<int:user_id>/password", methods=["POST"])
@roles_required("admin")
def user_reset_password(user_id: int) -> str | Response | tuple[str, int]:
    user = _get_user(user_id)
    reset_form = ResetPasswordForm(prefix="reset")
    if reset_form.validate_on_submit():
        try:
            reset_password(get_session(), user, reset_form.password.data, current_user)
        except DomainError as err:
            attach_error(reset_form, err)
        else:
            flash(_("The password of %(name)s was reset.", name=user.username), "success")
            return redirect(url_for("admin.user_edit", user_id=user.id))
    form = UserEditForm(obj=user, data={"roles": sorted(user.roles)})
    form.body_id.choices = _body_choices(empty=False)
    return render_template("admin/user_form.html", form=form, user=user, reset_form=reset_form), 400


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@roles_required("admin")
def user_unlock(user_id: int) -> Response:
    user = _get_user(user_id)
    unlock_user(get_session(), user, current_user)
    flash(_("The account %(name)s is unlocked.", name=user.username), "success")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.route("/audit", methods=["GET", "POST"])
@roles_required("admin")
def audit() -> str:
    db = get_session()
    result = None
    if request.method == "POST":
        checked, broken = verify_chain(db)
        result = {"checked": checked, "broken": broken}
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    events = db.scalars(
        select(AuditEvent)
        .order_by(AuditEvent.seq.desc())
        .limit(PAGE_SIZE + 1)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    actors = {
        u.id: u.username
        for u in db.scalars(
            select(User).where(User.id.in_({e.actor_id for e in events if e.actor_id}))
        )
    }
    return render_template(
        "admin/audit.html",
        events=events[:PAGE_SIZE],
        actors=actors,
        page=page,
        has_next=len(events) > PAGE_SIZE,
        result=result,
    )
