"""The cutover calendar (切换日历): what changes on which day, the daily limit and blackout
windows, and which approved tickets are due.

The rules only: they read, and never commit. Knows nothing of Flask requests: the calendar pages,
the API and the iCalendar feed call these functions; what changes the calendar (applying due
cutovers, the settings, the reminders) is ``operations``.
"""

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import ColumnElement, Select, bindparam, func, select, tuple_, union_all

from ..accounts.access import NATIONAL_ROLES, center_clause
from ..extensions import db
from ..models import (
    SCHEDULED_STATUSES,
    AuditEvent,
    BlackoutWindow,
    Center,
    CutoverPolicy,
    Province,
    Service,
    Ticket,
    TicketStatus,
    User,
)
from ..workdays.calendar import WorkingDayCalendar

S = TicketStatus

SCHEDULED = SCHEDULED_STATUSES  # on the calendar for good
TENTATIVE = (S.PENDING,)  # shown only when asked for: still under review
MAX_RANGE_DAYS = 400  # the widest range a feed or export answers for at once


class RangeError(ValueError):
    """A date range that is malformed, reversed or too wide (Chinese message)."""


@dataclass(frozen=True)
class Cutover:
    """One ticket's change on the calendar, flattened for pages, feeds and exports."""

    ticket_id: int
    number: str
    cutover_date: date
    status: TicketStatus
    emergency: bool
    center_code: str
    center_name: str
    province_short_name: str
    service_code: str
    service_name: str
    old_url: str | None
    new_url: str
    center_full_name: str

    @property
    def tentative(self) -> bool:
        return self.status in TENTATIVE


@dataclass(frozen=True)
class CalendarFilters:
    province: str | None = None  # province code, short or full name
    center: str | None = None  # center code, short or full name
    service: str | None = None  # service code
    tentative: bool = False

    @classmethod
    def from_args(cls, args) -> "CalendarFilters":
        """From query arguments (pages and the API read them alike)."""
        return cls(
            province=args.get("province", "")[:64] or None,
            center=args.get("center", "")[:128] or None,
            service=args.get("service", "")[:64] or None,
            tentative=args.get("tentative") in ("1", "true"),
        )


def parse_range(first: str | None, last: str | None, *, default_days: int = 31, today: date) -> tuple[date, date]:
    """A validated [first, last] range from query strings (ISO dates), at most MAX_RANGE_DAYS long."""
    try:
        start = date.fromisoformat(first) if first else today
        end = date.fromisoformat(last) if last else start + timedelta(days=default_days - 1)
    except (TypeError, ValueError):
        raise RangeError("日期格式不正确，应为 YYYY-MM-DD。") from None
    except OverflowError:
        raise RangeError("日期超出范围。") from None
    if end < start:
        raise RangeError("结束日期不能早于开始日期。")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise RangeError(f"一次最多查询 {MAX_RANGE_DAYS} 天。")
    return start, end


SHOWN_PER_DAY = 6  # chips a day of the month grid shows; the rest is "另有 N 个"
PAGE_SIZE, MAX_PAGE_SIZE = 100, 1000  # a page of the list and the API; the most the API gives at once


def cutovers_between(user: User, first: date, last: date, filters: CalendarFilters = CalendarFilters()) -> list[Cutover]:
    """The cutovers in [first, last] the user may see, in one query, ordered by day and center."""
    query = _calendar_query(user, first, last, filters).order_by(Ticket.cutover_date, Center.code, Service.position)
    return [Cutover(*row) for row in db.session.execute(query)]


def cutovers_by_day(
    user: User, first: date, last: date, filters: CalendarFilters = CalendarFilters(), shown: int = SHOWN_PER_DAY
) -> tuple[dict[date, list[Cutover]], dict[date, int]]:
    """For the month grid: the first ``shown`` cutovers of each day and how many each day has.

    Flat in the history: one branch per day reads at most ``shown`` entries of the index
    ix_ticket_scheduled_day, by center and service (the order they were registered in, by code
    for the seeded ones), and the totals are counted from that index alone, so a day with a
    hundred cutovers costs what a day with six does. The scope and filters become center and
    service ids first; the statements depend only on the shape of the question and are built
    once per process.
    """
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    centers = _centers_in_view(user, filters)
    firsts, totals = _month_statements(len(days), shown, centers is not None, bool(filters.service), filters.tentative)
    values = {"first": first, "last": last, "centers": centers, "service": filters.service} | {
        f"day_{n}": day for n, day in enumerate(days)
    }
    by_day: dict[date, list[Cutover]] = {}
    for row in db.session.execute(firsts, values):
        cutover = Cutover(*row)
        by_day.setdefault(cutover.cutover_date, []).append(cutover)
    return by_day, dict(db.session.execute(totals, values).all())


