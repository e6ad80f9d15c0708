"""Home page."""

from flask import Blueprint, current_app, render_template
from flask_login import current_user
from sqlalchemy import func, select

from ..accounts.access import REVIEWER_ROLES, awaiting_review, login_required, scoped_tickets
from ..extensions import db
from ..models import OPEN_STATUSES, Role, Ticket, TicketStatus, User
from ..models.types import utcnow
from ..tickets.deadlines import review_clock
from ..tickets.listing import due_counts
from ..workdays.calendar import local_date
from ..workdays.schedules import current_calendar
from .desk import clerk_desk

bp = Blueprint("main", __name__)


def ticket_counts(user) -> dict[TicketStatus, int]:
    """Open tickets in the user's scope (what the tiles show), counted by status in one query
    from the (status, center) index; closed statuses count 0, however long the history."""
    query = (
        scoped_tickets(user).with_only_columns(Ticket.status, func.count()).where(Ticket.status.in_(OPEN_STATUSES)).group_by(Ticket.status)
    )
    counts = {status: 0 for status in TicketStatus}
    counts.update(dict(db.session.execute(query).all()))
    return counts


@bp.route("/")
@login_required
def home():
    counts = ticket_counts(current_user)
    if current_user.role in REVIEWER_ROLES:
        queue = awaiting_review(current_user)
        counts["awaiting_me"] = db.session.scalar(queue.with_only_columns(func.count()).order_by(None))
        due = due_counts(queue, review_clock(current_calendar(), local_date(utcnow()), current_app.config))
        counts["overdue"], counts["due_soon"] = due["overdue"], due["soon"]
    if current_user.role is Role.ADMIN:
        counts["users"] = db.session.scalar(select(func.count()).select_from(User))
    desk = clerk_desk(current_user, local_date(utcnow())) if current_user.role is Role.CENTER_STAFF else None
    return render_template("main/home.html", counts=counts, desk=desk)
