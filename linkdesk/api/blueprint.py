"""The API's blueprint, on which every route module of ``api/`` registers its routes."""

from flask import Blueprint, current_app, request

from ..accounts.access import authenticated_by_token
from ..extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.before_request
def _csrf_for_browser_sessions():
    # A bearer token cannot be sent by another site's form; a session cookie can. So the
    # CSRF check applies exactly when the session authenticates a state-changing call.
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if request.method not in ("GET", "HEAD", "OPTIONS") and not authenticated_by_token():
        csrf.protect()
