"""The filing-time probe (提交时检测): a ticket's new address probed once after it is filed, edited
to a new address or resubmitted — after the commit, off the request, so the clerk never waits for
a slow site.

The operation marks the ticket (``request_probe``, in its own transaction) and, once committed,
hands the probe to this process's small pool of threads (``start_probe``). The probe stores its
result with one conditional UPDATE (``record_probe``): only while the ticket still has the
address probed and no later probe was asked for; it touches only the probe's own columns and
never the ``version``, so a clerk's save or a reviewer's decision made meanwhile neither loses
nor is refused.

A probe asked for and not finished after ``UNFINISHED_AFTER`` never will be (its process
ended): its state is then ``unfinished`` — unknown, never healthy — and ``links probe-filings``
(cron) probes those addresses again.
"""

import logging
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy import select, update
from sqlalchemy.orm.attributes import flag_modified

from ..extensions import db
from ..models import Ticket
from ..models.tickets import OPEN_STATUSES
from ..models.types import utcnow
from .health import probe_options, probe_url
from .probe_state import UNFINISHED_AFTER

log = logging.getLogger(__name__)

# Probes waiting for a thread, per thread, before new ones are left to ``links probe-filings``.
QUEUED_PER_WORKER = 50


def request_probe(ticket: Ticket) -> None:
    """Mark the ticket's (new) address to be probed, in the caller's transaction, and forget the
    result about the previous address; ``start_probe`` starts it once committed. With probing
    at filing off (``LINKDESK_PROBE_ON_FILING``), only the old result is forgotten."""
    on = current_app.config["LINKDESK_PROBE_ON_FILING"]
    ticket.probe_requested_at = utcnow() if on else None
    ticket.probed_at = None
    ticket.probe_warning = None
    # Written even when they look unchanged: the old address's probe may have filled them since
    # this transaction read the row (the conditional UPDATE of record_probe takes no version).
    flag_modified(ticket, "probed_at")
    flag_modified(ticket, "probe_warning")


def start_probe(ticket: Ticket) -> None:
    """After the commit: probe the ticket's pending address in this process's pool, unless that
    same probe is already running here. Never waits for it."""
    if ticket.probe_requested_at is None or not current_app.config["LINKDESK_PROBE_ON_FILING"]:
        return
    job = (ticket.id, ticket.new_url, ticket.probe_requested_at)
    app = current_app._get_current_object()
    workers = app.config["LINKDESK_FILING_PROBE_WORKERS"]
    with _lock:
        pool = _pool(workers)
        if job in _running.values():
            return
        if len(_running) >= workers * QUEUED_PER_WORKER:
            # A flood of filings: the rest stay pending, turn unfinished and are probed by cron.
            log.warning("filing probe of ticket %s not started: %d already queued", job[0], len(_running))
            return
        future = pool.submit(_run, app, *job)
        _running[future] = job
    future.add_done_callback(_forget)


def wait_for_probes(timeout: float | None = None) -> bool:
    """Wait until the probes started in this process so far have finished (tests; a clean
    shutdown); False when some still run after ``timeout`` seconds."""
    with _lock:
        futures = list(_running)
    _, still_running = wait(futures, timeout)
    return not still_running


def probe_warning(result) -> dict | None:
    """The ticket warning for a probe's result: None when the address is healthy."""
    if result.healthy:
        return None
    return {"code": "probe", "message": f"新地址检测未通过：{result.problem_label}（仅供参考，不影响提交）。"}


def record_probe(ticket_id: int, url: str, requested_at: datetime, result) -> bool:
    """Store a finished probe on its ticket and commit; True when stored.

    One conditional UPDATE, atomic on both databases: only while the ticket still has the
    address probed and this is still the probe asked for (an edit to another address, or a
    newer request, wins). It writes the probe's own columns only, and neither ``version`` nor
    ``updated_at``: nobody changed the ticket, and nobody's save or decision must fail for it.
    """
    stored = db.session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.new_url == url, Ticket.probe_requested_at == requested_at)
        .values(probe_requested_at=None, probed_at=utcnow(), probe_warning=probe_warning(result), updated_at=Ticket.updated_at)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return stored == 1


def probe_unfinished(now: datetime | None = None) -> tuple[int, int]:
    """Probe again the open tickets' addresses whose filing-time probe never finished (its
    process ended); (probed, stored). The ``links probe-filings`` command, run from cron."""
    from .probe import probe_many

    since = (now or utcnow()) - UNFINISHED_AFTER
    jobs = db.session.execute(
        select(Ticket.id, Ticket.new_url, Ticket.probe_requested_at)
        .where(Ticket.probe_requested_at < since, Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.id)
    ).all()
    db.session.commit()  # no transaction held while the network answers
    by_url: dict[str, list] = {}
    for job in jobs:
        by_url.setdefault(job.new_url, []).append(job)
    config = current_app.config
    options = {**probe_options(), "timeout": config["LINKDESK_FILING_PROBE_TIMEOUT_SECONDS"]}
    stored = 0
    for result in probe_many(
        list(by_url), concurrency=config["LINKDESK_PROBE_CONCURRENCY"], per_host=config["LINKDESK_PROBE_PER_HOST"], **options
    ):
        for job in by_url.get(result.url, []):
            stored += record_probe(job.id, job.new_url, job.probe_requested_at, result)
    return len(jobs), stored


def _run(app: Flask, ticket_id: int, url: str, requested_at: datetime) -> None:
    """One probe in a pool thread: its own app context, hence its own database session."""
    with app.app_context():
        try:
            result = probe_url(url, timeout=app.config["LINKDESK_FILING_PROBE_TIMEOUT_SECONDS"])
            record_probe(ticket_id, url, requested_at, result)
        except Exception:  # a thread has nobody to raise to: log, and cron probes it again
            db.session.rollback()
            log.exception("filing probe of ticket %s failed", ticket_id)


# The pool: created at the first probe of a process; a few threads, since each probe mostly waits
# on the network. A forked child (gunicorn's workers) starts afresh: neither the parent's threads
# nor a lock one of them held survive a fork.
_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_running: dict[Future, tuple] = {}


def _pool(workers: int) -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="filing-probe")
    return _executor


def _start_afresh_after_fork() -> None:
    global _lock, _executor
    _lock, _executor = threading.Lock(), None
    _running.clear()


os.register_at_fork(after_in_child=_start_afresh_after_fork)


def _forget(future: Future) -> None:
    with _lock:
        _running.pop(future, None)
