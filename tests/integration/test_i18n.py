"""Vietnamese by default, English on request, remembered per user."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from db.models import User
from tests.conftest import login, post_form

TRANSLATIONS = Path(__file__).resolve().parents[2] / "web" / "translations"


def test_pages_are_in_vietnamese_by_default(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="vi">' in page and "Đăng nhập" in page


def test_a_visitor_can_switch_to_english_before_logging_in(client):
    post_form(client, "/lang", {"locale": "en", "next": "/login"}, form_page="/login")
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in page and "Log in" in page


def test_a_user_language_choice_is_kept_on_their_account(client, make_user, session):
    user = make_user("an.nguyen", locale="vi")
    login(client, "an.nguyen")
    post_form(client, "/lang", {"locale": "en", "next": "/"}, form_page="/")
    session.expire_all()
    assert session.get(User, user.id).locale == "en"
    assert "Overview" in client.get("/").get_data(as_text=True)


def test_unknown_language_is_refused_with_a_message(client):
    response = post_form(
        client,
        "/lang",
        {"locale": "fr", "next": "/login"},
        form_page="/login",
        follow_redirects=True,
    )
    assert "Chọn tiếng Việt hoặc tiếng Anh." in response.get_data(as_text=True)


def test_every_message_has_a_vietnamese_translation():
    with open(TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        catalog = read_po(fh)
    missing = [
        m.id
        for m in catalog
        if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
    ]
    assert missing == []


def test_the_catalog_holds_every_message_in_the_code(tmp_path):
    """Extract again and compare: a string added to the code but not to the catalog fails."""
    from babel.messages.frontend import CommandLineInterface

    root = Path(__file__).resolve().parents[2]
    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(root / "babel.cfg"),
            "-k",
            "_l",
            "-k",
            "lazy_ngettext:1,2",
            "-o",
            str(pot),
            str(root / "web"),
            str(root / "workflows"),
            str(root / "notifier"),
        ]
    )
    with open(pot, "rb") as fh:
        extracted = {m.id for m in read_po(fh) if m.id}
    with open(TRANSLATIONS / "vi" / "LC_MESSAGES" / "messages.po", "rb") as fh:
        known = {m.id for m in read_po(fh) if m.id}
    assert extracted - known == set(), "run 'make translations' and translate the new strings"
