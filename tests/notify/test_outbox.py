"""The outbox worker under stress: lost leases, oversized messages, bad answers, rate limits, locks."""

import logging
from datetime import date, timedelta

import pytest
from sqlalchemy import create_engine, event, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from linkdesk.extensions import db
from linkdesk.models import MessageStatus, NotificationChannel, OutboxMessage, Ticket, TicketStatus
from linkdesk.notify import outbox
from linkdesk.notify.events import add_channel, notify
from tests import notify_servers
from tests.factories import ticket_request
from tests.helpers import at_once
from tests.notify.test_events import FILED_AT
from tests.notify_servers import outbox_rows

robot, smtp = notify_servers.robot, notify_servers.smtp  # fixtures
NOW = FILED_AT + timedelta(minutes=1)
pytestmark = pytest.mark.usefixtures("clock")  # as in test_notifications: the clock is FILED_AT throughout


def queue_submissions(make, count: int, day: date = date(2026, 12, 11)) -> None:
    """``count`` tickets waiting for the ministry, each with its 'submitted' message queued."""
    for ticket_id in make.tickets(count, day, status=TicketStatus.PENDING):
        notify("submitted", db.session.get(Ticket, ticket_id))
    db.session.commit()


def ministry_channel(request, kind: str) -> list:
    """A ministry channel on a real local server; returns the list of what that server receives."""
    if kind == "wecom":
        server = request.getfixturevalue("robot")
        add_channel("wecom", server.webhook("ministry-key"), "ministry")
        return server.received
    inbox = request.getfixturevalue("smtp")
    add_channel("email", "jianguansi@example.cn", "ministry")
    return inbox.messages


@pytest.mark.parametrize("kind", ["wecom", "email"])
def test_a_worker_whose_lease_ran_out_does_not_send_what_another_worker_took(request, app, make, kind):
    received = ministry_channel(request, kind)
    queue_submissions(make, 1)
    held_by_a = outbox.claim(NOW)  # worker A claims, then stalls past its lease
    assert [len(batch.messages) for batch in held_by_a] == [1]
    later = NOW + outbox.LEASE + timedelta(seconds=1)
    assert outbox.deliver_once(later).sent == 1  # worker B takes the expired claim and sends
    a = outbox.deliver(held_by_a, later)
    assert (a.sent, a.lost) == (0, 1)
    assert len(received) == 1
    [message] = outbox_rows()
    assert (message.status, message.tries) == (MessageStatus.SENT, 1)


def test_a_lease_that_ran_out_unclaimed_is_sent_by_the_next_round_not_by_the_stalled_worker(app, make, robot):
    add_channel("wecom", robot.webhook("ministry-key"), "ministry")
    queue_submissions(make, 1)
    held = outbox.claim(NOW)
    later = NOW + outbox.LEASE + timedelta(seconds=1)
    assert outbox.deliver(held, later).lost == 1
    assert robot.received == []
    assert outbox.deliver_once(later).sent == 1 and len(robot.received) == 1


def test_a_long_comment_and_address_are_shortened_to_the_robots_limit(team, robot):
    add_channel("wecom", robot.webhook("zhengzhou-key"), "center:郑州")
    address = "https://gjj.example.gov.cn/"
    address += "a" * (2048 - len(address))
    comment = "请补充迁移方案说明" * 166 + "谢谢的"  # 1,497 characters, some 4,500 bytes
    ticket = team["zhengzhou"][0].post("/tickets", ticket_request(cutover_date="2026-12-11", new_url=address)).get_json()
    returned = team["henan"][0].post(
        f"/tickets/{ticket['id']}/decision", {"decision": "return", "comment": comment, "version": ticket["version"]}
    )
    assert returned.status_code == 200, returned.get_json()
    assert outbox.deliver_once(NOW).sent == 1
    [message] = outbox_rows()
    [received] = robot.received
    content = received["content"]
    assert len(content.encode()) <= 4096
    assert f"**{ticket['number']}**" in content and f"/tickets/{ticket['id']})" in content
    assert content.endswith(f"消息编号 {message.uid}</font>")
    assert address[:200] in content and address not in content and "…" in content
    assert comment[:100] in content and comment not in content


@pytest.mark.parametrize(("mode", "error"), [("garbage", "BadStatusLine"), ("list", "不是 JSON 对象")])
def test_a_garbled_answer_is_a_failed_try_not_a_stuck_message(app, make, robot, mode, error):
    add_channel("wecom", robot.webhook("ministry-key"), "ministry")
    queue_submissions(make, 1)
    robot.mode = mode
    report = outbox.deliver_once(NOW)
    assert (report.sent, report.failed) == (0, 1)
    [message] = outbox_rows()
    assert (message.status, message.tries) == (MessageStatus.PENDING, 1) and error in message.last_error
    robot.mode = "ok"
    assert outbox.deliver_once(NOW + timedelta(seconds=31)).sent == 1
    assert outbox_rows()[0].tries == 2


