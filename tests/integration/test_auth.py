"""Login, lockout, throttling, CSRF, logout and password change."""

from __future__ import annotations

from sqlalchemy import func, select

from db.models import AuditEvent, LoginAttempt, User
from tests.conftest import csrf_token, login, post_form


def test_login_with_the_right_password_reaches_the_overview(client, make_user):
    make_user("an.nguyen")
    response = login(client, "an.nguyen")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Tổng quan" in client.get("/").get_data(as_text=True)


def test_wrong_password_and_unknown_user_get_the_same_message(client, make_user):
    make_user("an.nguyen")
    wrong = login(client, "an.nguyen", "not-the-password-1")
    unknown = login(client, "nobody.here", "not-the-password-1")
    assert wrong.status_code == unknown.status_code == 401
    message = "Sai tên đăng nhập hoặc mật khẩu."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_account_locks_after_repeated_failures_even_for_the_right_password(
    client, make_user, session
):
    user = make_user("an.nguyen")
    for _ in range(5):
        assert login(client, "an.nguyen", "wrong-password-9").status_code == 401
    locked = login(client, "an.nguyen")
    assert locked.status_code == 403
    assert "bị khóa" in locked.get_data(as_text=True)
    session.refresh(user)
    assert user.locked_until is not None
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "user.locked"))


def test_failures_from_one_address_are_throttled_across_accounts(client, session, settings):
    for i in range(settings.login_ip_max_failures):
        login(client, f"guess{i}", "wrong-password-9")
    throttled = login(client, "guess-final", "wrong-password-9")
    assert throttled.status_code == 429
    assert (
        session.scalar(select(func.count()).select_from(LoginAttempt))
        == settings.login_ip_max_failures  # the refused one is not even counted
    )


def test_disabled_account_cannot_log_in(client, make_user):
    make_user("an.nguyen", active=False)
    assert login(client, "an.nguyen").status_code == 403


def test_login_without_csrf_token_is_refused(client, make_user):
    make_user("an.nguyen")
    response = client.post("/login", data={"username": "an.nguyen", "password": "correct-horse-1"})
    assert response.status_code == 400
    assert "tải lại trang" in response.get_data(as_text=True)


def test_login_with_forged_csrf_token_is_refused(client, make_user):
    make_user("an.nguyen")
    csrf_token(client, "/login")
    response = client.post(
        "/login",
        data={
            "csrf_token": "forged.token.value",
            "username": "an.nguyen",
            "password": "correct-horse-1",
        },
    )
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # still logged out


def test_oversized_field_is_refused_and_records_nothing(client, session):
    response = post_form(client, "/login", {"username": "x" * 5000, "password": "p" * 10})
    assert response.status_code == 400
    assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 0


def test_session_cookie_is_http_only_and_same_site(client, make_user):
    make_user("an.nguyen")
    response = login(client, "an.nguyen")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_login_refuses_to_redirect_off_site(client, make_user):
    make_user("an.nguyen")
    token = csrf_token(client, "/login")
    response = client.post(
        "/login?next=//evil.example/x",
        data={"csrf_token": token, "username": "an.nguyen", "password": "correct-horse-1"},
    )
    assert response.headers["Location"] == "/"


def test_logout_ends_the_session(client, make_user):
    make_user("an.nguyen")
    login(client, "an.nguyen")
    assert post_form(client, "/logout", {}, form_page="/").status_code == 302
    assert client.get("/").status_code == 302


def test_changing_the_password_ends_other_sessions(app, client, make_user, session):
    make_user("an.nguyen")
    other = app.test_client()
    login(client, "an.nguyen")
    login(other, "an.nguyen")
    response = post_form(
        client,
        "/account/password",
        {
            "current_password": "correct-horse-1",
            "new_password": "brand-new-pass-2",
            "confirm": "brand-new-pass-2",
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302  # the other session is over
    assert login(app.test_client(), "an.nguyen", "brand-new-pass-2").status_code == 302


def test_password_change_with_wrong_current_password_changes_nothing(client, make_user, session):
    user = make_user("an.nguyen")
    before = user.password_hash
    login(client, "an.nguyen")
    response = post_form(
        client,
        "/account/password",
        {
            "current_password": "wrong-password-9",
            "new_password": "brand-new-pass-2",
            "confirm": "brand-new-pass-2",
        },
    )
    assert response.status_code == 400
    assert "Mật khẩu hiện tại không đúng." in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, user.id).password_hash == before


def test_weak_new_password_is_refused_with_the_reason(client, make_user):
    make_user("an.nguyen")
    login(client, "an.nguyen")
    response = post_form(
        client,
        "/account/password",
        {
            "current_password": "correct-horse-1",
            "new_password": "aaaaaaaaaaaa",
            "confirm": "aaaaaaaaaaaa",
        },
    )
    assert response.status_code == 400
    assert "chữ cái với chữ số" in response.get_data(as_text=True)
