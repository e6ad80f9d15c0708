"""A database that cannot serve the desk: which errors say so, and one log line per outage.

An outage is the database away (it refuses or drops connections, SQLite cannot open its file),
overloaded (SQLite's lock still held when the busy timeout ends, the connection pool exhausted),
read-only, or full. The desk answers each request that meets one with 503 and ``Retry-After``
(``web.errors``), and the worker skips its round; neither is a bug, so no traceback is logged.

``OutageLog`` (one per app, so one per process in a deployment) logs a WARNING when the first
failure comes, counts the failures that follow without a line each, and logs one line with the
outage's duration and count when the database serves again: any statement for an outage of
reach, a writing statement for an outage of writes (read-only, full, locked).

Any other database error (a missing table, a constraint) is not an outage: it stays a bug, with
its traceback, as before. No Flask request in here.
"""

import logging
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import event
from sqlalchemy import exc as sa

log = logging.getLogger("linkdesk.outage")

RETRY_AFTER_SECONDS = 5
EXTENSION = "linkdesk.outages"
WRITING_STATEMENT = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|BEGIN IMMEDIATE)\b", re.IGNORECASE)


class OutageKind(Enum):
    """What is wrong with the database, with the Chinese message a person is shown."""

    UNREACHABLE = ("unreachable", "数据库暂时无法访问，请稍后重试；如果问题持续，请联系系统管理员。")
    BUSY = ("busy", "数据库繁忙，请稍后重试。")
    READ_ONLY = ("read-only", "数据库暂时只能读取、不能写入，本次提交没有保存，请稍后重试；如果问题持续，请联系系统管理员。")
    FULL = ("full", "数据库存储空间已满，本次提交没有保存；请联系系统管理员。")

    def __init__(self, label: str, message: str):
        self.label = label
        self.message = message

    @property
    def ends_with_a_write(self) -> bool:
        """An outage of writes is over when a write succeeds (reads went on working meanwhile)."""
        return self is not OutageKind.UNREACHABLE


# SQLite tells these apart by the message only (its error codes are not on sqlite3.Error before 3.11's
# sqlite_errorname, and the text is what every version has).
SQLITE_MESSAGES = (
    ("unable to open database file", OutageKind.UNREACHABLE),
    ("disk i/o error", OutageKind.UNREACHABLE),
    ("database is locked", OutageKind.BUSY),
    ("attempt to write a readonly database", OutageKind.READ_ONLY),
    ("database or disk is full", OutageKind.FULL),
)
# PostgreSQL's SQLSTATEs: a class, or one code.
POSTGRES_CLASSES = {"08": OutageKind.UNREACHABLE}  # connection exception
POSTGRES_CODES = {
    "25006": OutageKind.READ_ONLY,  # read_only_sql_transaction (a standby, default_transaction_read_only)
    "53100": OutageKind.FULL,  # disk_full
    "53200": OutageKind.BUSY,  # out_of_memory
    "53300": OutageKind.BUSY,  # too_many_connections
    "57P01": OutageKind.UNREACHABLE,  # admin_shutdown
    "57P02": OutageKind.UNREACHABLE,  # crash_shutdown
    "57P03": OutageKind.UNREACHABLE,  # cannot_connect_now (starting up, in recovery)
}


def classify(error: BaseException) -> OutageKind | None:
    """The outage this error is a sign of, or None when it is no outage (a bug, a refusal)."""
    if isinstance(error, sa.DisconnectionError):
        return OutageKind.UNREACHABLE
    if isinstance(error, sa.TimeoutError):  # no connection free in the pool within its timeout
        return OutageKind.BUSY
    driver_error = error.orig if isinstance(error, sa.DBAPIError) else error
    if isinstance(error, sa.DBAPIError) and error.connection_invalidated:
        return OutageKind.UNREACHABLE
    if isinstance(driver_error, sqlite3.Error):
        text = str(driver_error).lower()
        return next((kind for phrase, kind in SQLITE_MESSAGES if phrase in text), None)
    return _postgres_kind(driver_error) or (OutageKind.UNREACHABLE if isinstance(error, sa.InterfaceError) else None)


def _postgres_kind(driver_error: BaseException) -> OutageKind | None:
    try:
        import psycopg
    except ImportError:  # pragma: no cover (installed with the desk)
        return None
    if not isinstance(driver_error, psycopg.Error):
        return None
    state = driver_error.sqlstate
    if state is None:  # no answer from a server at all: refused, reset, timed out, closed
        return OutageKind.UNREACHABLE if isinstance(driver_error, psycopg.OperationalError | psycopg.InterfaceError) else None
    return POSTGRES_CODES.get(state) or POSTGRES_CLASSES.get(state[:2])


@dataclass
class _Open:
    kind: OutageKind
    began: float  # time.monotonic()
    failures: int


class OutageLog:
    """The outage in progress in this process, if any: one line when it begins, one when it ends.

    Thread-safe: the web server's threads and the worker's heartbeat report to the same log."""

    def __init__(self, logger: logging.Logger = log):
        self._lock = threading.Lock()
        self._open: _Open | None = None
        self._log = logger

    @property
    def in_progress(self) -> OutageKind | None:
        current = self._open
        return current.kind if current is not None else None

    def failed(self, kind: OutageKind, error: BaseException, where: str) -> None:
        """A request or a step met the outage: the first one logs, the others are counted."""
        with self._lock:
            if self._open is not None:
                self._open.failures += 1
                return
            self._open = _Open(kind, time.monotonic(), 1)
        self._log.warning(
            "database outage began (%s): %s in %s; later failures are counted, not logged, until it serves again",
            kind.label,
            type(error).__name__,
            where,
            extra={"outage": kind.label, "error_class": _error_class(error), "where": where},
        )

    def served(self, wrote: bool) -> None:
        """A statement succeeded: the outage in progress, if this ends it, is logged as over."""
        current = self._open
        if current is None or (current.kind.ends_with_a_write and not wrote):
            return  # the usual case costs one attribute read
        with self._lock:
            if self._open is not current:
                return  # another thread ended it first
            self._open = None
        duration = time.monotonic() - current.began
        self._log.warning(
            "database outage over (%s) after %.1f s: %d failed meanwhile",
            current.kind.label,
            duration,
            current.failures,
            extra={"outage": current.kind.label, "duration_s": round(duration, 1), "failures": current.failures},
        )


def _error_class(error: BaseException) -> str:
    driver_error = getattr(error, "orig", None)
    name = type(error).__name__
    return f"{name} ({type(driver_error).__module__}.{type(driver_error).__name__})" if driver_error is not None else name


def of(app) -> OutageLog:
    """The app's outage log."""
    return app.extensions[EXTENSION]


def init_app(app) -> None:
    """Give the app its outage log and tell it of each statement that succeeds on the app's
    database (one attribute read a statement while there is no outage). After the database
    extension is bound."""
    from ..extensions import db

    outage_log = app.extensions[EXTENSION] = OutageLog()
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "after_cursor_execute")
    def _served(_connection, _cursor, statement, _parameters, _context, _executemany):
        if outage_log.in_progress is not None:
            outage_log.served(bool(WRITING_STATEMENT.match(statement)))
