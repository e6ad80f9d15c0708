"""Notifications (issue 8): the outbox written with the change, delivery, retries, rate limits, secrets."""

import logging
from datetime import UTC, date, datetime, timedelta
from email.header import decode_header, make_header

import pytest
from sqlalchemy import func, select

from linkdesk.cutovers.operations import remind_upcoming
from linkdesk.extensions import db
from linkdesk.models import MessageStatus, OutboxMessage, Role, Ticket, TicketStatus
from linkdesk.models.types import utcnow
from linkdesk.notify import outbox
from linkdesk.notify.events import add_channel, notify
from linkdesk.tickets import workflow
from linkdesk.workdays.schedules import current_calendar
from tests import notify_servers
from tests.cutovers.test_schedule import file_and_approve
from tests.factories import ticket_request
from tests.helpers import at_once
from tests.notify_servers import SECRET_KEY, outbox_rows

FILED_AT = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # helpers.BEIJING_FRIDAY: Friday 10:00 in Beijing
# Messages are stamped by the clock and claimed at instants derived from FILED_AT: every
# scenario runs with the clock frozen at FILED_AT, fixtures included, so both agree on any date.
pytestmark = pytest.mark.usefixtures("clock")
robot, henan_robot, smtp = notify_servers.robot, notify_servers.henan_robot, notify_servers.smtp  # fixtures


def test_filing_queues_one_message_for_the_province_robot_and_the_worker_sends_exactly_it(team, robot, henan_robot):
    add_channel("wecom", robot.webhook("hubei-key"), "province:湖北")
    add_channel("wecom", robot.webhook("ministry-key"), "ministry")
    ticket = team["zhengzhou"][0].post("/tickets", ticket_request(cutover_date="2026-12-11")).get_json()
    [message] = outbox_rows()
    assert (message.channel_id, message.event, message.ticket_id) == (henan_robot.id, "submitted", ticket["id"])
    assert ticket["number"] in message.body and "2026-12-11（周五）" in message.body
    report = outbox.deliver_once(FILED_AT)
    assert report.sent == 1
    [received] = robot.received
    assert received["key"] == SECRET_KEY and received["msgtype"] == "markdown"
    assert received["content"] == message.body + f'\n<font color="comment">消息编号 {message.uid}</font>'
    assert outbox.deliver_once(FILED_AT + timedelta(hours=1)).sent == 0  # nothing twice


def test_a_refused_or_rolled_back_change_leaves_no_message(team, henan_robot, monkeypatch):
    refused = team["zhengzhou"][0].post("/tickets", ticket_request(cutover_date="2026-12-01"))
    assert refused.status_code == 422
    first = team["zhengzhou"][0].post("/tickets", ticket_request(cutover_date="2026-12-11")).get_json()
    # The second filing passes the Python check and loses at the database: rolled back whole.
    calls = []
    monkeypatch.setattr(
        "linkdesk.tickets.operations.open_ticket_for",
        lambda *args: calls.append(1) or (None if len(calls) == 1 else workflow.open_ticket_for(*args)),
    )
    lost = team["zhengzhou"][0].post("/tickets", ticket_request(cutover_date="2026-12-14"))
    assert lost.status_code == 409
    assert [m.ticket_id for m in outbox_rows()] == [first["id"]]


def test_decisions_reach_the_center_and_approval_the_ministry(team, robot, smtp):
    add_channel("email", "gjj-zhengzhou@example.cn", "center:郑州")
    add_channel("wecom", robot.webhook("ministry-key"), "ministry")
    approved = file_and_approve(team).get_json()
    by_event = {}
    for message in outbox_rows():
        by_event.setdefault(message.event, []).append(message.channel.kind.value)
    assert by_event == {"decided": ["email"], "forwarded": ["wecom"], "approved": ["email", "wecom"]}
    report = outbox.deliver_once(FILED_AT)
    assert report.sent == 4 and report.failed == 0
    subjects = sorted(str(make_header(decode_header(m["Subject"]))) for m in smtp.messages)
    assert len(subjects) == 2 and any("已批准" in s for s in subjects)
    assert all(m["Message-ID"].endswith("@linkdesk>") for m in smtp.messages)
    assert approved["number"] in smtp.messages[-1].get_payload(decode=True).decode()


def test_robot_down_then_up_every_message_once_with_tries_counted(team, robot, henan_robot):
    for service in ("info_query", "deposit_certificate", "transfer"):
        team["zhengzhou"][0].post("/tickets", ticket_request(service, cutover_date="2026-12-11"))
    robot.stop()
    now = FILED_AT + timedelta(minutes=1)
    first = outbox.deliver_once(now)
    assert (first.sent, first.failed) == (0, 3)
    assert {m.tries for m in outbox_rows()} == {1} and all("无法连接" in m.last_error for m in outbox_rows())
    assert outbox.deliver_once(now + timedelta(seconds=5)).sent == 0  # backing off
    second = outbox.deliver_once(now + timedelta(seconds=31))
    assert second.failed == 3 and {m.tries for m in outbox_rows()} == {2}
    robot.start()
    third = outbox.deliver_once(now + timedelta(seconds=31 + 61))
    assert third.sent == 3
    uids = [m.uid for m in outbox_rows()]
    assert sorted(r["content"].rsplit("消息编号 ", 1)[1].split("<")[0] for r in robot.received) == sorted(uids)
    assert {m.tries for m in outbox_rows()} == {3} and {m.status for m in outbox_rows()} == {MessageStatus.SENT}


