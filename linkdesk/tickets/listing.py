"""Ticket lists: filters, search, sort, review deadlines and pagination, shared by every role's
pages and the API. The caller passes a query already scoped by ``accounts.access``; nothing here
widens it, so a search never finds what the user may not see, and totals never count it."""

from dataclasses import dataclass, replace
from datetime import date

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Select, case, false, func, select, text, tuple_
from sqlalchemy.orm import contains_eager, selectinload

from ..extensions import broad, db
from ..labels import WARNING_LABELS
from ..models import Center, Province, ReviewDecision, ReviewStage, Service, Ticket, TicketStatus, User
from ..models.tickets import COLUMN_WARNING_SQL, WARNING_FILTERS, TicketWarning
from ..web.query_args import MAX_SEARCH_LENGTH, page_arg
from ..workdays.calendar import CalendarRangeError, WorkingDayCalendar, parse_date
from .deadlines import ReviewClock
from .search import search_clause

PER_PAGE = 25
# A list counts its matches up to here; more, and it says "10000+" (the API: X-Total-Count-Exact: false).
COUNT_LIMIT = 10_000

# sort name -> the key columns, all in one direction, the ticket id last so that the order is total
# (pages and 上一个/下一个 then agree). Working days left grow with the cutover date.
SORT_KEYS = {
    "cutover": (Ticket.cutover_date, Ticket.id),
    "days_left": (Ticket.cutover_date, Ticket.id),
    "filed": (Ticket.submitted_at, Ticket.id),
    "center": (Center.code, Ticket.id),
}
SORT_LABELS = {
    "cutover": "计划切换日期（近→远）",
    "-cutover": "计划切换日期（远→近）",
    "days_left": "剩余工作日（少→多）",
    "-days_left": "剩余工作日（多→少）",
    "filed": "提交时间（早→晚）",
    "-filed": "提交时间（晚→早）",
    "center": "中心代码（升序）",
    "-center": "中心代码（降序）",
}
DUE_FILTERS = {"overdue": "已逾期", "soon": "即将逾期"}


@dataclass(frozen=True)
class TicketFilters:
    """What a list shows; the query string of its page and of ``GET /api/v1/tickets``."""

    q: str = ""
    status: str = ""
    stage: str = ""
    service: str = ""
    center: str = ""
    province: str = ""
    date_from: date | None = None  # cutover date range, inclusive
    date_to: date | None = None
    warning: str = ""
    due: str = ""  # review deadline: overdue / soon
    decided_by_me: bool = False
    sort: str = ""
    page: int = 1
    queue: bool = False  # reached from the review queue: 上一个/下一个 walk the queue, not the whole list

    @classmethod
    def parse(cls, args) -> tuple["TicketFilters", dict[str, list[str]]]:
        """The filters in ``args`` and what was wrong with them (each bad one is left out)."""
        errors: dict[str, list[str]] = {}

        def choice(name: str, allowed, message: str) -> str:
            value = args.get(name, "").strip()
            if value and value not in allowed:
                errors[name] = [message.format(value=value[:40])]
                return ""
            return value

        def day(name: str) -> date | None:
            value = args.get(name, "").strip()
            parsed = parse_date(value) if value else None
            if value and parsed is None:
                errors[name] = [f"{name} 应为 YYYY-MM-DD 格式的日期。"]
            return parsed

        q = args.get("q", "").strip()
        if len(q) > MAX_SEARCH_LENGTH:
            errors["q"] = [f"搜索内容不能超过 {MAX_SEARCH_LENGTH} 个字符。"]
            q = ""
        decided_by = choice("decided_by", ("me",), "decided_by 只能是 me。")
        filters = cls(
            q=q,
            status=choice("status", {s.value for s in TicketStatus}, "未知状态“{value}”。"),
            stage=choice("stage", {s.value for s in ReviewStage}, "未知审核阶段“{value}”。"),
            service=args.get("service", "").strip()[:64],
            center=args.get("center", "").strip()[:128],
            province=args.get("province", "").strip()[:64],
            date_from=day("from"),
            date_to=day("to"),
            warning=choice("warning", WARNING_FILTERS, "未知提示“{value}”。"),
            due=choice("due", DUE_FILTERS, "due 只能是 overdue 或 soon。"),
            decided_by_me=decided_by == "me",
            sort=choice("sort", SORT_LABELS, "未知排序“{value}”。"),
            page=page_arg(args),
            queue=args.get("queue") == "1",
        )
        return filters, errors

    @classmethod
    def from_args(cls, args) -> "TicketFilters":
        """The filters in ``args``, leaving out any that are not valid."""
        return cls.parse(args)[0]

    def args(self, **changes) -> dict:
        """Query arguments for a link that keeps these filters (``changes`` override them)."""
        values = {
            "q": self.q,
            "status": self.status,
            "stage": self.stage,
            "service": self.service,
            "center": self.center,
            "province": self.province,
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
            "warning": self.warning,
            "due": self.due,
            "decided_by": "me" if self.decided_by_me else "",
            "sort": self.sort,
            "page": self.page,
            "queue": "1" if self.queue else "",
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value not in ("", None, 1)}

    def first_page(self) -> "TicketFilters":
        return replace(self, page=1)

    @property
    def narrowed(self) -> bool:
        """True when anything but the sort and the page is set."""
        return bool(self.args(sort="", page=1, queue=""))


