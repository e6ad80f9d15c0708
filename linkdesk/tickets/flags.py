"""Importing an official holiday schedule, and flagging the open tickets it breaks.

``workdays`` stores the year and finds the tickets (``store_schedule``); each is flagged here by a
"flag" move of the state machine, with the "calendar_changed" warning, and the moves are announced
(notify tells the stage's reviewers). One transaction: the schedule, the flags, their audit events
and messages land together or not at all. The admin's import page and the CLI call this.
"""

from dataclasses import dataclass

from ..extensions import db
from ..models import Ticket, User
from ..workdays.calendar import YearSchedule
from ..workdays.schedules import CalendarFinding, store_schedule
from .events import TicketMoved, announce
from .workflow import move

WARNING = "calendar_changed"


@dataclass(frozen=True)
class ImportResult:
    schedule: YearSchedule
    replaced: bool
    flagged: list[Ticket]


def import_schedule(schedule: YearSchedule, user: User | None = None) -> ImportResult:
    """Store an official year (replacing an earlier import) and flag the open tickets it breaks;
    ``user`` is the admin who imports (None: the CLI). One commit."""
    replaced, findings = store_schedule(schedule, user)
    announce(*(flag(finding, user) for finding in findings))
    db.session.commit()
    return ImportResult(schedule, replaced, [finding.ticket for finding in findings])


def flag(finding: CalendarFinding, user: User | None) -> TicketMoved:
    """Put the finding on its ticket as its one calendar warning (an earlier one is replaced)."""
    ticket = finding.ticket
    ticket.warnings = [w for w in ticket.warnings if w.get("code") != WARNING] + [{"code": WARNING, "message": finding.message}]
    # The import read the ticket in this transaction: that is the version it acts on.
    return move(ticket, "flag", user, ticket.version, comment=finding.message)
