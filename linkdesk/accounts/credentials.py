"""Setting passwords: one's own change, and one-time set-password links. No Flask requests here.

A new password ends the user's other sessions (they may be where the old one leaked). A
set-password link (重置密码链接) is issued by an admin or ``reset-password NAME``, works once,
for ``RESET_LIFETIME``, and a newer link for the same user ends the older ones.
"""

import secrets
from datetime import timedelta

from sqlalchemy import select, update

from ..extensions import db
from ..models import PasswordReset, User
from ..models.types import utcnow
from .audit import record
from .passwords import hash_password, password_problem, token_digest, verify_password
from .sessions import end_sessions
from .users import AccountError

RESET_LIFETIME = timedelta(hours=24)


def change_password(user: User, old_password: str, new_password: str, keep_key: str | None) -> int:
    """The user changes their own password (the old one required); ends their sessions but
    the one of ``keep_key``. Returns how many sessions ended. Commits."""
    if not verify_password(user.password_hash, old_password):
        raise AccountError("当前密码不正确。", "old_password")
    if new_password == old_password:
        raise AccountError("新密码不能与当前密码相同。", "new_password")
    _set_password(user, new_password)
    ended = end_sessions(user, keep_key=keep_key)
    record(user, user, "password_changed", f"结束其他登录 {ended} 处")
    db.session.commit()
    return ended


def issue_reset(user: User, actor: User | None) -> str:
    """A new set-password link key for the user, valid for RESET_LIFETIME; earlier links end.
    The key is returned once (only its digest is stored). Commits."""
    if not user.active:
        raise AccountError(f"用户 {user.username} 已停用，请先启用。")
    now = utcnow()
    db.session.execute(update(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.ended_at.is_(None)).values(ended_at=now))
    key = secrets.token_urlsafe(32)
    db.session.add(
        PasswordReset(
            user=user, digest=token_digest(key), created_at=now, expires_at=now + RESET_LIFETIME, created_by_id=actor.id if actor else None
        )
    )
    record(user, actor, "reset_link_issued", f"有效期至 {(now + RESET_LIFETIME):%Y-%m-%d %H:%M} UTC")
    db.session.commit()
    return key


def reset_target(key: str) -> User | None:
    """The user a set-password link is for, while it still works; None otherwise."""
    reset = _live_reset(key)
    return reset.user if reset is not None else None


def complete_reset(key: str, new_password: str) -> User:
    """Set the password through a link: once only, before it expires. Ends every session of
    the user. Commits."""
    reset = _live_reset(key)
    if reset is None:
        raise AccountError("该链接无效、已使用或已过期，请联系管理员重新生成。")
    user = reset.user
    problem = password_problem(new_password)
    if problem:
        raise AccountError(problem, "new_password")
    # A conditional update, so that two submissions of the same link set the password once.
    used = db.session.execute(
        update(PasswordReset).where(PasswordReset.id == reset.id, PasswordReset.ended_at.is_(None)).values(ended_at=utcnow())
    ).rowcount
    if used != 1:
        db.session.rollback()
        raise AccountError("该链接无效、已使用或已过期，请联系管理员重新生成。")
    _set_password(user, new_password)
    end_sessions(user)
    record(user, user, "password_reset")
    db.session.commit()
    return user


def _live_reset(key: str) -> PasswordReset | None:
    if not key:
        return None
    reset = db.session.scalar(select(PasswordReset).where(PasswordReset.digest == token_digest(key)))
    if reset is None or reset.ended_at is not None or reset.expires_at <= utcnow() or not reset.user.active:
        return None
    return reset


def _set_password(user: User, password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise AccountError(problem, "new_password")
    user.password_hash = hash_password(password)
    user.must_change_password = False
