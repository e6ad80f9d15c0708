"""GET /healthz and /readyz: no login, no session, no CSRF; JSON only, never a 500."""
from flask import Blueprint, current_app, jsonify

from ..models.types import utcnow
from .health import readiness

bp = Blueprint("service", __name__)


def without_session(view):
    """Mark a view that must answer without looking up the caller's session (the database may be
    down): ``accounts.sessions`` skips its check for it."""
    view.without_session = True
    return view


@bp.get("/healthz")
@without_session
def healthz():
    """The process answers."""
    return _uncached(jsonify({"status": "ok"}))


@bp.get("/readyz")
@without_session
def readyz():
    """200 when the database, its schema, a worker and the outbox are all well; 503 otherwise."""
    report = readiness(utcnow(), current_app.config)
    return _uncached(jsonify(report)), 200 if report["status"] == "ok" else 503


def _uncached(response):
    response.headers["Cache-Control"] = "no-store"
    return response