def _centers_in_view(user: User, filters: CalendarFilters) -> list[int] | None:
    """The ids of the centers the user sees and the filters keep; None for every center."""
    if user.role in NATIONAL_ROLES and not (filters.province or filters.center):
        return None
    query = select(Center.id).join(Center.province).where(center_clause(user))
    if filters.province:
        query = query.where(Province.named(filters.province))
    if filters.center:
        query = query.where(Center.named(filters.center))
    return list(db.session.scalars(query))


@lru_cache(maxsize=64)
def _month_statements(days: int, shown: int, by_center: bool, by_service: bool, tentative: bool) -> tuple[Select, Select]:
    """The grid's two statements, with the days, range, centers and service as parameters."""
    in_view = [_status_in(SCHEDULED + (TENTATIVE if tentative else ()))]
    if by_center:
        in_view.append(Ticket.center_id.in_(bindparam("centers", expanding=True)))
    if by_service:
        in_view.append(Ticket.service_id.in_(select(Service.id).where(Service.code == bindparam("service"))))
    branches = [
        select(Ticket.id)
        .where(*in_view, Ticket.cutover_date == bindparam(f"day_{n}", type_=db.Date))
        .order_by(Ticket.cutover_date, Ticket.center_id, Ticket.service_id, Ticket.id)
        .limit(shown)
        .subquery()
        for n in range(days)
    ]
    firsts = (
        _calendar_columns()
        .where(Ticket.id.in_(union_all(*(select(branch.c.id) for branch in branches))))
        .order_by(Ticket.cutover_date, Ticket.center_id, Ticket.service_id, Ticket.id)
    )
    range_ = Ticket.cutover_date.between(bindparam("first", type_=db.Date), bindparam("last", type_=db.Date))
    totals = select(Ticket.cutover_date, func.count()).where(*in_view, range_).group_by(Ticket.cutover_date)
    return firsts, totals


def _status_in(statuses) -> ColumnElement[bool]:
    """``status IN (…)`` with the values written into the SQL: SQLite uses a partial index only
    when the query states the index's condition, and a bound parameter cannot state it."""
    return Ticket.status.in_(bindparam("calendar_statuses", list(statuses), expanding=True, literal_execute=True))


def cutovers_page(
    user: User,
    first: date,
    last: date,
    filters: CalendarFilters = CalendarFilters(),
    *,
    limit: int = PAGE_SIZE,
    after: tuple[date, int] | None = None,
) -> tuple[list[Cutover], str | None]:
    """At most ``limit`` cutovers in [first, last], ordered by (cutover_date, ticket id), after
    the cursor ``after`` (the last one of the previous page), and the cursor of the next page
    (None on the last): the keyset pages of the list page and the API. One query, asking for
    one more than the page to know whether another follows."""
    query = _calendar_query(user, first, last, filters).order_by(Ticket.cutover_date, Ticket.id).limit(limit + 1)
    if after is not None:
        query = query.where(tuple_(Ticket.cutover_date, Ticket.id) > tuple_(*after))
    page = [Cutover(*row) for row in db.session.execute(query)]
    return page[:limit], cursor_of(page[limit - 1]) if len(page) > limit else None


def cursor_of(cutover: Cutover) -> str:
    """The cursor that asks for the cutovers after this one (``YYYY-MM-DD_ID``)."""
    return f"{cutover.cutover_date.isoformat()}_{cutover.ticket_id}"


def parse_cursor(text: str) -> tuple[date, int]:
    """The (date, ticket id) of a cursor from ``cursor_of``; RangeError when it is not one."""
    match = re.fullmatch(r"([0-9]{4}-[0-9]{2}-[0-9]{2})_([0-9]{1,18})", text)
    try:
        return date.fromisoformat(match[1]), int(match[2])
    except (TypeError, ValueError):
        raise RangeError("分页游标无效，请使用上一页返回的 next_cursor。") from None


def _calendar_columns() -> Select:
    """A Cutover's columns, the ticket joined to its center, province and service."""
    return (
        select(
            Ticket.id,
            Ticket.number,
            Ticket.cutover_date,
            Ticket.status,
            Ticket.emergency,
            Center.code.label("center_code"),
            Center.short_name.label("center_name"),
            Province.short_name.label("province_short_name"),
            Service.code.label("service_code"),
            Service.name.label("service_name"),
            Ticket.old_url,
            Ticket.new_url,
            Center.name.label("center_full_name"),
        )
        .join(Ticket.center)
        .join(Center.province)
        .join(Ticket.service)
    )


def _calendar_query(user: User, first: date, last: date, filters: CalendarFilters) -> Select:
    query = _calendar_columns().where(
        center_clause(user),
        _status_in(SCHEDULED + (TENTATIVE if filters.tentative else ())),
        Ticket.cutover_date.between(first, last),
    )
    if filters.province:
        query = query.where(Province.named(filters.province))
    if filters.center:
        query = query.where(Center.named(filters.center))
    if filters.service:
        query = query.where(Service.code == filters.service)
    return query


