"""When a job is due, on Beijing time: daily jobs once per Beijing day after their hour,
periodic ones once per period, failed ones again after a pause; and the worker's round runs
the day's cutovers once, across Beijing's midnight."""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from linkdesk.extensions import db
from linkdesk.models import JobLease, Ticket, TicketStatus
from linkdesk.models.types import utcnow
from linkdesk.service.jobs import JOBS, RETRY_AFTER, Job, job_named
from linkdesk.service.leases import JobRecord
from linkdesk.service.worker import Worker
from linkdesk.workdays.calendar import BEIJING

from ..helpers import frozen


def beijing(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BEIJING)


def nothing(context):
    return {}


MIDNIGHT = Job("midnight", "午夜", nothing, daily_at=time(0, 0))
MORNING = Job("morning", "早晨", nothing, daily_at=time(8, 30))
HOURLY = Job("hourly", "每小时", nothing, every=timedelta(hours=1))


def succeeded(at: datetime, **more) -> JobRecord:
    return JobRecord("job", last_finished_at=at, last_succeeded_at=at, **more)


def test_a_daily_job_runs_once_per_beijing_day_after_midnight():
    last = succeeded(beijing("2026-09-30 00:01"))
    assert not MIDNIGHT.is_due(last, beijing("2026-09-30 23:59"))
    assert MIDNIGHT.is_due(last, beijing("2026-10-01 00:01"))
    assert MIDNIGHT.is_due(JobRecord("job"), beijing("2026-09-30 23:59"))  # never run: at once


def test_a_utc_evening_is_already_the_next_day_in_beijing():
    last = succeeded(datetime(2026, 9, 30, 1, 0, tzinfo=UTC))  # 09:00 on 30 September in Beijing
    assert not MIDNIGHT.is_due(last, datetime(2026, 9, 30, 15, 59, tzinfo=UTC))  # 23:59 Beijing
    assert MIDNIGHT.is_due(last, datetime(2026, 9, 30, 16, 30, tzinfo=UTC))  # 00:30 on 1 October
    # The morning job waits for 08:30 Beijing, whatever the UTC date says.
    assert not MORNING.is_due(last, datetime(2026, 9, 30, 23, 0, tzinfo=UTC))  # 07:00 on 1 October
    assert MORNING.is_due(last, datetime(2026, 10, 1, 0, 31, tzinfo=UTC))  # 08:31
    # Succeeded at 08:40 Beijing on 1 October, which is still 30 September in UTC: done for that day.
    early = succeeded(datetime(2026, 10, 1, 0, 40, tzinfo=UTC))
    assert not MORNING.is_due(early, datetime(2026, 10, 1, 15, 59, tzinfo=UTC))
    assert MORNING.is_due(early, datetime(2026, 10, 2, 0, 30, tzinfo=UTC))


def test_a_periodic_job_waits_for_its_period():
    now = beijing("2026-10-01 12:00")
    assert not HOURLY.is_due(succeeded(now - timedelta(minutes=59)), now)
    assert HOURLY.is_due(succeeded(now - timedelta(minutes=60)), now)


def test_a_failed_job_is_tried_again_after_a_pause_not_every_round():
    now = beijing("2026-10-01 00:10")
    failed = JobRecord(
        "job",
        last_finished_at=now - timedelta(minutes=1),
        last_error="OperationalError: locked",
        last_succeeded_at=beijing("2026-09-30 00:01"),
    )
    assert not MIDNIGHT.is_due(failed, now)
    assert MIDNIGHT.is_due(failed, now - timedelta(minutes=1) + RETRY_AFTER)


def test_a_job_has_one_schedule_and_the_table_names_each_job_once():
    with pytest.raises(ValueError):
        Job("both", "两者", nothing, every=timedelta(hours=1), daily_at=time(0, 0))
    names = [job.name for job in JOBS]
    assert len(names) == len(set(names)) and job_named("apply_cutovers").daily_at == time(0, 0)
    assert job_named("link_checks").every == timedelta(hours=1) and job_named("nope") is None


def test_the_worker_completes_the_days_cutovers_once_across_beijing_midnight(app, make):
    tonight = make.tickets(1, datetime(2026, 10, 1).date())
    worker = Worker(app, jobs=[job_named("apply_cutovers")])
    with frozen("2026-09-30 23:59:00+08:00") as clock:
        worker.round()  # runs for 30 September: nothing due yet
        assert db.session.get(Ticket, tonight[0], populate_existing=True).status is TicketStatus.APPROVED
        worker.round()
        assert db.session.get(JobLease, "apply_cutovers").last_result == "applied=0"
        clock.move_to("2026-10-01 00:01:00+08:00")
        tomorrow = make.tickets(1, datetime(2026, 10, 2).date())
        worker.round()
        assert db.session.get(Ticket, tonight[0], populate_existing=True).status is TicketStatus.COMPLETED
        row = db.session.get(JobLease, "apply_cutovers", populate_existing=True)
        assert row.last_result == "applied=1" and row.last_succeeded_at == utcnow()
        clock.shift(timedelta(hours=12))
        worker.round()  # once a day: the same day again does nothing
        assert db.session.get(JobLease, "apply_cutovers", populate_existing=True).last_succeeded_at < utcnow()
        clock.move_to("2026-10-01 16:00:30+00:00")  # 00:00:30 on 2 October in Beijing
        worker.round()
    assert db.session.get(Ticket, tomorrow[0], populate_existing=True).status is TicketStatus.COMPLETED
    assert db.session.scalars(select(Ticket.status)).all() == [TicketStatus.COMPLETED] * 2
