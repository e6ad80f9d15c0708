"""The data model: registry, accounts, tickets and their audit trail, calendars."""
from .accounts import ROLE_LABELS, ApiToken, LoginAttempt, Role, User
from .calendar import HolidaySchedule
from .cutovers import BlackoutWindow, CalendarFeed, CutoverPolicy
from .registry import Center, LinkRecord, LinkRevision, Province, ProvinceKind, Service
from .tickets import (
    OPEN_STATUSES,
    AuditEvent,
    Decision,
    ReviewDecision,
    ReviewStage,
    Ticket,
    TicketNumberCounter,
    TicketStatus,
)

__all__ = [
    "OPEN_STATUSES",
    "ROLE_LABELS",
    "ApiToken",
    "AuditEvent",
    "BlackoutWindow",
    "CalendarFeed",
    "Center",
    "CutoverPolicy",
    "Decision",
    "HolidaySchedule",
    "LinkRecord",
    "LinkRevision",
    "LoginAttempt",
    "Province",
    "ProvinceKind",
    "ReviewDecision",
    "ReviewStage",
    "Role",
    "Service",
    "Ticket",
    "TicketNumberCounter",
    "TicketStatus",
    "User",
]
