"""Trends over a period (at most 400 days): tickets filed and completed per week, median review
time per stage and province, the share of tickets filed with the minimum lead time only, and the
http share of live links. A fixed number of queries, each reading figures kept at write time
(``tickets.figures``): the day counts from ``nation_day_count`` or a province's ``ticket_day_count`` (a row a day),
the medians from weekly running histograms of the waits (``review_waits``)."""

from datetime import date, timedelta

from sqlalchemy import case, func, select

from ..accounts.access import center_clause, province_clause, sees_the_nation
from ..extensions import db
from ..models import LinkRecord, NationDayCount, TicketDayCount, User
from .provinces import annex_label
from .review_waits import waits_in_period, week_of


def trends(user: User, first: date, last: date) -> dict:
    """The trends in the user's scope over [first, last]."""
    days = day_counts(user, first, last)
    return {
        "weeks": weekly_counts(days, first, last),
        "review_hours": review_medians(user, first, last),
        "minimum_lead": minimum_lead_share(days),
        "http": http_share(user),
    }


def day_counts(user: User, first: date, last: date) -> list:
    """(day, filed, completed, submitted, minimum_lead) for each day of the period with any, in the
    user's scope: the nation's rows (one a day), or the province's."""
    if sees_the_nation(user):
        counts = NationDayCount
        query = select(counts.day, counts.filed, counts.completed, counts.submitted, counts.minimum_lead)
    else:
        counts = TicketDayCount
        query = (
            select(counts.day, *(func.sum(column) for column in (counts.filed, counts.completed, counts.submitted, counts.minimum_lead)))
            .where(province_clause(user, counts.province_id))
            .group_by(counts.day)
        )
    return db.session.execute(query.where(counts.day.between(first, last))).all()


def weekly_counts(days: list, first: date, last: date) -> list[dict]:
    """Tickets filed and completed per week (Monday to Sunday), every week of the period listed."""
    weeks: dict[date, dict] = {}
    monday = week_of(first)
    while monday <= last:
        weeks[monday] = {"week": monday.isoformat(), "filed": 0, "completed": 0}
        monday += timedelta(days=7)
    for day, filed, completed, _, _ in days:
        week = weeks[week_of(day)]
        week["filed"] += filed
        week["completed"] += completed
    return list(weeks.values())


def review_medians(user: User, first: date, last: date) -> list[dict]:
    """Median hours from reaching a stage (the latest move into it) to its decision, per province
    and stage, for the decisions taken in the period (``review_waits`` says how it is kept, and
    how close the median is)."""
    rows = [
        {
            "province": code,
            "name": annex_label((name, short_name, kind)),
            "stage": stage.value,
            "decisions": waits.decisions,
            "median_hours": round(waits.median_seconds() / 3600, 1),
        }
        for (code, name, short_name, kind), stage, waits in waits_in_period(user, first, last)
    ]
    return sorted(rows, key=lambda row: (row["province"], row["stage"]))


def minimum_lead_share(days: list) -> dict:
    """Of the tickets filed in the period, how many asked for the earliest allowed cutover E(D)."""
    filed = sum(submitted for _, _, _, submitted, _ in days)
    minimum = sum(minimum_lead for *_, minimum_lead in days)
    return {"filed": filed, "minimum_lead": minimum, "share": round(minimum / filed, 4) if filed else 0.0}


def http_share(user: User) -> dict:
    """Live links in scope, and how many still use http (the notice: https preferred)."""
    links, http = db.session.execute(
        select(func.count(LinkRecord.id), func.sum(case((LinkRecord.url.like("http:%"), 1), else_=0)))
        .join(LinkRecord.center)
        .where(center_clause(user))
    ).one()
    http = http or 0
    return {"links": links, "http": http, "share": round(http / links, 4) if links else 0.0}
