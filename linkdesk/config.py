"""Configuration: defaults, then instance/config.py, then the environment, then the test mapping."""
import os
import secrets
from datetime import timedelta
from pathlib import Path


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
    # Readiness (/readyz): a worker must have beat within this; the oldest undelivered message
    # may wait this long.
    LINKDESK_WORKER_STALE_SECONDS = 180
    LINKDESK_OUTBOX_MAX_AGE_SECONDS = 15 * 60
    LINKDESK_DATABASE_CONNECT_TIMEOUT_SECONDS = 5  # PostgreSQL: a server that does not answer is an error soon


ENVIRONMENT = {
    "LINKDESK_DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "LINKDESK_SECRET_KEY": "SECRET_KEY",
    "LINKDESK_BASE_URL": "LINKDESK_BASE_URL",
    "LINKDESK_SMTP_HOST": "LINKDESK_SMTP_HOST",
    "LINKDESK_SMTP_USERNAME": "LINKDESK_SMTP_USERNAME",
    "LINKDESK_SMTP_PASSWORD": "LINKDESK_SMTP_PASSWORD",
    "LINKDESK_MAIL_FROM": "LINKDESK_MAIL_FROM",
    "LINKDESK_WECOM_CORP_ID": "LINKDESK_WECOM_CORP_ID",
    "LINKDESK_WECOM_AGENT_ID": "LINKDESK_WECOM_AGENT_ID",
    "LINKDESK_WECOM_SECRET": "LINKDESK_WECOM_SECRET",
    "LINKDESK_WECOM_API_BASE": "LINKDESK_WECOM_API_BASE",
}


def from_environment(config) -> None:
    """Apply LINKDESK_* environment variables over the file-based settings."""
    for variable, key in ENVIRONMENT.items():
        if os.environ.get(variable):
            config[key] = os.environ[variable]
    for variable, default in vars(Defaults).items():
        if variable.startswith("LINKDESK_") and variable not in ENVIRONMENT and os.environ.get(variable, "").strip():
            value = _typed(os.environ[variable].strip(), default)
            if value is not None:
                config[variable] = value
    if os.environ.get("LINKDESK_SECURE_COOKIES", "").lower() in {"1", "true", "yes"}:
        config["SESSION_COOKIE_SECURE"] = True
        config["REMEMBER_COOKIE_SECURE"] = True


def _typed(value: str, default):
    """An environment variable's text as the setting's type (its default's): a flag, a whole
    number, a number, or a comma-separated list; None when it does not read as one."""
    if isinstance(default, bool):
        return value.lower() in {"1", "true", "yes"}
    if isinstance(default, int):
        return int(value) if value.isascii() and value.isdigit() else None
    if isinstance(default, float):
        try:
            return float(value)
        except ValueError:
            return None
    if isinstance(default, tuple):
        items = tuple(item.strip() for item in value.split(",") if item.strip())
        if default and all(isinstance(item, int) for item in default):  # ports
            return tuple(int(item) for item in items) if all(item.isascii() and item.isdigit() for item in items) else None
        return items
    return value


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
        connect_args = {"connect_timeout": app.config["LINKDESK_DATABASE_CONNECT_TIMEOUT_SECONDS"],
                        **options.get("connect_args", {})}
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
