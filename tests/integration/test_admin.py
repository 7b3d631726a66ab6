"""Administrators manage bodies (with both hierarchies) and users; bad input loses nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from db.models import AuditEvent, Body, User
from tests.conftest import login, post_form


@pytest.fixture
def admin_client(client, make_body, make_user):
    make_user("quantri", body=make_body("HQ", kind="inspection_commission"), roles=("admin",))
    login(client, "quantri")
    return client


def _count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def _body_form(**kw):
    data = {
        "code": "NEW-1",
        "name": "Sở Tài chính",
        "kind": "agency",
        "parent_id": "None",
        "supervisor_id": "None",
    }
    data.update(kw)
    return data


def test_admin_creates_a_body_and_it_is_audited(admin_client, session):
    response = post_form(admin_client, "/admin/bodies/new", _body_form(), follow_redirects=True)
    assert response.status_code == 200
    body = session.scalar(select(Body).where(Body.code == "NEW-1"))
    assert body is not None and body.name == "Sở Tài chính"
    assert session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "body.created", AuditEvent.subject_id == str(body.id)
        )
    )


def test_duplicate_body_code_is_refused_and_the_form_keeps_the_input(admin_client, session):
    before = _count(session, Body)
    response = post_form(admin_client, "/admin/bodies/new", _body_form(code="HQ", name="Giữ lại"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "đã được dùng" in page and 'value="Giữ lại"' in page
    assert _count(session, Body) == before


def test_a_body_cannot_become_its_own_supervisor_through_a_chain(admin_client, session, make_body):
    a = make_body("A")
    b = make_body("B", supervisor=a)
    c = make_body("C", supervisor=b)
    events = _count(session, AuditEvent)
    response = post_form(
        admin_client,
        f"/admin/bodies/{a.id}/edit",
        _body_form(code="A", name=a.name, supervisor_id=str(c.id)),
    )
    assert response.status_code == 400
    assert "cơ quan giám sát của chính mình" in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Body, a.id).supervisor_id is None
    assert _count(session, AuditEvent) == events


def test_unknown_body_in_a_select_is_refused(admin_client, session):
    response = post_form(admin_client, "/admin/bodies/new", _body_form(supervisor_id="99999"))
    assert response.status_code == 400
    assert session.scalar(select(Body).where(Body.code == "NEW-1")) is None


def test_admin_creates_a_user_who_can_then_log_in(admin_client, app, session):
    hq = session.scalar(select(Body).where(Body.code == "HQ"))
    response = post_form(
        admin_client,
        "/admin/users/new",
        {
            "username": "binh.tran",
            "full_name": "Trần Bình",
            "email": "binh@example.org",
            "body_id": str(hq.id),
            "roles": ["supervisor", "observer"],
            "locale": "en",
            "password": "first-pass-123",
        },
    )
    assert response.status_code == 302
    user = session.scalar(select(User).where(User.username == "binh.tran"))
    assert user.roles == {"supervisor", "observer"}
    assert login(app.test_client(), "binh.tran", "first-pass-123").status_code == 302


def test_duplicate_user_name_is_refused(admin_client, session):
    hq = session.scalar(select(Body).where(Body.code == "HQ"))
    before = _count(session, User)
    response = post_form(
        admin_client,
        "/admin/users/new",
        {
            "username": "quantri",
            "full_name": "Someone",
            "body_id": str(hq.id),
            "roles": ["officer"],
            "locale": "vi",
            "password": "first-pass-123",
        },
    )
    assert response.status_code == 400
    assert "Đã có người dùng" in response.get_data(as_text=True)
    assert _count(session, User) == before


def test_admin_edits_roles_and_unlocks_an_account(admin_client, session, make_user):
    from datetime import UTC, datetime, timedelta

    user = make_user("locked.one", locked_until=datetime.now(UTC) + timedelta(minutes=5))
    response = post_form(
        admin_client,
        f"/admin/users/{user.id}/edit",
        {
            "full_name": "Locked One",
            "body_id": str(user.body_id),
            "roles": ["supervisor"],
            "locale": "vi",
            "active": "y",
        },
    )
    assert response.status_code == 302
    post_form(
        admin_client, f"/admin/users/{user.id}/unlock", {}, form_page=f"/admin/users/{user.id}/edit"
    )
    session.expire_all()
    user = session.get(User, user.id)
    assert user.roles == {"supervisor"} and user.locked_until is None


def test_admin_cannot_remove_their_own_admin_role(admin_client, session):
    me = session.scalar(select(User).where(User.username == "quantri"))
    response = post_form(
        admin_client,
        f"/admin/users/{me.id}/edit",
        {
            "full_name": "Me",
            "body_id": str(me.body_id),
            "roles": ["officer"],
            "locale": "vi",
            "active": "y",
        },
    )
    assert response.status_code == 400
    session.expire_all()
    assert "admin" in session.get(User, me.id).roles


def test_admin_resets_a_password(admin_client, app, make_user):
    user = make_user("forgetful")
    response = post_form(
        admin_client,
        f"/admin/users/{user.id}/password",
        {"reset-password": "reset-pass-456"},
        form_page=f"/admin/users/{user.id}/edit",
    )
    assert response.status_code == 302
    assert login(app.test_client(), "forgetful", "reset-pass-456").status_code == 302


def test_body_tree_shows_supervision(admin_client, make_body):
    top = make_body("TREE-TOP")
    make_body("TREE-CHILD", parent=top, supervisor=top)
    page = admin_client.get("/admin/bodies").get_data(as_text=True)
    assert "TREE-CHILD" in page and "giám sát bởi" in page.lower()


def test_a_malformed_select_value_is_refused_in_vietnamese(admin_client, session):
    before = _count(session, User)
    response = post_form(
        admin_client,
        "/admin/users/new",
        {
            "username": "moi.nguoi",
            "full_name": "Người Mới",
            "body_id": "abc",
            "roles": ["officer"],
            "locale": "vi",
            "password": "first-pass-123",
        },
    )
    assert response.status_code == 400
    assert "Lựa chọn không hợp lệ" in response.get_data(as_text=True)
    assert 'value="Người Mới"' in response.get_data(as_text=True)
    assert _count(session, User) == before


def test_an_unknown_role_is_refused(admin_client, session):
    hq = session.scalar(select(Body).where(Body.code == "HQ"))
    response = post_form(
        admin_client,
        "/admin/users/new",
        {
            "username": "moi.nguoi",
            "full_name": "Người Mới",
            "body_id": str(hq.id),
            "roles": ["superuser"],
            "locale": "vi",
            "password": "first-pass-123",
        },
    )
    assert response.status_code == 400
    assert session.scalar(select(User).where(User.username == "moi.nguoi")) is None


def test_a_request_larger_than_the_limit_gets_413_with_a_message(admin_client, settings):
    too_big = "x" * (settings.max_upload_mb * 1024 * 1024 + 128 * 1024)
    response = admin_client.post("/admin/bodies/new", data={"name": too_big})
    assert response.status_code == 413
    assert "lớn hơn mức cho phép" in response.get_data(as_text=True)
