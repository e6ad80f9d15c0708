"""The calendar the app answers with: the shipped schedules plus those an admin imported.

calendar.py knows what a working day is; this module only decides which schedules are in
force (imported ones win over shipped ones for the same year), stores an imported year and says
which open tickets it breaks (findings; flagging them is ``tickets.flags``), and caches the index
built from the schedules, rebuilding it when an import changes the database.
"""

import logging
import threading
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import OPEN_STATUSES, HolidaySchedule, Ticket
from ..models.types import utcnow
from .calendar import Adjustment, WorkingDayCalendar, YearSchedule, calendar_for, load_shipped_schedules

log = logging.getLogger(__name__)
_lock = threading.Lock()


def _imported_schedules() -> list[YearSchedule]:
    rows = db.session.scalars(select(HolidaySchedule).order_by(HolidaySchedule.year))
    return [to_year_schedule(row) for row in rows]


def to_year_schedule(row: HolidaySchedule) -> YearSchedule:
    """The pure schedule of a stored row.

    ``row.periods`` holds the holiday periods as ``[name, first, last]`` and, after them, each
    adjustment notice in force as ``{"adjustment": source, "holiday": …, "first": …, "last": …,
    "makeup_workdays": […]}`` (kept in the same JSON column rather than a new one).
    """
    entries = row.periods or ()
    return YearSchedule(
        year=row.year,
        holidays=frozenset(date.fromisoformat(day) for day in row.holidays),
        makeup_workdays=frozenset(date.fromisoformat(day) for day in row.makeup_workdays),
        source=row.source,
        periods=tuple((name, date.fromisoformat(first), date.fromisoformat(last)) for name, first, last in _periods(entries)),
        adjustments=tuple(Adjustment.from_json(entry["adjustment"], entry) for entry in entries if isinstance(entry, dict)),
    )


def _periods(entries) -> list:
    return [entry for entry in entries if isinstance(entry, list)]


def _stored_periods(schedule: YearSchedule) -> list:
    """The periods column of a row: the holiday periods, then the adjustments in force (see above)."""
    periods: list = [[name, first.isoformat(), last.isoformat()] for name, first, last in schedule.periods]
    return periods + [{"adjustment": adjustment.source, **adjustment.to_json()} for adjustment in schedule.adjustments]


def _fingerprint() -> tuple:
    # Cheap to ask on every request; changes whenever a schedule is imported or replaced.
    count, latest = db.session.execute(select(func.count(), func.max(HolidaySchedule.imported_at))).one()
    return count, latest, current_app.config["LINKDESK_LEAD_WORKING_DAYS"]


def schedules_in_force() -> dict[int, YearSchedule]:
    """Each official year's schedule: an imported year replaces the shipped file of the same year."""
    by_year = {schedule.year: schedule for schedule in load_shipped_schedules()}
    by_year.update({schedule.year: schedule for schedule in _imported_schedules()})
    return by_year


def schedule_in_force(year: int) -> YearSchedule | None:
    """The official schedule of a year, or None when the year is provisional."""
    return schedules_in_force().get(year)


def calendar_with(replacing: YearSchedule | None = None) -> WorkingDayCalendar:
    """The calendar of the schedules in force, with one year replaced (to preview an import)."""
    by_year = schedules_in_force()
    if replacing is not None:
        by_year[replacing.year] = replacing
    schedules = tuple(by_year[year] for year in sorted(by_year))
    return calendar_for(schedules, current_app.config["LINKDESK_LEAD_WORKING_DAYS"])


def _build_calendar() -> WorkingDayCalendar:
    return calendar_with()


def current_calendar() -> WorkingDayCalendar:
    """The working-day calendar in force for this app, built once per change of schedules."""
    cache = current_app.extensions.setdefault("linkdesk_calendar", {})
    fingerprint = _fingerprint()
    calendar = cache.get(fingerprint)
    if calendar is None:
        with _lock:
            calendar = cache.get(fingerprint)
            if calendar is None:
                calendar = _build_calendar()
                cache.clear()
                cache[fingerprint] = calendar
    return calendar


def warm_calendar(app) -> None:
    """Build the app's working-day calendar now (about a second), so that the first request of a
    new server process does not wait for it; a database not reachable yet is left to that request."""
    with app.app_context():
        try:
            current_calendar()
        except SQLAlchemyError:
            log.warning("working-day calendar not built at start: database not ready", exc_info=True)
        finally:
            db.session.remove()


@dataclass(frozen=True)
class CalendarFinding:
    """An open ticket that a newly stored calendar breaks, and why (Chinese, for the reviewers)."""

    ticket: Ticket
    message: str


def store_schedule(schedule: YearSchedule, user=None) -> tuple[bool, list[CalendarFinding]]:
    """Store an official year (replacing an earlier import), in the caller's transaction; returns
    whether it replaced one, and the open tickets the calendar in force from now on breaks.

    A ticket is broken when its cutover date is no longer a working day, or is now earlier than
    the lead time allows from the day it was submitted (emergency changes excepted). Flagging
    them is the caller's (``tickets.flags.import_schedule``), in the same transaction.
    """
    row = db.session.get(HolidaySchedule, schedule.year)
    replaced = row is not None
    if row is None:
        row = HolidaySchedule(year=schedule.year)
        db.session.add(row)
    row.holidays = sorted(day.isoformat() for day in schedule.holidays)
    row.makeup_workdays = sorted(day.isoformat() for day in schedule.makeup_workdays)
    row.periods = _stored_periods(schedule)
    row.source = schedule.source
    row.imported_at = utcnow()
    row.imported_by_id = user.id if user is not None else None
    db.session.flush()
    calendar = _build_calendar()
    findings = [_finding(ticket, calendar) for ticket in _open_tickets_touching(schedule.year)]
    return replaced, [finding for finding in findings if finding is not None]


def _open_tickets_touching(year: int) -> list[Ticket]:
    return db.session.scalars(
        select(Ticket).where(
            Ticket.status.in_(OPEN_STATUSES),
            Ticket.cutover_date >= date(year - 1, 12, 1),
            Ticket.cutover_date <= date(year + 1, 1, 31),
        )
    ).all()


def _finding(ticket: Ticket, calendar: WorkingDayCalendar) -> CalendarFinding | None:
    problems = []
    if not calendar.is_working_day(ticket.cutover_date):
        problems.append(f"按新导入的节假日安排，{ticket.cutover_date.isoformat()} 不是工作日")
    elif not ticket.emergency:
        earliest = calendar.earliest_cutover(ticket.submitted_on).earliest_cutover
        if ticket.cutover_date < earliest:
            problems.append(f"按新导入的节假日安排，最早应在 {earliest.isoformat()} 切换")
    if not problems:
        return None
    return CalendarFinding(ticket, "；".join(problems) + "。请审核人员与中心确认切换日期。")
