"""The worker's scheduled jobs: what each does, and when it is due (on Beijing time).

A job is either periodic (``every``: due when its last success is that old) or daily
(``daily_at``, a Beijing wall-clock time: due once that time has passed on a Beijing day on
which it has not yet succeeded — a worker that was down at the time catches up when it starts).
A failed run is tried again after ``RETRY_AFTER``, not at every round.

Each job is idempotent already — a cutover is applied under its ticket's lock, reminders carry
dedupe keys, a probe's result is stored with a conditional UPDATE — so a job taken over from a
worker that died midway finishes the rest without doing anything twice. Jobs look at
``context.stopping()`` between tickets or batches of links and raise ``Interrupted`` there, so a
worker asked to stop finishes only what it has in hand.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..workdays.calendar import BEIJING, local_date
from .leases import JobRecord

RETRY_AFTER = timedelta(minutes=5)
LINKS_PER_BATCH = 50  # link checks look at ``stopping`` between batches of this many links


class Interrupted(Exception):
    """The worker is stopping: the job ended between two units of its work."""


@dataclass(frozen=True)
class JobContext:
    """What a job is given: the moment its run started and a way to ask whether to stop."""

    now: datetime
    stopping: Callable[[], bool] = lambda: False

    @property
    def today(self) -> date:
        """Today in Beijing."""
        return local_date(self.now)

    def check(self) -> None:
        """Raise ``Interrupted`` when the worker is stopping."""
        if self.stopping():
            raise Interrupted


@dataclass(frozen=True)
class Job:
    """A scheduled job: its name (the lease's), a Chinese label, its schedule and its work.

    ``run`` returns counts (``{"applied": 3}``), which the worker logs and records.
    """

    name: str
    label: str
    run: Callable[[JobContext], dict[str, int]]
    every: timedelta | None = None
    daily_at: time | None = None  # Beijing time

    def __post_init__(self):
        if (self.every is None) == (self.daily_at is None):
            raise ValueError(f"job {self.name}: give either every or daily_at")

    @property
    def schedule(self) -> str:
        """The schedule in words, for the operator."""
        if self.every is not None:
            return f"every {int(self.every.total_seconds() // 60)} min"
        return f"daily after {self.daily_at.strftime('%H:%M')} Beijing time"

    def is_due(self, record: JobRecord, now: datetime) -> bool:
        """Whether the job should run at ``now``, given its last runs."""
        failed_last = record.last_error is not None and record.last_finished_at is not None
        if failed_last and now - record.last_finished_at < RETRY_AFTER:
            return False
        last = record.last_succeeded_at
        if self.every is not None:
            return last is None or now - last >= self.every
        local = now.astimezone(BEIJING)
        if local.time() < self.daily_at:
            return False
        return last is None or local_date(last) < local.date()


# --- the jobs --------------------------------------------------------------------------


def apply_cutovers(context: JobContext) -> dict[str, int]:
    """Complete the approved tickets due by today (Beijing) and make their addresses live, ticket
    by ticket (what ``flask apply-cutovers`` does); then probe the new addresses if configured."""
    from ..cutovers.operations import apply_due, probe_applied

    applied = apply_due(context.today, before_each=context.check)
    counts = {"applied": len(applied)}
    run = probe_applied(applied)
    if run is not None:
        counts.update(probed=run.checked, healthy=run.healthy)
    return counts


def send_reminders(context: JobContext) -> dict[str, int]:
    """Queue the morning reminders: approved cutovers two working days ahead, and reviewers'
    deadlines (what ``flask outbox remind`` does, without the inbox purge)."""
    from ..cutovers.operations import remind_upcoming
    from ..tickets.deadlines import review_clock
    from ..tickets.operations import remind_review_deadlines
    from ..workdays.schedules import current_calendar

    calendar = current_calendar()
    cutovers = remind_upcoming(context.today, calendar)
    context.check()
    reviews = remind_review_deadlines(review_clock(calendar, context.today, current_app.config))
    return {"cutover_reminders": len(cutovers), "review_reminders": len(reviews)}


def purge_inbox(context: JobContext) -> dict[str, int]:
    """Remove in-app messages older than 180 days."""
    from ..notify.inbox import purge

    return {"removed": purge(context.now)}


def check_links(context: JobContext) -> dict[str, int]:
    """Probe every live link of the registry and store the results (``flask links check --all``),
    in batches, so that a stopping worker ends after the batch in hand."""
    from ..links.health import check_links as check
    from ..models import LinkRecord

    link_ids = db.session.scalars(select(LinkRecord.id).order_by(LinkRecord.id)).all()
    db.session.commit()
    counts = {"checked": 0, "healthy": 0, "newly_unhealthy": 0}
    for start in range(0, len(link_ids), LINKS_PER_BATCH):
        context.check()
        batch = db.session.scalars(
            select(LinkRecord).where(LinkRecord.id.in_(link_ids[start : start + LINKS_PER_BATCH])).order_by(LinkRecord.id)
        ).all()
        run = check(batch)
        counts["checked"] += run.checked
        counts["healthy"] += run.healthy
        counts["newly_unhealthy"] += run.newly_unhealthy
    return counts


def probe_filings(context: JobContext) -> dict[str, int]:
    """Probe again the filed addresses whose probe never finished (``flask links probe-filings``)."""
    from ..links.filing_probe import probe_unfinished

    probed, stored = probe_unfinished(context.now)
    return {"probed": probed, "stored": stored}


JOBS: tuple[Job, ...] = (
    Job("apply_cutovers", "完成当日到期的切换", apply_cutovers, daily_at=time(0, 0)),
    Job("reminders", "切换提醒与审核截止提醒", send_reminders, daily_at=time(8, 30)),
    Job("inbox_purge", "清理 180 天前的站内消息", purge_inbox, daily_at=time(3, 0)),
    Job("link_checks", "检测台账中的全部链接", check_links, every=timedelta(hours=1)),
    Job("filing_probes", "重新检测未完成的提交时检测", probe_filings, every=timedelta(minutes=15)),
)


def job_named(name: str) -> Job | None:
    """The job of that name, or None."""
    return next((job for job in JOBS if job.name == name), None)
