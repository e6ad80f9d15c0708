"""The worker's own bookkeeping: one lease per scheduled job, and each worker's heartbeat."""

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime


class JobLease(db.Model):
    """A scheduled job's lease and its last run (one row per job, made at its first run).

    A worker runs the job only while it holds the lease: ``holder`` is its worker id and
    ``leased_until`` the moment the lease runs out unless renewed. ``last_succeeded_at`` is what
    the job's schedule reads to decide whether it is due; a failed run leaves it as it was.
    """

    __tablename__ = "job_lease"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(64))
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_result: Mapped[str | None] = mapped_column(String(255))
    last_error: Mapped[str | None] = mapped_column(Text)


class WorkerHeartbeat(db.Model):
    """A worker process's heartbeat: who it is, when it last beat, what it is doing.

    ``stopped_at`` is set when it stops cleanly; a worker killed outright just stops beating.
    """

    __tablename__ = "worker_heartbeat"

    worker_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    current_job: Mapped[str | None] = mapped_column(String(64))
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