@dataclass
class TicketPage:
    pagination: Pagination
    days_left: dict[int, int | None]
    deadlines: dict[int, date | None]
    due: dict[int, str]  # ticket id -> "overdue" / "soon" for pending tickets near their deadline
    exact_total: bool = True  # False: pagination.total is COUNT_LIMIT and more match

    @property
    def tickets(self):
        return self.pagination.items


def _warning(code: str) -> ColumnElement[bool]:
    """The condition of a warning filter (``WARNING_FILTERS``): a ticket holding a warning row of
    the code, or for a warning kept in a column, the condition its partial index states
    (``COLUMN_WARNING_SQL``; SQLite uses a partial index only for a query that states it literally)."""
    if code not in COLUMN_WARNING_SQL:
        return Ticket.id.in_(select(TicketWarning.ticket_id).where(TicketWarning.code == code))
    on_sqlite, on_postgresql = COLUMN_WARNING_SQL[code]
    return text(on_sqlite if db.session.get_bind().dialect.name == "sqlite" else on_postgresql)


def filtered_tickets(
    query: Select,
    filters: TicketFilters,
    user: User | None = None,
    clock: ReviewClock | None = None,
    *,
    search: ColumnElement[bool] | None = None,
    counting: bool = False,
) -> Select:
    """Narrow a scoped ticket query by the filters; pages and the API share it. ``search`` is the
    condition of ``filters.q`` when the caller has it already (it costs statements to make);
    ``counting`` for the query a count reads (see the province filter)."""
    if filters.q:
        query = query.where(search if search is not None else search_clause(filters.q))
    if filters.status:
        query = query.where(Ticket.status == filters.status)
    if filters.stage:
        query = query.where(Ticket.stage == filters.stage)
    if filters.service:
        query = query.where(Ticket.service.has(Service.code == filters.service))
    if filters.center:  # by the ticket's column, so that a query without the join takes it too
        query = query.where(Ticket.center_id.in_(select(Center.id).where(Center.named(filters.center))))
    if filters.province:
        in_province = Ticket.center_id.in_(select(Center.id).where(Center.province.has(Province.named(filters.province))))
        # A province is broad: its page walks the sort's index (see access.center_clause); its
        # count goes center by center, which the hint would turn into a scan of every ticket.
        query = query.where(in_province if counting else broad(in_province))
    if filters.date_from:
        query = query.where(Ticket.cutover_date >= filters.date_from)
    if filters.date_to:
        query = query.where(Ticket.cutover_date <= filters.date_to)
    if filters.warning:
        query = query.where(_warning(filters.warning))
    if filters.due and clock is not None:
        query = query.where(Ticket.status == TicketStatus.PENDING, clock.due_clause(filters.due))
    if filters.decided_by_me:
        # Whatever the ticket's state now: a decision, once taken, stays the reviewer's.
        reviewer = user.id if user is not None else None
        query = query.where(
            Ticket.id.in_(select(ReviewDecision.ticket_id).where(ReviewDecision.reviewer_id == reviewer))
            if reviewer is not None
            else false()
        )
    return query


