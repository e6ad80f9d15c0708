"""A job's lease (one row of ``job_lease`` per job): whoever holds it runs the job, alone.

Each step is one short transaction, committed here. Taking is one conditional UPDATE — only a
lease that is free (released, or run out) is taken — or, at a job's first run, an INSERT that
the primary key lets only one worker win. The holder renews the lease while the job runs; a
worker that dies stops renewing, the lease runs out, and the next worker takes the job over.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import JobLease

DURATION = timedelta(seconds=120)  # renewed every few seconds while the job runs


@dataclass(frozen=True)
class JobRecord:
    """A job's last runs, as its schedule reads them (plain values, out of the session)."""

    name: str
    holder: str | None = None
    leased_until: datetime | None = None
    last_started_at: datetime | None = None
    last_finished_at: datetime | None = None
    last_succeeded_at: datetime | None = None
    last_result: str | None = None
    last_error: str | None = None


def _record(row: JobLease | None, name: str) -> JobRecord:
    if row is None:
        return JobRecord(name)
    return JobRecord(
        row.name,
        row.holder,
        row.leased_until,
        row.last_started_at,
        row.last_finished_at,
        row.last_succeeded_at,
        row.last_result,
        row.last_error,
    )


def read(name: str) -> JobRecord:
    """The job's record as committed now (a job never run has an empty one)."""
    row = db.session.get(JobLease, name, populate_existing=True)
    record = _record(row, name)
    db.session.commit()
    return record


def read_all() -> list[JobRecord]:
    """Every job's record, by name (the operator's ``worker --status``)."""
    rows = db.session.scalars(select(JobLease).order_by(JobLease.name)).all()
    records = [_record(row, row.name) for row in rows]
    db.session.commit()
    return records


def take(name: str, holder: str, now: datetime, duration: timedelta = DURATION) -> JobRecord | None:
    """Take the job's lease for ``holder`` if nobody holds it; its record as taken, or None."""
    free = or_(JobLease.leased_until.is_(None), JobLease.leased_until < now)
    taken = db.session.execute(
        update(JobLease)
        .where(JobLease.name == name, free)
        .values(holder=holder, leased_until=now + duration, last_started_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:
        if db.session.scalar(select(JobLease.name).where(JobLease.name == name)) is not None:
            db.session.rollback()  # held by another worker
            return None
        try:
            db.session.add(JobLease(name=name, holder=holder, leased_until=now + duration, last_started_at=now))
            db.session.flush()
        except IntegrityError:  # another worker's first run of the job won
            db.session.rollback()
            return None
    record = _record(db.session.get(JobLease, name, populate_existing=True), name)
    db.session.commit()
    return record


def renew(name: str, holder: str, now: datetime, duration: timedelta = DURATION) -> bool:
    """Extend the lease while ``holder`` still has it; False when it was lost (ran out and taken)."""
    renewed = db.session.execute(
        update(JobLease)
        .where(JobLease.name == name, JobLease.holder == holder, JobLease.leased_until.is_not(None))
        .values(leased_until=now + duration)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return renewed == 1


def release(name: str, holder: str, now: datetime, *, succeeded: bool | None, result: str | None = None, error: str | None = None) -> bool:
    """Give the lease back and record how the run went.

    ``succeeded`` True: the run is the job's last success (its schedule counts from it); False:
    it failed with ``error``; None: it did not finish (the worker is stopping) and the next
    worker takes the job at once. False when ``holder`` no longer had the lease.
    """
    values = {"leased_until": None, "last_result": (result or "")[:255] or None}
    if succeeded is not None:
        values.update(last_finished_at=now, last_error=error)
    if succeeded:
        values["last_succeeded_at"] = now
    released = db.session.execute(
        update(JobLease)
        .where(JobLease.name == name, JobLease.holder == holder)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return released == 1
