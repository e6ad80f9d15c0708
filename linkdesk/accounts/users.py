"""Accounts: logging in with throttling, creating users, activating them. No Flask requests here."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, text

from ..extensions import db
from ..models import Center, LoginAttempt, Province, Role, User
from ..models.types import utcnow
from .audit import record
from .passwords import (
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from .sessions import end_sessions

# Failures from one client address over all accounts before it is slowed down too:
# a password-spraying address is throttled without touching anyone coming from elsewhere.
CLIENT_FREE_FAILURES = 30
# WeCom's rule for a member's UserID: 1-64 of letters, digits and _-@. , starting with a letter or digit.
WECOM_USERID = re.compile(r"[a-z0-9][a-z0-9_.@-]{0,63}")


class AccountError(ValueError):
    """A refusal with a Chinese message, raised by the functions of this module."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    retry_after: int = 0  # seconds to wait before the next try is even checked

    @property
    def throttled(self) -> bool:
        return self.retry_after > 0


@dataclass(frozen=True)
class ThrottlePolicy:
    free_failures: int
    max_delay_seconds: int
    window_seconds: int

    def delay_after(self, failures: int, free: int) -> int:
        """Seconds to wait after this many failures: none at first, then doubling, capped."""
        if failures < free:
            return 0
        return min(2 ** (failures - free), self.max_delay_seconds)


def authenticate(username: str, password: str, client: str, policy: ThrottlePolicy) -> LoginResult:
    """Check a login. Failures are throttled per (account, client address) and per address.

    The delay grows with each failure but never becomes a lock: the real user, coming from
    another address, is not slowed down by an attacker guessing their password.
    """
    username = username.strip()
    now = utcnow()
    _serialize_attempts(username)
    wait = _wait_needed(username, client, policy, now)
    if wait:
        return LoginResult(None, retry_after=wait)
    user = db.session.scalar(select(User).where(User.username == username))
    if not verify_password(user.password_hash if user else None, password) or not user.active:
        db.session.add(LoginAttempt(username=username[:64], client=client[:64], at=now))
        db.session.commit()
        return LoginResult(None)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    db.session.execute(delete(LoginAttempt).where(LoginAttempt.username == username, LoginAttempt.client == client))
    db.session.commit()
    return LoginResult(user)


