"""The notifier's pure parts: backoff, keys, signatures, URL checks, date and money formats,
every template in both languages, and the SMTP/webhook settings' validation."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, date, datetime, timedelta

import pytest

from db.settings import ConfigError, load_settings
from notifier.delivery import backoff
from notifier.facts import excerpt
from notifier.kinds import ALWAYS_IMMEDIATE, DEFAULT_MODES, KINDS, effective_mode
from notifier.mail import message_id
from notifier.outbox import dedupe_key, delivery_id, plain
from notifier.render import Renderer, TemplateFailed, money, percent, vndate, vndatetime
from notifier.webhooks import WebhookRefused, check_url, signature

FACTS = {
    "path": "/requirements/3",
    "conclusion_number": "34-KL/TW",
    "conclusion_title": "Kết luận kiểm tra",
    "seq": 1,
    "excerpt": "Thu hồi tiền",
    "responsible_body": "Sở Tài chính",
    "supervising_body": "Ủy ban Kiểm tra",
    "deadline": "2026-12-31T10:00:00+00:00",
}


def test_backoff_doubles_from_a_minute_and_stops_at_six_hours():
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert backoff(30) == timedelta(hours=6)


def test_a_long_dedupe_key_is_hashed_to_fit_and_stays_unique():
    short = dedupe_key("requirement.submitted", "requirement:1", "report3", "u9")
    assert short == "requirement.submitted|requirement:1|report3|u9"
    long_a, long_b = dedupe_key("x" * 300, "a"), dedupe_key("x" * 300, "b")
    assert len(long_a) <= 255 and long_a != long_b
    assert delivery_id(short) == delivery_id(short) != delivery_id(long_a)


def test_plain_makes_facts_json_safe():
    moment = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
    from decimal import Decimal

    assert plain({"a": moment, "b": Decimal("15"), "c": (1, date(2026, 1, 2))}) == {
        "a": "2026-01-02T03:04:00+00:00",
        "b": "15",
        "c": [1, "2026-01-02"],
    }


def test_escalations_are_always_immediate_whatever_is_chosen():
    assert "escalation" in ALWAYS_IMMEDIATE
    assert effective_mode("escalation", "digest") == "immediate"
    assert effective_mode("progress", None) == "digest"
    assert effective_mode("submitted", "inapp") == "inapp"
    assert effective_mode("submitted", "nonsense") == "immediate"


def test_dates_are_vietnamese_calendar_days():
    assert vndate("2026-12-31T17:30:00+00:00") == "01/01/2027"
    assert vndate(datetime(2026, 12, 31, 16, 59, tzinfo=UTC)) == "31/12/2026"
    assert vndate("2026-03-05") == "05/03/2026" and vndate(None) == ""
    assert vndatetime("2026-12-31T17:30:00+00:00") == "00:30 01/01/2027"


def test_money_and_percent_are_written_as_people_write_them():
    assert money("1500000000") == "1.500.000.000"
    assert money("1500000000", "en") == "1,500,000,000"
    assert percent(0.75) == "75" and percent(50) == "50"


def test_an_excerpt_is_cut_at_a_word_on_one_line():
    assert excerpt("Thu hồi\n  toàn bộ") == "Thu hồi toàn bộ"
    cut = excerpt("từ " * 100, 20)
    assert cut.endswith("…") and len(cut) <= 21 and "  " not in cut


@pytest.mark.parametrize("locale", ["vi", "en"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_in_both_languages(kind, locale):
    facts = {**FACTS, "task": "acknowledge", "approved": True, "level": 1, "share": 0.5}
    rendered = Renderer("http://127.0.0.1:5000").notification(locale, kind, facts, "An")
    assert rendered.subject.startswith("[remtrack] ") and "\n" not in rendered.subject
    assert "34-KL/TW" in rendered.text and "http://127.0.0.1:5000/requirements/3" in rendered.text
    assert "<html" in rendered.html and "{{" not in rendered.text + rendered.html
    assert set(DEFAULT_MODES) == set(KINDS)


def test_html_escapes_what_users_typed_but_text_keeps_it():
    facts = {**FACTS, "reason": "<b>thiếu</b> & chưa nộp", "decision": "incomplete"}
    rendered = Renderer("http://x.vn").notification("vi", "rejected", facts, "An")
    assert "&lt;b&gt;thiếu&lt;/b&gt; &amp; chưa nộp" in rendered.html
    assert "<b>thiếu</b> & chưa nộp" in " ".join(rendered.text.split())


def test_a_missing_template_names_itself(tmp_path):
    with pytest.raises(TemplateFailed) as failed:
        Renderer("http://x.vn").notification("vi", "no_such_kind", FACTS, "An")
    assert "vi/kinds/no_such_kind.jinja" in str(failed.value)


def test_a_site_template_overrides_the_shipped_one(tmp_path):
    (tmp_path / "vi" / "kinds").mkdir(parents=True)
    (tmp_path / "vi" / "kinds" / "withdrawn.jinja").write_text(
        "{% macro subject(f) %}Rút kiến nghị {{ f.seq }}{% endmacro %}"
        "{% macro lead(f) %}Đã rút.{% endmacro %}{% macro action(f) %}Xem{% endmacro %}"
    )
    rendered = Renderer("http://x.vn", tmp_path).notification("vi", "withdrawn", FACTS, "An")
    assert rendered.subject == "[remtrack] Rút kiến nghị 1"


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body():
    body = b'{"a":1}'
    expected = hmac.new(b"k", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("k", "1700000000", body) == "sha256=" + expected


@pytest.mark.parametrize(
    ("url", "allowed", "ok"),
    [
        ("https://hooks.example.vn/x", "hooks.example.vn", True),
        ("http://HOOKS.example.vn:8080/x", "hooks.example.vn", True),
        ("https://a.b.example.vn/x", "*.example.vn", True),
        ("https://example.vn/x", "*.example.vn", False),
        ("https://evil-example.vn/x", "*.example.vn", False),
        ("https://hooks.example.vn.evil.com/x", "hooks.example.vn", False),
        ("ftp://hooks.example.vn/x", "hooks.example.vn", False),
        ("hooks.example.vn/x", "hooks.example.vn", False),
        ("https://hooks.example.vn/x", "", False),
    ],
)
def test_webhook_urls_must_be_http_on_an_allowed_host(url, allowed, ok):
    if ok:
        assert check_url(url, allowed) == url
    else:
        with pytest.raises(WebhookRefused):
            check_url(url, allowed)


def test_the_message_id_uses_the_senders_domain(tmp_path):
    s = load_settings(env={}, instance_path=tmp_path, smtp_from="Hệ thống <noreply@ubkt.vn>")
    assert message_id("abc", s) == "<abc@ubkt.vn>"


def test_smtp_and_webhook_settings_are_read_from_the_environment(tmp_path):
    s = load_settings(
        env={
            "REMTRACK_INSTANCE_PATH": str(tmp_path),
            "REMTRACK_SMTP_HOST": "mail.example.vn",
            "REMTRACK_SMTP_PORT": "587",
            "REMTRACK_SMTP_SECURITY": "starttls",
            "REMTRACK_SMTP_USERNAME": "remtrack",
            "REMTRACK_SMTP_PASSWORD": "pw",
            "REMTRACK_WEBHOOK_ALLOWED_HOSTS": "hooks.example.vn",
            "REMTRACK_OUTBOX_MAX_ATTEMPTS": "5",
            "REMTRACK_BASE_URL": "https://remtrack.example.vn",
        }
    )
    assert (s.smtp_host, s.smtp_port, s.smtp_security) == ("mail.example.vn", 587, "starttls")
    assert s.outbox_max_attempts == 5 and s.base_url == "https://remtrack.example.vn"


def test_bad_smtp_settings_are_all_reported_at_once():
    with pytest.raises(ConfigError) as err:
        load_settings(
            env={
                "REMTRACK_SMTP_HOST": "mail.example.vn",
                "REMTRACK_SMTP_SECURITY": "tls",
                "REMTRACK_SMTP_FROM": "not an address",
                "REMTRACK_OUTBOX_MAX_ATTEMPTS": "0",
                "REMTRACK_BASE_URL": "ftp://x",
                "REMTRACK_SMTP_CA_FILE": "/no/such/file.pem",
            }
        )
    names = ("SMTP_SECURITY", "SMTP_FROM", "OUTBOX_MAX_ATTEMPTS", "BASE_URL", "SMTP_CA_FILE")
    assert len(err.value.problems) == len(names)
    for name in names:
        assert f"REMTRACK_{name}" in str(err.value)


def test_a_password_never_crosses_the_network_in_clear():
    with pytest.raises(ConfigError, match="in clear"):
        load_settings(env={"REMTRACK_SMTP_HOST": "mail.example.vn", "REMTRACK_SMTP_USERNAME": "u"})
    # On the same machine it may (a local relay).
    load_settings(env={"REMTRACK_SMTP_HOST": "127.0.0.1", "REMTRACK_SMTP_USERNAME": "u"})