def test_an_errcode_is_a_failure_and_the_last_retry_parks_the_message(app, team, robot, henan_robot, client, auth, make):
    app.config["LINKDESK_NOTIFY_MAX_TRIES"] = 2
    robot.mode = "error"
    team["zhengzhou"][0].post("/tickets", ticket_request(cutover_date="2026-12-11"))
    now = FILED_AT + timedelta(minutes=1)
    outbox.deliver_once(now)
    outbox.deliver_once(now + timedelta(hours=2))
    [message] = outbox_rows()
    assert message.status is MessageStatus.FAILED and "errcode=93000" in message.last_error
    admin = make.user(Role.ADMIN)
    auth.login(admin.username, admin.password)
    page = client.get("/admin/outbox?status=failed").get_data(as_text=True)
    assert "发送失败" in page and "errcode=93000" in page
    assert client.post(f"/admin/outbox/{message.id}/retry").status_code == 302
    robot.mode = "ok"
    assert outbox.deliver_once(utcnow() + timedelta(days=3)).sent == 1


def test_two_workers_deliver_each_message_exactly_once(app, make, robot):
    app.config["LINKDESK_WECOM_PER_MINUTE"] = 1000
    add_channel("wecom", robot.webhook("ministry-key"), "ministry")
    robot.mode, robot.delay = "slow", 0.01
    ids = make.tickets(40, date(2026, 12, 11), status=TicketStatus.PENDING)
    for ticket_id in ids:
        notify("submitted", db.session.get(Ticket, ticket_id))
    db.session.commit()

    def worker():
        with app.app_context():
            try:
                while outbox.deliver_once().sent:
                    pass
            finally:
                db.session.remove()

    at_once(worker, worker)
    delivered = [r["content"].rsplit("消息编号 ", 1)[1].split("<")[0] for r in robot.received]
    assert sorted(delivered) == sorted(m.uid for m in outbox_rows()) and len(delivered) == 40


def test_fifty_events_in_a_minute_are_merged_into_digests_within_the_rate_limit(app, make, robot):
    add_channel("wecom", robot.webhook("ministry-key"), "ministry")
    ids = make.tickets(50, date(2026, 12, 11), status=TicketStatus.PENDING)
    for ticket_id in ids:
        notify("submitted", db.session.get(Ticket, ticket_id))
    db.session.commit()
    now = FILED_AT + timedelta(minutes=1)
    report = outbox.deliver_once(now)
    assert report.sent == 50 and report.deferred == 0
    assert len(robot.received) <= 20
    assert all(len(r["content"].encode()) <= 4096 for r in robot.received)
    uids = [u.split("<")[0] for r in robot.received for u in r["content"].split("消息编号 ")[1:]]
    assert sorted(uids) == sorted(m.uid for m in outbox_rows())


def test_a_robot_at_its_limit_defers_and_nothing_is_dropped(app, make, robot):
    app.config["LINKDESK_WECOM_PER_MINUTE"] = 1
    add_channel("wecom", robot.webhook("ministry-key"), "ministry")
    now = FILED_AT + timedelta(minutes=1)
    for ticket_id in make.tickets(3, date(2026, 12, 11), status=TicketStatus.PENDING):
        notify("submitted", db.session.get(Ticket, ticket_id))
    db.session.commit()
    assert outbox.deliver_once(now).sent == 3  # three merged into the minute's one message
    assert len(robot.received) == 1
    for ticket_id in make.tickets(2, date(2026, 12, 14), status=TicketStatus.PENDING):
        notify("submitted", db.session.get(Ticket, ticket_id))
    db.session.commit()
    held = outbox.deliver_once(now + timedelta(seconds=1))
    assert (held.sent, held.deferred) == (0, 2)
    assert outbox.deliver_once(now + timedelta(seconds=62)).sent == 2
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != MessageStatus.SENT)) == 0


def test_reminder_two_working_days_before_is_queued_once(team, robot):
    add_channel("wecom", robot.webhook("ministry-key"), "ministry")
    file_and_approve(team)
    before = len(outbox_rows(event="reminder"))
    assert remind_upcoming(date(2026, 12, 8), current_calendar()) == []
    assert len(remind_upcoming(date(2026, 12, 9), current_calendar())) == 1
    assert remind_upcoming(date(2026, 12, 9), current_calendar()) == []
    assert len(outbox_rows(event="reminder")) == before + 1


def test_the_webhook_key_never_appears_in_logs_pages_or_api(team, robot, henan_robot, runner, client, auth, make, caplog):
    robot.stop()
    caplog.set_level(logging.DEBUG)
    ticket = team["zhengzhou"][0].post("/tickets", ticket_request(cutover_date="2026-12-11")).get_json()
    outbox.deliver_once(FILED_AT)
    listing = runner.invoke(args=["channels", "list"]).output
    admin = make.user(Role.ADMIN)
    auth.login(admin.username, admin.password)
    pages = [client.get(path).get_data(as_text=True) for path in ("/admin/channels", "/admin/outbox")]
    answer = team["henan"][0].get(f"/tickets/{ticket['id']}").get_data(as_text=True)
    assert "6d1f" in listing  # masked, but recognisable
    for text in [caplog.text, listing, answer, *pages, *(m.last_error or "" for m in outbox_rows())]:
        assert SECRET_KEY not in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["wecom", "https://evil.example.com/cgi-bin/webhook/send?key=x", "--scope", "ministry"], "企业微信机器人地址"),
        (["email", "not-an-address", "--scope", "ministry"], "不是有效的电子邮件地址"),
        (["email", "a@b.cn", "--scope", "province:火星"], "范围"),
    ],
)
def test_bad_channels_are_refused(runner, args, message):
    result = runner.invoke(args=["channels", "add", *args])
    assert result.exit_code != 0 and message in result.output