def page_and_count(
    query: Select, counted: Select | None, filters: TicketFilters, user: User | None = None, clock: ReviewClock | None = None
) -> tuple[Select, Select]:
    """The filtered queries of a list: for its page, and for its count from ``counted`` (the same
    tickets read for counting, ``access.countable_tickets``; None: the page's own). The search
    condition is made once, its statements asked once."""
    search = search_clause(filters.q) if filters.q else None
    counted = filtered_tickets(counted if counted is not None else query, filters, user, clock, search=search, counting=True)
    return filtered_tickets(query, filters, user, clock, search=search), counted


def sort_order(filters: TicketFilters, default: str) -> tuple[tuple, bool]:
    """The key columns of the list's order and whether it runs backwards."""
    name = filters.sort or default
    return SORT_KEYS[name.removeprefix("-")], name.startswith("-")


def ordered(query: Select, filters: TicketFilters, default: str) -> Select:
    keys, descending = sort_order(filters, default)
    return query.order_by(*(key.desc() if descending else key for key in keys))


def neighbours(
    query: Select, filters: TicketFilters, default: str, ticket: Ticket, user: User | None = None, clock: ReviewClock | None = None
) -> tuple[int | None, int | None]:
    """The tickets before and after ``ticket`` in the filtered, sorted list (上一个 / 下一个).

    By the ticket's sort key, not its position: a ticket that has just left the list (decided)
    still has a place in the order, so "next" is the one that followed it. Two small queries.
    """
    keys, descending = sort_order(filters, default)
    values = _key_values(keys, ticket)
    after, before = tuple_(*keys) > tuple_(*values), tuple_(*keys) < tuple_(*values)
    forward, backward = (before, after) if descending else (after, before)
    base = filtered_tickets(query, filters, user, clock).with_only_columns(Ticket.id).order_by(None).limit(1)
    ascending_keys = [key.desc() if descending else key for key in keys]
    descending_keys = [key if descending else key.desc() for key in keys]
    following = db.session.scalar(base.where(forward).order_by(*ascending_keys))
    preceding = db.session.scalar(base.where(backward).order_by(*descending_keys))
    return preceding, following


def _key_values(keys: tuple, ticket: Ticket) -> tuple:
    by_column = {
        Ticket.cutover_date: ticket.cutover_date,
        Ticket.id: ticket.id,
        Ticket.submitted_at: ticket.submitted_at,
        Center.code: ticket.center.code,
    }
    return tuple(by_column[key] for key in keys)


def days_left_until(day: date, calendar: WorkingDayCalendar, today: date) -> int | None:
    """Working days from today to ``day`` (0 on the day itself); None once the day has passed."""
    return calendar.working_days_between(today, day) if day >= today else None


