"""Webhooks for automation (issue 20): signed JSON events through the outbox, to a real local receiver.

The signature is checked here by its own few lines, as a receiver would (the README's example),
not by the code that makes it."""

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from linkdesk.api.openapi import document
from linkdesk.extensions import db
from linkdesk.models import MessageStatus, NotificationChannel, OutboxMessage
from linkdesk.notify import outbox
from linkdesk.notify.events import ChannelError, add_channel
from tests import notify_servers
from tests.factories import ticket_request
from tests.notify.test_events import FILED_AT

receiver = notify_servers.receiver  # fixture
pytestmark = pytest.mark.usefixtures("clock")
NOW = FILED_AT + timedelta(minutes=1)
CUTOVER = "2026-12-11"


def verifies(secret: str, request: dict, *, now: int, tolerance: int = 300) -> bool:
    """What a receiver does: the HMAC of the raw body matches, and the signed send time is recent."""
    expected = "sha256=" + hmac.new(secret.encode(), request["body"], hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request["headers"]["X-Linkdesk-Signature"]):
        return False
    sent_at = json.loads(request["body"])["sent_at"]
    return str(sent_at) == request["headers"]["X-Linkdesk-Timestamp"] and abs(now - sent_at) <= tolerance


def approve_for_beijing(team) -> dict:
    """A Beijing ticket (ministry only), approved: one 'approved' event."""
    ticket = team["beijing"][0].post("/tickets", ticket_request(cutover_date=CUTOVER)).get_json()
    answer = team["ministry"][0].post(f"/tickets/{ticket['id']}/decision", {"decision": "approve", "version": ticket["version"]})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_an_approval_is_one_signed_post_that_verifies_with_the_secret(team, receiver):
    channel = add_channel("webhook", receiver.url(), "ministry", "approved,applied,cancelled")
    secret = channel.secret
    assert secret.startswith("whsec_")
    ticket = approve_for_beijing(team)  # 'submitted' is not among the webhook's events
    assert outbox.deliver_once(NOW).sent == 1
    [request] = receiver.received
    assert request["path"] == "/hooks/linkdesk"
    assert request["headers"]["Content-Type"].startswith("application/json")
    assert verifies(secret, request, now=int(NOW.timestamp()))
    event = json.loads(request["body"])
    assert set(event) == {"id", "type", "occurred_at", "sent_at", "ticket"}
    assert event["type"] == "approved" == request["headers"]["X-Linkdesk-Event"]
    assert event["id"] == request["headers"]["X-Linkdesk-Delivery"]
    assert event["occurred_at"].startswith("2026-11-27T02:00")
    assert event["ticket"]["number"] == ticket["number"] and event["ticket"]["status"] == "approved"
    assert event["ticket"]["center"]["short_name"] == "北京"
    spec = document()  # the event is as the API's document describes it
    Draft202012Validator({"$ref": "#/components/schemas/WebhookEvent", "components": spec["components"]}).validate(event)
    assert outbox.deliver_once(NOW + timedelta(hours=1)).sent == 0 and len(receiver.received) == 1


def test_a_tampered_body_or_an_old_timestamp_fails_verification(team, receiver):
    secret = add_channel("webhook", receiver.url(), "ministry", "approved").secret
    approve_for_beijing(team)
    outbox.deliver_once(NOW)
    [request] = receiver.received
    tampered = {**request, "body": request["body"].replace(b'"approved"', b'"rejected"', 1)}
    assert tampered["body"] != request["body"]
    assert not verifies(secret, tampered, now=int(NOW.timestamp()))
    assert not verifies("whsec_another", request, now=int(NOW.timestamp()))
    assert not verifies(secret, request, now=int(NOW.timestamp()) + 3600)  # replayed an hour later
    assert verifies(secret, request, now=int(NOW.timestamp()))


def test_the_receiver_down_then_up_gets_the_event_once(team, receiver):
    add_channel("webhook", receiver.url(), "ministry", "approved")
    approve_for_beijing(team)
    receiver.stop()
    report = outbox.deliver_once(NOW)
    assert (report.sent, report.failed) == (0, 1)
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.status is MessageStatus.PENDING and "无法连接" in message.last_error
    assert outbox.deliver_once(NOW + timedelta(seconds=10)).sent == 0  # backoff: 30 s after the first failure
    receiver.start()
    receiver.status = 500
    assert outbox.deliver_once(NOW + timedelta(seconds=31)).failed == 1  # an answer that is not 2xx: retried
    receiver.status = 200
    assert outbox.deliver_once(NOW + timedelta(seconds=100)).sent == 1
    assert outbox.deliver_once(NOW + timedelta(hours=2)).sent == 0
    ids = [json.loads(request["body"])["id"] for request in receiver.received]
    assert len(ids) == 2 and len(set(ids)) == 1  # the refused try and the delivery: the same event id
    assert [r["headers"]["X-Linkdesk-Delivery"] for r in receiver.received] == ids