def calendar_generation() -> int:
    """A number that grows whenever any ticket changes (every change appends an audit event):
    the newest audit event's id, read from the primary key's index."""
    return db.session.scalar(select(func.max(AuditEvent.id))) or 0


def month_weeks(year: int, month: int) -> list[list[date]]:
    """The weeks (Monday first) that show a month, as rows of seven dates."""
    first = date(year, month, 1)
    start = first - timedelta(days=first.weekday())
    following = date(year + month // 12, month % 12 + 1, 1)
    weeks = []
    while start < following:
        weeks.append([start + timedelta(days=offset) for offset in range(7)])
        start += timedelta(days=7)
    return weeks


# --- load and blackouts --------------------------------------------------------------


def policy() -> CutoverPolicy:
    """The calendar settings (a row is created on first use)."""
    row = db.session.get(CutoverPolicy, 1)
    return row if row is not None else CutoverPolicy(id=1, max_per_day=None)


def blackout_on(day: date) -> BlackoutWindow | None:
    return db.session.scalar(
        select(BlackoutWindow)
        .where(BlackoutWindow.first_day <= day, BlackoutWindow.last_day >= day)
        .order_by(BlackoutWindow.first_day)
        .limit(1)
    )


def scheduled_count(first: date, last: date, exclude_ticket_id: int | None = None) -> Counter:
    """How many approved or completed cutovers (all centers) fall on each day of [first, last]."""
    query = (
        select(Ticket.cutover_date, func.count())
        .where(_status_in(SCHEDULED), Ticket.cutover_date.between(first, last))
        .group_by(Ticket.cutover_date)
    )
    if exclude_ticket_id is not None:
        query = query.where(Ticket.id != exclude_ticket_id)
    return Counter(dict(db.session.execute(query).all()))


@dataclass(frozen=True)
class DayLoad:
    """A day's national load, as anyone may see it: counts and windows, never whose cutovers."""

    count: int
    full: bool
    blackout: str | None  # the window's reason


def day_loads(first: date, last: date) -> dict[date, DayLoad]:
    """The load of each day of [first, last] that has cutovers or lies in a blackout window."""
    counts = scheduled_count(first, last)
    limit = policy().max_per_day
    windows = db.session.scalars(
        select(BlackoutWindow).where(BlackoutWindow.first_day <= last, BlackoutWindow.last_day >= first).order_by(BlackoutWindow.first_day)
    ).all()
    loads = {}
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        window = next((w for w in windows if w.first_day <= day <= w.last_day), None)
        if counts[day] or window is not None:
            loads[day] = DayLoad(counts[day], limit is not None and counts[day] >= limit, window.reason if window else None)
    return loads


def next_free_day(day: date, calendar: WorkingDayCalendar, exclude_ticket_id: int | None = None) -> date | None:
    """The first working day after ``day`` that is neither full nor in a blackout (within 60 days)."""
    limit = policy().max_per_day
    horizon = day + timedelta(days=60)
    counts = scheduled_count(day, horizon, exclude_ticket_id)
    windows = db.session.scalars(select(BlackoutWindow).where(BlackoutWindow.last_day >= day, BlackoutWindow.first_day <= horizon)).all()
    candidate = day
    while candidate < horizon:
        candidate = calendar.next_working_day(candidate + timedelta(days=1))
        if any(w.first_day <= candidate <= w.last_day for w in windows):
            continue
        if limit is None or counts[candidate] < limit:
            return candidate
    return None


def load_findings(day: date, calendar: WorkingDayCalendar, exclude_ticket_id: int | None = None) -> list[dict]:
    """Warnings for a cutover on ``day``: a blackout window, or a day already at the limit."""
    findings = []
    window = blackout_on(day)
    limit = policy().max_per_day
    full = limit is not None and scheduled_count(day, day, exclude_ticket_id)[day] >= limit
    if window is None and not full:
        return findings
    suggestion = next_free_day(day, calendar, exclude_ticket_id)
    hint = f"建议改为 {suggestion.isoformat()}。" if suggestion else "近 60 天内没有空闲的工作日。"
    if window is not None:
        findings.append(
            {
                "code": "blackout",
                "message": f"{day.isoformat()} 处于封网期（{window.first_day.isoformat()} 至 "
                f"{window.last_day.isoformat()}：{window.reason}），{hint}",
            }
        )
    if full:
        findings.append(
            {
                "code": "day_full",
                "message": f"{day.isoformat()} 已安排 {limit} 个切换，达到每日上限，{hint}",
            }
        )
    return findings


def due_ticket_ids(day: date) -> list[int]:
    """Approved tickets whose cutover date is on or before ``day``."""
    return list(
        db.session.scalars(
            select(Ticket.id).where(Ticket.status == S.APPROVED, Ticket.cutover_date <= day).order_by(Ticket.cutover_date, Ticket.id)
        )
    )
