"""flask --app linkdesk worker"""

import logging

import click
from flask import current_app

from .jobs import JOBS

JOB_NAMES = [job.name for job in JOBS]


@click.command("worker")
@click.option("--once", is_flag=True, help="One round (deliver what is due, run the due jobs) and exit.")
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(0.1, 3600), help="Seconds between rounds.")
@click.option(
    "--only", "only", multiple=True, type=click.Choice(JOB_NAMES), help="Run only this job (repeatable); the outbox is always delivered."
)
@click.option(
    "--without",
    "without",
    multiple=True,
    type=click.Choice(JOB_NAMES),
    help="Leave this job to other workers (repeatable), e.g. link_checks on a server without internet.",
)
@click.option("--status", is_flag=True, help="Print each job's last run and the workers' heartbeats, then exit.")
def worker_command(once: bool, interval: float, only: tuple[str, ...], without: tuple[str, ...], status: bool):
    """Deliver notifications and run the scheduled jobs on Beijing time, until SIGTERM/SIGINT.

    Jobs: apply_cutovers (daily after 00:00), inbox_purge (daily after 03:00), reminders (daily
    after 08:30), link_checks (hourly), filing_probes (every 15 min). Any number of workers may
    run at once, on any number of servers: each job runs under a lease in the database.
    """
    if status:
        _print_status()
        return
    from .worker import Worker

    _log_to_stderr()
    jobs = [job for job in JOBS if (not only or job.name in only) and job.name not in without]
    worker = Worker(current_app._get_current_object(), interval=interval, jobs=jobs)
    worker.handle_signals()
    worker.run(once=once)


def _log_to_stderr() -> None:
    # Unless logging was set up already (the JSON formatter of production), readable lines on
    # stderr; the worker's own lines are INFO.
    if not logging.getLogger().handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("linkdesk").setLevel(logging.INFO)


def _print_status() -> None:
    from sqlalchemy import select

    from ..extensions import db
    from ..models import WorkerHeartbeat
    from . import leases

    records = {record.name: record for record in leases.read_all()}
    for job in JOBS:
        record = records.get(job.name)
        if record is None:
            click.echo(f"{job.name:15} {job.schedule:35} never run")
            continue
        held = f" held by {record.holder} until {record.leased_until:%Y-%m-%d %H:%M:%S}Z" if record.leased_until else ""
        last = f"{record.last_succeeded_at:%Y-%m-%d %H:%M:%S}Z" if record.last_succeeded_at else "never"
        click.echo(f"{job.name:15} {job.schedule:35} last success {last}: {record.last_result or ''}{held}")
        if record.last_error:
            click.echo(f"{'':15} last error: {record.last_error.splitlines()[0][:200]}")
    for beat in db.session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.beat_at.desc()).limit(20)):
        state = f"stopped {beat.stopped_at:%Y-%m-%d %H:%M:%S}Z" if beat.stopped_at else f"doing {beat.current_job or '—'}"
        click.echo(f"worker {beat.worker_id} beat {beat.beat_at:%Y-%m-%d %H:%M:%S}Z {state}")
