"""The audit trail of accounts: who changed what for whom, when. No Flask requests here.

Every change an admin makes to a user (creation, role, scope, name, contact, 企业微信 id,
activation, a set-password link) and every password a user sets is one append-only
``AccountEvent``, shown on the user's admin page. The caller commits with its change.
"""

from sqlalchemy import select

from ..extensions import db
from ..models import AccountEvent, User

ACTION_LABELS = {
    "created": "创建账号",
    "updated": "修改账号",
    "activated": "启用账号",
    "deactivated": "停用账号",
    "reset_link_issued": "生成重置密码链接",
    "password_reset": "通过重置链接设置密码",
    "password_changed": "修改密码",
}


def record(user: User, actor: User | None, action: str, detail: str = "") -> AccountEvent:
    """Add an event about ``user`` done by ``actor`` (None: the command line). Not committed."""
    if action not in ACTION_LABELS:
        raise ValueError(f"unknown account action {action!r}")
    event = AccountEvent(user=user, actor=actor, action=action, detail=detail)
    db.session.add(event)
    return event


def events_of(user: User) -> list[AccountEvent]:
    """The user's account events, newest first."""
    return db.session.scalars(
        select(AccountEvent).where(AccountEvent.user_id == user.id).order_by(AccountEvent.at.desc(), AccountEvent.id.desc())
    ).all()