def test_a_webhook_takes_only_its_events_in_its_scope(team, receiver):
    add_channel("webhook", receiver.url("/hubei"), "province:湖北", "approved")
    add_channel("webhook", receiver.url("/henan"), "province:河南", "submitted,cancelled")
    ticket = team["zhengzhou"][0].post("/tickets", ticket_request(cutover_date=CUTOVER)).get_json()
    approved = team["henan"][0].post(f"/tickets/{ticket['id']}/decision", {"decision": "approve", "version": 1}).get_json()
    approved = (
        team["ministry"][0].post(f"/tickets/{ticket['id']}/decision", {"decision": "approve", "version": approved["version"]}).get_json()
    )
    cancelled = team["zhengzhou"][0].post(
        f"/tickets/{ticket['id']}/cancel", {"version": approved["version"], "comment": "服务商变更，暂缓切换"}
    )
    assert cancelled.status_code == 200, cancelled.get_json()
    while outbox.deliver_once(NOW).sent:
        pass
    assert [(r["path"], json.loads(r["body"])["type"]) for r in receiver.received] == [("/henan", "submitted"), ("/henan", "cancelled")]


@pytest.mark.parametrize(
    "address",
    [
        "http://127.0.0.1:{port}/x",  # loopback, unless configuration allows it
        "http://10.1.2.3/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "ftp://hooks.example.org/x",
        "https://user:pw@hooks.example.org/x",
        "https://hooks.example.org:8443/x",
    ],
)
def test_webhook_addresses_follow_the_probers_rules(app, receiver, address):
    app.config.update(LINKDESK_PROBE_ALLOW_NETWORKS=(), LINKDESK_PROBE_PORTS=(80, 443))
    with pytest.raises(ChannelError):
        add_channel("webhook", address.format(port=receiver.port), "ministry", "approved")
    assert db.session.scalar(select(NotificationChannel)) is None


def test_an_address_no_longer_allowed_is_not_connected_to_at_send_time(app, team, receiver):
    add_channel("webhook", receiver.url(), "ministry", "approved")
    approve_for_beijing(team)
    app.config.update(LINKDESK_PROBE_ALLOW_NETWORKS=())
    report = outbox.deliver_once(NOW)
    assert (report.sent, report.failed) == (0, 1) and receiver.received == []
    assert "拒绝" in db.session.scalar(select(OutboxMessage.last_error))


def test_unknown_events_are_refused_by_name(receiver):
    with pytest.raises(ChannelError, match="“approve”"):
        add_channel("webhook", receiver.url(), "ministry", "approve,applied")
    with pytest.raises(ChannelError):
        add_channel("webhook", receiver.url(), "ministry", "")


def test_the_cli_shows_the_secret_once(runner, receiver):
    added = runner.invoke(
        args=["channels", "add", "webhook", receiver.url(), "--scope", "center:郑州", "--events", "approved,applied,cancelled"]
    )
    assert added.exit_code == 0, added.output
    secret = db.session.scalar(select(NotificationChannel.secret))
    assert f"signing secret (shown once; keep it with the receiver): {secret}" in added.output
    listed = runner.invoke(args=["channels", "list"])
    assert "webhook" in listed.output and "approved,applied,cancelled" in listed.output and secret not in listed.output
    refused = runner.invoke(args=["channels", "add", "email", "a@example.cn", "--scope", "ministry", "--events", "approved"])
    assert refused.exit_code != 0


def test_the_database_takes_the_three_kinds_and_no_other(app):
    insert = "INSERT INTO notification_channel (kind, scope, target, created_at) VALUES (:kind, 'ministry', 'x', :at)"
    db.session.execute(text(insert), {"kind": "webhook", "at": NOW})
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(text(insert), {"kind": "sms", "at": NOW})
        db.session.commit()
    db.session.rollback()
