"""Trends over a period (at most 400 days): tickets filed and completed per week, median review
time per stage and province, the share of tickets filed with the minimum lead time only, and the
http share of live links. A fixed number of queries, each reading figures kept at write time
(``rollups``): the day counts from ``ticket_day_count`` (at most a row per province and day),
the medians from weekly running histograms of the waits (``review_waits``)."""
from datetime import date, timedelta

from sqlalchemy import case, func, select

from ..accounts.access import center_clause, province_clause
from ..extensions import db
from ..models import LinkRecord, TicketDayCount, User
from .provinces import annex_label
from .review_waits import waits_in_period


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


def _days(user: User, first: date, last: date):
    return (province_clause(user, TicketDayCount.province_id), TicketDayCount.day.between(first, last))


def weekly_counts(user: User, first: date, last: date) -> list[dict]:
    """Tickets filed and completed per week (Monday to Sunday), every week of the period listed."""
    rows = db.session.execute(
        select(TicketDayCount.day, func.sum(TicketDayCount.filed), func.sum(TicketDayCount.completed))
        .where(*_days(user, first, last))
        .group_by(TicketDayCount.day)
    ).all()
    weeks: dict[date, dict] = {}
    monday = week_start(first)
    while monday <= last:
        weeks[monday] = {"week": monday.isoformat(), "filed": 0, "completed": 0}
        monday += timedelta(days=7)
    for day, filed, completed in rows:
        week = weeks[week_start(day)]
        week["filed"] += filed
        week["completed"] += completed
    return list(weeks.values())


def review_medians(user: User, first: date, last: date) -> list[dict]:
    """Median hours from reaching a stage (the latest move into it) to its decision, per province
    and stage, for the decisions taken in the period (``review_waits`` says how it is kept, and
    how close the median is)."""
    rows = [
        {"province": code, "name": annex_label((name, short_name, kind)), "stage": stage.value,
         "decisions": waits.decisions, "median_hours": round(waits.median_seconds() / 3600, 1)}
        for (code, name, short_name, kind), stage, waits in waits_in_period(user, first, last)
    ]
    return sorted(rows, key=lambda row: (row["province"], row["stage"]))


def minimum_lead_share(user: User, first: date, last: date) -> dict:
    """Of the tickets filed in the period, how many asked for the earliest allowed cutover E(D)."""
    filed, minimum = db.session.execute(
        select(func.coalesce(func.sum(TicketDayCount.submitted), 0), func.coalesce(func.sum(TicketDayCount.minimum_lead), 0))
        .where(*_days(user, first, last))
    ).one()
    return {"filed": filed, "minimum_lead": minimum, "share": round(minimum / filed, 4) if filed else 0.0}


def http_share(user: User) -> dict:
    """Live links in scope, and how many still use http (the notice: https preferred)."""
    links, http = db.session.execute(
        select(func.count(LinkRecord.id), func.sum(case((LinkRecord.url.like("http:%"), 1), else_=0)))
        .join(LinkRecord.center).where(center_clause(user))
    ).one()
    http = http or 0
    return {"links": links, "http": http, "share": round(http / links, 4) if links else 0.0}
