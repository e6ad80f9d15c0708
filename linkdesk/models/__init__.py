"""The data model: registry, accounts, tickets and their audit trail, calendars."""
from .accounts import ROLE_LABELS, AccountEvent, ApiToken, LoginAttempt, PasswordReset, Role, User, UserSession
from .calendar import HolidaySchedule
from .cutovers import BlackoutWindow, CalendarFeed, CutoverPolicy
from .notifications import ChannelKind, ChannelScope, InboxMessage, MessageStatus, NotificationChannel, OutboxMessage
from .registry import Center, LinkCheck, LinkRecord, LinkRevision, Province, ProvinceKind, Service
from .tickets import (
    ATTACHMENT_TYPES,
    OPEN_STATUSES,
    SCHEDULED_STATUSES,
    AuditEvent,
    Decision,
    ReviewDecision,
    ReviewStage,
    Ticket,
    TicketAttachment,
    TicketNumberCounter,
    TicketStatus,
)

__all__ = [
    "ATTACHMENT_TYPES",
    "OPEN_STATUSES",
    "ROLE_LABELS",
    "SCHEDULED_STATUSES",
    "AccountEvent",
    "ApiToken",
    "AuditEvent",
    "BlackoutWindow",
    "CalendarFeed",
    "Center",
    "ChannelKind",
    "ChannelScope",
    "CutoverPolicy",
    "Decision",
    "HolidaySchedule",
    "InboxMessage",
    "LinkCheck",
    "LinkRecord",
    "LinkRevision",
    "LoginAttempt",
    "MessageStatus",
    "NotificationChannel",
    "OutboxMessage",
    "PasswordReset",
    "Province",
    "ProvinceKind",
    "ReviewDecision",
    "ReviewStage",
    "Role",
    "Service",
    "Ticket",
    "TicketAttachment",
    "TicketNumberCounter",
    "TicketStatus",
    "User",
    "UserSession",
]
