"""Configuration: defaults, then instance/config.py, then the environment, then the test mapping."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Config


class Defaults:
    """Settings every deployment starts from; override in instance/config.py or the environment."""

    SQLALCHEMY_DATABASE_URI = None  # filled in by finalize(): SQLite in the instance folder
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set True (LINKDESK_SECURE_COOKIES=1) when served over https
    SESSION_COOKIE_NAME = "linkdesk_session"
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=30)  # inactivity timeout
    LINKDESK_SESSION_MAX_HOURS = 12  # absolute lifetime of a sign-in, however active
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session, which itself expires
    # Any request body; the pages and API calls that carry attachments get a ticket's worth
    # instead (linkdesk.requests), so a large body is refused with 413 before it is read.
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    LINKDESK_ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
    LINKDESK_ATTACHMENTS_PER_TICKET = 5
    JSON_AS_ASCII = False
    # Working-day lead time for link changes (design.md: "at least 10 working days").
    LINKDESK_LEAD_WORKING_DAYS = 10
    LINKDESK_MAX_CUTOVER_DAYS_AHEAD = 180
    # Review deadline (审核截止): a pending ticket is decided at least this many working days
    # before its cutover, so that the mini-program can be configured in time.
    LINKDESK_REVIEW_DEADLINE_WORKING_DAYS = 2
    LINKDESK_TIMEZONE = "Asia/Shanghai"
    # Login throttling: after this many failures for one account from one address,
    # each further try waits twice as long as the last, up to the cap.
    LINKDESK_LOGIN_FREE_FAILURES = 5
    LINKDESK_LOGIN_MAX_DELAY_SECONDS = 15 * 60
    LINKDESK_LOGIN_WINDOW_SECONDS = 60 * 60
    LINKDESK_TICKETS_PER_PAGE = 25
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto headers are trusted.
    LINKDESK_PROXY_HOPS = 0
    # Notifications: links in messages point here (the worker has no request to ask).
    LINKDESK_BASE_URL = "http://127.0.0.1:5000"
    # A WeCom robot's webhook must start with one of these: the worker posts nowhere else.
    LINKDESK_WECOM_WEBHOOK_PREFIXES = ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?",)
    LINKDESK_WECOM_PER_MINUTE = 20  # the robot's documented limit
    # Sign-in with 企业微信 (off unless corp id, agent id and secret are all set). The API base is
    # configuration, never input: private deployments and tests point it elsewhere.
    LINKDESK_WECOM_CORP_ID = None
    LINKDESK_WECOM_AGENT_ID = None
    LINKDESK_WECOM_SECRET = None
    LINKDESK_WECOM_API_BASE = "https://qyapi.weixin.qq.com"
    LINKDESK_WECOM_TIMEOUT_SECONDS = 5.0
    LINKDESK_NOTIFY_TIMEOUT_SECONDS = 10
    LINKDESK_NOTIFY_MAX_TRIES = 8
    LINKDESK_NOTIFY_BACKOFF_SECONDS = 30  # doubled after each failure, capped at an hour
    # Link health: the prober never connects to private addresses unless a network is listed here
    # (an intranet deployment, or tests), and only to these ports.
    LINKDESK_PROBE_ALLOW_NETWORKS = ()
    LINKDESK_PROBE_PORTS = (80, 443)
    LINKDESK_PROBE_CA_FILE = None  # extra trusted CA certificates (PEM), e.g. an intranet's own CA
    LINKDESK_PROBE_TIMEOUT_SECONDS = 10.0
    LINKDESK_PROBE_CONCURRENCY = 32
    LINKDESK_PROBE_PER_HOST = 2
    LINKDESK_PROBE_ON_FILING = True  # probe a new address once at filing (a warning, never a refusal)
    LINKDESK_FILING_PROBE_TIMEOUT_SECONDS = 3.0
    LINKDESK_FILING_PROBE_WORKERS = 4  # threads per process probing filed addresses, off the request
    LINKDESK_PROBE_AFTER_CUTOVER = True  # apply-cutovers probes each address it made live
    LINKDESK_SMTP_HOST = "localhost"
    LINKDESK_SMTP_PORT = 25
    LINKDESK_SMTP_STARTTLS = False
    LINKDESK_SMTP_USERNAME = None
    LINKDESK_SMTP_PASSWORD = None
    LINKDESK_MAIL_FROM = "linkdesk@localhost"
    # Logs to stderr (linkdesk.service.logs): "text" for a person at a terminal, "json" (one object
    # a line, as the systemd units set it) for a log collector.
    LINKDESK_LOG_FORMAT = "text"
    LINKDESK_LOG_LEVEL = "INFO"
    # /metrics answers loopback, or a request carrying this bearer token (None: loopback only).
    LINKDESK_METRICS_TOKEN = None
    # Readiness (/readyz): a worker must have beat within this; the oldest undelivered message
    # may wait this long.
    LINKDESK_WORKER_STALE_SECONDS = 180
    LINKDESK_OUTBOX_MAX_AGE_SECONDS = 15 * 60
    LINKDESK_DATABASE_CONNECT_TIMEOUT_SECONDS = 5  # PostgreSQL: a server that does not answer is an error soon


# Variables whose setting is not named LINKDESK_<variable>; every other LINKDESK_X sets LINKDESK_X.
RENAMED = {
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI",),
    "SECRET_KEY": ("SECRET_KEY",),
    "SECURE_COOKIES": ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"),
}
TRUE_WORDS = {"1", "true", "yes", "on"}


def from_environment(config: Config) -> None:
    """Apply the LINKDESK_* environment variables over the file-based settings.

    Flask's ``from_prefixed_env`` finds them; each value is read in the type of its setting's
    default (``LINKDESK_PROXY_HOPS=1`` is the number 1, ``LINKDESK_PROBE_ON_FILING=no`` is off,
    ``LINKDESK_PROBE_PORTS=80,443`` a tuple), and one that cannot be read so keeps the default
    rather than breaking the app at its first use."""
    read = Config(config.root_path)
    read.from_prefixed_env("LINKDESK", loads=str)  # typed below, by the default: a secret stays text
    for name, value in read.items():
        if not isinstance(value, str) or not value.strip():
            continue
        for key in RENAMED.get(name, (f"LINKDESK_{name}",)):
            typed = _as_default(config.get(key), value.strip())
            if typed is not None:
                config[key] = typed


def _as_default(default, text: str):
    """``text`` in the type of ``default``; None when it cannot be read so."""
    if isinstance(default, bool):
        return text.lower() in TRUE_WORDS
    if isinstance(default, int | float):
        try:
            return type(default)(text) if text.isascii() else None
        except ValueError:
            return None
    if isinstance(default, tuple):
        items = [item.strip() for item in text.split(",") if item.strip()]
        kind = type(default[0]) if default else str
        try:
            return tuple(kind(item) for item in items)
        except ValueError:
            return None
    return text


def finalize(app) -> None:
    """Fill in what depends on the instance folder (database file, secret key) and the proxy."""
    hops = app.config["LINKDESK_PROXY_HOPS"]
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    instance = Path(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        instance.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'linkdesk.sqlite3'}"
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        connect_args = {"connect_timeout": app.config["LINKDESK_DATABASE_CONNECT_TIMEOUT_SECONDS"], **options.get("connect_args", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "connect_args": connect_args}
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(instance / "secret_key")


def _instance_secret_key(path: Path) -> str:
    # Generated once per installation and kept out of git (instance/ is ignored),
    # so no two deployments share a key and none is ever committed.
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key
