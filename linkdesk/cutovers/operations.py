"""What changes the cutover calendar: applying due cutovers to the link registry, reminding
centers before a cutover, and the ministry's settings (the daily limit, blackout windows).

One commit each. A completion is a move of the ticket state machine (``tickets.workflow.move``),
and the live address is written by the registry's one writer (``links.registry.set_live_address``);
what happened is announced (``tickets.events``), and notify listens. The CLI and the views call
these; the rules they rely on are ``schedule``.
"""

import logging
from collections.abc import Callable
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import db, refresh_planner_statistics
from ..links.health import CheckRun, check_links
from ..links.registry import set_live_address
from ..models import BlackoutWindow, CutoverPolicy, LinkRecord, Ticket, TicketStatus, User
from ..tickets.events import announce
from ..tickets.operations import send_reminder
from ..tickets.workflow import WorkflowError, move
from ..workdays.calendar import WorkingDayCalendar
from .schedule import due_ticket_ids

log = logging.getLogger(__name__)
S = TicketStatus


def apply_cutover(ticket_id: int) -> Ticket | None:
    """Complete one approved ticket and make its address live, in one transaction.

    Returns None when the ticket is no longer approved: another process applied it first
    (its version moved on), or it was cancelled meanwhile. Safe to run concurrently.
    """
    # Lock the ticket row first (PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises):
    # a second apply-cutovers waits here, then sees the ticket completed and skips it.
    ticket = db.session.get(Ticket, ticket_id, populate_existing=True, with_for_update=True)
    if ticket is None:
        db.session.rollback()
        return None
    try:
        completed = move(ticket, "complete", None, ticket.version)
    except WorkflowError:  # no longer approved: applied or cancelled meanwhile
        db.session.rollback()
        return None
    set_live_address(
        ticket.center_id, ticket.service_id, ticket.new_url, ticket.cutover_date, note=f"工单 {ticket.number}", ticket_id=ticket.id
    )
    try:
        announce(completed)
        db.session.commit()
    except (StaleDataError, IntegrityError):
        # The version check or the registry's unique link lost: another run committed first.
        db.session.rollback()
        return None
    return ticket


def apply_due(day: date, before_each: Callable[[], None] = lambda: None) -> list[Ticket]:
    """Apply every approved ticket due by ``day``; one transaction per ticket, idempotent.

    ``before_each`` runs before each ticket (a worker that is stopping raises there, after the
    ticket in hand). Then, when configured, the addresses made live are probed once, so that a
    link that does not answer on its first day shows on the link-health page at once."""
    ticket_ids = due_ticket_ids(day)
    db.session.commit()  # the list read, no transaction is held while each ticket takes its own
    applied = []
    for ticket_id in ticket_ids:
        before_each()
        ticket = apply_cutover(ticket_id)
        if ticket is not None:
            applied.append(ticket)
            log.info("applied %s: %s", ticket.number, ticket.new_url)
    refresh_planner_statistics()  # daily, with more history: the planner's statistics follow it
    return applied


def probe_applied(applied: list[Ticket]) -> CheckRun | None:
    """Probe the addresses just made live (``LINKDESK_PROBE_AFTER_CUTOVER``); None when not asked."""
    if not applied or not current_app.config["LINKDESK_PROBE_AFTER_CUTOVER"]:
        return None
    links = db.session.scalars(select(LinkRecord).where(LinkRecord.ticket_id.in_([t.id for t in applied]))).all()
    return check_links(links)


def remind_upcoming(today: date, calendar: WorkingDayCalendar, working_days_before: int = 2) -> list[Ticket]:
    """Queue the reminder for approved cutovers ``working_days_before`` working days from today.

    Each ticket is reminded once per cutover date, however often this runs.
    """
    horizon = today + timedelta(days=working_days_before * 3 + 14)
    tickets = db.session.scalars(
        select(Ticket).where(Ticket.status == S.APPROVED, Ticket.cutover_date > today, Ticket.cutover_date <= horizon)
    ).all()
    reminded = []
    for ticket in tickets:
        if calendar.working_days_between(today, ticket.cutover_date) == working_days_before:
            if send_reminder(
                ticket,
                "reminder",
                f"请做好 {ticket.cutover_date.isoformat()} 的切换准备",
                f"reminder:{ticket.id}:{ticket.cutover_date.isoformat()}",
            ):
                reminded.append(ticket)
    db.session.commit()  # the list was read in a transaction of its own when there was nothing to remind
    return reminded


# --- the ministry's settings ---------------------------------------------------------------


def set_max_per_day(user: User, limit: int | None) -> CutoverPolicy:
    """Set (or lift, with None) the national limit of cutovers per day."""
    if limit is not None and limit < 1:
        raise ValueError("每日上限至少为 1。")
    row = db.session.get(CutoverPolicy, 1) or CutoverPolicy(id=1)
    row.max_per_day, row.updated_by_id = limit, user.id
    db.session.add(row)
    db.session.commit()
    return row


def add_blackout(user: User, first: date, last: date, reason: str) -> BlackoutWindow:
    """Close [first, last] to cutovers."""
    if last < first:
        raise ValueError("结束日期不能早于开始日期。")
    if not reason.strip():
        raise ValueError("请填写封网原因。")
    window = BlackoutWindow(first_day=first, last_day=last, reason=reason.strip(), created_by_id=user.id)
    db.session.add(window)
    db.session.commit()
    return window


def delete_blackout(window_id: int) -> bool:
    """Open a blackout window's days to cutovers again; False when there is no such window."""
    window = db.session.get(BlackoutWindow, window_id)
    if window is None:
        return False
    db.session.delete(window)
    db.session.commit()
    return True
