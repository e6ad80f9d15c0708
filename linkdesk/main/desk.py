"""What a center's clerk sees first: the center's failing links with the named problem (or that
none was checked yet), its returned tickets and its upcoming cutovers. Each query is scoped by
``accounts.access`` or by the clerk's center."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..accounts.access import scoped_tickets
from ..cutovers.schedule import Cutover, cutovers_between
from ..extensions import db
from ..links.health import unhealthy_links
from ..models import LinkRecord, Ticket, TicketStatus, User

UPCOMING_DAYS = 30
SHOWN = 20  # the home page lists the first few; the full lists are a click away


@dataclass(frozen=True)
class ClerkDesk:
    failing_links: list[LinkRecord]
    returned: list[Ticket]
    upcoming: list[Cutover]
    links_checked: bool = True  # False until a check of one of the center's links has run


def clerk_desk(user: User, today: date) -> ClerkDesk:
    """The clerk's home: failing links (and whether any was checked), returned tickets, approved
    cutovers of the next 30 days."""
    returned = db.session.scalars(
        scoped_tickets(user)
        .where(Ticket.status == TicketStatus.RETURNED)
        .options(joinedload(Ticket.service))
        .order_by(Ticket.updated_at.desc())
        .limit(SHOWN)
    ).all()
    upcoming = [
        cutover
        for cutover in cutovers_between(user, today, today + timedelta(days=UPCOMING_DAYS - 1))
        if cutover.status is TicketStatus.APPROVED
    ][:SHOWN]
    checked = db.session.scalar(
        select(LinkRecord.id).where(LinkRecord.center_id == user.center_id, LinkRecord.last_check_id.is_not(None)).limit(1)
    )
    return ClerkDesk(unhealthy_links(user), list(returned), upcoming, links_checked=checked is not None)


__all__ = ["ClerkDesk", "clerk_desk"]
