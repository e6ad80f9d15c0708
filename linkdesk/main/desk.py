"""What a center's clerk sees first: the center's failing links with the named problem, its
returned tickets and its upcoming cutovers. Three queries, each scoped by ``accounts.access``."""
from dataclasses import dataclass
from datetime import date, timedelta

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


def clerk_desk(user: User, today: date) -> ClerkDesk:
    """The clerk's home: failing links, returned tickets, approved cutovers of the next 30 days."""
    returned = db.session.scalars(
        scoped_tickets(user).where(Ticket.status == TicketStatus.RETURNED)
        .options(joinedload(Ticket.service)).order_by(Ticket.updated_at.desc()).limit(SHOWN)
    ).all()
    upcoming = [cutover for cutover in cutovers_between(user, today, today + timedelta(days=UPCOMING_DAYS - 1))
                if cutover.status is TicketStatus.APPROVED][:SHOWN]
    return ClerkDesk(unhealthy_links(user), list(returned), upcoming)


__all__ = ["ClerkDesk", "clerk_desk"]
