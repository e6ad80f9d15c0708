"""The worker as operators run it: ``flask --app linkdesk worker`` in its own process, on the
test's database, delivering to a local robot and completing a due cutover; SIGTERM stops it
cleanly. Two at once deliver each message once and complete each ticket once."""

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from linkdesk.extensions import db
from linkdesk.models import AuditEvent, JobLease, Ticket, TicketStatus, WorkerHeartbeat
from linkdesk.notify.events import add_channel, notify

from ..notify_servers import WeComRobotServer

# Real processes waiting on real timeouts (and a signal during a timed wait): libfaketime never ends those.
pytestmark = [pytest.mark.slow, pytest.mark.realtime]

REPO = Path(__file__).resolve().parents[2]
# Real processes run on the real clock, which time-machine cannot reach: a cutover day that is
# already past for it (as tests/links/test_registry.py's two apply-cutovers processes do).
PAST = date(2026, 11, 20)


@pytest.fixture
def robot(app):
    server = WeComRobotServer()
    yield server
    server.stop()


def start_worker(app, robot, *extra) -> subprocess.Popen:
    env = {
        **os.environ,
        "LINKDESK_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "LINKDESK_SECRET_KEY": "test-secret",
        "LINKDESK_PROBE_AFTER_CUTOVER": "0",
        "LINKDESK_WECOM_WEBHOOK_PREFIXES": robot.prefix,
        "LINKDESK_WECOM_PER_MINUTE": "1000",
    }
    db.session.commit()  # the test's transaction must not hold SQLite's write lock
    command = [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "linkdesk",
        "worker",
        "--interval",
        "0.5",
        "--without",
        "link_checks",
        *extra,
    ]  # the made-up addresses are on no network
    return subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        done = condition()
        db.session.commit()
        if done:
            return True
        time.sleep(0.2)
    return False


def stop(process) -> tuple[int, float, str]:
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    _, log = process.communicate(timeout=30)
    return process.returncode, time.monotonic() - started, log


def completed() -> int:
    return db.session.scalar(select(func.count()).where(Ticket.status == TicketStatus.COMPLETED))


def test_the_worker_delivers_completes_a_due_cutover_and_stops_cleanly_on_sigterm(app, make, robot):
    app.config["LINKDESK_WECOM_WEBHOOK_PREFIXES"] = (robot.prefix,)
    add_channel("wecom", robot.webhook("ministry-key"), "ministry")
    [ticket_id] = make.tickets(1, PAST)
    notify("approved", db.session.get(Ticket, ticket_id))
    db.session.commit()
    worker = start_worker(app, robot)
    try:
        assert wait_for(lambda: completed() == 1 and len(robot.received) == 2), (len(robot.received), completed())
        assert wait_for(lambda: db.session.scalar(select(func.count()).select_from(WorkerHeartbeat)) == 1)
    finally:
        code, took, log = stop(worker)
    assert code == 0 and took < 10, log
    contents = [message["content"] for message in robot.received]
    assert any("已批准" in text or "批准" in text for text in contents) and any("切换" in text for text in contents)
    assert "job apply_cutovers done" in log and "applied=1" in log and "outbox: 1 sent" in log
    db.session.expire_all()
    [beat] = db.session.scalars(select(WorkerHeartbeat)).all()
    assert beat.stopped_at is not None and beat.current_job is None and beat.pid == worker.pid
    lease = db.session.get(JobLease, "apply_cutovers")
    assert lease.leased_until is None and lease.last_result == "applied=1"


def test_two_workers_at_once_deliver_each_message_once_and_complete_each_ticket_once(app, make, robot):
    app.config.update(LINKDESK_WECOM_WEBHOOK_PREFIXES=(robot.prefix,), LINKDESK_WECOM_PER_MINUTE=1000)
    add_channel("wecom", robot.webhook("ministry-key"), "ministry")
    ids = make.tickets(20, PAST)
    db.session.commit()
    workers = [start_worker(app, robot, "--only", "apply_cutovers") for _ in range(2)]
    try:
        # Each completion queues its "applied" message: 20 cutovers, 20 messages.
        assert wait_for(lambda: completed() == 20 and len(robot.received) >= 20), (completed(), len(robot.received))
        time.sleep(2)  # a duplicate, were there one, would arrive meanwhile
    finally:
        results = [stop(worker) for worker in workers]
    assert [code for code, _, _ in results] == [0, 0], [log for _, _, log in results]
    uids = [text.rsplit("消息编号 ", 1)[1].split("<")[0] for message in robot.received for text in [message["content"]]]
    assert len(uids) == len(set(uids)) == 20
    completions = db.session.execute(
        select(AuditEvent.ticket_id, func.count()).where(AuditEvent.action == "complete").group_by(AuditEvent.ticket_id)
    ).all()
    assert sorted(ticket for ticket, _ in completions) == sorted(ids) and {count for _, count in completions} == {1}
    # The day's job ran under one lease: one of the two workers ran it, the other found it done.
    assert sum("job apply_cutovers done" in log for _, _, log in results) == 1
