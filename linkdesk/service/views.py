"""GET /healthz and /readyz: no login, no session, no CSRF; JSON only, never a 500."""

from flask import Blueprint, current_app, jsonify

from ..accounts.sessions import without_session
from ..models.types import utcnow
from . import outages
from .health import readiness

bp = Blueprint("service", __name__)


@bp.get("/healthz")
@without_session
def healthz():
    """The process answers."""
    return _uncached(jsonify({"status": "ok"}))


@bp.get("/readyz")
@without_session
def readyz():
    """200 when the database, its schema, a worker and the outbox are all well; 503 otherwise."""
    report = readiness(utcnow(), current_app.config, outages.of(current_app))
    return _uncached(jsonify(report)), 200 if report["status"] == "ok" else 503


def _uncached(response):
    response.headers["Cache-Control"] = "no-store"
    return response
