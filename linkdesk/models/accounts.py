"""Users, their roles and scope, API tokens and login attempts."""

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.expression import false

from ..extensions import db
from .registry import Center, Province
from .types import UTCDateTime, enum_column, utcnow


class Role(StrEnum):
    CENTER_STAFF = "center_staff"
    PROVINCE_REVIEWER = "province_reviewer"
    MINISTRY_REVIEWER = "ministry_reviewer"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.CENTER_STAFF: "中心经办人员",
    Role.PROVINCE_REVIEWER: "省级审核人员",
    Role.MINISTRY_REVIEWER: "部监管司审核人员",
    Role.ADMIN: "系统管理员",
}


class User(UserMixin, db.Model):
    """A person who logs in; the role and its center or province decide what they see."""

    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(
            "(role = 'center_staff' AND center_id IS NOT NULL AND province_id IS NULL)"
            " OR (role = 'province_reviewer' AND province_id IS NOT NULL AND center_id IS NULL)"
            " OR (role IN ('ministry_reviewer', 'admin') AND center_id IS NULL AND province_id IS NULL)",
            name="scope_matches_role",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    center_id: Mapped[int | None] = mapped_column(ForeignKey("center.id"), index=True)
    province_id: Mapped[int | None] = mapped_column(ForeignKey("province.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact: Mapped[str] = mapped_column(String(128), default="", server_default="")
    # The member's UserID in the organisation's 企业微信 (WeCom ids are case-insensitive: kept lower-case).
    wecom_userid: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Set when someone else chose the password (the admin's temporary one): the user sets their own first.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    center: Mapped[Center | None] = relationship()
    province: Mapped[Province | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def scope_label(self) -> str:
        """Where this user's view of the data ends, in words."""
        if self.center is not None:
            return self.center.name
        if self.province is not None:
            return self.province.name
        return "全国"

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 digest is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # None: issued before tokens expired
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class UserSession(db.Model):
    """A signed-in browser: the cookie holds a random key, the server its digest, so that logout,
    a password change or deactivation can end it even where the cookie was copied."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    client: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship()


class LoginAttempt(db.Model):
    """A failed login, kept for throttling by account and client address."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class PasswordReset(db.Model):
    """A one-time set-password link (重置密码链接): the URL carries a random key, the database its
    digest; it works once, for a limited time, and a newer link for the same user ends it."""

    __tablename__ = "password_reset"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # used, or replaced by a newer link
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class AccountEvent(db.Model):
    """An append-only record of a change to an account: who changed what for whom, when (UTC)."""

    __tablename__ = "account_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # None: the command line
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])


@event.listens_for(AccountEvent, "before_update")
@event.listens_for(AccountEvent, "before_delete")
def _account_events_are_append_only(_mapper, _connection, target):
    raise ValueError("account events are append-only")
