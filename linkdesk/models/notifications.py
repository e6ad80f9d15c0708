"""Notification channels (WeCom group robots, e-mail) and the durable outbox."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .registry import Center, Province
from .types import UTCDateTime, enum_column, utcnow


class ChannelKind(StrEnum):
    WECOM = "wecom"
    EMAIL = "email"
    WEBHOOK = "webhook"  # signed JSON events for the mini-program operators' automation


class ChannelScope(StrEnum):
    MINISTRY = "ministry"
    PROVINCE = "province"
    CENTER = "center"


class NotificationChannel(db.Model):
    """Where a scope's people hear about tickets: a WeCom robot's webhook, an e-mail address, or a
    webhook of the operators' automation (signed JSON events).

    A robot's address carries its key, and a webhook has a signing ``secret``: both are secrets,
    never shown or logged again. ``events`` (webhooks only) lists the event types it takes.
    """

    __tablename__ = "notification_channel"
    __table_args__ = (
        CheckConstraint(
            "(scope = 'ministry' AND province_id IS NULL AND center_id IS NULL)"
            " OR (scope = 'province' AND province_id IS NOT NULL AND center_id IS NULL)"
            " OR (scope = 'center' AND center_id IS NOT NULL AND province_id IS NULL)",
            name="scope_matches_target",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ChannelKind] = mapped_column(enum_column(ChannelKind, "channel_kind"))
    scope: Mapped[ChannelScope] = mapped_column(enum_column(ChannelScope, "channel_scope"))
    province_id: Mapped[int | None] = mapped_column(ForeignKey("province.id"), index=True)
    center_id: Mapped[int | None] = mapped_column(ForeignKey("center.id"), index=True)
    target: Mapped[str] = mapped_column(Text)
    secret: Mapped[str | None] = mapped_column(String(128))
    events: Mapped[str | None] = mapped_column(String(255))  # comma-separated event types
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    province: Mapped[Province | None] = relationship()
    center: Mapped[Center | None] = relationship()


class MessageStatus(StrEnum):
    PENDING = "pending"  # waiting for its time (first try or a retry)
    SENDING = "sending"  # claimed by a worker until locked_until
    SENT = "sent"
    FAILED = "failed"  # parked after the last retry; an admin may retry it

    @property
    def label(self) -> str:
        return {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败"}[self.value]


class OutboxMessage(db.Model):
    """One message to one channel, written in the same transaction as the change it reports."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(36), unique=True)  # stable: receivers drop duplicates
    channel_id: Mapped[int] = mapped_column(ForeignKey("notification_channel.id", ondelete="CASCADE"), index=True)
    event: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)  # e.g. one reminder per ticket
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)  # WeCom markdown
    status: Mapped[MessageStatus] = mapped_column(enum_column(MessageStatus, "message_status"), default=MessageStatus.PENDING)
    tries: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivery_id: Mapped[str | None] = mapped_column(String(36), index=True)  # shared by a digest's messages
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    channel: Mapped[NotificationChannel] = relationship()


class InboxMessage(db.Model):
    """站内消息: what the outbox sends to channels, kept per person in the desk itself.

    Needs no channel: every event lands here for each active user it concerns. Kept 180 days.
    """

    __tablename__ = "inbox_message"
    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key"),  # a reminder once per person, however often cron runs
        Index("ix_inbox_message_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)  # plain text, one line per fact
    path: Mapped[str | None] = mapped_column(String(255))  # where to look, inside the desk
    dedupe_key: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
