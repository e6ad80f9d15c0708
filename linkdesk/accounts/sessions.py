"""Ending sessions after inactivity, on the server's side."""
from datetime import UTC, datetime

from flask import current_app, flash, session
from flask_login import current_user, logout_user


def init_app(app) -> None:
    """Register the inactivity check that runs before every request."""
    app.before_request(_end_idle_session)


def _end_idle_session():
    # The cookie's own expiry is up to the browser; this check is the server's, so a copied
    # cookie stops working after the same idle time.
    if not current_user.is_authenticated or "_user_id" not in session:
        return
    now = datetime.now(UTC).timestamp()
    idle_limit = current_app.permanent_session_lifetime.total_seconds()
    last_seen = session.get("last_seen")
    if last_seen is not None and now - last_seen > idle_limit:
        logout_user()
        session.clear()
        flash("您已长时间未操作，请重新登录。", "warning")
        return
    session.permanent = True
    session["last_seen"] = now
