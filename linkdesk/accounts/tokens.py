"""API tokens: issued with an expiry, listed by prefix, revoked by prefix. No Flask requests here.

The token is shown once; the database keeps its SHA-256 digest and a short prefix by which
people recognise it in lists and revoke it.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from ..extensions import db
from ..models import ApiToken, User
from ..models.types import utcnow
from .passwords import new_token, token_digest

DEFAULT_EXPIRY_DAYS = 365
MAX_EXPIRY_DAYS = 3650
PREFIX_LENGTH = 8
# last_used_at is written at most this often per token: an API client polling every second
# must not turn every read into a write.
LAST_USED_PRECISION = timedelta(minutes=1)


class TokenError(ValueError):
    """A refusal with a Chinese message."""


@dataclass(frozen=True)
class TokenRow:
    """What a list shows of a token: never the secret."""

    prefix: str
    username: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "已吊销"
        if self.expires_at is not None and self.expires_at <= now:
            return "已过期"
        return "有效"


def create_token(user: User, expires_days: int = DEFAULT_EXPIRY_DAYS) -> str:
    """Issue an API token valid for ``expires_days``; the token is returned once. Commits."""
    if not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise TokenError(f"有效期应为 1 至 {MAX_EXPIRY_DAYS} 天。")
    token = new_token()
    db.session.add(
        ApiToken(user=user, digest=token_digest(token), prefix=token[:PREFIX_LENGTH], expires_at=utcnow() + timedelta(days=expires_days))
    )
    db.session.commit()
    return token


def user_for_token(token: str) -> User | None:
    """The active user a bearer token belongs to, or None (unknown, revoked or expired)."""
    now = utcnow()
    found = db.session.scalar(select(ApiToken).where(ApiToken.digest == token_digest(token), ApiToken.revoked_at.is_(None)))
    if found is None or (found.expires_at is not None and found.expires_at <= now) or not found.user.active:
        return None
    if found.last_used_at is None or now - found.last_used_at >= LAST_USED_PRECISION:
        # A conditional update: two requests at once write it once, and neither waits on the other.
        db.session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == found.id,
                (ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at <= now - LAST_USED_PRECISION),
            )
            .values(last_used_at=now)
        )
        db.session.commit()
    return found.user


def tokens_of(user: User | None = None) -> list[TokenRow]:
    """Tokens of one user, or of everyone (the admin's list), newest first."""
    query = select(ApiToken, User.username).join(ApiToken.user).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return [
        TokenRow(token.prefix, username, token.created_at, token.last_used_at, token.expires_at, token.revoked_at)
        for token, username in db.session.execute(query)
    ]


def revoke_token(prefix: str, owner: User | None = None) -> TokenRow:
    """Revoke the one live token with this prefix (of ``owner`` only, when given). Commits."""
    prefix = prefix.strip()
    if len(prefix) < 4:
        raise TokenError("请给出令牌前缀（至少 4 个字符）。")
    query = select(ApiToken).where(ApiToken.prefix.startswith(prefix, autoescape=True), ApiToken.revoked_at.is_(None))
    if owner is not None:
        query = query.where(ApiToken.user_id == owner.id)
    found = db.session.scalars(query.limit(2)).all()
    if not found:
        raise TokenError(f"没有前缀为“{prefix}”的有效令牌。")
    if len(found) > 1:
        raise TokenError(f"前缀“{prefix}”对应多个令牌，请给出更长的前缀。")
    token = found[0]
    token.revoked_at = utcnow()
    db.session.commit()
    return TokenRow(token.prefix, token.user.username, token.created_at, token.last_used_at, token.expires_at, token.revoked_at)
