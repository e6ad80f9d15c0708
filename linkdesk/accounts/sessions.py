"""Signed-in sessions the server can end: logout, a password change or deactivation end them
even where the cookie was copied; each also ends after inactivity and after an absolute lifetime.

The cookie carries a random key; the database keeps its digest (``UserSession``). The rules
here know no Flask request; ``init_app`` adds the check that runs before every request.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, flash, request, session
from flask_login import logout_user
from sqlalchemy import select, update

from ..extensions import db
from ..models import User, UserSession
from ..models.types import utcnow
from .passwords import new_token, token_digest

SESSION_KEY = "sid"
# last_seen_at is written at most this often: a page that polls must not write on every request.
TOUCH_PRECISION = timedelta(minutes=1)
ENDED_MESSAGES = {
    "idle": "您已长时间未操作，请重新登录。",
    "expired": "登录已超过最长有效时间，请重新登录。",
    "ended": "您的登录已在别处结束（退出、修改密码或账号停用），请重新登录。",
}


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta
    lifetime: timedelta


def start_session(user: User, client: str = "", user_agent: str = "") -> str:
    """Record a new session for the user; returns the key for the cookie. Commits."""
    key = new_token()
    db.session.add(UserSession(user=user, digest=token_digest(key), client=client[:64], user_agent=user_agent[:200]))
    db.session.commit()
    return key


def check_session(key: str | None, limits: SessionLimits, now: datetime) -> tuple[UserSession | None, str]:
    """The live session for a cookie's key, or (None, why it is over): ended, idle or expired."""
    found = db.session.scalar(select(UserSession).where(UserSession.digest == token_digest(key))) if key else None
    if found is None or found.ended_at is not None:
        return None, "ended"
    if now - found.created_at > limits.lifetime:
        reason = "expired"
    elif now - found.last_seen_at > limits.idle:
        reason = "idle"
    else:
        if now - found.last_seen_at >= TOUCH_PRECISION:
            found.last_seen_at = now
            db.session.commit()
        return found, ""
    found.ended_at = now
    db.session.commit()
    return None, reason


def end_session(key: str | None) -> None:
    """End the session of this key (logout). Commits."""
    if key:
        db.session.execute(
            update(UserSession).where(UserSession.digest == token_digest(key), UserSession.ended_at.is_(None)).values(ended_at=utcnow())
        )
        db.session.commit()


def end_sessions(user: User, keep_key: str | None = None) -> int:
    """End every live session of the user but the one of ``keep_key``; the caller commits."""
    query = update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if keep_key:
        query = query.where(UserSession.digest != token_digest(keep_key))
    return db.session.execute(query.values(ended_at=utcnow())).rowcount


def sign_out_elsewhere(user: User, keep_key: str | None) -> int:
    """End every live session of the user but this one ("退出其他登录"); returns how many. Commits."""
    ended = end_sessions(user, keep_key)
    db.session.commit()
    return ended


def live_sessions(user: User, now: datetime, limits: SessionLimits) -> list[UserSession]:
    """The user's sessions that still work, newest first (for the account page)."""
    return db.session.scalars(
        select(UserSession)
        .where(
            UserSession.user_id == user.id,
            UserSession.ended_at.is_(None),
            UserSession.created_at > now - limits.lifetime,
            UserSession.last_seen_at > now - limits.idle,
        )
        .order_by(UserSession.last_seen_at.desc())
    ).all()


def limits() -> SessionLimits:
    """The app's idle timeout and absolute lifetime."""
    return SessionLimits(
        idle=current_app.permanent_session_lifetime, lifetime=timedelta(hours=current_app.config["LINKDESK_SESSION_MAX_HOURS"])
    )


def sign_in(user: User) -> None:
    """Start a server-side session for the user in this request's cookie."""
    session[SESSION_KEY] = start_session(user, request.remote_addr or "", request.user_agent.string)
    session.permanent = True


def sign_out() -> None:
    """End this request's session, on the server and in the cookie."""
    end_session(session.get(SESSION_KEY))
    logout_user()
    session.clear()


def without_session(view):
    """Mark a view that answers whoever asks without looking at their session — the health
    checks, which must answer with the database down and never redirect to a password page."""
    view.without_session = True
    return view


def skips_session() -> bool:
    """Whether this request's view was marked ``without_session``."""
    return getattr(current_app.view_functions.get(request.endpoint), "without_session", False)


def _check_request_session():
    if "_user_id" not in session or skips_session():
        return
    found, reason = check_session(session.get(SESSION_KEY), limits(), utcnow())
    if found is None:
        logout_user()
        session.clear()
        flash(ENDED_MESSAGES[reason], "warning")


def init_app(app) -> None:
    """Register the session check that runs before every request."""
    app.before_request(_check_request_session)