def ticket_page(
    query: Select,
    filters: TicketFilters,
    calendar: WorkingDayCalendar,
    today: date,
    *,
    urgent_first: bool = False,
    user: User | None = None,
    clock: ReviewClock | None = None,
    per_page: int = PER_PAGE,
    counted: Select | None = None,
) -> TicketPage:
    """One page of tickets, filtered and sorted, with working days left and review deadlines;
    the page, the centers' provinces and services, a count (``count_matching``) and, with a search,
    the centers it names: five statements at most, however many match. ``counted``, when given, is
    the same tickets for the count (``access.countable_tickets``)."""
    clock = clock or ReviewClock(calendar, today)
    query, counted = page_and_count(query, counted, filters, user, clock)
    page = ordered(query, filters, "cutover" if urgent_first else "-filed").options(
        contains_eager(Ticket.center).selectinload(Center.province),
        selectinload(Ticket.service),
        selectinload(Ticket.warning_rows),
    )
    pagination = db.paginate(page, page=filters.page, per_page=per_page, error_out=False, count=False)
    total = count_matching(counted, past=filters.page * per_page)
    pagination.total = total.count
    days_left, deadlines, due = {}, {}, {}
    for ticket in pagination.items:
        days_left[ticket.id] = days_left_until(ticket.cutover_date, calendar, today)
        deadlines[ticket.id] = clock.deadline(ticket.cutover_date)
        if ticket.status is TicketStatus.PENDING and (state := clock.state(ticket.cutover_date)):
            due[ticket.id] = state
    return TicketPage(pagination, days_left, deadlines, due, total.exact)


@dataclass(frozen=True)
class Total:
    """How many tickets a list matches: exact, or, past ``COUNT_LIMIT``, a floor (``exact`` false)."""

    count: int
    exact: bool


def count_matching(query: Select, past: int = 0) -> Total:
    """How many tickets a filtered query finds, counted up to ``COUNT_LIMIT`` or far enough to tell
    whether any lie past the first ``past`` (a page's end), whichever is more; one statement.

    Counting every match reads every matching row: at 100,000 tickets a reviewer's unfiltered list
    would take longer to count than to show. A count that stops stays as quick at any size.
    """
    cap = max(COUNT_LIMIT, past + 1)
    matches = query.with_only_columns(Ticket.id).order_by(None).limit(cap + 1).subquery()
    counted = db.session.scalar(select(func.count()).select_from(matches))
    return Total(min(counted, cap), counted <= cap)


def due_counts(query: Select, clock: ReviewClock) -> dict[str, int]:
    """Pending tickets of a scoped query past their review deadline, and due today or next, in one query."""
    overdue = func.coalesce(func.sum(case((clock.due_clause("overdue"), 1), else_=0)), 0)
    soon = func.coalesce(func.sum(case((clock.due_clause("soon"), 1), else_=0)), 0)
    row = db.session.execute(query.where(Ticket.status == TicketStatus.PENDING).with_only_columns(overdue, soon).order_by(None)).one()
    return {"overdue": row[0], "soon": row[1]}


def overdue_by_province(query: Select, clock: ReviewClock) -> list[tuple[Province, int]]:
    """Per province, the scoped query's pending tickets past their review deadline (one query)."""
    counts = (
        query.where(Ticket.status == TicketStatus.PENDING, clock.due_clause("overdue"))
        .with_only_columns(Center.province_id, func.count(Ticket.id).label("overdue"))
        .group_by(Center.province_id)
        .order_by(None)
    ).subquery()
    rows = db.session.execute(
        select(Province, counts.c.overdue).join(counts, counts.c.province_id == Province.id).order_by(Province.code)
    ).all()
    return [(province, count) for province, count in rows]


def warning_choices() -> list[tuple[str, str]]:
    return [(code, WARNING_LABELS.get(code, code)) for code in WARNING_FILTERS]


__all__ = [
    "COUNT_LIMIT",
    "DUE_FILTERS",
    "SORT_LABELS",
    "CalendarRangeError",
    "TicketFilters",
    "TicketPage",
    "Total",
    "count_matching",
    "days_left_until",
    "due_counts",
    "filtered_tickets",
    "neighbours",
    "ordered",
    "overdue_by_province",
    "page_and_count",
    "ticket_page",
    "warning_choices",
]
