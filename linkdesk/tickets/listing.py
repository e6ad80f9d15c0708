"""Ticket lists: filters, urgency order and pagination, shared by the clerk's and reviewers' pages."""
from dataclasses import dataclass
from datetime import date

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select
from sqlalchemy.orm import contains_eager, selectinload

from ..extensions import db
from ..models import Center, Province, Service, Ticket, TicketStatus
from ..query_args import page_arg
from ..workdays.calendar import WorkingDayCalendar

PER_PAGE = 25


@dataclass(frozen=True)
class TicketFilters:
    status: str = ""
    service: str = ""
    center: str = ""
    province: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "TicketFilters":
        status = args.get("status", "")
        return cls(
            status=status if status in {s.value for s in TicketStatus} else "",
            service=args.get("service", "")[:64],
            center=args.get("center", "")[:128],
            province=args.get("province", "")[:64],
            page=page_arg(args),
        )

    def args(self, **changes) -> dict:
        """Query arguments for a link that keeps the other filters."""
        values = {"status": self.status, "service": self.service, "center": self.center,
                  "province": self.province, "page": self.page}
        values.update(changes)
        return {key: value for key, value in values.items() if value not in ("", None, 1)}


@dataclass
class TicketPage:
    pagination: Pagination
    days_left: dict[int, int]

    @property
    def tickets(self):
        return self.pagination.items


def filtered_tickets(query: Select, filters: TicketFilters) -> Select:
    """Narrow a scoped ticket query (joined to Center) by the filters; pages and the API share it."""
    if filters.status:
        query = query.where(Ticket.status == filters.status)
    if filters.service:
        query = query.where(Ticket.service.has(Service.code == filters.service))
    if filters.center:
        query = query.where(Center.named(filters.center))
    if filters.province:
        query = query.where(Center.province.has(Province.named(filters.province)))
    return query


def days_left_until(day: date, calendar: WorkingDayCalendar, today: date) -> int | None:
    """Working days from today to ``day`` (0 on the day itself); None once the day has passed."""
    return calendar.working_days_between(today, day) if day >= today else None


def ticket_page(query: Select, filters: TicketFilters, calendar: WorkingDayCalendar, today: date,
                *, urgent_first: bool = False) -> TicketPage:
    """One page of tickets, filtered, with their working days left; three queries in all."""
    query = filtered_tickets(query, filters)
    # Working days left grow with the cutover date, so ordering by the date is ordering by urgency.
    order = (Ticket.cutover_date, Ticket.id) if urgent_first else (Ticket.id.desc(),)
    query = query.options(
        contains_eager(Ticket.center).selectinload(Center.province), selectinload(Ticket.service)
    ).order_by(*order)
    pagination = db.paginate(query, page=filters.page, per_page=PER_PAGE, error_out=False)
    days_left = {ticket.id: days_left_until(ticket.cutover_date, calendar, today) for ticket in pagination.items}
    return TicketPage(pagination, days_left)