def _serialize_attempts(username: str) -> None:
    """Make count, check and record one step per account: held until this transaction ends.

    Otherwise 16 simultaneous guesses all count the same few failures and all get checked.
    SQLite's transactions already take the write lock at BEGIN (extensions.py); PostgreSQL
    takes a transaction-scoped advisory lock on the account name.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:name, 0))"), {"name": username})


def _wait_needed(username: str, client: str, policy: ThrottlePolicy, now: datetime) -> int:
    since = now - timedelta(seconds=policy.window_seconds)
    recent = select(func.count(), func.max(LoginAttempt.at)).where(LoginAttempt.client == client, LoginAttempt.at >= since)
    pair_count, pair_last = db.session.execute(recent.where(LoginAttempt.username == username)).one()
    client_count, client_last = db.session.execute(recent).one()
    waits = [
        _remaining(pair_last, policy.delay_after(pair_count, policy.free_failures), now),
        _remaining(client_last, policy.delay_after(client_count, CLIENT_FREE_FAILURES), now),
    ]
    return max(waits)


def _remaining(last: datetime | None, delay: int, now: datetime) -> int:
    if last is None or delay == 0:
        return 0
    remaining = (last + timedelta(seconds=delay) - now).total_seconds()
    return max(0, int(remaining + 0.999))


def find_center(key: str) -> Center | None:
    """A center by code, short name or full name."""
    return db.session.scalar(select(Center).where(Center.named(key)))


def find_province(key: str) -> Province | None:
    """A province by code, short name or full name."""
    return db.session.scalar(select(Province).where(Province.named(key)))


def create_user(
    username: str,
    password: str,
    role: Role | str,
    *,
    display_name: str | None = None,
    center: str | None = None,
    province: str | None = None,
    contact: str = "",
    wecom_userid: str | None = None,
    temporary: bool = False,
    actor: User | None = None,
) -> User:
    """Create a user; the scope (center or province) must match the role. Commits.

    ``temporary``: someone else chose the password, so the user must set their own at first login.
    """
    role = Role(role)
    username = username.strip()
    if not username:
        raise AccountError("用户名不能为空。", "username")
    if db.session.scalar(select(User.id).where(User.username == username)):
        raise AccountError(f"用户名“{username}”已存在。", "username")
    problem = password_problem(password)
    if problem:
        raise AccountError(problem, "password")
    user = User(
        username=username,
        display_name=(display_name or "").strip() or username,
        role=role,
        contact=(contact or "").strip(),
        must_change_password=temporary,
    )
    user.password_hash = hash_password(password)
    user.center, user.province = _scope(role, center, province)
    user.wecom_userid = _free_wecom_userid(wecom_userid, None)
    db.session.add(user)
    record(user, actor, "created", f"{role.label}，{user.scope_label}" + ("，临时密码" if temporary else ""))
    db.session.commit()
    return user


def update_user(
    user: User,
    actor: User | None,
    *,
    display_name: str,
    contact: str,
    role: Role | str,
    center: str | None = None,
    province: str | None = None,
    wecom_userid: str | None = None,
) -> list[str]:
    """Change a user's name, contact, role and scope, 企业微信 id; one audit event. Commits.

    Returns what changed, in words (empty: nothing did). The user's next request sees the new
    role and scope: nothing about them is kept in the session.
    """
    role = Role(role)
    before = _described(user)
    display_name = (display_name or "").strip()
    if not display_name:
        raise AccountError("姓名不能为空。", "display_name")
    if actor is not None and actor.id == user.id and role is not user.role:
        raise AccountError("不能修改自己的角色（请由另一位管理员修改）。", "role")
    # Everything is checked before the user changes (a query would flush a half-changed row).
    # The form keeps both scope fields; only the one the new role needs counts.
    scope = _scope(role, center if role is Role.CENTER_STAFF else None, province if role is Role.PROVINCE_REVIEWER else None)
    wecom_userid = _free_wecom_userid(wecom_userid, user)
    user.display_name, user.contact, user.role = display_name, (contact or "").strip(), role
    user.center, user.province = scope
    user.wecom_userid = wecom_userid
    after = _described(user)
    changes = [f"{label}：{before[label] or '（空）'} → {after[label] or '（空）'}" for label in before if before[label] != after[label]]
    if changes:
        record(user, actor, "updated", "；".join(changes))
    db.session.commit()
    return changes


def _described(user: User) -> dict[str, str]:
    return {
        "姓名": user.display_name,
        "联系方式": user.contact,
        "角色": user.role.label,
        "范围": user.scope_label,
        "企业微信账号": user.wecom_userid or "",
    }


def _scope(role: Role, center: str | None, province: str | None) -> tuple[Center | None, Province | None]:
    """The (center, province) the role needs, found by code or name; refused when missing or extra."""
    if role is not Role.CENTER_STAFF and center:
        raise AccountError("只有中心经办人员需要指定中心。", "center")
    if role is not Role.PROVINCE_REVIEWER and province:
        raise AccountError("只有省级审核人员需要指定省份。", "province")
    if role is Role.CENTER_STAFF:
        return _required(find_center, center, "center", "中心"), None
    if role is Role.PROVINCE_REVIEWER:
        return None, _required(find_province, province, "province", "省份")
    return None, None


def _free_wecom_userid(value: str | None, owner: User | None) -> str | None:
    """The 企业微信 UserID normalised (lower-case: WeCom ids are case-insensitive), or None;
    refused when malformed or already someone else's."""
    value = (value or "").strip().lower()
    if not value:
        return None
    if not WECOM_USERID.fullmatch(value):
        raise AccountError("企业微信账号（UserID）为 1 至 64 个字母、数字或 _-@. ，以字母或数字开头。", "wecom_userid")
    taken = db.session.scalar(select(User).where(User.wecom_userid == value))
    if taken is not None and taken is not owner:
        raise AccountError(f"企业微信账号“{value}”已对应用户 {taken.username}。", "wecom_userid")
    return value


def note_login(user: User) -> None:
    """Record a login that asked no password (企业微信 scan): when it happened. Commits."""
    user.last_login_at = utcnow()
    db.session.commit()


def user_for_wecom(userid: str) -> User | None:
    """The active user whose 企业微信 UserID this is, or None."""
    user = db.session.scalar(select(User).where(User.wecom_userid == userid.strip().lower()))
    return user if user is not None and user.active else None


def _required(finder, key: str | None, field: str, label: str):
    if not key:
        raise AccountError(f"该角色必须指定{label}。", field)
    found = finder(key.strip())
    if found is None:
        raise AccountError(f"找不到{label}“{key}”。", field)
    return found


def set_active(user: User, active: bool, actor: User | None = None) -> None:
    """Activate or deactivate a user; a deactivated user's sessions end and tokens stop. Commits."""
    if user.active != active:
        record(user, actor, "activated" if active else "deactivated")
    user.active = active
    if not active:
        end_sessions(user)
    db.session.commit()
