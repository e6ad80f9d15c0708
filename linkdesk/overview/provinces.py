"""The per-province table: one row per province in the user's scope, in the order of annex 1
(北京市 … 兵团), each a fixed number of aggregate queries whatever the number of tickets.

No Flask request here: the page, the API and the export call ``province_table`` alike.
"""

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time

from sqlalchemy import and_, case, func, select

from ..accounts.access import center_clause
from ..extensions import db
from ..models import OPEN_STATUSES, AuditEvent, Center, LinkRecord, Province, ProvinceKind, Role, Service, Ticket, TicketStatus, User
from ..workdays.calendar import BEIJING, WorkingDayCalendar

OVERVIEW_ROLES = (Role.PROVINCE_REVIEWER, Role.MINISTRY_REVIEWER, Role.ADMIN)
UPCOMING_WORKING_DAYS = 10  # "approved cutovers in the next 10 working days"
REVIEW_WORKING_DAYS = 5  # a ticket waiting longer than this at its stage is an overdue review
# The stages of an open ticket, in the order the table shows them.
OPEN_COLUMNS = ("province", "ministry", "returned", "approved")
OPEN_LABELS = {"province": "省级审核中", "ministry": "部级审核中", "returned": "已退回待修改", "approved": "已批准待切换"}


def annex_label(province: Province | tuple) -> str:
    """The province as annex 1 names it: 北京市 for a municipality, else the short name (河南, 兵团)."""
    name, short_name, kind = (province.name, province.short_name, province.kind) if isinstance(province, Province) else province
    return name if kind is ProvinceKind.MUNICIPALITY else short_name


@dataclass
class ProvinceRow:
    """One line of the national picture."""

    code: str
    name: str  # as in annex 1
    centers: int = 0
    links: int = 0  # live links registered
    http_links: int = 0
    possible_links: int = 0  # centers × services
    failing_centers: list[str] = field(default_factory=list)  # 链接未正常跳转的中心
    unlinked_centers: list[str] = field(default_factory=list)  # 未完成链接接入的中心 (no live link at all)
    open_tickets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OPEN_COLUMNS, 0))
    overdue_reviews: int = 0
    upcoming_cutovers: int = 0

    @property
    def coverage(self) -> float:
        """Share of the nine services × centers with a live link (接入覆盖率)."""
        return self.links / self.possible_links if self.possible_links else 0.0

    @property
    def http_share(self) -> float:
        return self.http_links / self.links if self.links else 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "coverage": round(self.coverage, 4), "http_share": round(self.http_share, 4)}


@dataclass(frozen=True)
class Horizon:
    """The moments the table is judged by: today, the end of the upcoming window, the review cut-off."""

    today: date
    upcoming_until: date
    review_cutoff: datetime  # a ticket at its stage since before this is overdue

    @classmethod
    def on(cls, today: date, calendar: WorkingDayCalendar) -> "Horizon":
        cutoff_day = calendar.sub_working_days(today, REVIEW_WORKING_DAYS)
        return cls(today, calendar.add_working_days(today, UPCOMING_WORKING_DAYS), datetime.combine(cutoff_day, time.min, BEIJING))


def province_table(user: User, horizon: Horizon) -> list[ProvinceRow]:
    """The per-province rows the user may see, in annex-1 order; three queries in all."""
    rows: dict[int, ProvinceRow] = {}
    service_count = db.session.scalar(select(func.count()).select_from(Service))
    for province_id, code, name, short_name, kind, center, links, failing, http in _centers_with_links(user):
        row = rows.get(province_id)
        if row is None:
            row = rows[province_id] = ProvinceRow(code, annex_label((name, short_name, kind)))
        row.centers += 1
        row.possible_links += service_count
        row.links += links
        row.http_links += http or 0
        if failing:
            row.failing_centers.append(center)
        if not links:
            row.unlinked_centers.append(center)
    for province_id, status, stage, count, overdue, upcoming in _open_tickets(user, horizon):
        row = rows.get(province_id)
        if row is None:  # cannot happen: a ticket's center is in the same scope
            continue
        column = stage.value if status is TicketStatus.PENDING else status.value
        row.open_tickets[column] += count
        row.overdue_reviews += overdue or 0
        row.upcoming_cutovers += upcoming or 0
    return list(rows.values())


def _centers_with_links(user: User):
    """Each active center in scope with its count of live, failing and http links (one query)."""
    query = (
        select(
            Province.id,
            Province.code,
            Province.name,
            Province.short_name,
            Province.kind,
            Center.short_name,
            func.count(LinkRecord.id),
            func.count(LinkRecord.unhealthy_since),
            func.sum(case((LinkRecord.url.like("http:%"), 1), else_=0)),
        )
        .select_from(Center)
        .join(Center.province)
        .outerjoin(LinkRecord, LinkRecord.center_id == Center.id)
        .where(center_clause(user), Center.active.is_(True))
        .group_by(Province.id, Province.code, Province.name, Province.short_name, Province.kind, Center.id, Center.code, Center.short_name)
        .order_by(Province.code, Center.code)
    )
    return db.session.execute(query).all()


def _open_tickets(user: User, horizon: Horizon):
    """Open tickets in scope by province, status and stage, with overdue reviews and upcoming
    cutovers counted in the same pass (one query)."""
    pending = Ticket.status == TicketStatus.PENDING
    # When the ticket reached its stage: its latest move into pending (filed, resubmitted or
    # forwarded by the province), a correlated subquery the database answers per group, not per row.
    stage_since = func.coalesce(
        select(func.max(AuditEvent.at))
        .where(AuditEvent.ticket_id == Ticket.id, AuditEvent.to_status == TicketStatus.PENDING.value)
        .scalar_subquery(),
        Ticket.submitted_at,
    )
    query = (
        select(
            Center.province_id,
            Ticket.status,
            Ticket.stage,
            func.count(),
            func.sum(case((and_(pending, stage_since < horizon.review_cutoff), 1), else_=0)),
            func.sum(
                case(
                    (and_(Ticket.status == TicketStatus.APPROVED, Ticket.cutover_date.between(horizon.today, horizon.upcoming_until)), 1),
                    else_=0,
                )
            ),
        )
        .join(Ticket.center)
        .where(center_clause(user), Ticket.status.in_(OPEN_STATUSES))
        .group_by(Center.province_id, Ticket.status, Ticket.stage)
    )
    return db.session.execute(query).all()


def totals(rows: list[ProvinceRow]) -> ProvinceRow:
    """The 合计 line: sums of the rows (names not repeated)."""
    total = ProvinceRow("", "合计")
    for row in rows:
        total.centers += row.centers
        total.links += row.links
        total.http_links += row.http_links
        total.possible_links += row.possible_links
        total.overdue_reviews += row.overdue_reviews
        total.upcoming_cutovers += row.upcoming_cutovers
        for column in OPEN_COLUMNS:
            total.open_tickets[column] += row.open_tickets[column]
    return total
