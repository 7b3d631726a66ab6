"""Webhooks per body against a real HTTP receiver on loopback: signed JSON the receiver can
verify, retries on failure with the same delivery id, no call outside the allowed hosts."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from db.base import utcnow
from db.models.notification import OutboxMessage
from notifier import admin
from notifier.jobs import flush_outbox
from notifier.webhooks import WebhookRefused
from tests.integration.notifier_support import Receiver, webhook_receiver
from workflows import requirements as verbs
from workflows.inputs import ReportInput


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
def url(receiver: Receiver) -> Any:
    with webhook_receiver(receiver) as base:
        yield base + "/remtrack/events"


@pytest.fixture
def allowed(settings: Any) -> Any:
    return replace(settings, webhook_allowed_hosts="127.0.0.1, *.example.vn")


@pytest.fixture
def admin_user(make_user: Any) -> Any:
    return make_user(roles=("admin",))


def hook_for(session, admin_user, allowed, receiver, body, url, kinds=()):
    hook = admin.save_webhook(
        session,
        admin_user,
        admin.WebhookInput(body.id, url, tuple(kinds)),
        allowed.webhook_allowed_hosts,
    )
    receiver.secret = hook.secret
    return hook


def submit(session, cast, make_requirement) -> Any:
    req = make_requirement()
    verbs.acknowledge_requirement(session, cast.officer, req.id)
    verbs.submit_plan(session, cast.officer, req.id, "Plan.")
    verbs.submit_for_verification(
        session, cast.officer, req.id, ReportInput(text="Done, receipts attached.", percent=100)
    )
    return req


def webhook_rows(session) -> list[OutboxMessage]:
    session.expire_all()
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.channel == "webhook")
            .order_by(OutboxMessage.id)
        )
    )


def test_a_bodys_webhook_receives_its_events_signed(
    session, session_factory, cast, make_requirement, admin_user, allowed, receiver, url
):
    hook_for(session, admin_user, allowed, receiver, cast.commission, url, kinds=["submitted"])
    req = submit(session, cast, make_requirement)
    before = int(time.time())
    result = flush_outbox(session_factory, utcnow(), settings=allowed)
    assert result.sent >= 1
    assert len(receiver.calls) == 1  # only the kind it asked for
    call = receiver.calls[0]
    assert receiver.verify(call)
    assert int(call["headers"]["X-Remtrack-Timestamp"]) >= before
    body = call["json"]
    assert body["event"] == "requirement.submitted" and body["kind"] == "submitted"
    assert body["subject"] == {"type": "requirement", "id": req.id}
    assert body["body_id"] == cast.commission.id
    assert body["data"]["conclusion_number"] == req.conclusion.number
    assert call["headers"]["X-Remtrack-Delivery"] == body["id"]
    assert call["headers"]["Content-Type"].startswith("application/json")


def test_a_tampered_body_fails_the_signature_check(
    session, session_factory, cast, make_requirement, admin_user, allowed, receiver, url
):
    hook_for(session, admin_user, allowed, receiver, cast.commission, url, kinds=["submitted"])
    submit(session, cast, make_requirement)
    flush_outbox(session_factory, utcnow(), settings=allowed)
    call = dict(receiver.calls[0])
    tampered = json.loads(call["raw"])
    tampered["data"]["percent"] = 10
    call["raw"] = json.dumps(tampered).encode()
    assert not receiver.verify(call)
    receiver.secret = "another secret"
    assert not receiver.verify(receiver.calls[0])


def test_a_failing_receiver_is_retried_with_the_same_delivery_id(
    session, session_factory, cast, make_requirement, admin_user, allowed, receiver, url
):
    hook_for(session, admin_user, allowed, receiver, cast.commission, url, kinds=["submitted"])
    submit(session, cast, make_requirement)
    receiver.status = 503
    now = utcnow()
    flush_outbox(session_factory, now, settings=allowed)
    (row,) = webhook_rows(session)
    assert (row.status, row.attempts, row.last_error) == (
        "pending",
        1,
        "HTTP 503 Service Unavailable",
    )
    receiver.status = 204
    flush_outbox(session_factory, now + timedelta(minutes=1), settings=allowed)
    assert webhook_rows(session)[0].status == "sent"
    ids = {c["headers"]["X-Remtrack-Delivery"] for c in receiver.calls}
    assert len(receiver.calls) == 2 and len(ids) == 1
    assert all(receiver.verify(c) for c in receiver.calls)


@pytest.mark.parametrize(("status", "extra"), [(410, {}), (302, {"Location": "http://x.vn/"})])
def test_a_final_refusal_or_a_redirect_is_a_dead_letter_at_once(
    session,
    session_factory,
    cast,
    make_requirement,
    admin_user,
    allowed,
    receiver,
    url,
    status,
    extra,
):
    hook_for(session, admin_user, allowed, receiver, cast.commission, url, kinds=["submitted"])
    submit(session, cast, make_requirement)
    receiver.status, receiver.headers = status, extra
    flush_outbox(session_factory, utcnow(), settings=allowed)
    (row,) = webhook_rows(session)
    assert row.status == "dead" and f"HTTP {status}" in row.last_error
    assert len(receiver.calls) == 1  # not followed, not retried


def test_narrowing_the_allowed_hosts_stops_calls_already_queued(
    session, session_factory, cast, make_requirement, admin_user, allowed, receiver, url
):
    hook_for(session, admin_user, allowed, receiver, cast.commission, url, kinds=["submitted"])
    submit(session, cast, make_requirement)
    narrowed = replace(allowed, webhook_allowed_hosts="hooks.example.vn")
    flush_outbox(session_factory, utcnow(), settings=narrowed)
    (row,) = webhook_rows(session)
    assert row.status == "dead" and "127.0.0.1 is not among the hosts allowed" in row.last_error
    assert receiver.calls == []


def test_a_disabled_webhook_gets_nothing(
    session, session_factory, cast, make_requirement, admin_user, allowed, receiver, url
):
    hook = hook_for(session, admin_user, allowed, receiver, cast.commission, url)
    data = admin.WebhookInput(hook.body_id, hook.url, (), "", active=False)
    admin.save_webhook(session, admin_user, data, allowed.webhook_allowed_hosts, hook)
    submit(session, cast, make_requirement)
    assert webhook_rows(session) == []


@pytest.mark.parametrize(
    ("address", "field", "words"),
    [
        ("ftp://127.0.0.1/in", "url", "http:// or https://"),
        ("file:///etc/passwd", "url", "http:// or https://"),
        ("https://10.0.0.8/in", "url", "not among the hosts allowed"),
        ("https://example.vn/in", "url", "not among the hosts allowed"),  # *.example.vn only
        ("https://a:b@127.0.0.1/in", "url", "user name or password"),
    ],
)
def test_a_webhook_url_that_is_not_http_or_not_allowed_is_refused_when_configured(
    session, cast, admin_user, allowed, address, field, words
):
    with pytest.raises(WebhookRefused) as refused:
        admin.save_webhook(
            session,
            admin_user,
            admin.WebhookInput(cast.unit.id, address),
            allowed.webhook_allowed_hosts,
        )
    assert refused.value.field == field and words in str(refused.value.message)


def test_a_subdomain_of_an_allowed_wildcard_is_accepted(session, cast, admin_user, allowed):
    hook = admin.save_webhook(
        session,
        admin_user,
        admin.WebhookInput(cast.unit.id, "https://hooks.tinh.example.vn/in"),
        allowed.webhook_allowed_hosts,
    )
    assert hook.id is not None
