"""What the health endpoints check (no request in here; ``views`` serves them).

Liveness is the process answering. Readiness is four checks, each a small dict with a
``status`` of ``ok`` or ``fail`` and a few figures: the database answers ``SELECT 1`` within
a short timeout; its schema is at the newest migration; a worker beat within
``LINKDESK_WORKER_STALE_SECONDS``; the oldest undelivered outbox message is younger than
``LINKDESK_OUTBOX_MAX_AGE_SECONDS``. A failure says why in a short fixed phrase — never a
hostname, an address, a database URL or an error's text.
"""

import logging
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import func, select, text

from ..extensions import db
from ..models import MessageStatus, OutboxMessage
from . import heartbeats, outages

log = logging.getLogger("linkdesk.health")

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
STATEMENT_TIMEOUT_MS = 2000
UNDELIVERED = (MessageStatus.PENDING, MessageStatus.SENDING)


def ok(**figures) -> dict:
    return {"status": "ok", **figures}


def fail(reason: str, **figures) -> dict:
    return {"status": "fail", "reason": reason, **figures}


@cache
def expected_heads() -> tuple[str, ...]:
    """The newest revisions of the migrations folder (read once per process)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return tuple(sorted(ScriptDirectory.from_config(config).get_heads()))


def check_database() -> dict:
    if db.engine.dialect.name == "postgresql":  # a hung server answers within the timeout too
        db.session.execute(text(f"SET LOCAL statement_timeout = {STATEMENT_TIMEOUT_MS}"))
    db.session.execute(text("SELECT 1"))
    return ok()


def check_migrations() -> dict:
    expected = list(expected_heads())
    try:
        current = sorted(db.session.scalars(text("SELECT version_num FROM alembic_version")))
    except Exception:
        db.session.rollback()
        return fail("数据库尚未初始化 (schema not created)", expected=expected, current=[])
    if current != expected:
        return fail("数据库结构不是最新版本 (schema not at the newest migration)", expected=expected, current=current)
    return ok(current=current)


def check_worker(now: datetime, stale: timedelta) -> dict:
    alive = heartbeats.liveness(now, stale)
    age = None if alive.latest_beat_at is None else max(0, round((now - alive.latest_beat_at).total_seconds()))
    if alive.running == 0:
        return fail(
            "没有运行中的 worker (no worker heartbeat)",
            running=0,
            last_beat_age_seconds=age,
            stale_after_seconds=round(stale.total_seconds()),
        )
    return ok(running=alive.running, last_beat_age_seconds=age)


def check_outbox(now: datetime, max_age: timedelta) -> dict:
    backlog, oldest = db.session.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(OutboxMessage.status.in_(UNDELIVERED))
    ).one()
    age = None if oldest is None else max(0, round((now - oldest).total_seconds()))
    if age is not None and age > max_age.total_seconds():
        return fail(
            "通知积压过久 (outbox backlog too old)", backlog=backlog, oldest_age_seconds=age, max_age_seconds=round(max_age.total_seconds())
        )
    return ok(backlog=backlog, oldest_age_seconds=age)


def readiness(now: datetime, config, outage_log: outages.OutageLog | None = None) -> dict:
    """The four checks and the overall status; the session is rolled back and nothing is raised.
    A database outage is told to ``outage_log`` (one line an outage, not a traceback a probe)."""
    checks: dict[str, dict] = {}
    try:
        checks["database"] = check_database()
    except Exception as error:
        kind = outages.classify(error)
        if kind is not None and outage_log is not None:
            outage_log.failed(kind, error, "readiness check")
        else:
            log.warning("readiness: the database did not answer", exc_info=True)
        _roll_back()
        skipped = fail("数据库不可用，未检查 (database unavailable)")
        checks = {"database": fail("数据库不可用 (database unavailable)"), "migrations": skipped, "worker": skipped, "outbox": skipped}
    else:
        stale = timedelta(seconds=config["LINKDESK_WORKER_STALE_SECONDS"])
        max_age = timedelta(seconds=config["LINKDESK_OUTBOX_MAX_AGE_SECONDS"])
        for name, check in (
            ("migrations", check_migrations),
            ("worker", lambda: check_worker(now, stale)),
            ("outbox", lambda: check_outbox(now, max_age)),
        ):
            try:
                checks[name] = check()
            except Exception:  # a table missing on an old schema, say: that check fails alone
                log.warning("readiness: the %s check failed", name, exc_info=True)
                db.session.rollback()
                checks[name] = fail("检查出错 (check failed)")
    _roll_back()
    status = "ok" if all(check["status"] == "ok" for check in checks.values()) else "fail"
    return {"status": status, "checks": checks}


def _roll_back() -> None:
    try:
        db.session.rollback()
    except Exception:  # the connection is gone: give it up, the next request takes a new one
        db.session.invalidate()