def test_the_worker_survives_a_round_that_fails(app, make, robot, caplog, monkeypatch):
    # The migrations' logging set-up, run before the tests, disables the loggers that exist then.
    monkeypatch.setattr(logging.getLogger("linkdesk.notify.outbox"), "disabled", False)
    add_channel("wecom", robot.webhook("ministry-key"), "ministry")
    queue_submissions(make, 1)
    rounds = []

    def stop():
        # Before the first round the outbox table goes away (a real database error in that
        # round), before the second it is back; after the second, stop.
        rounds.append(1)
        if len(rounds) < 3:
            away, back = ("outbox_message", "outbox_away") if len(rounds) == 1 else ("outbox_away", "outbox_message")
            db.session.execute(text(f"ALTER TABLE {away} RENAME TO {back}"))
            db.session.commit()
        return len(rounds) == 3

    with caplog.at_level(logging.ERROR, logger="linkdesk.notify.outbox"):
        outbox.run(0, stop)
    [failure] = [record for record in caplog.records if "a round failed" in record.getMessage()]
    assert issubclass(failure.exc_info[0], DBAPIError)  # SQLite: OperationalError; PostgreSQL: ProgrammingError
    assert len(robot.received) == 1 and outbox_rows()[0].status is MessageStatus.SENT


def test_a_rate_limited_answer_defers_without_using_a_try(app, make, robot):
    add_channel("wecom", robot.webhook("ministry-key"), "ministry")
    queue_submissions(make, 1)
    robot.mode = "ratelimit"
    report = outbox.deliver_once(NOW)
    assert (report.sent, report.failed, report.deferred) == (0, 0, 1)
    [message] = outbox_rows()
    assert (message.status, message.tries) == (MessageStatus.PENDING, 0)
    assert message.next_attempt_at == NOW + timedelta(seconds=60) and "45009" in message.last_error
    robot.mode = "ok"
    assert outbox.deliver_once(NOW + timedelta(seconds=30)).sent == 0  # the minute is not over
    assert outbox.deliver_once(NOW + timedelta(seconds=60)).sent == 1
    assert outbox_rows()[0].tries == 1 and len(robot.received) == 1


def test_claims_in_flight_count_against_the_robots_rate_limit(app, make, robot):
    app.config["LINKDESK_WECOM_PER_MINUTE"] = 2
    add_channel("wecom", robot.webhook("ministry-key"), "ministry")
    queue_submissions(make, 2)
    held_by_a = outbox.claim(NOW)  # two messages, the minute's two robot messages, not sent yet
    assert len(held_by_a) == 2
    queue_submissions(make, 2, date(2026, 12, 14))
    b = outbox.deliver_once(NOW + timedelta(seconds=1))
    assert (b.sent, b.deferred) == (0, 2)
    assert outbox.deliver(held_by_a, NOW + timedelta(seconds=2)).sent == 2
    assert len(robot.received) == 2
    assert outbox.deliver_once(NOW + timedelta(seconds=62)).sent == 2 and len(robot.received) == 4


def impatient_engine(url: str):
    """Another connection to the test database that gives up on a lock after 0.2 s."""
    url = make_url(url)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, poolclass=NullPool, connect_args={"options": "-c lock_timeout=200"})
    engine = create_engine(url, poolclass=NullPool)
    event.listen(engine, "connect", lambda connection, _record: connection.execute("PRAGMA busy_timeout = 200"))
    return engine


def test_no_transaction_is_open_while_the_robot_answers(app, make, robot):
    add_channel("wecom", robot.webhook("ministry-key"), "ministry")
    queue_submissions(make, 1)
    robot.mode, robot.delay = "slow", 1.0

    def worker():
        with app.app_context():
            try:
                return outbox.deliver_once().sent
            finally:
                db.session.remove()

    def write_while_the_robot_answers():
        assert robot.answering.wait(10)
        engine = impatient_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        try:
            with engine.begin() as connection:  # 'database is locked' if the worker held the lock
                connection.execute(update(NotificationChannel).values(created_at=NotificationChannel.created_at))
                connection.execute(update(OutboxMessage).values(subject=OutboxMessage.subject))
        finally:
            engine.dispose()
        return len(robot.received)

    sent, received_while_writing = at_once(worker, write_while_the_robot_answers)
    assert (sent, received_while_writing) == (1, 0)
    assert len(robot.received) == 1


def test_a_message_queued_too_long_is_shortened_when_sent_keeping_its_link_and_id(app, make, robot):
    add_channel("wecom", robot.webhook("ministry-key"), "ministry")
    queue_submissions(make, 1)
    [message] = outbox_rows()
    link = message.body.rsplit("\n", 1)[1]
    message.body = "### 旧消息\n> " + "很长的说明" * 400 + "\n" + link  # as queued before bodies were bounded
    db.session.commit()
    assert outbox.deliver_once(NOW).sent == 1
    [received] = robot.received
    assert len(received["content"].encode()) <= 4096
    assert received["content"].endswith(f'{link}\n<font color="comment">消息编号 {message.uid}</font>')
