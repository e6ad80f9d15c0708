"""The worker loop: deliver the outbox, run the jobs that are due, beat, stop cleanly.

One round delivers what the outbox has due (the outbox's own claims keep two workers from
sending a message twice), then goes through the job table: a job that is due is taken under its
lease, checked again (another worker may have just run it), run, and released with its result.
A thread beats every few seconds beside the loop and renews the lease of the job in hand, so a
long link check keeps its lease and the heartbeat stays fresh.

SIGTERM or SIGINT ends the loop: the send or the ticket in hand is finished, a job stopped
midway releases its lease at once (the next worker takes it up), the heartbeat is marked
stopped, and the process exits 0. A job's exception is logged with its traceback, recorded on
its lease, rolled back; the loop goes on.
"""

import logging
import os
import signal
import socket
import threading
import time
import uuid
from collections.abc import Iterable

from flask import Flask

from ..extensions import db
from ..models.types import utcnow
from ..notify import outbox
from . import heartbeats, leases, outages
from .heartbeats import WorkerIdentity
from .jobs import JOBS, Interrupted, Job, JobContext

log = logging.getLogger("linkdesk.worker")

BEAT_EVERY = 10.0  # seconds between heartbeats (and lease renewals); /readyz allows minutes


def summary(counts: dict[str, int]) -> str:
    """Counts in one short line: ``applied=3 due=3``."""
    return " ".join(f"{key}={value}" for key, value in counts.items())


class Worker:
    """One worker process: ``run()`` loops until ``stop()`` (or a signal) ends it."""

    def __init__(self, app: Flask, *, interval: float = 5.0, jobs: Iterable[Job] = JOBS, beat_every: float = BEAT_EVERY):
        self.app = app
        self.interval = interval
        self.jobs = tuple(jobs)
        self.beat_every = beat_every
        host = socket.gethostname()
        self.identity = WorkerIdentity(f"{host[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}", host, os.getpid(), utcnow())
        self.current_job: str | None = None
        self._stop = threading.Event()

    # --- stopping ------------------------------------------------------------------------

    def stop(self, *_signal_args) -> None:
        """Ask the loop to end after what it has in hand (also the signal handler)."""
        if not self._stop.is_set():
            log.info("worker %s stopping", self.identity.worker_id, extra={"worker_id": self.identity.worker_id})
        self._stop.set()

    def stopping(self) -> bool:
        return self._stop.is_set()

    def handle_signals(self) -> None:
        """Stop on SIGTERM (systemd, kill) and SIGINT (Ctrl-C in ``make run``)."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    # --- the loop --------------------------------------------------------------------------

    def run(self, once: bool = False) -> None:
        """Loop until stopped; with ``once``, one round only. Leaves the heartbeat marked stopped."""
        ident = self.identity
        log.info(
            "worker %s started on %s (pid %s): jobs %s",
            ident.worker_id,
            ident.host,
            ident.pid,
            ", ".join(f"{job.name} ({job.schedule})" for job in self.jobs),
            extra={"worker_id": ident.worker_id},
        )
        self._safely(lambda: heartbeats.forget_old(utcnow()))
        self._safely(lambda: heartbeats.beat(ident, utcnow(), None))
        pulse = threading.Thread(target=self._pulse, name="worker-pulse", daemon=True)
        pulse.start()
        try:
            while not self.stopping():
                backlog = self.round()
                if once:
                    break
                if not backlog:  # a full round: more is due at once, the next round starts now
                    self._stop.wait(self.interval)
        finally:
            self._stop.set()
            pulse.join(timeout=self.beat_every + 5)
            self._safely(lambda: heartbeats.stopped(ident, utcnow()))
            log.info("worker %s stopped", ident.worker_id, extra={"worker_id": ident.worker_id})

    def round(self) -> bool:
        """Deliver what is due, then run each job that is due; nothing here ends the loop. True when
        the outbox round was full (a backlog: more messages are due now)."""
        reports = []
        self._safely(lambda: reports.append(self.deliver()))
        for job in self.jobs:
            if self.stopping():
                break
            self._safely(lambda job=job: self.run_if_due(job))
        return bool(reports) and reports[0].sent + reports[0].failed >= outbox.BATCH

    def _safely(self, step) -> None:
        # Rolled back, and the loop goes on. The database away, locked, read-only or full is
        # logged once an outage (outages.OutageLog); anything else with its traceback.
        try:
            step()
        except Exception as error:
            if not self._outage(error, "worker round"):
                log.exception("worker round step failed", extra={"worker_id": self.identity.worker_id})
        finally:
            db.session.remove()

    def _outage(self, error: Exception, where: str) -> bool:
        """Whether the error is a database outage (then told to the app's outage log)."""
        kind = outages.classify(error)
        if kind is not None:
            outages.of(self.app).failed(kind, error, where)
        return kind is not None

    def deliver(self) -> outbox.Report:
        """One round of the outbox; logged when it did something."""
        report = outbox.deliver_once()
        outbox.log_round(report)
        return report

    def run_if_due(self, job: Job) -> bool:
        """Run the job under its lease if it is due; True when this worker ran it."""
        now = utcnow()
        if not job.is_due(leases.read(job.name), now):
            return False
        holder = self.identity.worker_id
        record = leases.take(job.name, holder, now)
        if record is None:
            return False  # another worker has it
        if not job.is_due(record, now):  # another worker finished it meanwhile
            leases.release(job.name, holder, utcnow(), succeeded=None, result=record.last_result)
            return False
        self.current_job = job.name
        started = time.monotonic()
        try:
            counts = job.run(JobContext(now=now, stopping=self.stopping))
        except Interrupted:
            db.session.rollback()
            leases.release(job.name, holder, utcnow(), succeeded=None, result="interrupted: the worker stopped")
            log.info("job %s interrupted: the worker is stopping", job.name, extra={"job": job.name})
        except Exception as error:
            db.session.rollback()
            if outages.classify(error) is not None:
                raise  # the lease cannot be released either; it expires, and _safely logs the outage
            log.exception("job %s failed", job.name, extra={"job": job.name})
            leases.release(job.name, holder, utcnow(), succeeded=False, result="failed", error=f"{type(error).__name__}: {error}"[:2000])
        else:
            elapsed = round((time.monotonic() - started) * 1000)
            leases.release(job.name, holder, utcnow(), succeeded=True, result=summary(counts))
            log.info(
                "job %s done in %s ms: %s",
                job.name,
                elapsed,
                summary(counts) or "nothing to do",
                extra={"job": job.name, "duration_ms": elapsed, "counts": counts},
            )
        finally:
            self.current_job = None
        return True

    # --- the heartbeat -----------------------------------------------------------------

    def _pulse(self) -> None:
        """Beside the loop: beat, and renew the lease of the job in hand, every few seconds."""
        while not self._stop.wait(self.beat_every):
            with self.app.app_context():  # a session of its own
                try:
                    job = self.current_job
                    heartbeats.beat(self.identity, utcnow(), job)
                    if job is not None and not leases.renew(job, self.identity.worker_id, utcnow()):
                        log.warning("job %s: lease lost to another worker", job, extra={"job": job})
                except Exception as error:
                    if not self._outage(error, "worker heartbeat"):
                        log.exception("heartbeat failed", extra={"worker_id": self.identity.worker_id})
                finally:
                    db.session.remove()
