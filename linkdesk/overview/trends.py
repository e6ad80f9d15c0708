"""Trends over a period (at most 400 days): tickets filed and completed per week, median review
time per stage and province, the share of tickets filed with the minimum lead time only, and the
http share of live links. A fixed number of queries whatever the data size; counts are grouped
in SQL by Beijing day and folded into weeks here."""
from datetime import date, datetime, time, timedelta
from statistics import median

from sqlalchemy import case, func, select

from ..accounts.access import center_clause
from ..extensions import db
from ..models import AuditEvent, Center, LinkRecord, Province, ReviewDecision, Ticket, TicketStatus, User
from ..workdays.calendar import BEIJING
from .provinces import annex_label

FILED, COMPLETED = "submit", "complete"  # the audit actions counted as filed and completed


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    """[first 00:00, last+1 00:00) in Beijing, as instants."""
    return datetime.combine(first, time.min, BEIJING), datetime.combine(last + timedelta(days=1), time.min, BEIJING)


def local_day(column):
    """The Beijing date of a UTC timestamp column, computed by the database."""
    if db.engine.dialect.name == "postgresql":
        return func.date(func.timezone("Asia/Shanghai", column))
    return func.date(column, "+8 hours")  # SQLite stores the UTC wall time


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def trends(user: User, first: date, last: date) -> dict:
    """The trends in the user's scope over [first, last]."""
    return {
        "weeks": weekly_counts(user, first, last),
        "review_hours": review_medians(user, first, last),
        "minimum_lead": minimum_lead_share(user, first, last),
        "http": http_share(user),
    }


def weekly_counts(user: User, first: date, last: date) -> list[dict]:
    """Tickets filed and completed per week (Monday to Sunday), every week of the period listed."""
    start, end = _bounds(first, last)
    day = local_day(AuditEvent.at)
    rows = db.session.execute(
        select(day, AuditEvent.action, func.count())
        .join(Ticket, Ticket.id == AuditEvent.ticket_id).join(Ticket.center)
        .where(center_clause(user), AuditEvent.action.in_((FILED, COMPLETED)), AuditEvent.at >= start, AuditEvent.at < end)
        .group_by(day, AuditEvent.action)
    ).all()
    weeks: dict[date, dict] = {}
    monday = week_start(first)
    while monday <= last:
        weeks[monday] = {"week": monday.isoformat(), "filed": 0, "completed": 0}
        monday += timedelta(days=7)
    for day_value, action, count in rows:
        on = day_value if isinstance(day_value, date) else date.fromisoformat(day_value)
        weeks[week_start(on)]["filed" if action == FILED else "completed"] += count
    return list(weeks.values())


def review_medians(user: User, first: date, last: date) -> list[dict]:
    """Median hours from reaching a stage (the latest move into it) to its decision, per province and stage, for the
    decisions taken in the period (one query; the medians are taken here)."""
    start, end = _bounds(first, last)
    reached = (
        select(func.max(AuditEvent.at))
        .where(AuditEvent.ticket_id == ReviewDecision.ticket_id, AuditEvent.to_status == TicketStatus.PENDING.value,
               AuditEvent.to_stage == ReviewDecision.stage, AuditEvent.at <= ReviewDecision.decided_at)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Province.code, Province.name, Province.short_name, Province.kind, ReviewDecision.stage,
               ReviewDecision.decided_at, reached)
        .join(Ticket, Ticket.id == ReviewDecision.ticket_id).join(Ticket.center).join(Center.province)
        .where(center_clause(user), ReviewDecision.decided_at >= start, ReviewDecision.decided_at < end)
    ).all()
    waits: dict[tuple, list[float]] = {}
    for code, name, short_name, kind, stage, decided_at, since in rows:
        if since is None:
            continue
        since = since if since.tzinfo else since.replace(tzinfo=decided_at.tzinfo)  # SQLite forgets the zone
        key = (code, annex_label((name, short_name, kind)), stage.value)
        waits.setdefault(key, []).append((decided_at - since).total_seconds() / 3600)
    return [
        {"province": code, "name": name, "stage": stage, "decisions": len(hours), "median_hours": round(median(hours), 1)}
        for (code, name, stage), hours in sorted(waits.items())
    ]


def minimum_lead_share(user: User, first: date, last: date) -> dict:
    """Of the tickets filed in the period, how many asked for the earliest allowed cutover E(D)."""
    start, end = _bounds(first, last)
    filed, minimum = db.session.execute(
        select(func.count(), func.sum(case((Ticket.cutover_date <= Ticket.earliest_cutover, 1), else_=0)))
        .join(Ticket.center)
        .where(center_clause(user), Ticket.submitted_at >= start, Ticket.submitted_at < end)
    ).one()
    minimum = minimum or 0
    return {"filed": filed, "minimum_lead": minimum, "share": round(minimum / filed, 4) if filed else 0.0}


def http_share(user: User) -> dict:
    """Live links in scope, and how many still use http (the notice: https preferred)."""
    links, http = db.session.execute(
        select(func.count(LinkRecord.id), func.sum(case((LinkRecord.url.like("http:%"), 1), else_=0)))
        .join(LinkRecord.center).where(center_clause(user))
    ).one()
    http = http or 0
    return {"links": links, "http": http, "share": round(http / links, 4) if links else 0.0}
