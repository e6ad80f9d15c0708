"""Logs to stderr, one record a line: readable text by default, JSON objects for a log collector
(``LINKDESK_LOG_FORMAT=json``, as the systemd units set it).

Every request gets an id: the proxy's ``X-Request-ID`` when it is sane (1–128 characters of
``[A-Za-z0-9._:-]``), a new one otherwise. It is returned on every answer (pages, API, errors,
static files), and every line logged while the request runs carries it. When the request ends,
one line says what it was: endpoint, method, path, status, duration, user.

The standard library's ``logging`` and not structlog or python-json-logger: every part of the
desk (the app, the worker, the CLI, Flask, SQLAlchemy, gunicorn's own hooks) already logs through
``logging``, callers add fields the usual way (``log.info("sent", extra={"job": …})``), and one
handler with a ~30-line formatter makes all of it JSON; a new dependency would bring a second
logging API to learn and nothing these lines need.
"""

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import g, has_request_context, request
from flask.logging import default_handler
from sqlalchemy import inspect

REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
HANDLER_NAME = "linkdesk"
# Route arguments that are secrets (a calendar feed's token, a password-reset key): never logged.
SECRET_ARGUMENTS = frozenset({"token", "key"})
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")

request_log = logging.getLogger("linkdesk.request")

# What every LogRecord has; any other attribute came from ``extra={...}`` and goes into the line.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "taskName"}


def configure(config) -> None:
    """Send the desk's logs to stderr in the configured format and level.

    Idempotent: a second app (tests build one per test) replaces the handler the first installed.
    Other libraries' records reach the same handler at WARNING and above (the root logger's level).
    """
    level = logging.getLevelName(str(config.get("LINKDESK_LOG_LEVEL") or "INFO").upper())
    level = level if isinstance(level, int) else logging.INFO
    # The process's own stderr, not whatever sys.stderr is at the moment: a CLI test's runner or a
    # test's capture swaps that one (and closes it afterwards), never the file descriptor.
    handler = logging.StreamHandler(sys.__stderr__)
    handler.set_name(HANDLER_NAME)
    handler.setLevel(level)
    handler.setFormatter(JsonFormatter() if config.get("LINKDESK_LOG_FORMAT") == "json" else TextFormatter())
    handler.addFilter(RequestFields())
    root = logging.getLogger()
    for old in [existing for existing in root.handlers if existing.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    desk = logging.getLogger("linkdesk")
    desk.setLevel(level)
    desk.disabled = False
    desk.removeHandler(default_handler)  # Flask's own: our handler says it once
    # The development server's access lines would say each request twice (the desk logs it, with its id).
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def is_configured() -> bool:
    """Whether ``configure`` has installed the desk's handler (the migrations keep it then)."""
    return any(handler.get_name() == HANDLER_NAME for handler in logging.getLogger().handlers)


class RequestFields(logging.Filter):
    """Stamp every record logged during a request with that request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context() and not hasattr(record, "request_id"):
            record.request_id = request_id()
        return True


def _fields(record: logging.LogRecord) -> dict:
    return {key: value for key, value in vars(record).items() if key not in _STANDARD_ATTRIBUTES and not key.startswith("_")}


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (ISO, UTC), level, logger, message, then the record's fields;
    a traceback stays inside its line (``exc_info``)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": _timestamp(record), "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        entry.update(_fields(record))
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger [request id] message key=value …``, then any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        fields = _fields(record)
        request = fields.pop("request_id", None)
        line = f"{_timestamp(record)} {record.levelname} {record.name}{f' [{request}]' if request else ''} {record.getMessage()}"
        if fields:
            line += " " + " ".join(f"{key}={_printable(value)}" for key, value in fields.items() if value is not None)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


def _printable(value) -> str:
    # A path or message with a line break would forge a second line in a text log.
    return CONTROL_CHARACTERS.sub(lambda match: repr(match.group())[1:-1], str(value))


def request_id() -> str:
    """This request's id: the proxy's when sane, made here otherwise (kept for the request)."""
    if "request_id" not in g:
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
    return g.request_id


def _start() -> None:
    g.request_started = time.perf_counter()
    request_id()


def _answer(response):
    response.headers[REQUEST_ID_HEADER] = request_id()
    g.response_status = response.status_code
    return response


def request_outcome(error: BaseException | None) -> tuple[int, float]:
    """The status this request answered (500 when it ended in an error before answering) and its
    duration in milliseconds, for the request's log line and its metrics."""
    status = g.get("response_status") or 500
    started = g.get("request_started")
    duration = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    return status, duration


def _user_id() -> int | None:
    # Only a user this request already loaded: the log line never costs a query of its own.
    user = g.get("_login_user")
    state = inspect(user, raiseerr=False) if user is not None else None
    return state.identity[0] if state is not None and state.identity else None


def _logged_path() -> str:
    path = request.path
    for name, value in (request.view_args or {}).items():
        if name in SECRET_ARGUMENTS and isinstance(value, str) and value:
            path = path.replace(value, "***")
    return path


def _level(status: int) -> int:
    # 503 is the desk's answer to a database outage or a not-ready check, said once an outage by
    # linkdesk.outage: a line per request at ERROR would page someone a thousand times for one.
    if status == 503:
        return logging.WARNING
    return logging.ERROR if status >= 500 else logging.INFO


def _log_request(error: BaseException | None) -> None:
    status, duration = request_outcome(error)
    path = _logged_path()
    request_log.log(
        _level(status),
        "%s %s %s %.1f ms",
        request.method,
        _printable(path),
        status,
        duration,
        extra={
            "request_id": request_id(),
            "user_id": _user_id(),
            "endpoint": request.endpoint,
            "method": request.method,
            "path": path,
            "status": status,
            "duration_ms": round(duration, 1),
            "remote_addr": request.remote_addr,
        },
    )


def init_app(app) -> None:
    """Configure logging from the app's settings and log every request. Call first in create_app,
    so that the request id is there before any other hook can answer."""
    configure(app.config)
    app.before_request(_start)
    app.after_request(_answer)
    app.teardown_request(_log_request)
