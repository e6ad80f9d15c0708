"""Workers' heartbeats (``worker_heartbeat``): each running worker beats every few seconds,
saying what it is doing; one that stops cleanly says so. ``/readyz`` reads the latest beat."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update

from ..extensions import db
from ..models import WorkerHeartbeat

FORGET_AFTER = timedelta(days=7)  # stopped or silent workers' rows are removed after this


@dataclass(frozen=True)
class WorkerIdentity:
    """Who a worker is: its id (unique per process start), host and process id."""

    worker_id: str
    host: str
    pid: int
    started_at: datetime


def beat(worker: WorkerIdentity, now: datetime, current_job: str | None) -> None:
    """Record that the worker is alive now, doing ``current_job`` (None between jobs). Commits."""
    updated = db.session.execute(
        update(WorkerHeartbeat)
        .where(WorkerHeartbeat.worker_id == worker.worker_id)
        .values(beat_at=now, current_job=current_job)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not updated:
        db.session.add(
            WorkerHeartbeat(
                worker_id=worker.worker_id,
                host=worker.host[:255],
                pid=worker.pid,
                started_at=worker.started_at,
                beat_at=now,
                current_job=current_job,
            )
        )
    db.session.commit()


def stopped(worker: WorkerIdentity, now: datetime) -> None:
    """Mark the worker stopped (a clean exit). Commits."""
    db.session.execute(
        update(WorkerHeartbeat)
        .where(WorkerHeartbeat.worker_id == worker.worker_id)
        .values(beat_at=now, stopped_at=now, current_job=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def forget_old(now: datetime) -> int:
    """Remove the rows of workers silent for a week (they stopped, or died). Commits."""
    removed = db.session.execute(
        delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < now - FORGET_AFTER).execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return removed


@dataclass(frozen=True)
class Liveness:
    """The running workers: how many beat within ``stale`` and the age of the latest beat."""

    running: int
    latest_beat_at: datetime | None


def liveness(now: datetime, stale: timedelta) -> Liveness:
    """The workers that have not stopped and beat within ``stale`` of ``now``."""
    running, latest = db.session.execute(
        select(func.count(), func.max(WorkerHeartbeat.beat_at)).where(
            WorkerHeartbeat.stopped_at.is_(None), WorkerHeartbeat.beat_at >= now - stale
        )
    ).one()
    if latest is None:  # none fresh: the last beat of any, to say how long it has been
        latest = db.session.scalar(select(func.max(WorkerHeartbeat.beat_at)))
    if isinstance(latest, str):  # should max() ever come back untyped (SQLite keeps text)
        latest = datetime.fromisoformat(latest)
    if latest is not None and latest.tzinfo is None:
        latest = latest.replace(tzinfo=UTC)
    return Liveness(running, latest)
