"""站内消息 (the inbox): every event the outbox sends to channels also lands, per person, in the
inbox of each active user it concerns — with no channel configured at all.

Like ``events.notify``, ``deliver`` only adds rows to the caller's session: a message exists
exactly when the change it reports is committed. No Flask request here.
"""

import re
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update

from ..extensions import db
from ..models import InboxMessage, ReviewStage, Role, Ticket, User
from ..models.types import utcnow

KEEP_DAYS = 180
PAGE_SIZE = 50

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_TAG = re.compile(r"</?font[^>]*>")


def _audience_users(audience: str, center, stage: ReviewStage | None):
    """The condition on User for one audience of an event (see ``events.EVENTS``)."""
    if audience == "center":
        return (User.role == Role.CENTER_STAFF) & (User.center_id == center.id)
    if audience == "ministry" or (audience == "stage" and stage is not ReviewStage.PROVINCE):
        return User.role == Role.MINISTRY_REVIEWER
    return (User.role == Role.PROVINCE_REVIEWER) & (User.province_id == center.province_id)


def plain(markdown: str) -> str:
    """The WeCom markdown body as plain lines: no headings, quotes, colour tags or link syntax."""
    lines = []
    for line in markdown.splitlines():
        line = _TAG.sub("", _LINK.sub("", line)).replace("**", "")
        line = line.removeprefix("### ").removeprefix("> ").strip()
        if line:
            lines.append(line)
    return "\n".join(lines[1:] if len(lines) > 1 else lines)  # the first line is the subject


def deliver(
    event: str,
    audiences: tuple[str, ...],
    center,
    subject: str,
    body: str,
    *,
    stage: ReviewStage | None = None,
    ticket: Ticket | None = None,
    path: str | None = None,
    dedupe: str | None = None,
) -> int:
    """Add the message to the inbox of every active user of the audiences; returns how many.

    One query for the recipients (and one for those who already have a deduplicated message).
    """
    clause = or_(*(_audience_users(audience, center, stage) for audience in audiences))
    with db.session.no_autoflush:  # the caller's change is checked at its own commit
        recipients = set(db.session.scalars(select(User.id).where(User.active.is_(True), clause)))
        if dedupe and recipients:
            recipients -= set(
                db.session.scalars(
                    select(InboxMessage.user_id).where(InboxMessage.dedupe_key == dedupe, InboxMessage.user_id.in_(recipients))
                )
            )
    text = plain(body)
    db.session.add_all(
        InboxMessage(
            user_id=user_id, event=event, ticket_id=ticket.id if ticket else None, subject=subject, body=text, path=path, dedupe_key=dedupe
        )
        for user_id in sorted(recipients)
    )
    return len(recipients)


def _kept_since(now: datetime) -> datetime:
    return now - timedelta(days=KEEP_DAYS)


def unread_count(user: User, now: datetime | None = None) -> int:
    """Unread messages of the user (the number in the menu)."""
    now = now or utcnow()
    return db.session.scalar(
        select(func.count())
        .select_from(InboxMessage)
        .where(InboxMessage.user_id == user.id, InboxMessage.read_at.is_(None), InboxMessage.created_at >= _kept_since(now))
    )


def messages_for(user: User, *, unread_only: bool = False, page: int = 1, now: datetime | None = None):
    """The user's messages of the last 180 days, newest first, a page at a time."""
    now = now or utcnow()
    query = select(InboxMessage).where(InboxMessage.user_id == user.id, InboxMessage.created_at >= _kept_since(now))
    if unread_only:
        query = query.where(InboxMessage.read_at.is_(None))
    return db.paginate(
        query.order_by(InboxMessage.created_at.desc(), InboxMessage.id.desc()), page=page, per_page=PAGE_SIZE, error_out=False
    )


def mark_read(user: User, message_id: int) -> InboxMessage | None:
    """Mark one of the user's own messages read; None when it is not theirs (or does not exist)."""
    message = db.session.scalar(select(InboxMessage).where(InboxMessage.id == message_id, InboxMessage.user_id == user.id))
    if message is not None and message.read_at is None:
        message.read_at = utcnow()
    db.session.commit()
    return message


def mark_all_read(user: User) -> int:
    """Mark all of the user's messages read; how many were unread."""
    result = db.session.execute(
        update(InboxMessage).where(InboxMessage.user_id == user.id, InboxMessage.read_at.is_(None)).values(read_at=utcnow())
    )
    db.session.commit()
    return result.rowcount


def purge(now: datetime | None = None) -> int:
    """Delete messages older than 180 days; how many."""
    result = db.session.execute(delete(InboxMessage).where(InboxMessage.created_at < _kept_since(now or utcnow())))
    db.session.commit()
    return result.rowcount
