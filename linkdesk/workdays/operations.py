"""Importing a notice: the rules of the notice, the schedules in force and the open tickets meet here.

Before an admin confirms an import (CLI or page), :func:`prepare_import` says what it would do:
the schedule that would be stored (an adjustment notice applied onto the year it amends), the days
whose kind changes (before → after), and the open tickets whose earliest cutover E(D) or whose
cutover day changes. Nothing is stored until ``tickets.flags.import_schedule`` is called.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select

from ..extensions import db
from ..models import OPEN_STATUSES, Ticket
from .amendment import Amendment, read_notice
from .calendar import FIRST_DAY, WorkingDayCalendar, YearSchedule
from .notice import NoticeParseError
from .schedules import calendar_with, current_calendar, schedule_in_force

KIND_LABELS = {"workday": "工作日", "weekend": "周末休息", "holiday": "放假", "makeup_workday": "调休上班"}


@dataclass(frozen=True)
class DayChange:
    """A day whose kind (workday, weekend, holiday, makeup_workday) the import changes."""

    day: date
    before: str
    after: str

    @property
    def working_changes(self) -> bool:
        return (self.before in ("workday", "makeup_workday")) != (self.after in ("workday", "makeup_workday"))


@dataclass(frozen=True)
class TicketChange:
    """An open ticket the import touches: its E(D) before and after, whether its cutover day stays working."""

    ticket: Ticket
    earliest_before: date
    earliest_after: date
    cutover_working_before: bool
    cutover_working_after: bool


@dataclass(frozen=True)
class ImportPreview:
    schedule: YearSchedule
    amends: str | None  # the source of the adjustment notice applied, when it is one
    days: tuple[DayChange, ...]
    tickets: tuple[TicketChange, ...]

    @property
    def nothing_to_do(self) -> bool:
        """An adjustment notice already in force: storing it would change no day."""
        return self.amends is not None and not self.days


def schedule_from_notice(text: str) -> tuple[YearSchedule, str | None]:
    """The schedule a pasted notice gives: a yearly one as read, an adjustment applied to its year."""
    notice = read_notice(text)
    if not isinstance(notice, Amendment):
        return notice, None
    base = schedule_in_force(notice.year)
    if base is None:
        raise NoticeParseError(
            f"{notice.year} 年还没有正式的节假日安排（目前按法定节假日推算），调整通知“{notice.source}”"
            f"无从套用：请先导入《国务院办公厅关于{notice.year}年部分节假日安排的通知》，再导入这份调整通知。"
        )
    return notice.apply(base), notice.source


def prepare_import(schedule: YearSchedule, amends: str | None = None) -> ImportPreview:
    """What storing ``schedule`` would change, computed without storing anything."""
    before, after = current_calendar(), calendar_with(schedule)
    return ImportPreview(
        schedule, amends, tuple(_day_changes(before, after, schedule.year)), tuple(_ticket_changes(before, after, schedule.year))
    )


def _day_changes(before: WorkingDayCalendar, after: WorkingDayCalendar, year: int) -> list[DayChange]:
    day, last = max(date(year - 1, 12, 1), FIRST_DAY), date(year, 12, 31)
    changes = []
    while day <= last:
        kinds = before.day_kind(day), after.day_kind(day)
        if kinds[0] != kinds[1]:
            changes.append(DayChange(day, *kinds))
        day += timedelta(days=1)
    return changes


def _ticket_changes(before: WorkingDayCalendar, after: WorkingDayCalendar, year: int) -> list[TicketChange]:
    tickets = db.session.scalars(
        select(Ticket)
        .where(
            Ticket.status.in_(OPEN_STATUSES),
            or_(
                Ticket.submitted_on.between(max(date(year - 1, 11, 1), FIRST_DAY), date(year, 12, 31)),
                Ticket.cutover_date.between(date(year - 1, 12, 1), date(year + 1, 1, 31)),
            ),
        )
        .order_by(Ticket.cutover_date, Ticket.id)
    ).all()
    changes = []
    for ticket in tickets:
        change = TicketChange(
            ticket,
            before.earliest_cutover(ticket.submitted_on).earliest_cutover,
            after.earliest_cutover(ticket.submitted_on).earliest_cutover,
            before.is_working_day(ticket.cutover_date),
            after.is_working_day(ticket.cutover_date),
        )
        if (change.earliest_before, change.cutover_working_before) != (change.earliest_after, change.cutover_working_after):
            changes.append(change)
    return changes
