"""Prometheus metrics: ``GET /metrics`` in the text format, for loopback or a bearer token.

Requests are counted and timed by endpoint, method and status (endpoint names, never paths: a
closed set of labels). The desk's own figures (outbox, probes, tickets, reviews, workers) are
counted from the database at scrape time (``desk_gauges``).

Under gunicorn, each worker process keeps its own counters: with ``PROMETHEUS_MULTIPROC_DIR`` set
(deploy/gunicorn.conf.py sets it, and empties it at start with ``on_starting``) they are written
to files there and a scrape of any worker adds them all up; gunicorn's ``child_exit`` hook calls
``child_exit`` below so that a dead worker's files are let go.

Who may read: a request whose socket peer is loopback (127.0.0.0/8, ::1) and that did not come
through a proxy (no X-Forwarded-For, Forwarded or X-Real-IP header: nginx on the same host adds
one, so an outside request through it is not "local"), or one carrying ``Authorization: Bearer
<LINKDESK_METRICS_TOKEN>``. The peer is the socket's, read before ProxyFix rewrites it, so a
forged X-Forwarded-For cannot pass. Anyone else gets the app's ordinary 404.
"""

import hmac
import ipaddress
import os
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

from .desk_gauges import DeskCollector
from .logs import request_outcome

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"  # read by prometheus_client itself, at import
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

# The request metrics live in a registry of their own: one per process, whatever the number of
# apps built in it (tests build many); a scrape collects them with the desk's gauges.
HTTP_REGISTRY = CollectorRegistry()
REQUESTS = Counter(
    "linkdesk_http_requests", "Requests answered, by endpoint, method and status.", ["endpoint", "method", "status"], registry=HTTP_REGISTRY
)
LATENCY = Histogram(
    "linkdesk_http_request_duration_seconds",
    "Time to answer a request, by endpoint, method and status.",
    ["endpoint", "method", "status"],
    buckets=LATENCY_BUCKETS,
    registry=HTTP_REGISTRY,
)

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def scrape():
    """The metrics in Prometheus' text format; 404 unless loopback or the metrics token."""
    if not may_read_metrics(request.environ, current_app.config.get("LINKDESK_METRICS_TOKEN")):
        abort(404)
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROCESS_DIR):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Forward(HTTP_REGISTRY))
    registry.register(DeskCollector(current_app.config))
    return Response(generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"})


def may_read_metrics(environ: dict, token: str | None) -> bool:
    """Whether this request may read the metrics: from loopback not through a proxy, or with the token."""
    return _bearer_matches(environ.get("HTTP_AUTHORIZATION", ""), token) or _from_loopback(environ)


def _bearer_matches(header: str, token: str | None) -> bool:
    scheme, _, given = header.partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def _from_loopback(environ: dict) -> bool:
    # The socket's peer as the server saw it: ProxyFix keeps it aside when it rewrites REMOTE_ADDR.
    peer = (environ.get("werkzeug.proxy_fix.orig") or {}).get("REMOTE_ADDR") or environ.get("REMOTE_ADDR") or ""
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback and not any(environ.get(header) for header in PROXY_HEADERS)


class _Forward:
    """A scrape registry's view of the process's request metrics (single-process mode)."""

    def __init__(self, registry: CollectorRegistry):
        self.registry = registry

    def describe(self):
        return []

    def collect(self):
        return self.registry.collect()


def _observe(error: BaseException | None) -> None:
    status, duration_ms = request_outcome(error)
    endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
    method = request.method if request.method in METHODS else "other"
    labels = (endpoint, method, str(status))
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(duration_ms / 1000)


def child_exit(server, worker) -> None:
    """gunicorn's ``child_exit`` hook: let a dead worker's metric files go (multiprocess mode)."""
    if os.environ.get(MULTIPROCESS_DIR):
        multiprocess.mark_process_dead(worker.pid)


def on_starting(server) -> None:
    """gunicorn's ``on_starting`` hook: start from an empty multiprocess directory, so that the
    counters of a previous run's workers are not added to this one's."""
    directory = os.environ.get(MULTIPROCESS_DIR)
    if directory:
        Path(directory).mkdir(parents=True, exist_ok=True)
        for leftover in Path(directory).glob("*.db"):  # only prometheus_client's own files
            leftover.unlink(missing_ok=True)


def init_app(app) -> None:
    """Serve /metrics and count every request (after logs.init_app: it times them)."""
    app.register_blueprint(bp)
    app.teardown_request(_observe)
