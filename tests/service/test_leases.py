"""Job leases: one worker runs a job at a time; a dead worker's lease runs out and the job is
taken over; the holder keeps it by renewing; a failure or a stop is recorded and released."""

import logging
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from linkdesk.extensions import db
from linkdesk.models import JobLease
from linkdesk.models.types import utcnow
from linkdesk.service import leases
from linkdesk.service.jobs import RETRY_AFTER, Interrupted, Job
from linkdesk.service.worker import Worker

from ..helpers import at_once


def counting_job(name="counted", pause=0.0, error=None):
    """A job that counts its runs (and sleeps ``pause`` seconds, or raises ``error``)."""
    runs = []
    lock = threading.Lock()

    def run(context):
        with lock:
            runs.append(context.now)
        time.sleep(pause)
        if error is not None:
            raise error
        return {"done": 1}

    return Job(name, "计数", run, every=timedelta(hours=1)), runs


def test_two_workers_at_once_run_a_due_job_once(app, clock):
    job, runs = counting_job(pause=0.3)
    workers = [Worker(app, jobs=[job]) for _ in range(2)]

    def in_worker(worker):
        def call():
            with app.app_context():
                try:
                    return worker.run_if_due(job)
                finally:
                    db.session.remove()

        return call

    ran = at_once(*(in_worker(worker) for worker in workers))
    assert sorted(ran) == [False, True] and len(runs) == 1
    row = db.session.get(JobLease, job.name)
    assert row.leased_until is None and row.last_succeeded_at == utcnow() and row.last_result == "done=1"
    assert row.holder == workers[ran.index(True)].identity.worker_id
    # Done for the hour: neither runs it again until its period has passed.
    assert not any(worker.run_if_due(job) for worker in workers) and len(runs) == 1
    clock.shift(timedelta(hours=1))
    assert workers[0].run_if_due(job) and len(runs) == 2


def test_a_dead_workers_lease_runs_out_and_the_job_is_taken_over(app, clock):
    start = utcnow()
    assert leases.take("apply_cutovers", "dead-worker", start) is not None  # it dies holding the lease
    assert leases.take("apply_cutovers", "survivor", start + timedelta(seconds=60)) is None
    taken = leases.take("apply_cutovers", "survivor", start + leases.DURATION + timedelta(seconds=1))
    assert taken is not None and taken.holder == "survivor"
    # The dead worker, were it only slow, can neither renew nor release what it lost.
    assert not leases.renew("apply_cutovers", "dead-worker", start + timedelta(seconds=130))
    assert not leases.release("apply_cutovers", "dead-worker", start + timedelta(seconds=130), succeeded=True)
    assert db.session.get(JobLease, "apply_cutovers", populate_existing=True).holder == "survivor"


def test_the_holder_keeps_its_lease_by_renewing(app, clock):
    start = utcnow()
    assert leases.take("link_checks", "a", start) is not None
    assert leases.renew("link_checks", "a", start + timedelta(seconds=100))
    # Past the first lease's end, but within the renewed one: still held.
    assert leases.take("link_checks", "b", start + timedelta(seconds=130)) is None
    assert leases.take("link_checks", "b", start + timedelta(seconds=100) + leases.DURATION + timedelta(seconds=1))


@pytest.mark.realtime  # the heartbeat thread beats when its timed wait runs out
def test_a_long_job_keeps_its_lease_through_the_heartbeat(app, clock):
    seen = {}

    def long_job(context):
        # Long enough that the first lease would have run out: the heartbeat renews it.
        clock.shift(leases.DURATION + timedelta(seconds=10))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            time.sleep(0.05)
            seen["until"] = db.session.scalar(select(JobLease.leased_until).where(JobLease.name == "long"))
            db.session.commit()
            if seen["until"] >= utcnow() + leases.DURATION - timedelta(seconds=1):
                return {"renewed": 1}
        return {"renewed": 0}

    worker = Worker(app, jobs=[Job("long", "长任务", long_job, every=timedelta(hours=1))], beat_every=0.05)
    db.session.commit()
    worker.run(once=True)
    row = db.session.get(JobLease, "long", populate_existing=True)
    assert row.last_result == "renewed=1", seen
    assert leases.take("long", "other", utcnow()) is not None  # released at the end


def _in_context(app, call):
    with app.app_context():
        try:
            call()
        finally:
            db.session.remove()


def test_a_failing_job_is_logged_once_recorded_and_tried_again_later(app, clock, caplog, monkeypatch):
    # The migrations' logging set-up, run before the tests, disables the loggers that exist then.
    monkeypatch.setattr(logging.getLogger("linkdesk.worker"), "disabled", False)
    job, runs = counting_job("fragile", error=RuntimeError("镜像站点无应答"))
    worker = Worker(app, jobs=[job])
    with caplog.at_level(logging.INFO, logger="linkdesk.worker"):
        assert worker.run_if_due(job)  # no exception reaches the loop
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failures) == 1 and failures[0].exc_info and failures[0].job == "fragile"
    row = db.session.get(JobLease, "fragile", populate_existing=True)
    assert row.leased_until is None and row.last_succeeded_at is None
    assert row.last_error == "RuntimeError: 镜像站点无应答" and row.last_finished_at == utcnow()
    assert not worker.run_if_due(job)  # not at every round
    clock.shift(RETRY_AFTER)
    assert worker.run_if_due(job) and len(runs) == 2


def test_a_job_stopped_midway_releases_its_lease_for_the_next_worker(app, clock):
    def interrupted(context):
        raise Interrupted

    stopping = Worker(app, jobs=[Job("halted", "中断", interrupted, every=timedelta(hours=1))])
    assert stopping.run_if_due(stopping.jobs[0])
    row = db.session.get(JobLease, "halted", populate_existing=True)
    assert row.leased_until is None and row.last_succeeded_at is None and row.last_error is None
    job, runs = counting_job("halted")
    assert Worker(app, jobs=[job]).run_if_due(job) and len(runs) == 1  # at once, not after the lease
